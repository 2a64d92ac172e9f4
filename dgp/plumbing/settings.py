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
    allow_local_sources = false         # may org admins scan paths on the scanner hosts?
    allow_private_hosts = false         # may org admins clone from private addresses?
    scanner_apps = all                  # kinds whose scanner app runs on this host (for
                                        # the web app's /health): all, a comma list, or none
    trusted_proxies = 127.0.0.1, ::1    # peers whose X-Real-IP names the client (Nginx)

    [secrets]                           # secrets.conf (mode 0640, root:dataguardian)
    hash_key = <64 hex digits>          # keys value hashes and fingerprints: keep it
    database_password =
    redis_password =

Environment: DGP_CONFIG and DGP_SECRETS name the files; DGP_<NAME> overrides any
setting above (DGP_DATABASE_URL, DGP_HASH_KEY, ...).

`dgp settings check FILE [--secrets]` checks one file as this module loads it (the
playbook validates its templates with it before anything restarts). Errors name the
setting and the line, never a value from the secrets file.
"""

from __future__ import annotations

import configparser
import ipaddress
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from dgp.config import HashKeyError, parse_hash_key

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
    # what an organisation's admin may ask for per scan: off unless the operator allows it
    allow_local_sources: bool = False  # paths and file:// URLs on the scanner hosts
    allow_private_hosts: bool = False  # git URLs on loopback or private addresses
    # the kinds whose scanner app the web app asks for /health on this host ("all", a
    # comma list, or "none": on a web-only host a kind's state is its consumers' liveness)
    scanner_apps: str = "all"
    # peers (addresses or networks, comma-separated) whose X-Real-IP / X-Forwarded-For
    # names the client: the Nginx in front; sign-in throttling counts per client
    trusted_proxies: str = "127.0.0.1, ::1"
    database_password: str = ""
    redis_password: str = ""

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

    def local_scanner_apps(self, kinds: Iterable[str]) -> list[str]:
        """Which of `kinds` have their scanner app on this host."""
        wanted = self.scanner_apps.strip().lower()
        if wanted == "all":
            return sorted(kinds)
        chosen = {k.strip() for k in wanted.split(",")} - {"", "none"}
        return sorted(k for k in kinds if k in chosen)

    def __repr__(self) -> str:  # never print the secrets
        return f"Settings(database_url={self.database_url!r}, redis_url={self.redis_url!r}, ...)"


_SECRET_NAMES = ("hash_key", "database_password", "redis_password")


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
        except HashKeyError as e:  # names where the key came from, never the key
            raise SettingsError(str(e)) from None
        except ValueError as e:
            detail = "malformed" if field.name in _SECRET_NAMES else str(e)
            raise SettingsError(f"{field.name} from {source}: {detail}") from None
    return kwargs


def _convert(name: str, kind: object, raw: str, source: str) -> object:
    if name == "hash_key":
        return parse_hash_key(raw, f"hash_key from {source}")
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
