"""The store's own errors, so callers can answer each one properly without importing psycopg2."""

from __future__ import annotations


class StoreUnavailable(Exception):
    """Postgres cannot be used right now (down, restarting, pool exhausted, too slow).

    Raised at once instead of waiting, so the web app can answer 503 with
    Retry-After and a worker can back off with its job in hand.
    """


class UploadTooLarge(ValueError):
    """An upload is larger than the allowed size; nothing of it was stored (HTTP 413)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"the upload is larger than the limit of {max_bytes} bytes")
        self.max_bytes = max_bytes


class UploadMissing(LookupError):
    """An upload a scan refers to is gone (deleted, purged) or never existed."""


class UploadCorrupt(RuntimeError):
    """An upload read back does not match the size and SHA-256 recorded when it was stored."""


class MigrationError(RuntimeError):
    """The migrations on disk and those recorded in the database disagree."""


class CredentialMissing(LookupError):
    """A credential a scan refers to is gone (deleted) or never existed."""


class UnknownReference(ValueError):
    """A new object names one that its organisation does not have (an upload, earlier
    scans, a credential): the request is well formed, the object is not found (404)."""
