"""Structure checks of provider tokens: checksums and embedded encodings.

A prefix alone does not make a token (`xoxb-12345-abcd234` is no Slack token).
Where a provider builds a checksum into its tokens we verify it: GitHub's and
npm's CRC32 in base62, age's bech32. Where a token embeds a known encoding
(a JWT's JSON header, a base64 JSON payload) we decode it.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BASE62_INDEX = {c: i for i, c in enumerate(BASE62)}


def base62_crc32(data: str, width: int = 6) -> str:
    """CRC32 of `data` in base62 (GitHub's alphabet: digits, upper, lower), left-padded."""
    n = zlib.crc32(data.encode("ascii"))
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = BASE62[r] + out
    return out.rjust(width, "0")


def has_base62_crc32(token: str, prefix_length: int) -> bool:
    """GitHub and npm tokens: prefix, 30 random base62 characters, their CRC32 in 6.

    GitHub: ghp_/gho_/ghu_/ghs_/ghr_ (blog post "Behind GitHub's new
    authentication token formats", 2021); npm: npm_ (same scheme).
    """
    body = token[prefix_length:]
    if len(body) != 36 or any(c not in _BASE62_INDEX for c in body):
        return False
    return base62_crc32(body[:30]) == body[30:]


_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def is_bech32(value: str) -> bool:
    """BIP-173 bech32 checksum (age keys: `AGE-SECRET-KEY-1...`, upper case)."""
    low = value.lower()
    if value not in (low, value.upper()):
        return False
    hrp, sep, data = low.rpartition("1")
    if not sep or not hrp or len(data) < 6 or any(c not in _BECH32 for c in data):
        return False
    values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    values += [_BECH32.index(c) for c in data]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i, gen in enumerate(_BECH32_GEN):
            chk ^= gen if (top >> i) & 1 else 0
    return chk == 1


def b64decode_loose(text: str) -> bytes | None:
    """Standard or URL-safe base64 with or without padding; None when it is not base64."""
    padded = text + "=" * (-len(text) % 4)
    try:
        if "-" in text or "_" in text:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None


def json_object(data: bytes | None) -> dict | None:
    if data is None:
        return None
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def jwt_parts(token: str) -> tuple[dict, dict] | None:
    """(header, payload) of a JWT, or None when the first two parts are not JSON objects."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    header = json_object(b64decode_loose(parts[0]))
    payload = json_object(b64decode_loose(parts[1]))
    if header is None or payload is None or ("alg" not in header and "typ" not in header):
        return None
    return header, payload


def is_demo_jwt(payload: dict) -> bool:
    """jwt.io's example token (John Doe, issued 2018-01-18): in every JWT tutorial."""
    return payload.get("name") == "John Doe" and payload.get("iat") == 1516239022


def is_printable(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(c.isprintable() or c in "\t\r\n" for c in text)
