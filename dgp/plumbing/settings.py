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

`dgp settings check FILE [--secrets]` checks one file as this module loads it (the
playbook validates its templates with it before anything restarts). Errors name the
setting and the line, never a value from the secrets file.
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
    parser = _parse(path)
    if not parser.has_section(section):
        return {}
    return _section_values(parser, path, section)


def _parse(path: Path) -> configparser.ConfigParser:
    """The file as configparser reads it. Errors name the line, never its text: in the
    secrets file that text may be a password (and the message goes to the journal)."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with path.open(encoding="utf-8") as f:
            parser.read_file(f)
    except OSError as e:
        raise SettingsError(f"cannot read {path}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise SettingsError(f"{path}: not UTF-8 text") from None
    except configparser.MissingSectionHeaderError as e:
        raise SettingsError(f"{path}: line {e.lineno} comes before any [section]") from None
    except configparser.ParsingError as e:
        where = ", ".join(str(lineno) for lineno, _ in e.errors)
        what = "line" if len(e.errors) == 1 else "lines"
        raise SettingsError(f"{path}: {what} {where}: not `name = value`") from None
    except configparser.DuplicateOptionError as e:
        raise SettingsError(f"{path}: {e.option} is set twice in [{e.section}]") from None
    except configparser.DuplicateSectionError as e:
        raise SettingsError(f"{path}: [{e.section}] appears twice") from None
    except configparser.Error as e:  # none other is raised by read_file today
        raise SettingsError(f"{path}: {type(e).__name__}") from None
    return parser


def _section_values(
    parser: configparser.ConfigParser, path: Path, section: str
) -> dict[str, tuple[str, str]]:
    known = {f.name for f in fields(Settings)}
    found = {}
    for name, value in parser.items(section):
        if name not in known:
            raise SettingsError(f"{path}: unknown setting {name!r} in [{section}]")
        if name in _SECRET_NAMES and section != "secrets":
            raise SettingsError(f"{path}: {name} belongs in the secrets file")
        found[name] = (value, str(path))
    return found


def check_file(path: Path, secrets: bool = False) -> list[str]:
    """Check one settings file as the services would load it (`dgp settings check`):
    the names of the settings it sets, or a SettingsError that names the bad one and
    never shows a value. Stricter than loading on two points that would otherwise be
    silent: the file must exist, and have its section ([dataguardian], or [secrets]
    with a hash_key) and no other."""
    section = "secrets" if secrets else "dataguardian"
    if not path.is_file():
        raise SettingsError(f"{path}: no such file")
    parser = _parse(path)
    others = [s for s in parser.sections() if s != section]
    if others:
        raise SettingsError(f"{path}: unknown section [{others[0]}] (this file has [{section}])")
    if not parser.has_section(section):
        raise SettingsError(f"{path}: no [{section}] section")
    values = _section_values(parser, path, section)
    if secrets and "hash_key" not in values:
        raise SettingsError(f"{path}: hash_key is not set")
    _convert_all(values)
    return sorted(values)


def _build(values: dict[str, tuple[str, str]]) -> Settings:
    if "hash_key" not in values:
        raise SettingsError("hash_key is not set (secrets file or DGP_HASH_KEY)")
    return Settings(**_convert_all(values))  # type: ignore[arg-type]


def _convert_all(values: dict[str, tuple[str, str]]) -> dict[str, object]:
    kwargs: dict[str, object] = {}
    for field in fields(Settings):
        if field.name not in values:
            continue
        raw, source = values[field.name]
        try:
            kwargs[field.name] = _convert(field.name, field.type, raw, source)
        except (HashKeyError, SettingsError) as e:  # say where it came from, never the key
            raise SettingsError(str(e)) from None
        except ValueError as e:
            detail = "malformed" if field.name in _SECRET_NAMES else str(e)
            raise SettingsError(f"{field.name} from {source}: {detail}") from None
    return kwargs


def _convert(name: str, kind: object, raw: str, source: str) -> object:
    if name == "hash_key":
        return parse_hash_key(raw, f"hash_key from {source}")
    if name in ("credentials_key", "credentials_old_keys"):
        try:  # parse_credentials_key's messages never quote the key
            if name == "credentials_key":
                return parse_credentials_key(raw) if raw.strip() else None
            return tuple(parse_credentials_key(k) for k in raw.replace(",", " ").split())
        except ValueError as e:
            raise SettingsError(f"{name} from {source}: {e}") from None
    if kind in ("int", int):
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"not a whole number: {raw!r}") from None
    if kind in ("float", float):
        try:
            return float(raw)
        except ValueError:
            raise ValueError(f"not a number: {raw!r}") from None
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
