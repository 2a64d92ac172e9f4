"""Database scanner (SPEC 3.5): scan(job, inputs) -> ScanResult.

1. Connect read-only (postgres.py, mysql.py, sqlite.py): the target checked against the
   SSRF policy (dgp.net) and dialled at the checked addresses; the password from the
   scan's encrypted credential, never from the target.
2. List schemas, tables, views, columns and row estimates from the catalogue.
3. Sample each table with a bound (rows, characters per value, bytes per table and in
   all), classify each column by its name (columns.py) and by the share of sampled
   values the shared engine validates (values.py), check password columns.
4. Findings per schema.table.column, table findings (grants, retention, row-level
   security), and the data map artefact (which tables hold which categories, how many
   rows), for the register of processing (GDPR art. 30) and a DPIA.

Sampled values never leave this process: counts, shares, masked examples, hashes.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from dgp.domain.credential import Credential, CredentialKind
from dgp.domain.finding import Location
from dgp.domain.job import Artefact, ScanInputError, ScanInputs, ScanJob, ScanResult
from dgp.domain.options import ScanOptions
from dgp.net import NetPolicy, Resolver, TargetRefused, check_target
from dgp.net.errors import TargetUnreachable
from dgp.scanners.common_rules import ITEM_NOT_SCANNED
from dgp.scanners.database import rules
from dgp.scanners.database.columns import CATEGORIES, ORDER, Family, classify_name, is_password
from dgp.scanners.database.model import Source, SourceUnavailable, Table, TableError
from dgp.scanners.database.options import DATABASE_LIMITS, DatabaseOptions
from dgp.scanners.database.target import DatabaseTarget, parse_target
from dgp.scanners.database.values import classify_values, password_shapes
from dgp.scanners.session import ScanSession, StopScan, detector_for
from dgp.scanners.session import warm_up as session_warm_up

log = logging.getLogger(__name__)
DATA_MAP = "database-datamap.json"
FAMILY_RULE = {
    Family.PERSONAL: rules.PERSONAL_COLUMN,
    Family.BSN: rules.BSN_COLUMN,
    Family.SPECIAL: rules.SPECIAL_COLUMN,
    Family.CRIMINAL: rules.CRIMINAL_COLUMN,
}
# categories whose values the engine validates: a column so named whose sampled values
# never validate is not reported on its name alone ("email_sent_at")
VALIDATED = frozenset({"bsn", "email", "iban", "payment_card", "phone"})
NAME_DISAGREES = 0.3
# the detector of sampled values keeps every detection: the share decides (values.py)
EVERY_DETECTION = 0.0


def warm_up() -> None:
    """Compile both detectors a scan uses (the session's and the values' one) before the
    first job: each takes most of a second."""
    session_warm_up()
    detector_for(EVERY_DETECTION)


def scan(job: ScanJob, inputs: ScanInputs, resolver: Resolver | None = None) -> ScanResult:
    options = database_options(job.options)
    job = replace(job, options=options)
    target = _target(job, inputs, options)
    session = ScanSession(job, inputs.hasher(), inputs.progress)
    session.scan.target = target.display if inputs.upload is None else job.target
    user, password = _login(options, inputs.credential)
    session.progress(2, f"connecting to {target.display}")
    source = open_source(target, inputs.upload, options, user, password, resolver)
    data_map: dict[str, Any] = {
        "target": session.scan.target,
        "engine": source.engine,
        "server_version": source.version,
        "tls": source.tls,
        "tables": [],
        "views": [],
    }
    try:
        if source.tls is False:
            session.add(
                rules.NO_TLS,
                Location(path=target.display),
                value=f"tls:{target.endpoint}",
                evidence=f"{target.endpoint}: connection not encrypted",
            )
        try:
            tables = source.tables(options.schemas)
        except TableError as e:
            raise ScanInputError(f"the catalogue of {target.display} cannot be read: {e}") from None
        session.progress(5, f"{len(tables)} tables and views listed")
        data_map["views"] = [_view(t) for t in tables if t.kind == "view"]
        to_sample = [t for t in tables if t.kind == "table"]
        try:
            for i, table in enumerate(to_sample):
                session.progress(5 + 90 * i // max(1, len(to_sample)), f"sampling {table.path}")
                data_map["tables"].append(_table(session, source, table, options))
        except StopScan:
            pass
    finally:
        source.close()
    stats = session.scan.stats
    data_map["totals"] = {
        "tables": len(data_map["tables"]),
        "views": len(data_map["views"]),
        "rows_sampled": sum(t.get("sampled_rows", 0) for t in data_map["tables"]),
        "bytes_read": stats.bytes_scanned,
        "truncated": stats.truncated,
    }
    result = session.finish()
    result.artefacts.append(
        Artefact(DATA_MAP, "application/json", json.dumps(data_map, indent=2).encode())
    )
    return result


def database_options(options: ScanOptions) -> DatabaseOptions:
    """The job's options as DatabaseOptions, its limits never above the kind's."""
    return DatabaseOptions.of_job(options, DATABASE_LIMITS)


def _target(job: ScanJob, inputs: ScanInputs, options: DatabaseOptions) -> DatabaseTarget:
    if inputs.upload is not None:  # an uploaded SQLite file
        return DatabaseTarget("sqlite", inputs.upload.name, path=str(inputs.upload))
    try:
        target = parse_target(job.target)
    except TargetRefused as e:
        raise ScanInputError(e.reason) from None
    if target.local and not options.allow_local_sources:
        what = "a SQLite file" if target.engine == "sqlite" else "a unix socket"
        raise ScanInputError(
            f"{target.display} is {what} on the scanner host: an administrator's scan "
            "(allow_local_sources); upload the SQLite file instead"
        )
    return target


def _login(options: DatabaseOptions, credential: Credential | None) -> tuple[str, str | None]:
    """The user (option `user`, or a basic_auth credential's) and the password (the
    credential's); the password exists only here and in the driver."""
    if credential is None:
        return options.user, None
    if credential.kind is CredentialKind.BASIC_AUTH:
        user, password = credential.basic_auth()
        return options.user or user, password.reveal()
    if credential.kind is CredentialKind.DATABASE_PASSWORD:
        return options.user, credential.secret.reveal()
    raise ScanInputError(
        f"credential {credential.id} is a {credential.kind}; a database scan takes a "
        "database_password or basic_auth credential"
    )


def open_source(
    target: DatabaseTarget,
    upload: Path | None,
    options: DatabaseOptions,
    user: str,
    password: str | None,
    resolver: Resolver | None = None,
) -> Source:
    """A connected source; ScanInputError (refused) or TargetUnavailable (the host did not
    answer) with a reason that never holds the password."""
    table_limit = options.limits.max_items
    if target.engine == "sqlite":
        from dgp.scanners.database.sqlite import SqliteSource

        return SqliteSource(Path(target.path or ""), options, table_limit)
    checked = None
    if target.url is not None:
        policy = NetPolicy(allow_private=options.allow_private_hosts)
        try:
            checked = check_target(target.url, policy, resolver)
        except TargetUnreachable as e:
            raise SourceUnavailable(str(e), target.endpoint or "") from None
        except TargetRefused as e:
            raise ScanInputError(e.reason) from None
    if target.engine == "postgresql":
        from dgp.scanners.database.postgres import PostgresSource

        return PostgresSource(target, checked, options, user, password, table_limit)
    from dgp.scanners.database.mysql import MysqlSource

    return MysqlSource(target, checked, options, user, password, table_limit)


@dataclass
class Classified:
    column: str
    category: str
    share: float | None  # of sampled values; None when only the name said it
    confidence: float
    by: str  # name, values, or name and values
    examples: list[str]
    sampled: int
    matched: int


def _table(
    session: ScanSession, source: Source, table: Table, options: DatabaseOptions
) -> dict[str, Any]:
    """Sample one table, report its columns and the table itself; its data-map entry."""
    session.admit(0)
    stats = session.scan.stats
    entry: dict[str, Any] = {
        "schema": table.schema,
        "name": table.name,
        "estimated_rows": table.estimated_rows,
    }
    room = options.limits.max_bytes - stats.bytes_scanned
    max_bytes = min(options.limits.max_file_bytes, room)
    try:
        sample = source.sample(table, options.sample_rows, options.max_value_chars, max_bytes)
    except TableError as e:
        session.skip(f"{table.path}: {e}")
        session.add(
            ITEM_NOT_SCANNED,
            Location(path=table.path, table=table.path),
            value=f"table:{table.path}",
            evidence=str(e)[:300],
        )
        entry["skipped"] = str(e)
        return entry
    finally:
        session.item_done()
    stats.bytes_scanned += sample.bytes
    if sample.truncated and room < options.limits.max_file_bytes:
        session.scan.stats.truncated = True
    detector = detector_for(EVERY_DETECTION)
    classified: list[Classified] = []
    for column in table.columns:
        session.check_time()
        values = sample.values.get(column.name, [])
        if column.sampled and is_password(column.name):
            _password(session, table, column.name, values)
            continue
        found = _classify(detector, column.name, values, options)
        if found is not None:
            classified.append(found)
    personal = [c for c in classified if c.confidence >= options.min_confidence]
    for c in personal:
        _report_column(session, table, c)
    entry.update(
        {
            "sample_method": sample.method,
            "sampled_rows": sample.rows,
            "bytes_read": sample.bytes,
            "bytes_bounded": sample.truncated,
            "categories": sorted({c.category for c in personal}),
            "columns": [
                {
                    "name": c.name,
                    "type": c.type,
                    **({"not_sampled": c.why_not} if not c.sampled else {}),
                    **_column_entry(personal, c.name),
                }
                for c in table.columns
            ],
        }
    )
    if personal:
        entry.update(_table_findings(session, source, table, personal))
    return entry


def _classify(
    detector: Any, column: str, values: list[str], options: DatabaseOptions
) -> Classified | None:
    by_name = classify_name(column)
    counted = classify_values(detector, column, values, options.min_confidence)
    best = counted.best(options.min_share)
    if best is not None:
        category, share, count = best
        confidence = min(0.99, 0.6 + 0.4 * share)
        by = "values"
        if by_name is not None:
            by = "name and values"
            if by_name.category == category:
                confidence = min(0.99, confidence + 0.1)
            elif ORDER[by_name.category.family] < ORDER[category.family]:
                category = by_name.category  # "diagnose" holding names: still health
        return Classified(
            column,
            category.name,
            share,
            round(confidence, 2),
            by,
            count.examples,
            counted.sampled,
            count.matched,
        )
    if by_name is None:
        return None
    confidence = by_name.confidence
    if by_name.category.name in VALIDATED and counted.sampled >= 3:
        confidence = NAME_DISAGREES  # named so, but no value validates as one
    return Classified(
        column, by_name.category.name, None, confidence, "name", [], counted.sampled, 0
    )


def _report_column(session: ScanSession, table: Table, c: Classified) -> None:
    category = CATEGORIES[c.category]
    path = f"{table.path}.{c.column}"
    if c.share is not None:
        how = f"{c.matched} of {c.sampled} sampled values ({c.share:.0%}) validate as one"
    else:
        how = f"its name says so ({c.sampled} values sampled)"
    rule = FAMILY_RULE[category.family]
    from dgp.engine.rules import RULES

    session.add(
        rule,
        Location(path=path, table=table.path, column_name=c.column),
        value=f"{path}:{c.category}",
        evidence=", ".join(c.examples) or f"column {c.column}",
        confidence=c.confidence,
        description=f"{RULES[rule].description} Category: {category.label}; {how}.",
        extra={
            "category": c.category,
            "share": None if c.share is None else round(c.share, 3),
            "sampled": c.sampled,
            "matched": c.matched,
            "by": c.by,
            "estimated_rows": table.estimated_rows,
        },
    )


def _password(session: ScanSession, table: Table, column: str, values: list[str]) -> None:
    shapes = password_shapes(values)
    verdict = shapes.verdict()
    if verdict is None:
        return
    path = f"{table.path}.{column}"
    where = Location(path=path, table=table.path, column_name=column)
    extra = {"sampled": shapes.sampled, "plain": shapes.plain, "fast": shapes.fast}
    if verdict == "plain":
        session.add(
            rules.PLAINTEXT_PASSWORD,
            where,
            value=f"{path}:plain",
            evidence=f"{shapes.plain} of {shapes.sampled} sampled values are not a hash",
            extra=extra,
        )
        return
    kinds = ", ".join(sorted(shapes.fast_kinds, key=lambda k: -shapes.fast_kinds[k]))
    session.add(
        rules.WEAK_PASSWORD_HASH,
        where,
        value=f"{path}:fast",
        evidence=f"{shapes.fast} of {shapes.sampled} sampled values look like {kinds}",
        extra={**extra, "hashes": kinds},
    )


def _table_findings(
    session: ScanSession, source: Source, table: Table, personal: list[Classified]
) -> dict[str, Any]:
    """Grants, retention and row-level security of a table that holds personal data."""
    where = Location(path=table.path, table=table.path)
    categories = ", ".join(sorted({CATEGORIES[c.category].label for c in personal}))
    entry: dict[str, Any] = {"public_select": table.public_select}
    try:
        entry["readers"] = source.readers(table)
    except TableError as e:
        entry["readers_unknown"] = str(e)
    if table.public_select is not None:
        session.add(
            rules.PUBLIC_ACCESS,
            where,
            value=f"{table.path}:public",
            evidence=f"SELECT granted to {table.public_select}; holds {categories}",
            extra={"grantee": table.public_select, "readers": entry.get("readers", [])},
        )
    timestamps = [
        c.name
        for c in table.columns
        if c.is_time and c.name not in {p.column for p in personal if p.category == "date_of_birth"}
    ]
    entry["retention_columns"] = timestamps
    if not timestamps:
        session.add(
            rules.NO_RETENTION,
            where,
            value=f"{table.path}:retention",
            evidence=f"no date or time column; holds {categories}",
        )
    entry["row_level_security"] = table.row_level_security
    if table.has_tenant and table.row_level_security is False:
        session.add(
            rules.RLS_OFF,
            where,
            value=f"{table.path}:rls",
            evidence=f"a tenant column and row-level security off; holds {categories}",
        )
    return entry


def _column_entry(personal: list[Classified], name: str) -> dict[str, Any]:
    for c in personal:
        if c.column == name:
            return {"category": c.category, "confidence": c.confidence, "by": c.by}
    return {}


def _view(table: Table) -> dict[str, Any]:
    named = {}
    for column in table.columns:
        match = classify_name(column.name)
        if match is not None and match.confidence >= 0.5:
            named[column.name] = match.category.name
    return {"schema": table.schema, "name": table.name, "columns_by_name": named}
