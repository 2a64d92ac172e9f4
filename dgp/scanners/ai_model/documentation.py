"""A model's documentation next to it: a model card and a licence."""

from __future__ import annotations

import re
from pathlib import Path

MODEL_CARDS = frozenset({"readme.md", "model_card.md", "modelcard.md", "model-card.md"})
LICENCE_NAMES = re.compile(r"(?i)^(?:licen[cs]e|copying)(?:[.-].*)?$")
_LICENCE_FIELD = re.compile(r"(?im)^\s*licen[cs]e\s*:\s*\S")
MAX_CARD = 1024 * 1024


def model_card(folder: Path) -> Path | None:
    for child in sorted(folder.iterdir()) if folder.is_dir() else ():
        if child.is_file() and child.name.lower() in MODEL_CARDS:
            return child
    return None


def has_licence(folder: Path, card: Path | None) -> bool:
    if any(c.is_file() and LICENCE_NAMES.match(c.name) for c in folder.iterdir()):
        return True
    if card is None:
        return False
    with card.open("rb") as f:
        text = f.read(MAX_CARD).decode("utf-8", "replace")
    return bool(_LICENCE_FIELD.search(text))
