"""Options of a database scan: how much to sample, how long a statement may take, and
the connection's user and TLS. Light (the kind's spec imports it in every process).

The common `Limits` bound the whole scan: max_items tables, max_bytes of sampled
values read in all, timeout_seconds. The fields here are the database's own; the
server's defaults in LOWER_ONLY are also the most a request may ask for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from dgp.domain.options import Limits, MiB, OptionsError, ScanOptions

TLS_MODES = ("prefer", "require", "verify")  # verify: against ca_pem, with the host name
MAX_CA_PEM = 64 * 1024

DATABASE_LIMITS = Limits(
    max_items=2000,  # tables (and views) looked at
    max_bytes=256 * MiB,  # sampled values read in all
    max_file_bytes=20 * MiB,  # sampled values read from one table
    timeout_seconds=1800.0,
    max_memory_bytes=1024 * MiB,
)


@dataclass(frozen=True)
class DatabaseOptions(ScanOptions):
    LOWER_ONLY: ClassVar[tuple[str, ...]] = (
        "sample_rows",
        "max_value_chars",
        "statement_seconds",
        "connect_seconds",
    )

    user: str = ""  # the login (the password is the scan's credential, never an option)
    tls: str = "prefer"  # TLS when the server offers it; require: refuse without it
    ca_pem: str = ""  # a CA certificate (PEM) to verify the server against (tls=verify)
    sample_rows: int = 1000  # rows sampled per table, at most
    max_value_chars: int = 2000  # characters of one value read (the rest stays in the server)
    min_share: float = 0.2  # share of sampled values that must validate as an entity
    statement_seconds: float = 15.0  # statement timeout of every statement
    lock_seconds: float = 1.0  # lock timeout: never wait behind a writer
    connect_seconds: float = 10.0
    schemas: tuple[str, ...] = ()  # only these schemas (empty: every non-system schema)

    def __post_init__(self) -> None:
        if not isinstance(self.user, str) or len(self.user) > 128 or "\x00" in self.user:
            raise OptionsError("user must be a name of at most 128 characters")
        if self.tls not in TLS_MODES:
            raise OptionsError(f"tls must be one of {', '.join(TLS_MODES)}, not {self.tls!r}")
        if not isinstance(self.ca_pem, str) or len(self.ca_pem) > MAX_CA_PEM:
            raise OptionsError(f"ca_pem must be PEM text of at most {MAX_CA_PEM} characters")
        if self.ca_pem and "-----BEGIN CERTIFICATE-----" not in self.ca_pem:
            raise OptionsError("ca_pem must be a PEM certificate")
        if self.tls == "verify" and not self.ca_pem:
            raise OptionsError(
                "tls=verify needs ca_pem, the CA that signed the server's certificate"
            )
        for name, low, high in (("sample_rows", 1, 100_000), ("max_value_chars", 16, 1_000_000)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise OptionsError(f"{name} must be a whole number from {low} to {high}")
        for name, low, high in (
            ("min_share", 0.01, 1.0),
            ("statement_seconds", 0.1, 600.0),
            ("lock_seconds", 0.01, 60.0),
            ("connect_seconds", 0.1, 120.0),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise OptionsError(f"{name} must be a number")
            if not low <= value <= high:
                raise OptionsError(f"{name} must be between {low:g} and {high:g}")
        schemas = tuple(self.schemas) if isinstance(self.schemas, list | tuple) else None
        if schemas is None or not all(isinstance(s, str) and 0 < len(s) <= 128 for s in schemas):
            raise OptionsError("schemas must be a list of schema names")
        object.__setattr__(self, "schemas", schemas)
