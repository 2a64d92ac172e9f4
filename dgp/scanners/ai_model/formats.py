"""Which format a file is (by its content, not its name), and the reader for it.

The name only says what the file claims: a file whose content is another format
than its extension names (a pickle called .safetensors) is a finding, and is read
as what it is.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import tarfile
import zipfile
import zlib
from pathlib import Path
from typing import IO

from dgp.scanners.ai_model import keras, pickled, tensors
from dgp.scanners.ai_model.model import Context, ModelInfo, Unreadable
from dgp.scanners.ai_model.pickles import looks_like_pickle
from dgp.scanners.ai_model.zips import Entry, Refused, buffered, listing

PICKLE, ZIP, TAR, NUMPY, SAFETENSORS, GGUF, HDF5, ONNX, SAVED_MODEL = (
    "pickle", "zip", "tar", "numpy", "safetensors", "gguf", "hdf5", "onnx", "savedmodel"
)  # fmt: skip
COMPRESSED = "compressed"
# what each extension claims the file is
CLAIMS: dict[str, frozenset[str]] = {
    ".pkl": frozenset({PICKLE, COMPRESSED}),
    ".pickle": frozenset({PICKLE, COMPRESSED}),
    ".joblib": frozenset({PICKLE, COMPRESSED}),
    ".pt": frozenset({ZIP, PICKLE, TAR}),
    ".pth": frozenset({ZIP, PICKLE, TAR}),
    ".bin": frozenset({ZIP, PICKLE, TAR}),
    ".ckpt": frozenset({ZIP, PICKLE, TAR}),
    ".npy": frozenset({NUMPY}),
    ".npz": frozenset({ZIP}),
    ".safetensors": frozenset({SAFETENSORS}),
    ".gguf": frozenset({GGUF}),
    ".h5": frozenset({HDF5}),
    ".hdf5": frozenset({HDF5}),
    ".keras": frozenset({ZIP}),
    ".onnx": frozenset({ONNX}),
    ".pb": frozenset({SAVED_MODEL}),
}
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
PICKLE_NAMES = (".pkl", ".pickle", ".joblib")
_DECOMPRESSORS = {
    b"\x1f\x8b": ("gzip", lambda f: gzip.GzipFile(fileobj=f)),
    b"BZ": ("bz2", bz2.BZ2File),
    b"\xfd7": ("xz", lzma.LZMAFile),
}


def sniff(head: bytes, size: int) -> str | None:
    """The format `head` (the file's first bytes) shows, or None."""
    if looks_like_pickle(head):
        return PICKLE
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return ZIP
    if head.startswith(tensors.NPY_MAGIC):
        return NUMPY
    if head.startswith(tensors.GGUF_MAGIC):
        return GGUF
    if head.startswith(HDF5_MAGIC):
        return HDF5
    if head[:2] in _DECOMPRESSORS or (head[:1] == b"\x78" and head[1:2] in b"\x01\x5e\x9c\xda"):
        return COMPRESSED
    if len(head) >= 265 and head[257:262] == b"ustar":
        return TAR
    if len(head) > 9 and head[8:9] == b"{" and int.from_bytes(head[:8], "little") < size:
        return SAFETENSORS
    return None


def claimed(path: Path) -> frozenset[str]:
    if path.name == "saved_model.pb":
        return CLAIMS[".pb"]
    return CLAIMS.get(path.suffix.lower(), frozenset())


def analyse(path: Path, ctx: Context) -> ModelInfo | None:
    """The model in the file at `path`, or None when it is no model file."""
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(512)
    claims = claimed(path)
    found = sniff(head, size)
    if found is None and PICKLE in claims:
        found = PICKLE  # protocol 0 and 1 pickles have no header to sniff
    if found is None and claims & {ONNX, SAVED_MODEL}:
        found = next(iter(claims & {ONNX, SAVED_MODEL}))
    if found is None:
        if claims:
            info = ModelInfo(format="unknown")
            info.observe("ai_model.format.unreadable", "content matches no model format")
            return info
        return None
    if not claims and found in (ZIP, TAR, COMPRESSED):
        return None  # an ordinary archive or compressed file, not a model
    info = ModelInfo(format=found)
    if claims and found not in claims:
        info.observe(
            "ai_model.format.mismatch",
            f"named {path.suffix or path.name} but is {found}",
            value=f"{path.suffix}:{found}",
        )
    elif not claims and found == PICKLE:
        info.observe("ai_model.format.mismatch", f"named {path.name} but is a pickle",
                     value=f"{path.suffix}:{found}")  # fmt: skip
    try:
        _read(path, found, size, info, ctx)
    except (Unreadable, Refused) as e:
        info.observe("ai_model.format.unreadable", e.reason, value=e.reason)
    except (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError, lzma.LZMAError) as e:
        info.observe("ai_model.format.unreadable", f"{type(e).__name__}: {e}", value="corrupt")
    except ImportError as e:  # a library of the `models` extra is not installed
        reason = f"needs the Python package {e.name} (pip install 'dataguardian[models]')"
        info.observe("ai_model.format.unreadable", reason, value="missing library")
    except OSError as e:
        reason = f"cannot read: {e.strerror or type(e).__name__}"
        info.observe("ai_model.format.unreadable", reason, value="oserror")
    return info


def _read(path: Path, found: str, size: int, info: ModelInfo, ctx: Context) -> None:
    if found == HDF5:
        keras.read_h5(str(path), info, ctx)
        return
    if found == ONNX:
        _parse_whole(size, ctx)
        from dgp.scanners.ai_model.onnx_model import read_onnx

        read_onnx(path, info, ctx)
        return
    if found == SAVED_MODEL:
        _parse_whole(size, ctx)
        from dgp.scanners.ai_model.savedmodel import read_saved_model

        read_saved_model(path.read_bytes(), info, ctx)
        return
    if found == ZIP:
        read_zip(path, info, ctx)
        return
    if found == TAR:
        read_tar(path, info, ctx)
        return
    with path.open("rb", buffering=1024 * 1024) as f:
        if found == PICKLE:
            if not pickled.analyse(f, info, ctx):
                raise Unreadable("content matches no model format")
            info.framework = info.framework or "pickle"
        elif found == COMPRESSED:
            read_compressed(f, size, info, ctx)
        elif found == NUMPY:
            tensors.read_npy(f, size, info, ctx)
        elif found == SAFETENSORS:
            tensors.read_safetensors(f, size, info, ctx)
            info.framework = "safetensors"
        elif found == GGUF:
            tensors.read_gguf(f, size, info, ctx)


def _parse_whole(size: int, ctx: Context) -> None:
    if size > ctx.options.max_parse_bytes:
        raise Unreadable(
            f"{size} bytes: larger than max_parse_bytes ({ctx.options.max_parse_bytes}), "
            "which this format is parsed whole within"
        )


def read_compressed(
    f: IO[bytes], size: int, info: ModelInfo, ctx: Context, where: str = ""
) -> None:
    """joblib's and other compressed pickles: inflated as a bounded stream."""
    head = f.read(2)
    f.seek(-len(head), 1)
    name, opener = _DECOMPRESSORS.get(head, ("zlib", None))
    raw: IO[bytes] = opener(f) if opener is not None else _ZlibStream(f)  # type: ignore[assignment]
    stream = buffered(raw, size, ctx.limits)
    info.details["compression"] = name
    if not pickled.analyse(stream, info, ctx, where):
        raise Unreadable(f"{name}-compressed, but not a pickle inside")


class _ZlibStream:
    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.z = zlib.decompressobj()

    def read(self, n: int = -1) -> bytes:
        n = n if n > 0 else 1024 * 1024
        while True:
            if self.z.unconsumed_tail:
                out = self.z.decompress(self.z.unconsumed_tail, n)
            else:
                packed = self.raw.read(1024 * 1024)
                if not packed:
                    return self.z.flush()
                out = self.z.decompress(packed, n)
            if out or self.z.eof:
                return out


def read_zip(path: Path, info: ModelInfo, ctx: Context) -> None:
    """A PyTorch, NumPy .npz or .keras zip, entry by entry."""
    zipped = listing(path, ctx.limits)
    try:
        if zipped.broken is not None:
            info.observe("ai_model.archive.broken_zip", zipped.broken, value="broken")
        names = {e.name for e in zipped.entries}
        if any(n.endswith("data.pkl") for n in names):
            info.framework = "pytorch"
        elif any(n.endswith(".npy") for n in names):
            info.framework = "numpy"
        for entry in zipped.entries:
            ctx.tick()
            try:
                _zip_entry(entry, info, ctx)
            except Refused as e:
                info.observe("ai_model.format.unreadable", f"{entry.name}: {e.reason}",
                             entry.name, value=e.reason)  # fmt: skip
            except Unreadable as e:
                info.observe("ai_model.format.unreadable", e.reason, entry.name, value=e.reason)
            except (zipfile.BadZipFile, zlib.error, EOFError) as e:
                info.observe("ai_model.format.unreadable", f"{type(e).__name__}: {e}",
                             entry.name, value="corrupt")  # fmt: skip
        info.details["entries"] = len(zipped.entries)
    finally:
        zipped.close()


def _zip_entry(entry: Entry, info: ModelInfo, ctx: Context) -> None:
    name = entry.name
    lowered = name.lower()
    if (
        lowered.endswith("config.json")
        and info.format == ZIP
        and entry.size <= ctx.options.max_parse_bytes
    ):
        with entry.open() as stream:
            text = stream.read(ctx.options.max_parse_bytes + 1).decode("utf-8", "replace")
        if '"class_name"' in text:
            keras.check_config(text, info, ctx, name)
        ctx.keep_text(info, name, text[: 1024 * 1024])
        return
    with entry.open() as stream:
        head = stream.read(2)
        if lowered.endswith(".npy"):
            tensors.read_npy(pickled.Prefixed(head, stream), entry.size, info, ctx, name)  # type: ignore[arg-type]
            return
        named_pickle = lowered.endswith(PICKLE_NAMES) or lowered.endswith("data.pkl")
        if not (named_pickle or looks_like_pickle(head)):
            return  # tensor storage, a version file: data
        if not named_pickle:
            info.observe("ai_model.archive.hidden_pickle", f"entry {name[:200]} is a pickle",
                         name, value=name)  # fmt: skip
        if not pickled.analyse(pickled.Prefixed(head, stream), info, ctx, name):  # type: ignore[arg-type]
            raise Unreadable(f"{name[:200]} is named a pickle but is not one")


def read_tar(path: Path, info: ModelInfo, ctx: Context) -> None:
    """The legacy PyTorch tar format (sys_info, pickle, storages, tensors)."""
    info.framework = "pytorch"
    with tarfile.open(path) as tf:
        count = 0
        while (member := tf.next()) is not None:
            count += 1
            if count > ctx.limits.max_archive_entries:
                raise Refused(f"more than {ctx.limits.max_archive_entries} entries")
            if not member.isfile():
                continue
            source = tf.extractfile(member)
            if source is None:
                continue
            with source:
                head = source.read(2)
                if looks_like_pickle(head):
                    stream = pickled.Prefixed(head, source)
                    pickled.analyse(stream, info, ctx, member.name)  # type: ignore[arg-type]
