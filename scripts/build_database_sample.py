"""Build samples/database/crm.sqlite: the database scanner's demo sample, the seeded
tables of tests/dbfixtures.py (Faker nl_NL, fixed seed: every value is invented).

    python scripts/build_database_sample.py
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import dbfixtures  # noqa: E402

SAMPLE = ROOT / "samples" / "database" / "crm.sqlite"


def main() -> None:
    SAMPLE.unlink(missing_ok=True)
    conn = sqlite3.connect(SAMPLE)
    dbfixtures.seed(conn, "sqlite", 200)
    conn.execute("VACUUM")
    conn.close()
    print(f"{SAMPLE.relative_to(ROOT)}: {SAMPLE.stat().st_size} bytes")


if __name__ == "__main__":
    main()
