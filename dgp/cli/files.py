"""What the command line reads and writes for a scan besides its report: a
questionnaire in (a JSON file), artefacts out (into a folder the user names)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dgp.domain import inputs
from dgp.domain.job import Artefact, ScanInputError


def read_questionnaire(path: Path) -> dict[str, Any]:
    """The questionnaire in a JSON file, checked as the API checks it; ScanInputError."""
    try:
        with path.open("rb") as file:
            raw = file.read(inputs.MAX_QUESTIONNAIRE_BYTES + 1)
    except OSError as e:
        raise ScanInputError(f"cannot read {path}: {e.strerror}") from None
    if len(raw) > inputs.MAX_QUESTIONNAIRE_BYTES:
        raise ScanInputError(f"{path} is larger than {inputs.MAX_QUESTIONNAIRE_BYTES} bytes")
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise ScanInputError(f"{path} is not valid JSON: {e}") from None
    return inputs.check_questionnaire(value)


def write_artefacts(artefacts: Iterable[Artefact], folder: Path) -> None:
    """Each artefact into `folder` under its own name, and nowhere else: written to a
    temporary file there (mode 0600: an artefact may hold personal data), then renamed
    over the name, so an existing file or symbolic link of that name is replaced, never
    written through. OSError if the folder cannot take them."""
    folder.mkdir(parents=True, exist_ok=True)
    root = folder.resolve()
    for artefact in artefacts:
        dest = root / artefact.name  # a plain file name (Artefact checks it)
        if dest.parent != root:
            raise OSError(f"artefact name {artefact.name!r} leaves {folder}")
        fd, temporary = tempfile.mkstemp(dir=root, prefix=".dgp-artefact-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(artefact.data)
            os.replace(temporary, dest)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
