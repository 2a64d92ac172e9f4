"""ScanStore: the tenant data of every aggregate behind one object.

The web app, the workers and the janitor hold one store; the statements live in
the aggregates' own modules (organisations, scans, findings, uploads, artefacts,
audit), each
usable alone. This class only joins them over one pool.
"""

from __future__ import annotations

from dgp.plumbing.store.artefacts import Artefacts
from dgp.plumbing.store.audit import AuditLog
from dgp.plumbing.store.findings import Findings
from dgp.plumbing.store.organisations import Organisations
from dgp.plumbing.store.scans import Scans
from dgp.plumbing.store.uploads import Uploads


class ScanStore(Organisations, Scans, Findings, Uploads, Artefacts, AuditLog):
    """Organisations, scans, findings, uploads, artefacts and the audit log in Postgres."""
