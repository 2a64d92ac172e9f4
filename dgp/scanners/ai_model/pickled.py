"""From the opcode walk of a pickle (pickles.py) to observations: each import judged
against the allowlist, dynamic imports, nested pickles and broken streams."""

from __future__ import annotations

import re
from collections import Counter
from typing import IO

from dgp.scanners.ai_model import pickles
from dgp.scanners.ai_model.allowlist import Verdict, framework_of, verdict
from dgp.scanners.ai_model.model import Context, ModelInfo

MAX_SEQUENCE = 16  # pickles one after another in a file (legacy torch.save writes five)
_NAME = re.compile(r"[\w.\-/]{1,200}")
_FRAMEWORK_ORDER = ("pytorch", "transformers", "scikit-learn", "xgboost", "lightgbm", "joblib")


def analyse(stream: IO[bytes], info: ModelInfo, ctx: Context, where: str = "") -> bool:
    """Walk the pickles at the start of `stream` (one, or a sequence as legacy PyTorch
    files have); False when not even the first opcode stream is a pickle."""
    walked = 0
    while walked < MAX_SEQUENCE:
        report = pickles.walk(
            stream,
            max_depth=ctx.options.max_pickle_depth,
            text_bytes=ctx.text_left,
            tick=ctx.tick,
        )
        if walked == 0 and report.opcodes <= 1 and report.error is not None:
            return False
        label = where if walked == 0 else f"{where or 'pickle'} #{walked + 1}"
        _observe(report, info, ctx, label)
        walked += 1
        if report.error is not None:
            break
        head = stream.read(2)
        if not pickles.looks_like_pickle(head):
            break  # the rest is data (legacy PyTorch storage), not pickles
        stream = Prefixed(head, stream)
    info.details["pickles"] = info.details.get("pickles", 0) + walked
    return True


def _observe(report: pickles.PickleReport, info: ModelInfo, ctx: Context, where: str) -> None:
    info.details.setdefault("pickle_protocol", report.protocol)
    frameworks: set[str] = set()
    judged: Counter[tuple[str, str, str]] = Counter()
    for imp in report.imports:
        judged[(verdict(imp.module, imp.name), imp.qualified, imp.opcode)] += 1
        frameworks.add(framework_of(imp.module) or "")
    for (kind, qualified, opcode), count in sorted(judged.items()):
        if kind is Verdict.ALLOWED:
            continue
        rule = (
            "ai_model.pickle.dangerous_import"
            if kind is Verdict.DANGEROUS
            else "ai_model.pickle.unlisted_import"
        )
        what = "runs code when loaded" if kind is Verdict.DANGEROUS else "is not on the allowlist"
        info.observe(
            rule,
            f"{opcode} {qualified}" + (f" (x{count})" if count > 1 else ""),
            where,
            value=qualified,
            description=f"The pickle imports {qualified!r}, which {what}.",
            extra={"import": qualified, "opcode": opcode, "count": count},
        )
    if report.dynamic:
        opcodes = sorted({d.opcode for d in report.dynamic})
        info.observe(
            "ai_model.pickle.dynamic_import",
            f"{len(report.dynamic)} import(s) by {', '.join(opcodes)} at byte "
            f"{report.dynamic[0].position}",
            where,
            value=",".join(opcodes),
            extra={"count": len(report.dynamic)},
        )
    for position, nested in report.nested:
        inner = f"{where or 'pickle'} @{position}"
        info.observe(
            "ai_model.pickle.nested",
            f"a protocol {nested.protocol} pickle of {nested.length} bytes at byte {position}",
            inner,
            value=str(position),
        )
        _observe(nested, info, ctx, inner)
    if report.error is not None:
        info.observe(
            "ai_model.pickle.malformed",
            report.error,
            where,
            value="malformed",
            description=f"The pickle could not be read to its end: {report.error}.",
        )
    for text in report.strings:
        ctx.keep_text(info, where, text)
        if _NAME.fullmatch(text):
            info.name(where, text)
    ctx.text_left = max(0, ctx.text_left)
    if info.framework is None:
        info.framework = next((f for f in _FRAMEWORK_ORDER if f in frameworks), None)


class Prefixed:
    """A stream with bytes already read put back in front (the next pickle's PROTO)."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self.head = head
        self.rest = rest

    def read(self, n: int = -1) -> bytes:
        if not self.head:
            return self.rest.read(n)
        if n < 0:
            data, self.head = self.head + self.rest.read(), b""
            return data
        data, self.head = self.head[:n], self.head[n:]
        return data + (self.rest.read(n - len(data)) if n > len(data) else b"")

    def readline(self, limit: int = -1) -> bytes:
        if self.head:
            data = self.read(1)
            return data if data == b"\n" else data + self.rest.readline(limit - 1)
        return self.rest.readline(limit)
