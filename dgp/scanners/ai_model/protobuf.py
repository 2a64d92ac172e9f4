"""A bounded reader of the protobuf wire format, for graphs whose schema's library is
too heavy to install for a scan (TensorFlow's SavedModel): fields by number,
nothing executed, every length checked against its enclosing message."""

from __future__ import annotations

from collections.abc import Iterator

from dgp.scanners.ai_model.model import Unreadable

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5


def _varint(buf: bytes | memoryview, pos: int, end: int) -> tuple[int, int]:
    value, shift = 0, 0
    while pos < end and shift < 70:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
    raise Unreadable(f"a broken varint at byte {pos}")


def fields(
    buf: memoryview, start: int = 0, end: int | None = None
) -> Iterator[tuple[int, int, object]]:
    """(field number, wire type, value) of one message: an int, or for length-delimited
    fields a (start, end) span into `buf`."""
    end = len(buf) if end is None else end
    pos = start
    while pos < end:
        key, pos = _varint(buf, pos, end)
        number, wire = key >> 3, key & 7
        if wire == VARINT:
            value, pos = _varint(buf, pos, end)
            yield number, wire, value
        elif wire == LENGTH:
            length, pos = _varint(buf, pos, end)
            if pos + length > end:
                raise Unreadable(f"field {number} claims {length} bytes past its message")
            yield number, wire, (pos, pos + length)
            pos += length
        elif wire in (FIXED64, FIXED32):
            pos += 8 if wire == FIXED64 else 4
            if pos > end:
                raise Unreadable(f"field {number} runs past its message")
        else:
            raise Unreadable(f"unknown wire type {wire} at byte {pos}")


def messages(buf: memoryview, span: tuple[int, int], number: int) -> Iterator[tuple[int, int]]:
    """The spans of the length-delimited fields `number` inside the message at `span`."""
    for n, wire, value in fields(buf, *span):
        if n == number and wire == LENGTH:
            yield value  # type: ignore[misc]


def text(buf: memoryview, span: tuple[int, int]) -> str:
    return bytes(buf[span[0] : span[1]]).decode("utf-8", "replace")
