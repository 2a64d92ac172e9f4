"""Fingerprints: one rule in the domain, every location field but lines and columns."""

from __future__ import annotations

import hashlib

from dgp.domain.finding import Location, fingerprint


def legacy(kind: str, rule: str, loc: Location, value_hash: str, n: int) -> str:
    """The formula before paragraph, selector and box counted: baselines made with it."""
    fields = (loc.path, loc.url, loc.page, loc.sheet, loc.cell, loc.section, loc.table)
    anchor = "|".join(str(x) for x in (kind, rule, *fields, loc.column_name, value_hash))
    return hashlib.sha256(f"{anchor}|{n}".encode()).hexdigest()[:32]


def test_fingerprints_of_findings_without_the_newer_fields_are_unchanged() -> None:
    for loc in (
        Location(path="src/app.py", line=3, column=7),
        Location(path="a.xlsx", sheet="Klanten", cell="B2"),
        Location(table="public.klant", column_name="bsn"),
    ):
        assert fingerprint("code", "pii.bsn", loc, "h", 0) == legacy("code", "pii.bsn", loc, "h", 0)


def test_every_place_field_counts_and_lines_do_not() -> None:
    base = Location(path="a.docx", line=1, column=1)
    same = fingerprint("document", "pii.email", base, "h", 0)
    moved = Location(path="a.docx", line=40, column=9, end_column=20)
    assert fingerprint("document", "pii.email", moved, "h", 0) == same
    others = [
        Location(path="a.docx", paragraph=3),
        Location(path="a.docx", paragraph=4),
        Location(path="a.docx", selector="form#signup input[name=email]"),
        Location(path="a.docx", bbox=(10, 20, 30, 40)),
        Location(path="a.docx", bbox=(10, 20, 30, 41)),
        Location(path="a.docx", page=2),
    ]
    prints = {fingerprint("document", "pii.email", loc, "h", 0) for loc in others}
    assert same not in prints and len(prints) == len(others)
    assert fingerprint("document", "pii.email", base, "h", 1) != same  # the second such one
    assert fingerprint("document", "pii.email", base, "other", 0) != same  # another value
