"""One hyperscan database for every pattern: the text is read once.

Hyperscan without start-of-match tracking scans at tens of MB/s per core over
all patterns at once, but reports only where a match ends. The same pattern,
compiled as a Python regex, is then run over a bounded window before those ends
to find the spans: never to the end of a line, so a long line of a pattern's own
characters costs time in proportion to its length, not its square. For each span
we also offer the shorter ends that hyperscan saw, so the detector can fall back
to them when the longest candidate does not validate (an IBAN followed by "EUR",
a phone number followed by a house number).
"""

from __future__ import annotations

import bisect
import codecs
import re
from collections import defaultdict
from collections.abc import Sequence
from typing import NamedTuple

import hyperscan
from hyperscan import Database

from dgp.engine.compiled import compile_database
from dgp.engine.context import ContextWords
from dgp.engine.patterns import PatternSpec

# (pattern index, start, ends longest first) in character offsets
Candidate = tuple[int, int, list[int]]


class Scanned(NamedTuple):
    """A text after hyperscan's pass: its UTF-8 and each pattern's ends in it (characters)."""

    text: str
    data: bytes
    hits: dict[int, list[int]]


MAX_ENDS_TRIED = 8
MAX_SHORTER_TRIED = 32  # ends inside a span tried as shorter candidates, longest first
# No candidate is longer than this many characters: a confirming regex looks at most this
# far back from a hit (a regex with a shorter longest match, less far).
MAX_MATCH_CHARS = 512
MAX_BOUNDED_CHARS = 1 << 15  # a bounded regex longer than this counts as unbounded
EDGE = 8  # characters read beyond a window's edge, so that a match is not cut there


def python_regex(spec: PatternSpec) -> re.Pattern[str]:
    flags = re.ASCII
    if spec.caseless:
        flags |= re.IGNORECASE
    if spec.multiline:
        flags |= re.MULTILINE
    return re.compile(spec.python or spec.regex, flags)


def _widths(source: str, flags: int) -> tuple[int, int] | None:
    """The shortest and longest match of a regex source (longest: None when unbounded)."""
    try:
        from re import _parser  # the standard parser's width; private but stable since 3.11

        low, high = _parser.parse(source, flags).getwidth()
    except Exception:  # another interpreter, or hyperscan syntax Python lacks
        return None
    return low, high


def reach(regex: re.Pattern[str], limit: int = MAX_MATCH_CHARS) -> int:
    """The longest match `regex` can make: exact when its repeats are bounded (a provider
    token of 400 characters needs a window of 400), `limit` when they are not."""
    widths = _widths(regex.pattern, regex.flags)
    if widths is None or widths[1] > MAX_BOUNDED_CHARS:
        return limit
    return max(1, widths[1])


def overhang(spec: PatternSpec, regex: re.Pattern[str], width: int) -> int:
    """How far a match of the Python regex may run past hyperscan's end: hyperscan may
    look for a trigger (a token's first characters) where Python finds the whole token."""
    if spec.python is None:
        return 0
    flags = (re.IGNORECASE if spec.caseless else 0) | (re.MULTILINE if spec.multiline else 0)
    trigger, whole = _widths(spec.regex, flags), _widths(regex.pattern, regex.flags)
    if trigger is None or whole is None:
        return width
    if trigger[1] >= whole[1]:  # hyperscan can match as far as Python does
        return 0
    return max(0, width - trigger[0])


class Matcher:
    """Compiled once; `candidates` is not thread-safe (one scratch space).

    `min_confidence` decides which patterns need a context word nearby (see
    PatternSpec.context); their context words join the same database.
    """

    def __init__(self, specs: Sequence[PatternSpec], min_confidence: float = 0.0) -> None:
        self.specs = tuple(specs)
        self._python = [python_regex(s) for s in self.specs]
        self._reach = [reach(r) for r in self._python]
        self._overhang = [
            overhang(spec, regex, width)
            for spec, regex, width in zip(self.specs, self._python, self._reach, strict=True)
        ]
        contexts: list[ContextWords] = []
        # pattern index -> context pattern id, for the patterns that count only beside
        # their context words: they are searched in Python near those words, not by
        # hyperscan everywhere (digit patterns such as BSN, dates, KvK and VAT cost
        # hyperscan most, and their words are rare). Words that also match inside other
        # words (street name endings: "Zoeyweg") are too common to search for: those
        # patterns are searched everywhere and their check looks for the words.
        self._deferred: dict[int, int] = {}
        for pid, spec in enumerate(self.specs):
            if spec.context is None or not spec.needs_context(min_confidence):
                continue
            if not spec.context.prefilter:
                continue
            if spec.context not in contexts:
                contexts.append(spec.context)
            self._deferred[pid] = len(self.specs) + contexts.index(spec.context)
        self._contexts = {len(self.specs) + i: c for i, c in enumerate(contexts)}
        # patterns that count only near detections of rules with a prefix (special
        # categories near personal data): searched, once those are known, around them
        self._near_prefix = {
            pid: (s.near_prefix, s.near_distance)
            for pid, s in enumerate(self.specs)
            if s.near_prefix is not None
        }
        near_groups: dict[str, list[int]] = defaultdict(list)
        for pid, (prefix, _) in self._near_prefix.items():
            near_groups[prefix].append(pid)
        self._near_dbs = {
            prefix: _database([self.specs[pid] for pid in pids], pids)
            for prefix, pids in near_groups.items()
        }
        compiled = [
            pid
            for pid in range(len(self.specs))
            if pid not in self._deferred and pid not in self._near_prefix
        ]
        expressions = [self.specs[pid].regex for pid in compiled]
        expressions += [c.hyperscan_regex() for c in contexts]
        flags = [_flags(self.specs[pid]) for pid in compiled]
        flags += [hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_MULTILINE] * len(contexts)
        self._db: Database | None = None
        if expressions:
            self._db = compile_database(expressions, [*compiled, *self._contexts], flags)
            self._scratch = hyperscan.Scratch(self._db)
        self._window_dbs = {pid: _database([self.specs[pid]], [pid]) for pid in self._deferred}

    def scan(self, text: str) -> Scanned:
        """Hyperscan's pass over one text, the first stage of `candidates`."""
        data = text.encode("utf-8", "surrogatepass")
        hits: dict[int, list[int]] = defaultdict(list)
        if self._db is None:
            return Scanned(text, data, hits)

        def on_match(pid: int, start: int, end: int, flags: int, ctx: object) -> None:
            hits[pid].append(end)

        self._db.scan(data, match_event_handler=on_match, scratch=self._scratch)
        if hits and len(data) != len(text):  # non-ASCII: byte offsets are not char offsets
            (hits,) = _to_char_offsets(data, hits)
        return Scanned(text, data, hits)

    def candidates(self, scanned: Sequence[Scanned]) -> list[list[Candidate]]:
        """The candidates in each scanned text of every pattern but the near_prefix ones
        (`near_candidates`). A batch of texts is read stage by stage: each pattern's
        windows near its context words in one hyperscan call for them all."""
        for pid, cid in self._deferred.items():
            near = [s for s in scanned if cid in s.hits]
            if near:
                for s, found in zip(near, self._near_words(pid, cid, near), strict=True):
                    if found:
                        s.hits[pid] = found
        return [
            [
                candidate
                for pid, ends in s.hits.items()
                if pid not in self._contexts
                for candidate in self._spans(pid, s.text, sorted(set(ends)))
            ]
            for s in scanned
        ]

    def near_candidates(
        self, scanned: Sequence[Scanned], anchors: Sequence[dict[str, list[int]]]
    ) -> list[list[Candidate]]:
        """For each text, candidates of the near_prefix patterns near the starts, sorted,
        of detections of rules with their prefix (its `anchors`): a match counts with a
        detection starting within near_distance of it, so a match ending at e needs one
        from its reach plus that distance before e to that distance after e. Hyperscan
        reads only the windows around the anchors, of every text in one call."""
        result: list[list[Candidate]] = [[] for _ in scanned]
        for prefix, (db, scratch) in self._near_dbs.items():
            pids = [pid for pid, (p, _) in self._near_prefix.items() if p == prefix]
            reach = max(self._near_prefix[pid][1] + self._reach[pid] for pid in pids) + EDGE
            jobs = [
                (index, s, starts)
                for index, (s, near) in enumerate(zip(scanned, anchors, strict=True))
                if (starts := near.get(prefix))
            ]
            windows = [
                (s, _merged([(a - reach, a + reach) for a in starts], len(s.text)))
                for _, s, starts in jobs
            ]
            found = self._scan_windows(db, scratch, windows)
            for (index, s, starts), ends_of in zip(jobs, found, strict=True):
                for pid, ends in ends_of.items():
                    distance, width = self._near_prefix[pid][1], self._reach[pid]
                    kept = sorted(
                        {
                            e
                            for e in ends
                            if _has_between(starts, e - width - distance, e + distance)
                        }
                    )
                    if kept:
                        result[index].extend(self._spans(pid, s.text, kept))
        return result

    def _near_words(self, pid: int, cid: int, scanned: Sequence[Scanned]) -> list[list[int]]:
        """Ends of a deferred pattern's matches in each text where its context words
        (pattern `cid`) may count: a match ending up to `after` characters before a word's
        end, or one starting up to `before` characters after it (the check decides
        exactly). Hyperscan reads just those windows."""
        words = self._contexts[cid]
        width = self._reach[pid]
        back = words.after + len(words.words[0]) + 2 + width + EDGE
        ahead = words.before + width + 1 + EDGE
        db, scratch = self._window_dbs[pid]
        windows = [
            (s, _merged([(end - back, end + ahead) for end in s.hits[cid]], len(s.text)))
            for s in scanned
        ]
        return [found.get(pid, []) for found in self._scan_windows(db, scratch, windows)]

    @staticmethod
    def _scan_windows(
        db: Database,
        scratch: hyperscan.Scratch,
        windows: Sequence[tuple[Scanned, list[tuple[int, int]]]],
    ) -> list[dict[int, list[int]]]:
        """Hyperscan's ends of each pattern of `db` in the (sorted, disjoint) windows of
        each text, as offsets in that text. One scan reads them all, joined by line
        breaks: to a pattern, a window's edge is then a line's edge, as it is the edge of
        a text when the window is scanned alone. An ASCII text's windows are cut from the
        bytes that `scan` read, not encoded again."""
        parts: list[bytes] = []
        starts: list[int] = []  # each window's start in the joined text (characters)
        owners: list[tuple[int, int]] = []  # each window's text, and its lo minus that start
        at = 0
        for index, (s, spans) in enumerate(windows):
            ascii_text = len(s.data) == len(s.text)
            for lo, hi in spans:
                part = (
                    s.data[lo:hi] if ascii_text else s.text[lo:hi].encode("utf-8", "surrogatepass")
                )
                parts.append(part)
                starts.append(at)
                owners.append((index, lo - at))
                at += hi - lo + 1
        result: list[dict[int, list[int]]] = [defaultdict(list) for _ in windows]
        if not parts:
            return result
        for pid, ends in _scan(db, scratch, b"\n".join(parts), at - 1).items():
            for end in ends:
                index, shift = owners[bisect.bisect_right(starts, end - 1) - 1]
                result[index][pid].append(end + shift)
        return result

    def _spans(self, pid: int, text: str, ends: list[int]) -> list[Candidate]:
        """Spans of pattern `pid` ending at hyperscan's `ends` (sorted).

        Ends closer together than the pattern's reach share one window, which
        starts that far before the first (never before its line) and stops at
        the last, or where a token whose trigger ends there can end: a match
        ending later would have been an end of its own. A match is kept once.

        Each regex search is given at most twice the reach, so a failing attempt
        never reads to the window's end: linear in the window whatever the regex.
        A match that may have been cut off at a search's end is searched again from
        its start.
        """
        search, width, after = self._python[pid].search, self._reach[pid], self._overhang[pid]
        # a pattern with a value regex is read from its start: shorter ends go unused
        with_shorter = self.specs[pid].value is None
        found: list[Candidate] = []
        i, n, done, size = 0, len(ends), 0, len(text)
        while i < n:
            first = ends[i]
            lo = first - width if first > width else 0
            lo = text.rfind("\n", lo, max(first - 1, lo)) + 1 or lo  # not before its line
            last, i = first, i + 1
            while i < n and ends[i] - width <= last + after and text.find("\n", last, ends[i]) < 0:
                last, i = ends[i], i + 1
            pos, hi = lo, min(size, last + after)
            while pos < hi:
                limit = min(hi, pos + 2 * width)
                m = search(text, pos, limit)
                if m is None:
                    if limit == hi:
                        break
                    pos = limit - width + 1  # any match starting before this ended inside
                    continue
                start, longest = m.span()
                if limit < hi and start > limit - width:
                    pos = start  # may be cut off at `limit`: search again with room after it
                    continue
                if start >= last:  # a later end's match (its trigger ends after `last`)
                    break
                pos = longest if longest > start else start + 1
                if start < done or longest == start:  # found before (windows may overlap)
                    continue
                shorter = self._shorter(self._python[pid], text, ends, m) if with_shorter else []
                found.append((pid, start, [longest, *shorter]))
                done = longest
                if longest >= last:  # any further match starts after `last`: not ours
                    break
        return found

    @staticmethod
    def _shorter(regex: re.Pattern[str], text: str, ends: list[int], m: re.Match[str]) -> list[int]:
        """Hyperscan's ends inside the match where the pattern also matches, longest first."""
        start, longest = m.span()
        inside = ends[bisect.bisect_right(ends, start) : bisect.bisect_left(ends, longest)]
        shorter: list[int] = []
        for end in reversed(inside[-MAX_SHORTER_TRIED:]):
            if regex.fullmatch(text, start, end):
                shorter.append(end)
                if len(shorter) == MAX_ENDS_TRIED - 1:
                    break
        return shorter


def _database(
    specs: Sequence[PatternSpec], ids: Sequence[int]
) -> tuple[Database, hyperscan.Scratch]:
    db = compile_database([s.regex for s in specs], ids, [_flags(s) for s in specs])
    return db, hyperscan.Scratch(db)


def _flags(spec: PatternSpec) -> int:
    return (hyperscan.HS_FLAG_CASELESS if spec.caseless else 0) | (
        hyperscan.HS_FLAG_MULTILINE if spec.multiline else 0
    )


def _scan(
    db: Database, scratch: hyperscan.Scratch, data: bytes, chars: int
) -> dict[int, list[int]]:
    """Hyperscan's ends of each pattern of `db` in `data`, the UTF-8 of `chars` characters,
    as character offsets."""
    found: dict[int, list[int]] = defaultdict(list)

    def on_match(pid: int, start: int, end: int, flags: int, ctx: object) -> None:
        found[pid].append(end)

    db.scan(data, match_event_handler=on_match, scratch=scratch)
    if found and len(data) != chars:
        (found,) = _to_char_offsets(data, found)
    return found


def _merged(windows: list[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """The (lo, hi) windows clipped to 0..length, overlapping ones joined, in order."""
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(windows):
        lo, hi = max(0, lo), min(length, hi)
        if merged and lo <= merged[-1][1]:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        elif hi > lo:
            merged.append((lo, hi))
    return merged


def _has_between(sorted_values: list[int], low: int, high: int) -> bool:
    i = bisect.bisect_left(sorted_values, low)
    return i < len(sorted_values) and sorted_values[i] <= high


def _to_char_offsets(
    data: bytes, *offset_lists: dict[int, list[int]]
) -> tuple[dict[int, list[int]], ...]:
    """Hyperscan's byte offsets in UTF-8 `data` as character offsets; an offset inside a
    character counts that character (as if at its end)."""
    offsets = sorted({o for lists in offset_lists for values in lists.values() for o in values})
    mapping: dict[int, int] = {}
    view = memoryview(data)
    chars = done = 0  # characters in data[:done], which ends between two characters
    for offset in offsets:
        decoded, used = codecs.utf_8_decode(view[done:offset], "surrogatepass", False)
        chars += len(decoded)
        done += used
        mapping[offset] = chars + (done < offset)  # a character cut at `offset` counts
    return tuple(
        {key: [mapping[o] for o in values] for key, values in lists.items()}
        for lists in offset_lists
    )
