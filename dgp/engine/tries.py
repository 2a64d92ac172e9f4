"""Alternations of many words as tries, for Python's re.

`re` tries the alternatives of `(?:word|word|...)` one after another at every
position it looks at: with hundreds of words that is hundreds of first-character
tests per position. The same words as a trie (`(?:a(?:an|l)|b...)`) cost one test
per character read, and match exactly the same strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_END = ""  # the key that marks the end of a word in a trie node


def trie_regex(words: Iterable[str]) -> str:
    """A non-capturing regex that matches exactly `words`, longest first at each branch
    (as an alternation sorted longest first does)."""
    root: dict[str, dict] = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[_END] = {}
    return _node_regex(root) or "(?!)"


def _node_regex(node: dict[str, dict]) -> str:
    branches = [
        re.escape(char) + _node_regex(child) for char, child in sorted(node.items()) if char
    ]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if _END in node:  # a word ends here: the longer words first, then this one
        return f"(?:{body})?"
    return body
