"""Settings the scanners need when run on their own (the CLI).

The value-hash key must stay the same between scans, or fingerprints and
value hashes change: it comes from DGP_HASH_KEY (hex), from the file named by
DGP_HASH_KEY_FILE, or from a per-user key file made on first use (mode 0600).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def _default_key_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "dataguardian" / "hash.key"


class HashKeyError(ValueError):
    """The value-hash key is missing, unreadable or malformed; the message says where."""


def parse_hash_key(hex_key: str, source: str) -> bytes:
    try:
        key = bytes.fromhex(hex_key.strip())
    except ValueError:
        raise HashKeyError(f"{source} must be hexadecimal") from None
    if len(key) < 16:
        raise HashKeyError(f"{source} must hold at least 16 bytes (32 hex digits)")
    return key


def load_hash_key() -> bytes:
    if hex_key := os.environ.get("DGP_HASH_KEY"):
        return parse_hash_key(hex_key, "DGP_HASH_KEY")
    path = Path(os.environ.get("DGP_HASH_KEY_FILE") or _default_key_file())
    try:
        if not path.exists():
            _create_key_file(path)
        return parse_hash_key(path.read_text(), f"the key file {path}")
    except OSError as e:
        raise HashKeyError(f"cannot read or create the key file {path}: {e.strerror}") from None


def _create_key_file(path: Path) -> None:
    """Write a new key atomically: a second process racing us reads a whole key or none."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32))
    try:
        os.link(temporary, path)  # fails if another process made the key first: keep theirs
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
