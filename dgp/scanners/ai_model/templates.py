"""Chat templates (Jinja, in GGUF and tokenizer metadata) checked by parsing only.

A chat template needs messages, roles and a few filters. One that reaches
underscore attributes (`__class__`, `__globals__`) or objects and names that lead
to the interpreter (`cycler.__init__`, `os.popen`) is a template-injection payload
for the places that render templates outside a sandbox. Jinja parses the template
into its syntax tree here; nothing is compiled or rendered.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from dgp.scanners.ai_model.model import ModelInfo

MAX_TEMPLATE = 1024 * 1024
SUSPECT_ATTRIBUTES = frozenset(
    {
        "os", "popen", "system", "subprocess", "eval", "exec", "builtins", "import_module",
        "getattr", "func_globals", "f_globals", "f_locals", "f_back", "gi_frame", "tb_frame",
        "mro", "load_module", "spawn", "check_output", "environ",
    }
)  # fmt: skip


@cache
def _environment() -> Any:
    """Jinja (the `models` extra), imported on first use: parsing only, nothing is
    compiled or rendered, so no autoescape or sandbox is involved."""
    from jinja2 import Environment

    return Environment(autoescape=False)


def suspect_parts(template: str) -> list[str]:
    """The attribute and item accesses of `template` a chat template has no use for.
    A template Jinja cannot parse gives none: it cannot be rendered, so it cannot run."""
    from jinja2 import TemplateSyntaxError, nodes

    try:
        tree = _environment().parse(template[:MAX_TEMPLATE])
    except (TemplateSyntaxError, RecursionError, MemoryError):
        return []
    found: list[str] = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        if isinstance(node, nodes.Getattr):
            key = node.attr
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            key = node.arg.value
        else:
            continue
        if key.startswith("_") or key in SUSPECT_ATTRIBUTES:
            found.append(key)
    return sorted(set(found))


def check_template(template: str, where: str, info: ModelInfo) -> None:
    parts = suspect_parts(template)
    if parts:
        info.observe(
            "ai_model.gguf.template_code",
            "reaches " + ", ".join(parts[:8]),
            where,
            value=",".join(parts),
            extra={"attributes": parts},
        )
