"""Imported first by every bench script: `bench/queue.py` is named like the standard
library's `queue`, so this folder must not stay on the import path (a script's folder is
put first). The repo root goes there instead, for `dgp`, `bench.*` and `tests.*`."""

import sys
from pathlib import Path

_BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
if str(_BENCH.parent) not in sys.path:
    sys.path.insert(0, str(_BENCH.parent))
