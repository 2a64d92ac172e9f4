"""A one-line progress bar on stderr, drawn only when stderr is a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 30
MIN_INTERVAL = 0.1  # seconds between redraws


class ProgressBar:
    def __init__(self, stream: TextIO | None = None) -> None:
        # sys.stderr as it is now, not as it was at import (tests and callers redirect it)
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty()
        self._last = 0.0

    def __call__(self, percent: int, message: str) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < MIN_INTERVAL and percent < 100:
            return
        self._last = now
        filled = WIDTH * percent // 100
        bar = "#" * filled + "-" * (WIDTH - filled)
        self.stream.write(f"\r[{bar}] {percent:3d}% {message[:40]:<40}")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * (WIDTH + 48) + "\r")
            self.stream.flush()
