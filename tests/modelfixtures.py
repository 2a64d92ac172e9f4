"""Model files built at run time from their documented formats, for the AI model
scanner's tests, bench and samples: no binary of unknown origin is committed, and no
model is ever loaded. Pickles are written opcode by opcode (never pickle.dumps of a
live object), so a payload exists only as bytes."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path
from typing import Any

PROTO = b"\x80"
STOP = b"."


def unicode(text: str) -> bytes:
    data = text.encode()
    return b"\x8c" + bytes([len(data)]) + data  # SHORT_BINUNICODE


def binbytes(data: bytes) -> bytes:
    return b"B" + struct.pack("<I", len(data)) + data


def global_(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def system_call(command: str, module: str = "os") -> bytes:
    """A protocol 2 pickle whose REDUCE calls <module>.system(command)."""
    return PROTO + b"\x02" + global_(module, "system") + unicode(command) + b"\x85R" + STOP


def memo_stack_global(command: str) -> bytes:
    """Protocol 4: 'os' and 'system' memoised, popped, and fetched back for STACK_GLOBAL."""
    return (
        PROTO + b"\x04" + unicode("os") + b"\x94" + unicode("system") + b"\x94" + b"00"
        + b"h\x00h\x01\x93" + unicode(command) + b"\x85R" + STOP
    )  # fmt: skip


def dynamic_stack_global() -> bytes:
    """STACK_GLOBAL whose module is not a constant (a call's result)."""
    return PROTO + b"\x04" + b")" + unicode("system") + b"\x93" + b")R" + STOP


def text_pickle_escaped(command: str) -> bytes:
    """Protocol 0 text: the module spelled with a raw-unicode escape (V\\u006fs), and a
    GLOBAL in Python 2 spelling (__builtin__ eval)."""
    return (
        b"V\\u006fs\nVsystem\n\x93(V" + command.encode() + b"\ntR"
        + b"c__builtin__\neval\n(V0\ntR" + b"0" + STOP
    )  # fmt: skip


def nested(inner: bytes) -> bytes:
    """A pickle that calls pickle.loads on bytes that are themselves a pickle."""
    return PROTO + b"\x02" + global_("pickle", "loads") + binbytes(inner) + b"\x85R" + STOP


def benign_sklearn() -> bytes:
    """A scikit-learn-like estimator with an OrderedDict and a NumPy array: allowlisted."""
    array = (
        global_("numpy.core.multiarray", "_reconstruct")
        + b"(" + global_("numpy", "ndarray") + b"K\x00\x85" + binbytes(b"b") + b"tR"
    )  # fmt: skip
    return (
        PROTO + b"\x02"
        + global_("sklearn.linear_model._logistic", "LogisticRegression") + b")\x81}("
        + unicode("coef_") + array
        + unicode("classes_") + global_("collections", "OrderedDict") + b")R"
        + unicode("solver") + unicode("lbfgs") + b"ub" + STOP
    )  # fmt: skip


def torch_state_dict(keys: tuple[str, ...] = ("encoder.weight",)) -> bytes:
    """A PyTorch data.pkl: an OrderedDict of tensors rebuilt from persistent storages."""
    body = b""
    for i, key in enumerate(keys):
        body += (
            unicode(key) + global_("torch._utils", "_rebuild_tensor_v2")
            + b"((" + unicode("storage") + global_("torch", "FloatStorage")
            + unicode(str(i)) + unicode("cpu") + b"K\x04tQ"
            + b"K\x00K\x04\x85K\x01\x85\x89" + global_("collections", "OrderedDict")
            + b")Rt" + b"R" + b"s"
        )  # fmt: skip
    return PROTO + b"\x02" + global_("collections", "OrderedDict") + b")R" + body + STOP


def torch_zip(
    path: Path, data_pkl: bytes, storage: int = 16, extra: dict[str, bytes] | None = None
) -> Path:
    """A PyTorch zip checkpoint: archive/data.pkl, archive/data/0, archive/version."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", data_pkl)
        zf.writestr("archive/version", b"3\n")
        zf.writestr("archive/data/0", bytes(storage))
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path


def without_central_directory(path: Path) -> Path:
    """Cut the zip's central directory off: only the local headers remain."""
    data = path.read_bytes()
    path.write_bytes(data[: data.rfind(b"PK\x01\x02", 0, data.rfind(b"PK\x05\x06"))]
                     if False else data[: data.find(b"PK\x01\x02")])  # fmt: skip
    return path


def zip_bomb_checkpoint(path: Path, unpacked_mib: int = 64) -> Path:
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf,
        zf.open("archive/data.pkl", "w") as f,
    ):
        # one BINBYTES8 blob of zeros: the walk skips it, reading (and counting) it
        f.write(PROTO + b"\x04" + b"\x8e" + struct.pack("<Q", unpacked_mib * 1024 * 1024))
        zero = bytes(1024 * 1024)
        for _ in range(unpacked_mib):
            f.write(zero)
        f.write(b".")
    return path


def safetensors(
    tensors: dict[str, tuple[str, list[int]]], metadata: dict[str, str] | None = None
) -> bytes:
    """A safetensors file: 8-byte header length, JSON header, data (zeros)."""
    sizes = {"F32": 4, "F16": 2, "I64": 8, "U8": 1}
    header: dict[str, Any] = {}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        n = sizes[dtype]
        for d in shape:
            n *= d
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    if metadata is not None:
        header["__metadata__"] = metadata
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + bytes(offset)


def _gguf_string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def gguf(metadata: dict[str, str], tensors: dict[str, list[int]]) -> bytes:
    """A GGUF v3 file: string metadata and F32 tensor infos (no tensor data needed)."""
    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(metadata))
    for key, value in metadata.items():
        out += _gguf_string(key) + struct.pack("<I", 8) + _gguf_string(value)
    for name, dims in tensors.items():
        out += _gguf_string(name) + struct.pack("<I", len(dims))
        out += b"".join(struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", 0, 0)
    return out


def npy_object_array(payload: bytes) -> bytes:
    """A .npy with dtype object: the data is a pickle (here `payload`)."""
    header = b"{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
    header += b" " * (63 - len(header) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + payload


def keras_lambda_h5(path: Path, with_code: bool = True, layer_name: str = "dense") -> Path:
    """A Keras .h5 whose model_config holds a Lambda layer (made with h5py)."""
    import h5py
    import numpy as np

    function: Any = ["4wEAAAAAAAAAAAAAAAEAAAACAAAAQwAAAHMIAAAAfABkARQAUwApAk7pAgAAAKkA", None, None]
    lambda_config = {"name": "lambda", "function": function if with_code else "my_fn",
                     "function_type": "lambda" if with_code else "function"}  # fmt: skip
    config = {
        "class_name": "Sequential",
        "config": {
            "name": "sequential",
            "layers": [
                {"class_name": "Dense", "config": {"name": layer_name, "units": 4}},
                {"class_name": "Lambda", "config": lambda_config},
            ],
        },
    }
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = json.dumps(config)
        f.attrs["keras_version"] = "2.15.0"
        f.create_dataset(f"model_weights/{layer_name}/kernel", data=np.zeros((3, 4), "f4"))
    return path


def onnx_model(path: Path, location: str = "weights.bin", domain: str = "") -> Path:
    """A tiny ONNX model (onnx.helper): Add of the input and an initializer whose data is
    external at `location`; with `domain`, a custom-domain operator too."""
    from onnx import TensorProto, helper

    weight = helper.make_tensor("bias", TensorProto.FLOAT, [2], [0.0, 0.0])
    weight.data_location = TensorProto.EXTERNAL
    del weight.float_data[:]
    for key, value in (("location", location), ("offset", "0"), ("length", "8")):
        entry = weight.external_data.add()
        entry.key, entry.value = key, value
    nodes = [helper.make_node("Add", ["email_address", "bias"], ["y"])]
    opsets = [helper.make_opsetid("", 17)]
    if domain:
        nodes.append(helper.make_node("Decrypt", ["y"], ["z"], domain=domain))
        opsets.append(helper.make_opsetid(domain, 1))
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("email_address", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("z" if domain else "y", TensorProto.FLOAT, [2])],
        [weight],
    )
    model = helper.make_model(graph, opset_imports=opsets, producer_name="dgp-tests")
    path.write_bytes(model.SerializeToString())
    return path


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buffer.getvalue()
