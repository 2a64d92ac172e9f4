"""Options and limits of an AI model scan.

Light on purpose (the kind's spec imports it in every process). Model files are
large: a file may be several GiB, so the kind's limits allow that, and every
format is read streamed, never whole into memory (the pickle walk skips tensor
storage). What the scan extracts as text for the shared engine is bounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from dgp.domain.options import FileOptions, Limits, MiB, OptionsError

GiB = 1024 * MiB

AI_MODEL_LIMITS = Limits(
    max_items=10_000,  # files of a model folder or archive
    max_bytes=64 * GiB,  # read in all (mostly skipped tensor storage)
    max_file_bytes=16 * GiB,  # one model file (streamed)
    timeout_seconds=1800.0,
    max_archive_bytes=16 * GiB,  # an uploaded archive of model files, unpacked
    max_archive_entries=10_000,
    max_memory_bytes=1024 * MiB,  # the isolated child's RLIMIT_DATA
)


@dataclass(frozen=True)
class AiModelOptions(FileOptions):
    LOWER_ONLY: ClassVar[tuple[str, ...]] = (
        "max_text_bytes",
        "max_parse_bytes",
        "max_pickle_depth",
    )

    # text extracted from one file (pickle strings, metadata, chat templates) that the
    # shared PII and secret engine reads
    max_text_bytes: int = 4 * MiB
    # a file parsed whole by a library (ONNX protobuf, Keras JSON config): larger ones
    # get the streamed checks only
    max_parse_bytes: int = 512 * MiB
    # pickles inside pickles (bytes that are a pickle, an object array's pickle)
    max_pickle_depth: int = 4

    def __post_init__(self) -> None:
        for name in self.LOWER_ONLY:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise OptionsError(f"{name} must be a whole number of at least 1")
