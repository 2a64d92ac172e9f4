"""Secret patterns (SPEC section 2): provider tokens, keys, passwords in code and config.

One module per concept: `providers` (tokens whose format names their issuer),
`keys` (private keys, JWTs), `manifests` (Kubernetes Secrets), `connections`
(passwords in URLs and connection strings), `assignments` (a literal assigned
to a secret-like name, in every syntax), `entropy` (random strings with a
secret-like name), `placeholders` (what only stands in for a secret),
`structure` (checksums and encodings), `paths` (test and example files).
"""

from dgp.engine.patterns import PatternSpec
from dgp.engine.secrets.assignments import ASSIGNMENT_PATTERNS
from dgp.engine.secrets.connections import CONNECTION_PATTERNS
from dgp.engine.secrets.entropy import ENTROPY_PATTERNS
from dgp.engine.secrets.keys import KEY_PATTERNS
from dgp.engine.secrets.manifests import MANIFEST_PATTERNS
from dgp.engine.secrets.paths import fixture_note, fixture_reason, is_test_path
from dgp.engine.secrets.placeholders import is_placeholder
from dgp.engine.secrets.providers import PROVIDER_PATTERNS

SECRET_PATTERNS: tuple[PatternSpec, ...] = (
    PROVIDER_PATTERNS
    + KEY_PATTERNS
    + MANIFEST_PATTERNS
    + CONNECTION_PATTERNS
    + ASSIGNMENT_PATTERNS
    + ENTROPY_PATTERNS
)

__all__ = [
    "SECRET_PATTERNS",
    "fixture_note",
    "fixture_reason",
    "is_placeholder",
    "is_test_path",
]
