#!/usr/bin/env python3
"""`make trackers`: rebuild dgp/scanners/website/data/trackers.json, the website scanner's
tracker database, from its two sources:

- data/sources/vendors.toml: the vendors, their hosts, categories and countries (ours);
- the Open Cookie Database (https://github.com/jkwakman/Open-Cookie-Database,
  Apache-2.0): cookie names with their platform, purpose category and retention.

The Open Cookie Database is read from --ocd (a file or an http(s) URL; the default is
its CSV on the project's main branch). The build is deterministic: the same inputs
give the same file, so a refresh shows as a reviewable diff. Nothing is fetched at
scan time.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import sys
import tomllib
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "dgp" / "scanners" / "website" / "data"
OCD_URL = (
    "https://raw.githubusercontent.com/jkwakman/Open-Cookie-Database/main/open-cookie-database.csv"
)
OCD_LICENCE = "Apache-2.0"
MAX_OCD_BYTES = 16 * 1024 * 1024
# the Open Cookie Database's categories, as the scanner names purposes
CATEGORIES = {
    "functional": "functional",
    "necessary": "functional",
    "security": "functional",
    "personalization": "preferences",
    "analytics": "analytics",
    "marketing": "marketing",
}
COLUMNS = ("Platform", "Category", "Cookie / Data Key name", "Retention period", "Wildcard match")


def read_ocd(source: str) -> bytes:
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=60) as answer:
            data = answer.read(MAX_OCD_BYTES + 1)
    else:
        data = Path(source).read_bytes()
    if len(data) > MAX_OCD_BYTES:
        raise SystemExit(f"{source}: larger than {MAX_OCD_BYTES} bytes")
    return data


def build(vendors_file: Path, ocd: bytes, ocd_version: str) -> dict[str, object]:
    spec = tomllib.loads(vendors_file.read_text(encoding="utf-8"))
    vendors: dict[str, dict[str, object]] = {}
    domains: dict[str, str] = {}
    platforms: dict[str, str] = {}
    for vendor_id, v in sorted(spec["vendors"].items()):
        vendors[vendor_id] = {
            "name": v["name"],
            "company": v["company"],
            "country": v["country"],
            "category": v["category"],
            "consent": bool(v["consent"]),
            "all_cookies_tracking": bool(v.get("all_cookies_tracking", False)),
        }
        for domain in v.get("domains", []):
            if domain in domains:
                raise SystemExit(f"{domain} belongs to {domains[domain]} and {vendor_id}")
            domains[domain.lower()] = vendor_id
        for platform in v.get("platforms", []):
            platforms.setdefault(platform.lower(), vendor_id)

    rows = list(csv.DictReader(io.StringIO(ocd.decode("utf-8-sig"))))
    if not rows or any(c not in rows[0] for c in COLUMNS):
        raise SystemExit(f"the Open Cookie Database has other columns than {COLUMNS}")
    cookies: dict[str, dict[str, object]] = {}
    prefixes: dict[str, dict[str, object]] = {}
    for row in rows:
        name = row["Cookie / Data Key name"].strip()
        category = CATEGORIES.get(row["Category"].strip().lower())
        if not name or category is None or len(name) > 200:
            continue
        platform = row["Platform"].strip()
        entry = {
            "platform": platform,
            "vendor": platforms.get(platform.lower()),
            "controller": row.get("Data Controller", "").strip(),
            "category": category,
            "retention": row["Retention period"].strip(),
        }
        table = prefixes if row["Wildcard match"].strip() == "1" else cookies
        table.setdefault(name, entry)  # the first description of a name wins, as upstream

    return {
        "format": 1,
        "version": f"vendors-{spec['version']}+ocd-{ocd_version}",
        "sources": [
            {
                "name": "DataGuardian Pro vendor list",
                "file": "sources/vendors.toml",
                "version": spec["version"],
                "licence": "the project's own",
            },
            {
                "name": "Open Cookie Database",
                "url": "https://github.com/jkwakman/Open-Cookie-Database",
                "version": ocd_version,
                "licence": OCD_LICENCE,
                "rows": len(rows),
            },
        ],
        "vendors": vendors,
        "domains": dict(sorted(domains.items())),
        "cookies": dict(sorted(cookies.items())),
        "cookie_prefixes": dict(sorted(prefixes.items())),
        "cmp_markers": dict(sorted(spec.get("cmp_markers", {}).items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--ocd", default=OCD_URL, help="the Open Cookie Database CSV (file or URL)")
    parser.add_argument(
        "--ocd-version",
        help="what to record as its version (a commit); default: the CSV's SHA-256, shortened",
    )
    parser.add_argument("--out", type=Path, default=DATA / "trackers.json")
    args = parser.parse_args(argv)
    ocd = read_ocd(args.ocd)
    version = args.ocd_version or "sha256-" + hashlib.sha256(ocd).hexdigest()[:12]
    db = build(DATA / "sources" / "vendors.toml", ocd, version)
    args.out.write_text(json.dumps(db, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(
        f"{args.out}: {len(db['vendors'])} vendors, {len(db['domains'])} domains, "  # type: ignore[arg-type]
        f"{len(db['cookies'])} cookie names, {len(db['cookie_prefixes'])} prefixes",  # type: ignore[arg-type]
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
