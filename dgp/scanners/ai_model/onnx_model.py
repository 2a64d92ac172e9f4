"""ONNX models parsed with the onnx package (protobuf only: no runtime, no external data
loaded): opset and producer, operators outside the standard domains, and external
data whose path leaves the model's folder."""

from __future__ import annotations

import math
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from dgp.scanners.ai_model.model import Context, ModelInfo, Unreadable

# the ONNX standard domains, and ONNX Runtime's built-in contrib operators
STANDARD_DOMAINS = frozenset(
    {"", "ai.onnx", "ai.onnx.ml", "ai.onnx.training", "ai.onnx.preview.training",
     "com.microsoft", "com.microsoft.nchwc", "com.microsoft.experimental"}
)  # fmt: skip
MAX_GRAPHS = 10_000  # subgraphs (If, Loop, Scan bodies) visited


def read_onnx(path: Path, info: ModelInfo, ctx: Context) -> None:
    import onnx  # heavy: only the scanning process imports it
    from google.protobuf.message import DecodeError

    try:
        model = onnx.load_model(str(path), load_external_data=False)
    except (DecodeError, ValueError, RuntimeError, OSError) as e:
        raise Unreadable(f"not an ONNX model: {type(e).__name__}: {str(e)[:200]}") from None
    if not model.HasField("graph"):
        raise Unreadable("not an ONNX model: no graph")
    info.framework = "onnx"
    info.details.update(
        {
            "ir_version": model.ir_version,
            "producer": f"{model.producer_name} {model.producer_version}".strip(),
            "opset": {o.domain or "ai.onnx": o.version for o in model.opset_import},
        }
    )
    for prop in model.metadata_props:
        info.name("metadata", prop.key)
        ctx.keep_text(info, f"metadata/{prop.key}", f"{prop.key}: {prop.value}")
    if model.doc_string:
        ctx.keep_text(info, "doc_string", model.doc_string)
    custom = {o.domain for o in model.opset_import if o.domain not in STANDARD_DOMAINS}
    graphs: list[Any] = [model.graph, *(f for f in model.functions)]
    seen = 0
    while graphs and seen < MAX_GRAPHS:
        graph = graphs.pop()
        seen += 1
        ctx.tick()
        _graph(graph, info, custom, graphs)
    for domain in sorted(custom):
        info.observe("ai_model.onnx.custom_domain", f"operators of domain {domain!r}",
                     "graph", value=domain)  # fmt: skip


def _graph(graph: Any, info: ModelInfo, custom: set[str], todo: list[Any]) -> None:
    import onnx

    for node in graph.node:
        if node.domain not in STANDARD_DOMAINS:
            custom.add(node.domain)
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                todo.append(attribute.g)
            elif attribute.type == onnx.AttributeProto.GRAPHS:
                todo.extend(attribute.graphs)
    for value in (*getattr(graph, "input", ()), *getattr(graph, "output", ())):
        info.name("inputs and outputs", value.name if hasattr(value, "name") else str(value))
    for tensor in getattr(graph, "initializer", ()):
        info.name("initializers", tensor.name)
        info.add_parameters(math.prod(tensor.dims))
        if tensor.data_location == onnx.TensorProto.EXTERNAL:
            location = next((e.value for e in tensor.external_data if e.key == "location"), "")
            if escapes(location):
                info.observe(
                    "ai_model.onnx.external_data_escape",
                    f"tensor {tensor.name[:80]!r} reads {location[:200]!r}",
                    "initializers",
                    value=location,
                )


def escapes(location: str) -> bool:
    """True when an external-data path is absolute or climbs out of the model's folder."""
    for pure in (PurePosixPath(location), PureWindowsPath(location)):
        if pure.is_absolute() or pure.anchor or ".." in pure.parts:
            return True
    return False
