"""Service settings: /etc/dataguardian/dataguardian.conf, a separate secrets file,
and DGP_* environment variables, which win over both files.

    [dataguardian]                      # dataguardian.conf (readable by the service)
    database_url = postgresql:///dataguardian
    redis_url = redis://127.0.0.1:6379/0
    key_prefix = dgp                    # Redis key prefix (streams, progress)
    max_deliveries = 3                  # then the job is dead-lettered, the scan failed
    reclaim_idle_seconds = 300          # the janitor takes over jobs idle this long
    upload_max_bytes = 268435456
    delete_uploads_after_scan = true
    artefact_max_bytes = 67108864       # one file a scan makes (a report, an image)
    scan_artefacts_max_bytes = 268435456  # all of one scan's files together
    retention_days = 365                # the janitor purges older scans; 0 keeps them
    allow_local_sources = false         # may org admins scan paths on the scanner hosts?
    allow_private_hosts = false         # may org admins clone from private addresses?
    scanner_apps = all                  # kinds whose scanner app runs on this host (for
                                        # the web app's /health): all, a comma list, or none
    trusted_proxies = 127.0.0.1, ::1    # peers whose X-Real-IP names the client (Nginx)
    isolated_kinds = none               # kinds whose jobs each run in a child process with
                                        # a hard time and memory limit, besides those whose
                                        # spec asks for it: all, a comma list, or none

    [secrets]                           # secrets.conf (mode 0640, root:dataguardian)
    hash_key = <64 hex digits>          # keys value hashes and fingerprints: keep it
    credentials_key = <32 bytes, base64 or 64 hex digits>  # encrypts stored credentials
    credentials_old_keys =              # earlier credentials_keys, comma-separated, until
                                        # `dgp credentials rotate-key` has re-encrypted all
    database_password =
    redis_password =

Environment: DGP_CONFIG and DGP_SECRETS name the files; DGP_<NAME> overrides any
setting above (DGP_DATABASE_URL, DGP_HASH_KEY, ...).
"""

from __future__ import annotations

import base64
import binascii
import configparser
import ipaddress
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from dgp.config import HashKeyError, parse_hash_key
from dgp.domain.job import MAX_ARTEFACT_BYTES

CONFIG_FILE = Path("/etc/dataguardian/dataguardian.conf")
SECRETS_FILE = Path("/etc/dataguardian/secrets.conf")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it and where it came from."""


@dataclass(frozen=True)
class Settings:
    hash_key: bytes
    database_url: str = "postgresql:///dataguardian"
    redis_url: str = "redis://127.0.0.1:6379/0"
    key_prefix: str = "dgp"
    max_deliveries: int = 3
    reclaim_idle_seconds: float = 300.0
    upload_max_bytes: int = 256 * 1024 * 1024
    delete_uploads_after_scan: bool = True
    # what a scan may store besides findings: larger artefacts fail the scan, with why
    artefact_max_bytes: int = MAX_ARTEFACT_BYTES
    scan_artefacts_max_bytes: int = 256 * 1024 * 1024
    # scans (with their findings and artefacts) and uploads older than this are purged
    # by the janitor; 0 keeps them
    retention_days: float = 365.0
    # what an organisation's admin may ask for per scan: off unless the operator allows it
    allow_local_sources: bool = False  # paths and file:// URLs on the scanner hosts
    allow_private_hosts: bool = False  # git URLs on loopback or private addresses
    # the kinds whose scanner app the web app asks for /health on this host ("all", a
    # comma list, or "none": on a web-only host a kind's state is its consumers' liveness)
    scanner_apps: str = "all"
    # peers (addresses or networks, comma-separated) whose X-Real-IP / X-Forwarded-For
    # names the client: the Nginx in front; sign-in throttling counts per client
    trusted_proxies: str = "127.0.0.1, ::1"
    # the kinds whose jobs run each in a child process with a hard time and memory limit
    # (dgp.plumbing.isolation), besides those whose spec says so: "all", a list or "none"
    isolated_kinds: str = "none"
    database_password: str = ""
    redis_password: str = ""
    # AES-256 keys of the credentials table (dgp.plumbing.credential_cipher): the current
    # one encrypts, old ones only decrypt (key rotation); none set: credentials refused
    credentials_key: bytes | None = None
    credentials_old_keys: tuple[bytes, ...] = ()

    def trusted_proxy_networks(self) -> list[str]:
        """The trusted proxies, checked: a typo here must stop the start, not every sign-in."""
        networks = [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]
        for network in networks:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise SettingsError(
                    f"trusted_proxies: {network!r} is not an address or network"
                ) from None
        return networks

    def __post_init__(self) -> None:
        if not 0 < self.artefact_max_bytes <= MAX_ARTEFACT_BYTES:
            raise SettingsError(f"artefact_max_bytes must be 1 to {MAX_ARTEFACT_BYTES}")
        if self.scan_artefacts_max_bytes <= 0:
            raise SettingsError("scan_artefacts_max_bytes must be positive")
        if not self.retention_days >= 0:
            raise SettingsError("retention_days must be 0 (keep) or a number of days")

    def local_scanner_apps(self, kinds: Iterable[str]) -> list[str]:
        """Which of `kinds` have their scanner app on this host."""
        return _chosen(self.scanner_apps, kinds)

    def isolates(self, kind: str) -> bool:
        """Does the operator ask for `kind`'s jobs to run isolated (isolated_kinds)?"""
        return bool(_chosen(self.isolated_kinds, [kind]))

    def __repr__(self) -> str:  # never print the secrets
        return f"Settings(database_url={self.database_url!r}, redis_url={self.redis_url!r}, ...)"


def _chosen(value: str, kinds: Iterable[str]) -> list[str]:
    """The kinds a setting names: "all", a comma list, or "none"."""
    wanted = value.strip().lower()
    if wanted == "all":
        return sorted(kinds)
    named = {k.strip() for k in wanted.split(",")} - {"", "none"}
    return sorted(k for k in kinds if k in named)


_SECRET_NAMES = (
    "hash_key",
    "database_password",
    "redis_password",
    "credentials_key",
    "credentials_old_keys",
)
CREDENTIALS_KEY_BYTES = 32  # AES-256


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    values: dict[str, tuple[str, str]] = {}  # name -> (raw value, where from)
    for section, path in (
        ("dataguardian", Path(env.get("DGP_CONFIG", CONFIG_FILE))),
        ("secrets", Path(env.get("DGP_SECRETS", SECRETS_FILE))),
    ):
        values.update(_read_file(path, section))
    for field in fields(Settings):
        name = f"DGP_{field.name.upper()}"
        if name in env:
            values[field.name] = (env[name], name)
    return _build(values)


def _read_file(path: Path, section: str) -> dict[str, tuple[str, str]]:
    if not path.exists():
        return {}
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, OSError) as e:
        raise SettingsError(f"cannot read {path}: {e}") from None
    if not parser.has_section(section):
        return {}
    known = {f.name for f in fields(Settings)}
    found = {}
    for name, value in parser.items(section):
        if name not in known:
            raise SettingsError(f"{path}: unknown setting {name!r} in [{section}]")
        if name in _SECRET_NAMES and section != "secrets":
            raise SettingsError(f"{path}: {name} belongs in the secrets file")
        found[name] = (value, str(path))
    return found


def _build(values: dict[str, tuple[str, str]]) -> Settings:
    if "hash_key" not in values:
        raise SettingsError("hash_key is not set (secrets file or DGP_HASH_KEY)")
    kwargs: dict[str, object] = {}
    for field in fields(Settings):
        if field.name not in values:
            continue
        raw, source = values[field.name]
        try:
            kwargs[field.name] = _convert(field.name, field.type, raw, source)
        except (ValueError, HashKeyError) as e:
            raise SettingsError(f"{field.name} from {source}: {e}") from None
    return Settings(**kwargs)  # type: ignore[arg-type]


def _convert(name: str, kind: object, raw: str, source: str) -> object:
    if name == "hash_key":
        return parse_hash_key(raw, source)
    if name == "credentials_key":
        return parse_credentials_key(raw) if raw.strip() else None
    if name == "credentials_old_keys":
        return tuple(parse_credentials_key(k) for k in raw.replace(",", " ").split())
    if kind in ("int", int):
        return int(raw)
    if kind in ("float", float):
        return float(raw)
    if kind in ("bool", bool):
        lowered = raw.strip().lower()
        if lowered not in ("true", "false", "yes", "no", "1", "0"):
            raise ValueError(f"not a yes/no value: {raw!r}")
        return lowered in ("true", "yes", "1")
    return raw.strip()


def parse_credentials_key(text: str) -> bytes:
    """32 bytes written as 64 hex digits or as base64 (`openssl rand -base64 32`)."""
    value = text.strip()
    try:
        if len(value) == 2 * CREDENTIALS_KEY_BYTES and all(
            c in "0123456789abcdefABCDEF" for c in value
        ):
            key = bytes.fromhex(value)
        else:
            key = base64.b64decode(value.replace("-", "+").replace("_", "/"), validate=True)
    except (ValueError, binascii.Error):
        key = b""
    if len(key) != CREDENTIALS_KEY_BYTES:
        raise ValueError(
            f"a credentials key is {CREDENTIALS_KEY_BYTES} bytes, as 64 hex digits or base64 "
            "(make one with `openssl rand -base64 32`)"
        )
    return key
