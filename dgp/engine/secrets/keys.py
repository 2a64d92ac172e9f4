"""Key material: PEM/OpenSSH/PuTTY private keys and JSON Web Tokens.

A `BEGIN PRIVATE KEY` marker is only a secret when key material follows it:
documentation and parsers are full of markers around nothing, a few characters
or `...`. The smallest real key (Ed25519 in PKCS#8) has 64 base64 characters,
so we ask for 48 before the END marker. JWTs must decode to a JSON header;
jwt.io's demo token is in every tutorial and is no one's secret.
"""

from __future__ import annotations

from dgp.engine.patterns import PatternSpec
from dgp.engine.secrets import structure
from dgp.engine.secrets.placeholders import KNOWN_EXAMPLES, is_placeholder_token

MIN_KEY_MATERIAL = 48  # base64 characters
KEY_WINDOW = 1024  # characters after the marker searched for material (bounded)
MATERIAL_NEEDED = 256  # characters of material enough to tell a key from a stand-in

# Material as it appears in files, JSON strings ("...\\n...") and code ("..." + "..."):
# quotes, commas, plus signs and blanks between the pieces are not material.
_WRAPPING = str.maketrans("", "", " \t\r\"',")
_BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="


def key_material(text: str, after: int) -> str:
    """The base64 material that follows a BEGIN marker, up to its END or the first line that
    is neither a header (`Proc-Type: ...`) nor base64 (bounded window)."""
    window = text[after : after + KEY_WINDOW].replace("\\r", "").replace("\\n", "\n")
    material = ""
    for piece in window.split("\n"):
        line = piece.translate(_WRAPPING).strip("+")
        if not line:
            continue
        if line.startswith("-----END") or len(material) >= MATERIAL_NEEDED:
            break
        if ":" in line and not material:  # Proc-Type:, DEK-Info:, Comment: before the body
            continue
        run = len(line) - len(line.lstrip(_BASE64))
        material += line[:run]
        if run < len(line):
            break
    return material


def _private_key(text: str, start: int, end: int) -> float | None:
    material = key_material(text, end)
    if len(material) < MIN_KEY_MATERIAL or is_placeholder_token(material[:256]):
        return None
    return 0.99


def _putty_key(text: str, start: int, end: int) -> float | None:
    window = text[end : end + KEY_WINDOW]
    at = window.find("Private-Lines:")
    if at < 0:
        return None
    line_end = window.find("\n", at)
    material = key_material(window, line_end + 1) if line_end >= 0 else ""
    return 0.99 if len(material) >= MIN_KEY_MATERIAL else None


_JWT_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def _jwt(text: str, start: int, end: int) -> float | None:
    if end < len(text) and text[end] in _JWT_CHARS:  # a shorter end the matcher offers
        return None
    value = text[start:end]
    parts = structure.jwt_parts(value)
    if parts is None or structure.is_demo_jwt(parts[1]):
        return None
    if value in KNOWN_EXAMPLES or is_placeholder_token(value.rsplit(".", 1)[1]):
        return None
    return 0.9


KEY_PATTERNS: tuple[PatternSpec, ...] = (
    PatternSpec(
        "secret.private_key",
        r"-----BEGIN[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----",
        _private_key,
        priority=99,
    ),
    PatternSpec(
        "secret.private_key",
        r"PuTTY-User-Key-File-[23]: [a-z0-9-]{3,40}",
        _putty_key,
        priority=99,
    ),
    PatternSpec(
        "secret.jwt.token",
        r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}",
        _jwt,
        python=r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{10,4000}\.eyJ[A-Za-z0-9_-]{10,16000}"
        r"\.[A-Za-z0-9_-]{10,4000}(?![A-Za-z0-9_-])",
        priority=90,
    ),
)
