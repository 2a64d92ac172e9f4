"""Test, example and documentation files: where sample keys usually live.

A key in `tests/fixtures/` or `.env.example` is most likely a test value, but a
real key there works as well as anywhere, so scanners keep the finding and say
where it is, with lower confidence (the engine has no paths; scanners do).
"""

from __future__ import annotations

import re

FIXTURE_CONFIDENCE_FACTOR = 0.6

_TEST_DIRS = frozenset(
    "test tests testing __tests__ spec specs testdata test_data test-data fixtures fixture "
    "__fixtures__ mocks __mocks__ stubs e2e".split()
)
_EXAMPLE_DIRS = frozenset("example examples sample samples demo demos".split())
_DOC_DIRS = frozenset("doc docs documentation".split())
_TEST_FILE = re.compile(
    r"^(?:test_.*\.py|.*_test\.(?:py|go|rb|exs?)|conftest\.py|.*\.(?:test|spec)\.[cm]?[jt]sx?"
    r"|.*(?:Test|Tests|Spec|IT)\.(?:java|kt|scala|cs|groovy|swift)|.*_spec\.rb)$"
)
_EXAMPLE_FILE = re.compile(
    r"(?:\.|_|-)(?:example|sample|dist|template|tmpl|tpl|default|defaults)(?:\.[\w]+)?$"
    r"|^example[\w.-]*$",
    re.IGNORECASE,
)


def fixture_reason(path: str | None) -> str | None:
    """Why a file looks like a test, example or documentation file; None when it does not."""
    if not path:
        return None
    parts = [p for p in re.split(r"[\\/]+", path) if p]
    if not parts:
        return None
    name, folders = parts[-1], [p.lower() for p in parts[:-1]]
    if _TEST_FILE.match(name) or any(f in _TEST_DIRS for f in folders):
        return "in a test file or fixture"
    if _EXAMPLE_FILE.search(name) or any(f in _EXAMPLE_DIRS for f in folders):
        return "in an example or template file"
    if any(f in _DOC_DIRS for f in folders):
        return "in documentation"
    return None


def is_test_path(path: str | None) -> bool:
    """A test, example or documentation file (see `fixture_reason`)."""
    return fixture_reason(path) is not None


def fixture_note(path: str | None, confidence: float) -> tuple[float, str] | None:
    """(lower confidence, sentence for the finding) for a secret found in such a file.

    Scanners call this for `secret.*` findings: the finding stays, with the reason.
    """
    reason = fixture_reason(path)
    if reason is None:
        return None
    return (
        round(confidence * FIXTURE_CONFIDENCE_FACTOR, 2),
        f"Found {reason}: probably a test value, but a real credential there is as usable "
        "as anywhere; rotate it if it ever was real.",
    )
