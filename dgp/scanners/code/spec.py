"""The code kind, as every process sees it: options, limits, target policy, rules."""

from __future__ import annotations

from dgp.domain.options import CodeOptions
from dgp.kinds import Input, KindSpec
from dgp.net import redact_text
from dgp.scanners import git
from dgp.scanners.code.rules import RULE_IDS

SPEC = KindSpec(
    name="code",
    summary="PII literals, secrets and privacy anti-patterns in a repository or source tree",
    port=5001,
    implementation_module="dgp.scanners.code.scanner",
    inputs=frozenset({Input.TARGET, Input.UPLOAD}),
    options=CodeOptions,
    rules=RULE_IDS,
    check_target=git.refuse_credentials,
    show_target=redact_text,  # the clone needs the URL whole; reports do not
    endpoint=git.endpoint_of,
    system_packages=("git",),
)
