"""One hyperscan database for every pattern: the text is read once.

Hyperscan without start-of-match tracking scans at tens of MB/s per core over
all patterns at once, but reports only where a match ends. The same pattern,
compiled as a Python regex, is then run over just the lines with hits to find
the spans. For each span we also offer the shorter ends that hyperscan saw, so
the detector can fall back to them when the longest candidate does not
validate (an IBAN followed by "EUR", a phone number followed by a house number).
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Sequence

import hyperscan

from dgp.engine.context import ContextWords
from dgp.engine.patterns import PatternSpec

# (pattern index, start, ends longest first) in character offsets
Candidate = tuple[int, int, list[int]]

MAX_ENDS_TRIED = 8
LONG_LINE = 4096  # in longer lines (minified code) only this much before a hit is searched
MAX_CANDIDATE_BYTES = 256  # a context-needing candidate (a date, a number) is never longer
_UTF8_CONTINUATION = bytes(range(0x80, 0xC0))


def python_regex(spec: PatternSpec) -> re.Pattern[str]:
    flags = re.ASCII
    if spec.caseless:
        flags |= re.IGNORECASE
    if spec.multiline:
        flags |= re.MULTILINE
    return re.compile(spec.python or spec.regex, flags)


class Matcher:
    """Compiled once; `candidates` is not thread-safe (one scratch space).

    `min_confidence` decides which patterns need a context word nearby (see
    PatternSpec.context); their context words join the same database.
    """

    def __init__(self, specs: Sequence[PatternSpec], min_confidence: float = 0.0) -> None:
        self.specs = tuple(specs)
        self._python = [python_regex(s) for s in self.specs]
        contexts: list[ContextWords] = []
        self._needs: dict[int, int] = {}  # pattern index -> context pattern id
        for pid, spec in enumerate(self.specs):
            if spec.context is not None and spec.needs_context(min_confidence):
                if spec.context not in contexts:
                    contexts.append(spec.context)
                self._needs[pid] = len(self.specs) + contexts.index(spec.context)
        self._contexts = {len(self.specs) + i: c for i, c in enumerate(contexts)}
        expressions = [s.regex for s in self.specs] + [c.hyperscan_regex() for c in contexts]
        flags = [
            (hyperscan.HS_FLAG_CASELESS if s.caseless else 0)
            | (hyperscan.HS_FLAG_MULTILINE if s.multiline else 0)
            for s in self.specs
        ] + [hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_MULTILINE] * len(contexts)
        self._db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        self._db.compile(
            expressions=[e.encode() for e in expressions],
            ids=list(range(len(expressions))),
            elements=len(expressions),
            flags=flags,
        )
        self._scratch = hyperscan.Scratch(self._db)

    def candidates(self, text: str) -> list[Candidate]:
        data = text.encode("utf-8", "surrogatepass")
        hits: dict[int, list[int]] = defaultdict(list)

        def on_match(pid: int, start: int, end: int, flags: int, ctx: object) -> None:
            hits[pid].append(end)

        self._db.scan(data, match_event_handler=on_match, scratch=self._scratch)
        for pid, cid in self._needs.items():
            if pid in hits:
                kept = _near(hits[pid], hits.get(cid, []), self._contexts[cid])
                if kept:
                    hits[pid] = kept
                else:
                    del hits[pid]
        for cid in self._contexts:
            hits.pop(cid, None)
        self._drop_lonely(hits)
        if hits and len(data) != len(text):  # non-ASCII: byte offsets are not char offsets
            hits = _to_char_offsets(data, hits)
        result: list[Candidate] = []
        for pid, ends in hits.items():
            result.extend(self._spans(pid, text, sorted(set(ends))))
        return result

    def _drop_lonely(self, hits: dict[int, list[int]]) -> None:
        """Drop hits of patterns that count only near another rule's hits (near_prefix)."""
        for pid, ends in list(hits.items()):
            spec = self.specs[pid]
            if spec.near_prefix is None:
                continue
            anchors = sorted(
                e
                for other, es in hits.items()
                if self.specs[other].rule_id.startswith(spec.near_prefix)
                for e in es
            )
            reach = spec.near_distance + MAX_CANDIDATE_BYTES
            kept = [e for e in ends if _has_between(anchors, e - reach, e + reach)]
            if kept:
                hits[pid] = kept
            else:
                del hits[pid]

    def _spans(self, pid: int, text: str, ends: list[int]) -> list[Candidate]:
        regex = self._python[pid]
        found: list[Candidate] = []
        searched_to = -1
        for end in ends:
            if end <= searched_to:
                continue
            lo = text.rfind("\n", 0, max(end - 1, 0)) + 1
            hi = text.find("\n", end)
            hi = len(text) if hi < 0 else hi
            if end - lo > LONG_LINE:
                lo = end - LONG_LINE
            for m in regex.finditer(text, lo, hi):
                start, longest = m.span()
                if start == longest:
                    continue
                inside = ends[bisect.bisect_right(ends, start) : bisect.bisect_left(ends, longest)]
                shorter = [e for e in reversed(inside) if regex.fullmatch(text, start, e)]
                found.append((pid, start, [longest, *shorter][:MAX_ENDS_TRIED]))
            searched_to = hi
        return found


def _near(ends: list[int], context_ends: list[int], words: ContextWords) -> list[int]:
    """Ends with a context word's end within reach: a generous superset of the real check."""
    if not context_ends:
        return []
    context_ends = sorted(context_ends)
    back = words.before + MAX_CANDIDATE_BYTES
    ahead = words.after + len(words.words[0]) * 4  # the longest word, in UTF-8 at worst
    return [end for end in ends if _has_between(context_ends, end - back, end + ahead)]


def _has_between(sorted_values: list[int], low: int, high: int) -> bool:
    i = bisect.bisect_left(sorted_values, low)
    return i < len(sorted_values) and sorted_values[i] <= high


def _to_char_offsets(data: bytes, hits: dict[int, list[int]]) -> dict[int, list[int]]:
    offsets = sorted({e for ends in hits.values() for e in ends})
    mapping: dict[int, int] = {}
    chars = prev = 0
    for offset in offsets:  # a character is counted at its lead byte
        chars += len(data[prev:offset].translate(None, _UTF8_CONTINUATION))
        mapping[offset] = chars
        prev = offset
    return {pid: [mapping[e] for e in ends] for pid, ends in hits.items()}
