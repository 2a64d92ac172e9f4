"""The Postgres store: schema migrations, a fail-fast connection pool, and the tenant
data split by aggregate (organisations, scans, findings, uploads, artefacts, audit)
behind
ScanStore, and users behind UserStore.

No Falcon and no Redis here: the web app and the workers build on this.
"""

from dgp.plumbing.store.artefacts import ArtefactChanged, StoredArtefact
from dgp.plumbing.store.audit import AuditEntry
from dgp.plumbing.store.errors import (
    MigrationError,
    StoreUnavailable,
    UnknownReference,
    UploadCorrupt,
    UploadMissing,
    UploadTooLarge,
)
from dgp.plumbing.store.migrate import migrate
from dgp.plumbing.store.organisations import Organisation, OrganisationExists
from dgp.plumbing.store.pool import Database
from dgp.plumbing.store.scan_store import ScanStore
from dgp.plumbing.store.scans import ClaimedScan
from dgp.plumbing.store.uploads import Upload
from dgp.plumbing.store.users import (
    ROLE_SCOPES,
    ROLES,
    SCOPES,
    AmbiguousLogin,
    LastAdmin,
    PasswordWorkBusy,
    TokenInfo,
    User,
    UserExists,
    UserStore,
)

__all__ = [
    "ROLES",
    "ROLE_SCOPES",
    "SCOPES",
    "AmbiguousLogin",
    "ArtefactChanged",
    "AuditEntry",
    "ClaimedScan",
    "Database",
    "LastAdmin",
    "MigrationError",
    "Organisation",
    "OrganisationExists",
    "PasswordWorkBusy",
    "ScanStore",
    "StoreUnavailable",
    "StoredArtefact",
    "TokenInfo",
    "UnknownReference",
    "Upload",
    "UploadCorrupt",
    "UploadMissing",
    "UploadTooLarge",
    "User",
    "UserExists",
    "UserStore",
    "migrate",
]
