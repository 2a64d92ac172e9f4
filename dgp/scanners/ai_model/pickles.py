"""Static analysis of pickles: what a pickle would import, without ever unpickling it.

The opcode stream is read with the standard library's opcode table (pickletools):
each opcode's argument is read by pickletools' own readers, except the length-
prefixed ones (bytes, strings), which are read here so that tensor storage and
other large blobs are skipped, never held in memory. A small model of the
unpickler's stack and memo follows the strings a pickle pushes, so that
STACK_GLOBAL's module and name are resolved through memo indirection (BINGET of a
string memoised far earlier), and anything it cannot resolve is reported as a
dynamic import rather than passed over. Bytes that are themselves a pickle are
walked too, to a bounded depth. The walk is iterative (a deeply nested pickle
costs stack entries, bounded, not recursion) and bounded in stack, memo and text.
"""

from __future__ import annotations

import _compat_pickle
import io
import pickletools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

MAX_LINE = 64 * 1024  # a protocol 0 text argument (GLOBAL's module, a STRING)
MAX_STRING = 1024 * 1024  # a string read (kept for STACK_GLOBAL and the text scan)
MAX_NESTED = 16 * 1024 * 1024  # bytes read to walk as a nested pickle
MAX_STACK = 1_000_000  # stack entries (a nested structure deeper than this is refused)
MAX_MEMO = 1_000_000  # memo entries remembered (later ones resolve to "unknown")
TICK_EVERY = 65_536  # opcodes between two calls of the caller's time check
_SKIP_CHUNK = 1024 * 1024

_OPS = {op.code.encode("latin-1"): op for op in pickletools.opcodes}
_MARK = pickletools.markobject
_STRING_ARGS = frozenset(
    {"string1", "string4", "unicodestring1", "unicodestring4", "unicodestring8"}
)
_BYTES_ARGS = frozenset({"bytes1", "bytes4", "bytes8", "bytearray8"})
_LENGTH_BYTES = {
    pickletools.TAKEN_FROM_ARGUMENT1: (1, False),
    pickletools.TAKEN_FROM_ARGUMENT4: (4, True),
    pickletools.TAKEN_FROM_ARGUMENT4U: (4, False),
    pickletools.TAKEN_FROM_ARGUMENT8U: (8, False),
}
PROTOCOL_HEADS = tuple(bytes([0x80, p]) for p in range(2, 6))


class PickleError(Exception):
    """The opcode stream is broken: truncated, malformed, or past a bound."""


@dataclass(frozen=True)
class Import:
    """A global the pickle would import (and usually call)."""

    module: str
    name: str
    opcode: str  # GLOBAL, STACK_GLOBAL, INST
    position: int  # byte offset of the opcode in its pickle

    @property
    def qualified(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass(frozen=True)
class DynamicImport:
    """An import whose target is only known when the pickle runs."""

    opcode: str  # STACK_GLOBAL with operands that are not constant strings, EXT1/2/4
    position: int


@dataclass
class PickleReport:
    protocol: int = 0
    imports: list[Import] = field(default_factory=list)
    dynamic: list[DynamicImport] = field(default_factory=list)
    strings: list[str] = field(default_factory=list)  # bounded by the text budget
    nested: list[tuple[int, PickleReport]] = field(default_factory=list)  # (position, walk)
    opcodes: int = 0
    length: int = 0  # bytes of the pickle walked (to STOP, or to the error)
    error: str | None = None  # why the walk stopped before STOP

    def all_imports(self) -> list[Import]:
        found = list(self.imports)
        for _, inner in self.nested:
            found += inner.all_imports()
        return found


class _Unknown:
    """A stack value the model does not follow (an int, a list, a call's result)."""

    __slots__ = ()


_ANY = _Unknown()


class _Stream:
    """A byte stream with a position, bounded lines and skipping without holding data."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.position = 0

    def read(self, n: int) -> bytes:
        data = self.raw.read(n)
        self.position += len(data)
        return data

    def exact(self, n: int) -> bytes:
        data = self.read(n)
        if len(data) != n:
            raise PickleError(f"truncated at byte {self.position}")
        return data

    def readline(self) -> bytes:
        line = self.raw.readline(MAX_LINE + 1)
        self.position += len(line)
        if len(line) > MAX_LINE:
            raise PickleError(f"a text argument longer than {MAX_LINE} bytes")
        if not line.endswith(b"\n"):
            raise PickleError(f"truncated at byte {self.position}")
        return line

    def skip(self, n: int) -> None:
        while n > 0:
            chunk = self.read(min(n, _SKIP_CHUNK))
            if not chunk:
                raise PickleError(f"truncated at byte {self.position}")
            n -= len(chunk)


class _Budget:
    """Text kept for the PII scan, shared by a pickle and its nested pickles."""

    def __init__(self, text_bytes: int) -> None:
        self.left = text_bytes

    def keep(self, text: str, into: list[str]) -> None:
        if self.left > 0 and text.strip():
            kept = text[: self.left]
            self.left -= len(kept)
            into.append(kept)


def looks_like_pickle(head: bytes) -> bool:
    """A protocol 2+ pickle starts with PROTO; older ones are not sniffed (too loose)."""
    return head[:2] in PROTOCOL_HEADS


def walk(
    raw: IO[bytes],
    *,
    max_depth: int = 4,
    text_bytes: int = 4 * 1024 * 1024,
    tick: Callable[[], None] = lambda: None,
) -> PickleReport:
    """Walk one pickle from the stream's position to its STOP opcode.

    Never raises for a broken stream: the report's `error` says where and why it
    stopped, and what came before is in the report. `tick` is called now and then
    (the scan's time limit); what it raises passes through.
    """
    return _Walker(_Budget(text_bytes), max_depth, tick).walk(_Stream(raw), depth=1)


class _Walker:
    def __init__(self, budget: _Budget, max_depth: int, tick: Callable[[], None]) -> None:
        self.budget = budget
        self.max_depth = max_depth
        self.tick = tick

    def walk(self, stream: _Stream, depth: int) -> PickleReport:
        report = PickleReport()
        start = stream.position
        try:
            self._walk(stream, report, depth)
        except PickleError as e:
            report.error = str(e)
        except (ValueError, UnicodeDecodeError, OverflowError) as e:  # pickletools' readers
            report.error = f"malformed argument at byte {stream.position - start}: {e}"
        report.length = stream.position - start
        return report

    def _walk(self, stream: _Stream, report: PickleReport, depth: int) -> None:
        stack: list[object] = []
        memo: dict[int, object] = {}
        start = stream.position
        while True:
            at = stream.position - start
            code = stream.read(1)
            if not code:
                raise PickleError(f"truncated at byte {at}: no STOP opcode")
            op = _OPS.get(code)
            if op is None:
                raise PickleError(f"unknown opcode {code!r} at byte {at}")
            report.opcodes += 1
            if report.opcodes % TICK_EVERY == 0:
                self.tick()
            name = op.name
            if name == "STOP":
                return
            if name in ("GLOBAL", "INST"):
                module, attr = self._pair(stream)
                report.imports.append(Import(module, attr, name, at))
                if name == "INST":
                    _pop_to_mark(stack, at)
                stack.append(_ANY)
                continue
            arg = self._argument(op, stream, report, depth, at)
            if name == "PROTO":
                report.protocol = int(arg)  # type: ignore[call-overload]
            elif name == "STACK_GLOBAL":
                attr_value, module_value = _pop(stack, at), _pop(stack, at)
                if isinstance(module_value, str) and isinstance(attr_value, str):
                    report.imports.append(Import(module_value, attr_value, name, at))
                else:
                    report.dynamic.append(DynamicImport(name, at))
                stack.append(_ANY)
            elif name in ("EXT1", "EXT2", "EXT4"):
                report.dynamic.append(DynamicImport(name, at))
                stack.append(_ANY)
            elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
                if not stack:
                    raise PickleError(f"memo of an empty stack at byte {at}")
                if len(memo) < MAX_MEMO:
                    memo[int(arg)] = stack[-1]  # type: ignore[call-overload]
            elif name == "MEMOIZE":
                if not stack:
                    raise PickleError(f"memo of an empty stack at byte {at}")
                if len(memo) < MAX_MEMO:
                    memo[len(memo)] = stack[-1]
            elif name in ("GET", "BINGET", "LONG_BINGET"):
                stack.append(memo.get(int(arg), _ANY))  # type: ignore[call-overload]
            elif name == "MARK":
                stack.append(_MARK)
            elif name == "DUP":
                stack.append(stack[-1] if stack else _pop(stack, at))
            elif isinstance(arg, str) and op.stack_after and not op.stack_before:
                stack.append(arg)  # STRING, UNICODE and their binary forms
            else:
                _apply(op, stack, at)
            if len(stack) > MAX_STACK:
                raise PickleError(f"stack deeper than {MAX_STACK} entries (nesting bomb)")

    def _pair(self, stream: _Stream) -> tuple[str, str]:
        """GLOBAL and INST: two text lines, as the unpickler reads them (exact, odd
        whitespace kept), mapped from Python 2 names as it maps them."""
        module = stream.readline()[:-1].decode("utf-8", "surrogateescape")
        name = stream.readline()[:-1].decode("utf-8", "surrogateescape")
        return _python3_name(module, name)

    def _argument(
        self, op: pickletools.OpcodeInfo, stream: _Stream, report: PickleReport, depth: int, at: int
    ) -> object:
        spec = op.arg
        if spec is None:
            return None
        if spec.n not in _LENGTH_BYTES:
            return spec.reader(stream)  # fixed size, or a line (bounded by _Stream)
        size_bytes, signed = _LENGTH_BYTES[spec.n]
        length = int.from_bytes(stream.exact(size_bytes), "little", signed=signed)
        if length < 0:
            raise PickleError(f"negative length at byte {at}")
        if spec.name in _STRING_ARGS and length <= MAX_STRING:
            raw = stream.exact(length)
            encoding = "latin-1" if spec.name.startswith("string") else "utf-8"
            text = raw.decode(encoding, "surrogatepass")
            self.budget.keep(text, report.strings)
            return text
        if spec.name in _BYTES_ARGS and length >= 2:
            head = stream.exact(2)
            if looks_like_pickle(head) and length <= MAX_NESTED and depth < self.max_depth:
                inner = head + stream.exact(length - 2)
                nested = self.walk(_Stream(io.BytesIO(inner)), depth + 1)
                if nested.opcodes > 1 and nested.error is None:
                    report.nested.append((at, nested))
                return _ANY
            stream.skip(length - 2)
            return _ANY
        stream.skip(length)  # long integers, over-long strings: not followed
        return _ANY


def _python3_name(module: str, name: str) -> tuple[str, str]:
    """The unpickler's fix_imports mapping of Python 2 names (__builtin__ -> builtins)."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


def _pop(stack: list[object], at: int) -> object:
    if not stack or stack[-1] is _MARK:
        raise PickleError(f"stack underflow at byte {at}")
    return stack.pop()


def _pop_to_mark(stack: list[object], at: int) -> None:
    for i in range(len(stack) - 1, -1, -1):
        if stack[i] is _MARK:
            del stack[i:]
            return
    raise PickleError(f"no MARK on the stack at byte {at}")


def _apply(op: pickletools.OpcodeInfo, stack: list[object], at: int) -> None:
    """Any other opcode: pop what it takes, push an unknown for what it makes."""
    before = op.stack_before
    if _MARK in before:
        _pop_to_mark(stack, at)
        for _ in range(before.index(_MARK)):
            _pop(stack, at)
    else:
        for _ in before:
            _pop(stack, at)
    stack.extend(_ANY for _ in op.stack_after)
