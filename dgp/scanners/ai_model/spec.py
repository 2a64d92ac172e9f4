"""The AI model kind, as every process sees it: options, limits, inputs, rules."""

from __future__ import annotations

from dgp.kinds import Input, KindSpec
from dgp.scanners.ai_model.options import AI_MODEL_LIMITS, AiModelOptions
from dgp.scanners.ai_model.rules import RULE_IDS

SPEC = KindSpec(
    name="ai_model",
    summary="Model files checked without loading them (pickle imports, PyTorch, Keras, "
    "ONNX, safetensors, GGUF, NumPy) and the EU AI Act questionnaire",
    port=5003,
    implementation_module="dgp.scanners.ai_model.scanner",
    inputs=frozenset({Input.TARGET, Input.UPLOAD, Input.QUESTIONNAIRE}),
    options=AiModelOptions,
    limits=AI_MODEL_LIMITS,
    rules=RULE_IDS,
    # hostile files parsed by C libraries (HDF5, protobuf): a child per job, with the
    # kind's time and memory limits
    isolated=True,
)
