"""The database kind, as every process sees it: options, limits, target policy, rules."""

from __future__ import annotations

from dgp.kinds import Input, KindSpec
from dgp.scanners.database.options import DATABASE_LIMITS, DatabaseOptions
from dgp.scanners.database.rules import RULE_IDS
from dgp.scanners.database.target import check_target, show_target, target_endpoint

SPEC = KindSpec(
    name="database",
    summary="Personal data in PostgreSQL, MySQL/MariaDB and SQLite: columns classified by "
    "name and by sampled values (never copied), BSN, special categories, passwords, "
    "grants, retention, row-level security; a data map for the register (GDPR art. 30)",
    port=5005,
    implementation_module="dgp.scanners.database.scanner",
    inputs=frozenset({Input.TARGET, Input.UPLOAD}),
    options=DatabaseOptions,
    limits=DATABASE_LIMITS,
    rules=RULE_IDS,
    check_target=check_target,
    show_target=show_target,
    endpoint=target_endpoint,
)
