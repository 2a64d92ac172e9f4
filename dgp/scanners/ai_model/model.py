"""What analysing one model file gives: its description, and the observations that
become findings. Pure data, so each format's reader stays free of the session."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dgp.domain.options import Limits
from dgp.scanners.ai_model.options import AiModelOptions

MAX_NAMES = 100_000  # layer, tensor and key names kept per file


@dataclass(frozen=True)
class Observation:
    rule_id: str
    evidence: str
    where: str = ""  # inside the file (an archive entry, a layer), "" for the file itself
    description: str | None = None
    value: str | None = None  # hashed into the fingerprint; defaults to the evidence
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ModelInfo:
    """One model file: what it is, what it holds, and what is wrong with it."""

    format: str
    framework: str | None = None
    parameters: int | None = None
    details: dict[str, Any] = field(default_factory=dict)  # opset, producer, architecture ...
    names: list[tuple[str, str]] = field(default_factory=list)  # (where, name)
    texts: list[tuple[str, str]] = field(default_factory=list)  # (where, text) for the engine
    observations: list[Observation] = field(default_factory=list)

    def observe(self, rule_id: str, evidence: str, where: str = "", **kw: Any) -> None:
        self.observations.append(Observation(rule_id, evidence, where, **kw))

    def name(self, where: str, name: str) -> None:
        if len(self.names) < MAX_NAMES:
            self.names.append((where, name))

    def add_parameters(self, count: int) -> None:
        self.parameters = (self.parameters or 0) + count

    def describe(self) -> dict[str, Any]:
        """The model's row in the scan's inventory artefact."""
        row: dict[str, Any] = {"format": self.format, "framework": self.framework}
        if self.parameters is not None:
            row["parameters"] = self.parameters
        row.update(self.details)
        return row


@dataclass
class Context:
    """What a format reader may use: the options, the limits, the time check, and the
    budget of text kept for the PII engine (shared by everything in one file)."""

    options: AiModelOptions
    limits: Limits
    tick: Callable[[], None]
    text_left: int = 0

    def __post_init__(self) -> None:
        self.text_left = self.options.max_text_bytes

    def keep_text(self, info: ModelInfo, where: str, text: str) -> None:
        if self.text_left > 0 and text.strip():
            kept = text[: self.text_left]
            self.text_left -= len(kept)
            info.texts.append((where, kept))


class Unreadable(Exception):
    """The file is truncated, corrupt or claims what it does not hold; `reason` says how."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
