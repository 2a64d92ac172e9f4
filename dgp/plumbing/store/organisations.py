"""Organisations (tenants): every other row of tenant data names one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg2.errors

from dgp.plumbing.store.base import Aggregate
from dgp.plumbing.store.rows import clean, name_label, uuid_or_none

MAX_NAME = 500


class OrganisationExists(ValueError):
    """The name belongs to another organisation (HTTP 409)."""


@dataclass(frozen=True)
class Organisation:
    id: str
    name: str
    created_at: Any  # datetime
    users: int
    scans: int
    # what its admins allow (ORGANISATION_SETTINGS): scans that change their target
    allow_active_scans: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "created_at": self.created_at.isoformat(),
            "users": self.users,
            "scans": self.scans,
            "settings": {"allow_active_scans": self.allow_active_scans},
        }

    def allows(self, setting: str) -> bool:
        return bool(getattr(self, setting)) if setting in ORGANISATION_SETTINGS else False


# the settings an organisation's admins change (PATCH /api/v1/organisation: settings),
# each a boolean column of organisations (migration 0007)
ORGANISATION_SETTINGS = ("allow_active_scans",)


ORGANISATION_QUERY = (
    "SELECT o.id, o.name, o.created_at, "
    "(SELECT count(*) FROM users u WHERE u.organisation_id = o.id), "
    "(SELECT count(*) FROM scans s WHERE s.organisation_id = o.id), o.allow_active_scans "
    "FROM organisations o"
)


class Organisations(Aggregate):
    def create_organisation(self, name: str) -> str:
        """A new tenant; ValueError if the name is taken."""
        try:
            with self.db.transaction() as cur:
                cur.execute(
                    "INSERT INTO organisations (name) VALUES (%s) RETURNING id", (clean(name),)
                )
                return str(cur.fetchone()[0])
        except psycopg2.errors.UniqueViolation:
            raise ValueError(f"an organisation named {name!r} exists already") from None

    def get_organisation(self, organisation_id: str) -> Organisation | None:
        org = uuid_or_none(organisation_id)
        if org is None:
            return None
        with self.db.transaction() as cur:
            cur.execute(ORGANISATION_QUERY + " WHERE o.id = %s", (org,))
            row = cur.fetchone()
        return Organisation(str(row[0]), row[1], row[2], row[3], row[4], row[5]) if row else None

    def rename_organisation(self, organisation_id: str, name: str) -> Organisation | None:
        """ValueError for an empty or taken name (OrganisationExists)."""
        label = name_label(name, MAX_NAME, "an organisation")
        org = uuid_or_none(organisation_id)
        if org is None:
            return None
        try:
            with self.db.transaction() as cur:
                cur.execute("UPDATE organisations SET name = %s WHERE id = %s", (label, org))
        except psycopg2.errors.UniqueViolation:
            raise OrganisationExists("an organisation with this name exists already") from None
        return self.get_organisation(organisation_id)

    def change_organisation_settings(
        self, organisation_id: str, settings: dict[str, bool]
    ) -> Organisation | None:
        """Set some of ORGANISATION_SETTINGS; ValueError for an unknown one or a non-boolean."""
        unknown = sorted(set(settings) - set(ORGANISATION_SETTINGS))
        if unknown:
            raise ValueError(f"unknown organisation settings: {', '.join(unknown)}")
        if not all(isinstance(v, bool) for v in settings.values()):
            raise ValueError("organisation settings are true or false")
        org = uuid_or_none(organisation_id)
        if org is None:
            return None
        with self.db.transaction() as cur:
            for name, value in settings.items():  # names from ORGANISATION_SETTINGS only
                cur.execute(f"UPDATE organisations SET {name} = %s WHERE id = %s", (value, org))
        return self.get_organisation(organisation_id)

    def find_organisation(self, name: str) -> str | None:
        with self.db.transaction() as cur:
            cur.execute("SELECT id FROM organisations WHERE name = %s", (clean(name),))
            row = cur.fetchone()
        return str(row[0]) if row else None
