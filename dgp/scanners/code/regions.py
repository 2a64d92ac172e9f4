"""Whether a place in a source file is text (a comment or a string literal) or code.

A person's name in source code stands in a comment or a string; a capitalised
word outside them is an identifier (`DevEnvironment`, `CertificateManager`).
"""

from __future__ import annotations

from pathlib import PurePosixPath

# Programming languages only: in data and configuration files (YAML, TOML, INI) a bare
# value is text, so they count as text throughout.
_HASH_COMMENTS = frozenset(".py .pyi .rb .sh .bash .pl .pm .r .ps1 .cmake".split())
_DASH_COMMENTS = frozenset(".sql .lua .hs".split())
_C_LIKE = frozenset(
    ".js .mjs .cjs .jsx .ts .tsx .java .kt .kts .scala .go .c .h .cc .cpp .hpp .cs .swift "
    ".php .rs .dart .groovy".split()
)
_TRIPLE_QUOTES = {".py": ('"""', "'''"), ".pyi": ('"""', "'''")}


class CodeRegions:
    """A small lexer, not a parser: quotes, line comments, block comments and Python's
    triple-quoted strings, per line, with block state carried over from line to line.
    Files of languages it does not know (data, markup) count as text throughout."""

    def __init__(self, text: str, shown: str) -> None:
        suffix = PurePosixPath(shown).suffix.lower()
        self._lines = text.split("\n")
        if suffix in _HASH_COMMENTS:
            self._line_comments: tuple[str, ...] = ("#",)
        elif suffix in _DASH_COMMENTS:
            self._line_comments = ("--",)
        elif suffix in _C_LIKE:
            self._line_comments = ("//",)
        else:
            self._line_comments = ()
        self._known = bool(self._line_comments)
        self._blocks = _TRIPLE_QUOTES.get(suffix, ()) + (("/*",) if suffix in _C_LIKE else ())
        self._state: list[str | None] | None = None  # per line: the block it starts inside

    def is_text(self, line: int, column: int) -> bool:
        """Whether the character at 1-based `line` and `column` is in a comment or string."""
        if not self._known or not 1 <= line <= len(self._lines):
            return True
        if self._state is None:
            self._state = self._block_states()
        inside = self._state[line - 1]
        return self._scan(self._lines[line - 1], inside, column - 1)[0]

    def _block_states(self) -> list[str | None]:
        states: list[str | None] = []
        inside: str | None = None
        for text in self._lines:
            states.append(inside)
            inside = self._scan(text, inside, len(text))[1]
        return states

    def _scan(self, line: str, inside: str | None, stop: int) -> tuple[bool, str | None]:
        """(whether position `stop` is in text, the block still open there)."""
        i, quote = 0, None
        while i < stop:
            if inside is not None:  # a block comment or a triple-quoted string
                end = "*/" if inside == "/*" else inside
                close = line.find(end, i)
                if close < 0 or close >= stop:
                    return True, inside
                i, inside = close + len(end), None
                continue
            c = line[i]
            if quote is not None:
                if c == "\\":
                    i += 2
                    continue
                if c == quote:
                    quote = None
                i += 1
                continue
            opened = next((b for b in self._blocks if line.startswith(b, i)), None)
            if opened is not None:
                inside, i = opened, i + len(opened)
                continue
            if any(line.startswith(m, i) for m in self._line_comments):
                return True, None
            if c in "\"'`":
                quote = c
            i += 1
        return quote is not None or inside is not None, inside
