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


def load_hash_key() -> bytes:
    if hex_key := os.environ.get("DGP_HASH_KEY"):
        return bytes.fromhex(hex_key)
    path = Path(os.environ.get("DGP_HASH_KEY_FILE") or _default_key_file())
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())
