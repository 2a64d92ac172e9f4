"""The one private folder that holds every temporary file of a scan.

Unpacked archives, mail attachments and the page images OCR reads are copies
of the user's data. They go into one folder per scan, made with mode 0700, and
that folder is removed when the scan ends, however it ends: normally, on an
error, or on SIGTERM/SIGINT (`dgp scan` turns both into exceptions, so the
removal runs). While a scan runs, Python's `tempfile` and every child process
(git, tesseract: TMPDIR) put their temporary files there too, so a library
that makes its own temporary files cannot leave a readable copy in /tmp.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path
from types import TracebackType

_lock = threading.Lock()
_active: list[Workspace] = []  # entered and not yet left, oldest first
_outside: tuple[str | None, str | None] = (None, None)  # tempfile.tempdir and TMPDIR before


class Workspace:
    """A private temporary folder, the process's temporary folder while entered.

    Workspaces may be entered by several threads at once (a test runs workers in
    threads): the most recently entered one that is still active is in use, and
    the process's own setting comes back when the last one is left.
    """

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="dgp-scan-"))  # mode 0700

    def folder(self, prefix: str) -> Path:
        """A new folder inside the workspace."""
        return Path(tempfile.mkdtemp(prefix=prefix, dir=self.path))

    def __enter__(self) -> Workspace:
        global _outside
        with _lock:
            if not _active:
                _outside = (tempfile.tempdir, os.environ.get("TMPDIR"))
            _active.append(self)
            _use(str(self.path))
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with _lock:
            if self in _active:
                _active.remove(self)
            if _active:
                _use(str(_active[-1].path))
            else:
                tempdir, tmpdir = _outside
                tempfile.tempdir = tempdir
                if tmpdir is None:
                    os.environ.pop("TMPDIR", None)
                else:
                    os.environ["TMPDIR"] = tmpdir
        shutil.rmtree(self.path, ignore_errors=True)


def _use(path: str) -> None:
    tempfile.tempdir = path
    os.environ["TMPDIR"] = path
