"""Document scanner (SPEC 3.4): office files, PDFs, mail, data files and archives.

Text comes from dgp.documents; findings carry page, sheet and cell, paragraph
or line. Document metadata naming a person is a finding too. A file that
cannot be read gives a finding that says why; it never stops the scan.
"""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import replace

import dgp.scanners.document.rules  # noqa: F401  (defines the rules used here)
from dgp.documents import ExtractionError, Segment
from dgp.documents.mail import ADDRESS_HEADERS, display_names
from dgp.documents.registry import extract, is_supported
from dgp.domain.finding import Location
from dgp.domain.job import ScanInputs, ScanJob, ScanResult
from dgp.engine.patterns import PatternSpec
from dgp.scanners import archives
from dgp.scanners.common_rules import ITEM_NOT_SCANNED
from dgp.scanners.files import TreeEntry
from dgp.scanners.session import ScanSession, StopScan
from dgp.scanners.session import warm_up as session_warm_up
from dgp.scanners.tree import (
    Target,
    nested_archive,
    open_target,
    scan_files,
    scan_text_file,
    target_depth,
)

EXTRA_PATTERNS: tuple[PatternSpec, ...] = ()  # the engine's patterns suffice

HIGH_RISK_NAMES = re.compile(
    r"""(?ix)^(?:
        \.env(?:\..+)? | .+\.env | \.htpasswd | \.pgpass | \.netrc | \.git-credentials
        | \.npmrc | \.pypirc | \.dockercfg | credentials(?:\..+)? | .*secrets?\.(?:ya?ml|json)
        | id_(?:rsa|dsa|ecdsa|ed25519) | .+\.(?:pem|key|p12|pfx|jks|keystore|kdbx|ppk|ovpn|asc)
    )$"""
)
# Values of metadata fields that name software or a placeholder, not a person.
_NOT_A_PERSON = re.compile(
    r"(?i)^(?:|unknown|admin(?:istrator)?|user|owner|author|microsoft.*|libreoffice.*|openoffice.*"
    r"|python-docx|openpyxl|python-pptx|apache poi|word|excel|powerpoint|adobe.*|acrobat.*"
    r"|pdf.*|microsoft office user|gebruiker|windows user|none)$"
)
# Metadata fields that name a person. The others (company, a PDF's creator application)
# are only scanned as text.
PERSON_FIELDS = frozenset({"author", "last_modified_by", "manager", "comment_author"})


def warm_up() -> None:
    session_warm_up(EXTRA_PATTERNS)


def scan(job: ScanJob, inputs: ScanInputs) -> ScanResult:
    session = ScanSession(job, inputs.hasher(), inputs.progress, EXTRA_PATTERNS)
    # suppress(StopScan): a limit was reached; keep what was found
    with (
        open_target(job, inputs, allow_git=False, time_left=session.remaining_seconds()) as target,
        suppress(StopScan),
    ):
        _scan_target(session, target, prefix="", depth=target_depth(job, inputs))
    return session.finish()


def _scan_target(session: ScanSession, target: Target, prefix: str, depth: int) -> None:
    def handle(session: ScanSession, entry: TreeEntry) -> None:
        _scan_file(session, entry, prefix + entry.relative, depth)

    scan_files(session, target, handle, prefix=prefix)


def _scan_file(session: ScanSession, entry: TreeEntry, shown: str, depth: int) -> None:
    name = entry.path.name
    if HIGH_RISK_NAMES.match(name):
        session.add(
            "document.high_risk_file",
            Location(path=shown),
            value=shown,
            evidence=name,
            confidence=0.9,
        )
    if archives.is_archive(entry.path):
        _scan_archive(session, entry, shown, depth)
        return
    if not is_supported(entry.path):
        scan_text_file(session, entry.path, shown)
        return
    try:
        for segment in extract(entry.path, shown):
            if segment.kind == "text" and segment.field in ADDRESS_HEADERS:
                _address_header(session, segment)
            elif segment.kind == "text":
                session.scan_text(segment.text, segment.location, context=segment.context)
            elif segment.kind == "metadata":
                _metadata(session, segment.text, segment.field or "metadata", segment.location)
            elif segment.kind == "notice":
                _notice(session, segment)
            session.check_time()
    except ExtractionError as e:
        rule = "document.encrypted" if e.encrypted else "document.unreadable"
        session.add(
            rule,
            Location(path=shown),
            evidence=e.reason,
            description=f"Could not read the file: {e.reason}.",
        )


def _notice(session: ScanSession, segment: Segment) -> None:
    """What an extractor could not read inside a file (an attachment, a page, the rest)."""
    location, field = segment.location, segment.field
    if field == "ocr_unavailable":
        session.add("document.ocr_unavailable", location, evidence="")
        return
    if field in ("attachment_encrypted", "attachment_unreadable", "ocr_failed"):
        rule = "document.encrypted" if field == "attachment_encrypted" else "document.unreadable"
        reason = segment.text if field != "ocr_failed" else "OCR failed on a scanned page"
        session.add(
            rule, location, evidence=reason, description=f"Could not read the file: {reason}."
        )
        return
    if field == "attachment_not_scanned":
        session.add(
            ITEM_NOT_SCANNED,
            location,
            evidence=segment.text,
            description=f"Not scanned: {segment.text}.",
        )
        return
    reason = {
        "attachment_too_deep": "attachment nested too deeply",
        "truncated": "extraction limit reached, the rest of the file was not scanned",
    }.get(field or "")
    if reason is not None:
        session.add(
            ITEM_NOT_SCANNED, location, evidence=reason, description=f"Not scanned: {reason}."
        )


def _metadata(session: ScanSession, text: str, field: str, location: Location) -> None:
    value = text.strip()
    if field not in PERSON_FIELDS or _NOT_A_PERSON.match(value):
        session.scan_text(text, location)
        return
    column = len(text) - len(text.lstrip()) + 1
    session.add(
        "document.metadata_personal_data",
        replace(location, line=1, column=column, end_column=column + len(value.split("\n")[0])),
        value=value,
        confidence=0.7,
        description=f"The document property '{field}' names a person.",
    )
    # the name is reported just above; other values in the field (an e-mail) still count
    session.scan_text(text, location, exclude=frozenset({"pii.name"}))


def _address_header(session: ScanSession, segment: Segment) -> None:
    """From, To, Cc ...: each display name names a person, known first name or not."""
    text, header = segment.text, segment.field or "address"
    for start, end in display_names(text):
        session.add(
            "pii.name",
            replace(segment.location, line=1, column=start + 1, end_column=end + 1),
            value=text[start:end],
            confidence=0.8,
            description=f"The mail's {header.capitalize()} header names a person.",
        )
    # the names are reported just above; the addresses in the header still count
    session.scan_text(text, segment.location, exclude=frozenset({"pii.name"}))


def _scan_archive(session: ScanSession, entry: TreeEntry, shown: str, depth: int) -> None:
    with nested_archive(session, entry.path, shown, depth) as inner:
        if inner is not None:
            _scan_target(session, inner, prefix=f"{shown}!/", depth=depth + 1)
