"""Whether a place in a source file is text (a comment or a string literal) or code.

A person's name in source code stands in a comment or a string; a capitalised
word outside them is an identifier (`DevEnvironment`, `CertificateManager`).
"""

from __future__ import annotations

import functools
import re
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
        self._tokens = _token_regex(self._blocks, self._line_comments)

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
        """(whether position `stop` is in text, the block still open there). Each step
        jumps to the next character that can change the state (a regex search), not
        through every character: this runs over every line of a file with a name in it."""
        i, quote = 0, None
        while i < stop:
            if inside is not None:  # a block comment or a triple-quoted string
                end = "*/" if inside == "/*" else inside
                close = line.find(end, i)
                if close < 0 or close >= stop:
                    return True, inside
                i, inside = close + len(end), None
                continue
            if quote is not None:
                m = _QUOTE_OR_ESCAPE[quote].search(line, i)
                if m is None or m.start() >= stop:
                    return True, None
                i = m.start() + 2 if m.group() == "\\" else m.start() + 1
                if m.group() == quote:
                    quote = None
                continue
            m = self._tokens.search(line, i)
            if m is None or m.start() >= stop:
                return False, None
            token = m.group()
            if token in self._blocks:
                inside, i = token, m.end()
            elif token in self._line_comments:
                return True, None
            else:
                quote, i = token, m.end()
        return quote is not None or inside is not None, inside


_QUOTE_OR_ESCAPE = {q: re.compile(rf"[\\{q}]") for q in "\"'`"}


@functools.cache
def _token_regex(blocks: tuple[str, ...], line_comments: tuple[str, ...]) -> re.Pattern[str]:
    """What changes the state in code: a block opens, a line comment starts, a quote opens
    (in that order where several start at one place, as a character-by-character scan
    would try them)."""
    return re.compile("|".join([*(re.escape(t) for t in (*blocks, *line_comments)), "[\"'`]"]))
