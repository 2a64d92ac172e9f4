"""Text from outside (file names, targets) made safe to carry and to show.

Linux file names are bytes. Python reads the ones that are not UTF-8 with
surrogate escapes (PEP 383), which no UTF-8 output can hold: every report
format and every store would fail on them. `printable_name` turns each such
byte into the four characters `\\xNN`, so the name survives as text and still
says which byte it was. `escape_controls` makes a string safe for a terminal
without hiding anything: escape sequences, C1 controls and bidirectional
overrides are shown as escapes, not obeyed.
"""

from __future__ import annotations

import re

# Bidirectional overrides and isolates can make a terminal show text in another order
# than it is stored in ("Trojan Source"); line and paragraph separators end lines.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
LINE_SEPARATORS = "\u2028\u2029"
# Characters that are never shown as themselves: C0 and C1 controls, DEL, the above, and
# surrogates (undecodable bytes of a name, or broken UTF-16).
UNSAFE = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f{BIDI_CONTROLS}{LINE_SEPARATORS}\\ud800-\\udfff]")


def printable_name(name: str) -> str:
    """`name` as valid text: each undecodable byte (a surrogate escape) as `\\xNN`."""
    if name.isascii():
        return name
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        pass
    try:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that is no escaped byte
        return name.encode("utf-8", "backslashreplace").decode("utf-8")


def _escape(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """`text` for a terminal: every control and bidi override as an escape, and each
    undecodable byte as `\\xNN`, as `printable_name` writes it."""
    return UNSAFE.sub(_escape, printable_name(text))
