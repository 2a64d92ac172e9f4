"""Builds the code scanner's fixture trees, archives and git repositories at test time.

`make_tree` writes a small project with known personal data, secrets and privacy
anti-patterns, plus what the scanner must pass over (a binary, vendored and
generated folders, a lock file, a too-large file and a symbolic link out of the
tree). `EXPECTED` names each finding by rule, path and the text it starts at;
`expected_findings` turns that into exact (rule_id, path, line, column) tuples
computed from the file contents, so no position is typed in by hand.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

# -- the values (all valid: the BSN passes the 11-proef, the IBAN mod-97) -------------

BSN = "111222333"
BSN_SPACED = "111 222 333"
IBAN = "NL91ABNA0417164300"
EMAIL = "jan.jansen@example.nl"
PHONE = "+31 6 12345678"
AWS_KEY_ID = "AKIAQ3EGRV7XKZP4M2WD"
GITHUB_TOKEN = "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"  # its CRC32 suffix is valid
DB_PASSWORD = "Xk9pLm2Qr7sTzW"
POSTGRES_URL = f"postgres://shop:{DB_PASSWORD}@db.internal:5432/shop"
PASSWORD = "Tr0ub4dor&3horse"
PEM_HEADER = "-----BEGIN RSA PRIVATE KEY-----"
PEM_BODY = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun"
HIDDEN_EMAIL = "vendored.person@example.org"  # only in files that must be skipped
OUTSIDE_BSN = "123456782"  # only in the file behind the symbolic link (valid 11-proef)
AUTHOR_NAME = "Fixture Author"
AUTHOR_EMAIL = "fixture.author@example.com"

# Every full value that must never appear in any report.
SENSITIVE_VALUES = (
    BSN,
    BSN_SPACED,
    IBAN,
    EMAIL,
    PHONE,
    AWS_KEY_ID,
    GITHUB_TOKEN,
    DB_PASSWORD,
    POSTGRES_URL,
    PASSWORD,
    PEM_BODY,
    HIDDEN_EMAIL,
    OUTSIDE_BSN,
)

MAX_FILE_BYTES = 2048  # the scans below pass this; data/big.txt is larger, the rest smaller

FILES: dict[str, str] = {
    "src/app.py": (
        "import hashlib\n"
        "import logging\n"
        "\n"
        "logger = logging.getLogger(__name__)\n"
        "\n"
        f"# test customer, bsn: {BSN}\n"
        f'CUSTOMER_IBAN = "{IBAN}"\n'
        f'SUPPORT_EMAIL = "{EMAIL}"\n'
        f'SUPPORT_PHONE = "{PHONE}"\n'
        "\n"
        "\n"
        "def register(user, password):\n"
        '    logger.info("registered %s", user.email)\n'
        "    digest = hashlib.md5(password.encode()).hexdigest()\n"
        '    query = f"SELECT * FROM users WHERE id = {user.id}"\n'
        "    return digest, query\n"
    ),
    "config/settings.py": (
        f'AWS_ACCESS_KEY_ID = "{AWS_KEY_ID}"\n'
        f'GITHUB_TOKEN = "{GITHUB_TOKEN}"\n'
        f'DATABASE_URL = "{POSTGRES_URL}"\n'
        f'DB_PASSWORD = "{PASSWORD}"\n'
    ),
    "config/retention.yaml": "customers:\n  retention: forever\n  region: eu-west-1\n",
    "certs/deploy.pem": f"{PEM_HEADER}\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----\n",
    "web/api.js": (
        "// customer profile client\n"
        'const PROFILE_URL = "http://shop.acme-corp.nl/customer/profile";\n'
        "\n"
        "export async function profile(id) {\n"
        "  return fetch(`${PROFILE_URL}/${id}`);\n"
        "}\n"
    ),
    "db/seed.sql": (
        f"-- seed data\nINSERT INTO customers (id, bsn)\nVALUES (1, '{BSN_SPACED}');\n"
    ),
    "package.json": (
        "{\n"
        '  "name": "shop-web",\n'
        '  "version": "1.0.0",\n'
        '  "dependencies": {\n'
        '    "react": "^18.2.0",\n'
        '    "react-ga4": "^2.1.0"\n'
        "  }\n"
        "}\n"
    ),
    "requirements.txt": "requests==2.31.0\nmixpanel==4.10.0\n",
    "README.md": "# Shop\n\nNothing personal in here.\n",
    # passed over: vendored, generated, lock files
    "node_modules/tracker/index.js": f'module.exports = "{HIDDEN_EMAIL}";\n',
    "dist/bundle.js": f'var contact = "{HIDDEN_EMAIL}";\n',
    "package-lock.json": f'{{"name": "shop-web", "author": "{HIDDEN_EMAIL}"}}\n',
    "vendor/lib.py": f'OWNER = "{HIDDEN_EMAIL}"\n',
    "static/app.min.js": f'var e="{HIDDEN_EMAIL}";\n',
    # too large for MAX_FILE_BYTES
    "data/big.txt": f"contact: {HIDDEN_EMAIL}\n" * 100,
}
BINARY_FILES: dict[str, bytes] = {
    "assets/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + f"bsn {BSN}".encode() + bytes(64),
}
SYMLINK = "leak.txt"  # -> a file outside the tree
OUTSIDE_TEXT = f"bsn: {OUTSIDE_BSN}\n"


@dataclass(frozen=True)
class Expect:
    """One expected finding: `needle` is the text the finding starts at in `path`."""

    rule_id: str
    path: str
    needle: str | None  # None: a finding about the whole file (no line)
    occurrence: int = 0


EXPECTED: tuple[Expect, ...] = (
    Expect("pii.bsn", "src/app.py", BSN),
    Expect("pii.iban", "src/app.py", IBAN),
    Expect("pii.email", "src/app.py", EMAIL),
    Expect("pii.phone", "src/app.py", PHONE),
    Expect("code.pii_in_log", "src/app.py", 'logger.info("registered'),
    Expect("code.weak_password_hash", "src/app.py", "md5(password"),
    Expect("code.sql_string_format", "src/app.py", 'f"SELECT'),
    Expect("secret.aws.access_key_id", "config/settings.py", AWS_KEY_ID),
    Expect("secret.github.token", "config/settings.py", GITHUB_TOKEN),
    Expect("secret.connection_string", "config/settings.py", DB_PASSWORD),
    Expect("secret.password_assignment", "config/settings.py", PASSWORD),
    Expect("code.retention_forever", "config/retention.yaml", "retention: forever"),
    Expect("secret.private_key", "certs/deploy.pem", PEM_HEADER),
    Expect("code.http_personal_data", "web/api.js", "http://shop.acme-corp.nl/customer"),
    Expect("pii.bsn", "db/seed.sql", BSN_SPACED),
    Expect("code.tracking_sdk", "package.json", "react-ga4"),
    Expect("code.tracking_sdk", "requirements.txt", "mixpanel"),
    Expect("scan.item_not_scanned", SYMLINK, None),
    Expect("scan.item_not_scanned", "data/big.txt", None),
)

Row = tuple[str, str, int | None, int | None]  # (rule_id, path, line, column)
# A finding about a whole file (not scanned, and why) points at its start.
WHOLE_ITEM = (1, 1)


def position(text: str, needle: str, occurrence: int = 0) -> tuple[int, int]:
    """1-based (line, column) of the `occurrence`-th `needle` in `text`."""
    at = -1
    for _ in range(occurrence + 1):
        at = text.index(needle, at + 1)
    line = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1) + 1
    return line, column


def expected_rows(
    expected: tuple[Expect, ...] = EXPECTED, files: dict[str, str] = FILES
) -> set[Row]:
    rows: set[Row] = set()
    for e in expected:
        if e.needle is None:
            rows.add((e.rule_id, e.path, *WHOLE_ITEM))
        else:
            rows.add((e.rule_id, e.path, *position(files[e.path], e.needle, e.occurrence)))
    return rows


def expected_end_column(e: Expect, files: dict[str, str] = FILES) -> int:
    """End column (exclusive) of a finding whose span is exactly its needle."""
    assert e.needle is not None
    return position(files[e.path], e.needle, e.occurrence)[1] + len(e.needle)


# -- building trees ------------------------------------------------------------------


def write_files(root: Path, files: dict[str, str], binary: dict[str, bytes] | None = None) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    for name, data in (binary or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def make_tree(base: Path, name: str = "project") -> Path:
    """The fixture project under base/name, with a symbolic link to base/outside.txt."""
    root = base / name
    root.mkdir(parents=True)
    write_files(root, FILES, BINARY_FILES)
    outside = base / "outside.txt"
    outside.write_text(OUTSIDE_TEXT, encoding="utf-8")
    (root / SYMLINK).symlink_to(outside)
    return root


def make_zip(root: Path, dest: Path) -> Path:
    """The tree as a zip; its symbolic link stays a link entry (as `zip -y` stores it)."""
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(root.rglob("*")):
            arcname = path.relative_to(root).as_posix()
            if path.is_symlink():
                info = zipfile.ZipInfo(arcname)
                info.create_system = 3
                info.external_attr = (0o120777 << 16) | 0
                zf.writestr(info, os.readlink(path))
            elif path.is_file():
                zf.write(path, arcname)
    return dest


def make_tar(root: Path, dest: Path) -> Path:
    """The tree as a .tar.gz; tarfile keeps the symbolic link as a link member."""
    with tarfile.open(dest, "w:gz") as tf:
        for path in sorted(root.rglob("*")):
            if path.is_file() or path.is_symlink():
                tf.add(path, path.relative_to(root).as_posix(), recursive=False)
    return dest


def zip_with_entries(dest: Path, entries: dict[str, bytes]) -> Path:
    """A zip whose entry names are taken as given (even '../x' or '/etc/x')."""
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(zipfile.ZipInfo(name), data)
    return dest


def tar_with_members(
    dest: Path, files: dict[str, bytes], symlinks: dict[str, str] | None = None
) -> Path:
    with tarfile.open(dest, "w:gz") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for name, target in (symlinks or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tf.addfile(info)
    return dest


def zip_bomb(dest: Path, megabytes: int, extra: dict[str, bytes] | None = None) -> Path:
    """One entry of `megabytes` MiB of zeros, written streaming (deflates about 1000:1)."""
    chunk = bytes(1024 * 1024)
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
        with zf.open("zeros.bin", "w", force_zip64=True) as out:
            for _ in range(megabytes):
                out.write(chunk)
    return dest


# -- git ----------------------------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(repo),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": AUTHOR_NAME,
        "GIT_AUTHOR_EMAIL": AUTHOR_EMAIL,
        "GIT_COMMITTER_NAME": AUTHOR_NAME,
        "GIT_COMMITTER_EMAIL": AUTHOR_EMAIL,
        "GIT_AUTHOR_DATE": "2024-01-02T03:04:05Z",
        "GIT_COMMITTER_DATE": "2024-01-02T03:04:05Z",
    }
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=30, check=True
    )
    return done.stdout.strip()


GIT_FIRST: dict[str, str] = {
    "app/users.py": f"# bsn: {BSN}\nSUPPORT = '{EMAIL}'\n",
    "app/billing.py": f"IBAN = '{IBAN}'\n",
    "README.md": "# repo\n",
}
GIT_SECOND: dict[str, str] = {
    "app/billing.py": f"IBAN = '{IBAN}'\nCALL = '{PHONE}'\n",  # changed
    "app/keys.py": f"KEY = '{AWS_KEY_ID}'\n",  # added
}
GIT_FEATURE: dict[str, str] = {"app/feature.py": f"CONTACT = '{EMAIL}'\n"}
GIT_UNTRACKED: dict[str, str] = {"notes.txt": f"bsn {BSN}\n"}


@dataclass(frozen=True)
class GitRepo:
    path: Path
    first: str  # commit ids
    second: str
    feature: str


def make_git_repo(base: Path, name: str = "repo") -> GitRepo:
    """main: two commits; branch `feature`: one more; the files of GIT_* above."""
    repo = base / name
    repo.mkdir(parents=True)
    git(repo, "init", "--quiet", "--initial-branch=main")
    write_files(repo, GIT_FIRST)
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", "first")
    first = git(repo, "rev-parse", "HEAD")
    write_files(repo, GIT_SECOND)
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", "second")
    second = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "--quiet", "-b", "feature")
    write_files(repo, GIT_FEATURE)
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", "feature")
    feature = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "--quiet", "main")
    return GitRepo(repo, first, second, feature)
