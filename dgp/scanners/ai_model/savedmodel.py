"""TensorFlow SavedModel graphs (saved_model.pb), read with the bounded protobuf
reader: the op of every node in the graph and its function library. Restoring
variables (RestoreV2, SaveV2) is what every SavedModel does; reading, writing or
listing other files, and calling Python, is not."""

from __future__ import annotations

from collections import Counter

from dgp.scanners.ai_model import protobuf as pb
from dgp.scanners.ai_model.model import Context, ModelInfo

FILE_OPS = frozenset(
    {"ReadFile", "WriteFile", "MatchingFiles", "WholeFileReader", "WholeFileReaderV2",
     "ImmutableConst"}
)  # fmt: skip
PYTHON_OPS = frozenset({"PyFunc", "PyFuncStateless", "EagerPyFunc"})
# SavedModel.meta_graphs(2) > MetaGraphDef.graph_def(2) > GraphDef.node(1) and
# GraphDef.library(2) > FunctionDefLibrary.function(1) > FunctionDef.node_def(3);
# NodeDef.name(1), NodeDef.op(2)


def read_saved_model(data: bytes, info: ModelInfo, ctx: Context) -> None:
    buf = memoryview(data)
    ops: Counter[str] = Counter()
    for meta in pb.messages(buf, (0, len(buf)), 2):
        for graph in pb.messages(buf, meta, 2):
            nodes = list(pb.messages(buf, graph, 1))
            for library in pb.messages(buf, graph, 2):
                for function in pb.messages(buf, library, 1):
                    nodes += pb.messages(buf, function, 3)
            for node in nodes:
                ctx.tick()
                _node(buf, node, info, ops)
    info.framework = "tensorflow"
    info.details["ops"] = len(ops)


def _node(buf: memoryview, node: tuple[int, int], info: ModelInfo, ops: Counter[str]) -> None:
    name, op = "", ""
    for number, wire, value in pb.fields(buf, *node):
        if wire == pb.LENGTH and number in (1, 2):
            if number == 1:
                name = pb.text(buf, value)  # type: ignore[arg-type]
            else:
                op = pb.text(buf, value)  # type: ignore[arg-type]
    ops[op] += 1
    info.name("graph", name)
    if op in PYTHON_OPS:
        info.observe("ai_model.tensorflow.python_call", f"{op} node {name[:100]}", "graph",
                     value=op)  # fmt: skip
    elif op in FILE_OPS:
        info.observe("ai_model.tensorflow.file_operation", f"{op} node {name[:100]}", "graph",
                     value=op)  # fmt: skip
