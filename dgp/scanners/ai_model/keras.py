"""Keras models (.h5 with h5py, .keras as a zip with config.json): the model's JSON
config is read, never deserialised into layers. Lambda layers (and whether they
carry marshalled bytecode), custom objects, and TFOpLambda calls that touch files
or Python are what loading would run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from dgp.scanners.ai_model.model import Context, ModelInfo, Unreadable

MAX_VISITS = 200_000  # HDF5 objects visited for the parameter count
FILE_OPS = ("read_file", "write_file", "matching_files", "gfile", "save", "copy", "rename",
            "remove", "delete_file", "mkdir", "printv2", "write_scalar_summary")  # fmt: skip
PYTHON_OPS = ("py_func", "numpy_function", "py_function", "eager_py_func")


def read_h5(path: str, info: ModelInfo, ctx: Context) -> None:
    import h5py  # heavy: only the scanning process imports it

    try:
        with h5py.File(path, "r") as f:
            config = f.attrs.get("model_config")
            for key in ("keras_version", "backend"):
                if key in f.attrs:
                    info.details[key] = _text(f.attrs[key])
            info.add_parameters(_h5_parameters(f, ctx))
            if config is not None:
                check_config(_text(config), info, ctx, "model_config")
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        raise Unreadable(f"HDF5: {e}") from None
    info.framework = "keras"


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _h5_parameters(f: Any, ctx: Context) -> int:
    import h5py

    total, visits = 0, 0
    todo = [f]
    while todo:
        group = todo.pop()
        for item in group.values():
            visits += 1
            if visits > MAX_VISITS:
                return total
            if visits % 4096 == 0:
                ctx.tick()
            if isinstance(item, h5py.Dataset):
                total += int(item.size or 0)
            elif isinstance(item, h5py.Group):
                todo.append(item)
    return total


def check_config(text: str, info: ModelInfo, ctx: Context, where: str) -> None:
    try:
        config = json.loads(text)
    except RecursionError:
        raise Unreadable("the model config nests too deeply") from None
    except ValueError as e:
        raise Unreadable(f"the model config is not JSON: {e}") from None
    info.framework = "keras"
    for layer in _objects(config):
        ctx.tick()
        _check_object(layer, info, where)


def _objects(root: Any) -> Iterator[dict[str, Any]]:
    """Every object with a class_name in the config, without recursion."""
    todo = [root]
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            if isinstance(item.get("class_name"), str):
                yield item
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)


def _check_object(obj: dict[str, Any], info: ModelInfo, where: str) -> None:
    class_name = obj["class_name"]
    config = obj.get("config") if isinstance(obj.get("config"), dict) else {}
    name = config.get("name") if isinstance(config.get("name"), str) else class_name
    at = f"{where}/{name}"
    if isinstance(config.get("name"), str):
        info.name(at, config["name"])
    if class_name == "Lambda":
        function = config.get("function")
        code = (
            config.get("function_type") == "lambda"
            or (isinstance(function, dict) and function.get("class_name") == "__lambda__")
            or (isinstance(function, list) and function and isinstance(function[0], str))
        )
        rule = "ai_model.keras.lambda_code" if code else "ai_model.keras.lambda_layer"
        evidence = "Lambda layer with marshalled code" if code else f"Lambda calls {function!r}"
        info.observe(rule, evidence[:200], at, value=name)
    elif class_name == "TFOpLambda":
        function = str(config.get("function", ""))
        lowered = function.lower()
        if any(op in lowered for op in PYTHON_OPS):
            info.observe("ai_model.tensorflow.python_call", f"TFOpLambda {function}", at)
        elif any(op in lowered for op in FILE_OPS):
            info.observe("ai_model.keras.file_operation", f"TFOpLambda {function}", at)
    module = obj.get("module")
    registered = obj.get("registered_name")
    custom = (isinstance(module, str) and not module.startswith(("keras", "tensorflow"))) or (
        isinstance(registered, str) and ">" in registered
    )
    if custom and class_name not in ("__lambda__", "function"):
        what = registered if isinstance(registered, str) else f"{module}.{class_name}"
        info.observe("ai_model.keras.custom_object", f"custom object {what}", at, value=what)
