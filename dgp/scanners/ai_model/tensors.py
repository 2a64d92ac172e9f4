"""Data-only formats, read from their documented headers: safetensors, GGUF, NumPy .npy.

Every length a header claims is checked against the file before anything is read
or allocated, so an absurd header length is a clear error, not a 10^18-byte read.
"""

from __future__ import annotations

import ast
import json
import math
import struct
from collections import Counter
from typing import IO, Any

from dgp.scanners.ai_model import pickled
from dgp.scanners.ai_model.model import Context, ModelInfo, Unreadable
from dgp.scanners.ai_model.templates import check_template

MiB = 1024 * 1024
MAX_SAFETENSORS_HEADER = 100 * MiB  # the safetensors library's own limit
_DTYPE_BYTES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1, "I16": 2, "U16": 2, "F16": 2,
    "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8,
}  # fmt: skip


def _json(raw: bytes, what: str) -> Any:
    try:
        return json.loads(raw)
    except RecursionError:
        raise Unreadable(f"{what} nests too deeply") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise Unreadable(f"{what} is not JSON: {e}") from None


def _product(shape: list[Any], where: str) -> int:
    if not isinstance(shape, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
    ):
        raise Unreadable(f"{where}: the shape is not a list of sizes")
    return math.prod(shape)


def read_safetensors(f: IO[bytes], size: int, info: ModelInfo, ctx: Context) -> None:
    head = f.read(8)
    if len(head) < 8:
        raise Unreadable("truncated: no header length")
    length = int.from_bytes(head, "little")
    if length > MAX_SAFETENSORS_HEADER or length + 8 > size:
        raise Unreadable(
            f"header length {length} is impossible for a file of {size} bytes "
            f"(at most {MAX_SAFETENSORS_HEADER})"
        )
    header = _json(f.read(length), "the header")
    if not isinstance(header, dict):
        raise Unreadable("the header is not a JSON object")
    data_size = size - 8 - length
    dtypes: Counter[str] = Counter()
    for name, tensor in header.items():
        if name == "__metadata__":
            if not isinstance(tensor, dict):
                raise Unreadable("__metadata__ is not an object")
            for key, value in tensor.items():
                info.name("__metadata__", str(key))
                ctx.keep_text(info, f"__metadata__/{key}", f"{key}: {value}")
            continue
        if not isinstance(tensor, dict):
            raise Unreadable(f"tensor {name[:80]!r} is not an object")
        dtype, offsets = tensor.get("dtype"), tensor.get("data_offsets")
        count = _product(tensor.get("shape"), f"tensor {name[:80]!r}")
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
            or not 0 <= offsets[0] <= offsets[1] <= data_size
        ):
            raise Unreadable(f"tensor {name[:80]!r}: data offsets outside the file's data")
        if dtype in _DTYPE_BYTES and count * _DTYPE_BYTES[dtype] != offsets[1] - offsets[0]:
            raise Unreadable(f"tensor {name[:80]!r}: its shape does not match its data size")
        dtypes[str(dtype)] += 1
        info.add_parameters(count)
        info.name("tensors", name)
    info.details["tensor_dtypes"] = dict(sorted(dtypes.items()))
    info.details["tensors"] = sum(dtypes.values())


# -- GGUF (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md) -------------------

GGUF_MAGIC = b"GGUF"
MAX_GGUF_STRING = 16 * MiB  # a chat template, a licence text
KEPT_STRING = 64 * 1024  # string values longer than this are not kept as text
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q",
            11: "<q", 12: "<d"}  # fmt: skip
_GGML_TYPES = {0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0",
               9: "Q8_1", 10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K",
               15: "Q8_K", 24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64",
               30: "BF16"}  # fmt: skip
_STRING, _ARRAY = 8, 9
MAX_ARRAY_DEPTH = 8


class _GgufReader:
    def __init__(self, f: IO[bytes], size: int, version: int, ctx: Context) -> None:
        self.f, self.size, self.version, self.ctx = f, size, version, ctx
        self.position = 8
        self.values = 0

    def exact(self, n: int) -> bytes:
        if self.position + n > self.size:
            raise Unreadable(f"truncated at byte {self.position} (wants {n} more)")
        data = self.f.read(n)
        if len(data) != n:
            raise Unreadable(f"truncated at byte {self.position}")
        self.position += n
        return data

    def scalar(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.exact(struct.calcsize(fmt)))[0]

    def count(self) -> int:
        return int(self.scalar("<I" if self.version == 1 else "<Q"))

    def string(self, keep: bool = True) -> str | None:
        length = self.count()
        if length > MAX_GGUF_STRING or self.position + length > self.size:
            raise Unreadable(f"a string of {length} bytes at byte {self.position}")
        if not keep or length > MAX_GGUF_STRING:
            self.skip(length)
            return None
        return self.exact(length).decode("utf-8", "replace")

    def skip(self, n: int) -> None:
        if self.position + n > self.size:
            raise Unreadable(f"truncated at byte {self.position}")
        self.f.seek(n, 1)
        self.position += n

    def value(self, kind: int, keep: bool, depth: int = 0) -> Any:
        if depth > MAX_ARRAY_DEPTH:
            raise Unreadable(f"arrays nested deeper than {MAX_ARRAY_DEPTH}")
        self.values += 1
        if self.values % 65536 == 0:
            self.ctx.tick()
        if kind in _SCALARS:
            return self.scalar(_SCALARS[kind])
        if kind == _STRING:
            return self.string(keep)
        if kind == _ARRAY:
            item, n = self.scalar("<I"), self.count()
            if item in _SCALARS:  # fixed size: skipped at once
                self.skip(n * struct.calcsize(_SCALARS[item]))
                return None
            if item not in (_STRING, _ARRAY) or n > self.size - self.position:
                raise Unreadable(f"an array of {n} values of type {item}")
            for _ in range(n):
                self.value(item, keep=False, depth=depth + 1)
            return None
        raise Unreadable(f"unknown value type {kind} at byte {self.position}")


def read_gguf(f: IO[bytes], size: int, info: ModelInfo, ctx: Context) -> None:
    head = f.read(8)
    if len(head) < 8 or head[:4] != GGUF_MAGIC:
        raise Unreadable("no GGUF header")
    version = int.from_bytes(head[4:8], "little")
    if version not in (1, 2, 3):
        raise Unreadable(f"unknown GGUF version {version}")
    r = _GgufReader(f, size, version, ctx)
    tensors, kv_count = r.count(), r.count()
    if kv_count * 13 > size or tensors * 24 > size:  # each takes at least this many bytes
        raise Unreadable(f"claims {kv_count} metadata keys and {tensors} tensors")
    metadata: dict[str, Any] = {}
    for _ in range(kv_count):
        key = r.string() or ""
        kind = r.scalar("<I")
        value = r.value(kind, keep=True)
        info.name("metadata", key)
        if isinstance(value, str):
            metadata[key] = value
            if key.endswith("chat_template"):
                check_template(value, f"metadata/{key}", info)
            if len(value) <= KEPT_STRING:
                ctx.keep_text(info, f"metadata/{key}", value)
        elif value is not None:
            metadata[key] = value
    types: Counter[str] = Counter()
    for _ in range(tensors):
        name = r.string() or ""
        dims = [r.scalar("<Q") for _ in range(min(r.scalar("<I"), 8))]
        ggml_type = r.scalar("<I")
        r.scalar("<Q")  # offset in the data section
        types[_GGML_TYPES.get(ggml_type, f"type {ggml_type}")] += 1
        info.add_parameters(math.prod(dims))
        info.name("tensors", name)
    architecture = metadata.get("general.architecture")
    info.framework = "gguf" if architecture is None else f"gguf ({architecture})"
    info.details.update(
        {
            "gguf_version": version,
            "architecture": architecture,
            "tensors": tensors,
            "tensor_types": dict(sorted(types.items())),
        }
    )
    if isinstance(metadata.get("general.license"), str):
        info.details["licence"] = metadata["general.license"]


# -- NumPy .npy ---------------------------------------------------------------------------

NPY_MAGIC = b"\x93NUMPY"
MAX_NPY_HEADER = 64 * 1024


def read_npy(f: IO[bytes], size: int, info: ModelInfo, ctx: Context, where: str = "") -> None:
    head = f.read(8)
    if len(head) < 8 or head[:6] != NPY_MAGIC:
        raise Unreadable("no NumPy header")
    major = head[6]
    length_bytes = 2 if major == 1 else 4
    length = int.from_bytes(f.read(length_bytes), "little")
    if length > MAX_NPY_HEADER or length + 8 + length_bytes > size:
        raise Unreadable(f"header length {length} is impossible (at most {MAX_NPY_HEADER})")
    try:
        header = ast.literal_eval(f.read(length).decode("latin-1"))
    except (ValueError, SyntaxError, RecursionError, MemoryError, TypeError) as e:
        raise Unreadable(f"the header is not a Python literal: {type(e).__name__}") from None
    if not isinstance(header, dict) or "descr" not in header or "shape" not in header:
        raise Unreadable("the header has no descr and shape")
    shape = header["shape"]
    if not isinstance(shape, tuple) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise Unreadable("the shape is not a tuple of sizes")
    info.add_parameters(math.prod(shape))
    info.framework = info.framework or "numpy"
    if "O" in repr(header["descr"]):
        info.observe(
            "ai_model.numpy.object_array",
            f"dtype {header['descr']!r}, shape {shape}",
            where,
            value=repr(header["descr"]),
        )
        pickled.analyse(f, info, ctx, f"{where or 'array'} (object data)")
