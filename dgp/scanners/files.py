"""Walking a tree of files: what to skip, and reading text safely.

Never follows a symbolic link out of the tree. Skips vendored and generated
folders unless asked, and binary files always.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Version-control metadata is never source, so it is skipped even with include_vendored
# (its logs name every committer).
VCS_DIRS = frozenset({".git", ".hg", ".svn"})
VENDORED_DIRS = frozenset(
    {
        *VCS_DIRS,
        "node_modules",
        "bower_components",
        "vendor",
        "third_party",
        "third-party",
        "Pods",
        ".venv",
        "venv",
        "env",
        ".tox",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "site-packages",
        "dist",
        "build",
        "target",
        ".next",
        ".nuxt",
        "coverage",
        ".gradle",
        ".idea",
        ".terraform",
    }
)
GENERATED_NAMES = frozenset(
    {
        "package-lock.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "poetry.lock",
        "Pipfile.lock",
        "go.sum",
        "Cargo.lock",
        "composer.lock",
        "Gemfile.lock",
    }
)
GENERATED_SUFFIXES = (".min.js", ".min.css", ".map", ".pyc", ".pyo", ".class", ".o", ".so")


@dataclass(frozen=True)
class TreeEntry:
    path: Path  # on disk
    relative: str  # as shown in findings, with forward slashes
    size: int


@dataclass(frozen=True)
class Skipped:
    relative: str
    reason: str


def walk(root: Path, *, include_vendored: bool = False) -> Iterator[TreeEntry | Skipped]:
    """Regular files below `root` in a stable order, and what was passed over and why.

    Depth first, names sorted: a folder's files, then its sub-folders one by one.
    One directory read per folder and at most one stat per file (os.scandir keeps
    what the directory listing already says), so listing costs little next to reading.
    """
    root = root.resolve()
    folders = [(root, "")]  # and its path relative to the root, as shown ("src/app/")
    while folders:
        here, shown = folders.pop()
        try:
            with os.scandir(here) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as e:  # unreadable: said, like an unreadable file
            why = e.strerror or type(e).__name__
            yield Skipped(shown.rstrip("/") or ".", f"cannot read folder: {why}")
            continue
        subfolders = []
        for entry in entries:
            relative = shown + entry.name
            if _is_folder(entry):
                if entry.is_symlink():
                    yield Skipped(relative, "symbolic link to a folder")
                elif entry.name not in VCS_DIRS and (
                    include_vendored or entry.name not in VENDORED_DIRS
                ):
                    subfolders.append((Path(entry.path), relative + "/"))
                continue
            found = _file(root, entry, relative, include_vendored)
            if found is not None:
                yield found
        folders.extend(reversed(subfolders))


def _is_folder(entry: os.DirEntry[str]) -> bool:
    """A folder, or a link to one; a link that loops is not (it is reported as a file)."""
    try:
        return entry.is_dir(follow_symlinks=True)
    except OSError:
        return False


def _file(
    root: Path, entry: os.DirEntry[str], relative: str, include_vendored: bool
) -> TreeEntry | Skipped | None:
    if entry.is_symlink():
        try:
            target = Path(entry.path).resolve()
        except (OSError, RuntimeError):  # a loop (RuntimeError before Python 3.13)
            return Skipped(relative, "symbolic link that does not resolve (loop)")
        if not target.is_relative_to(root):
            return Skipped(relative, "symbolic link out of the tree")
        return None  # a link inside the tree: its target is scanned where it is
    name = entry.name
    if not include_vendored and (name in GENERATED_NAMES or name.endswith(GENERATED_SUFFIXES)):
        return None
    try:
        if not entry.is_file(follow_symlinks=False):
            return None  # a device, socket or pipe
        size = entry.stat(follow_symlinks=False).st_size
    except OSError as e:
        return Skipped(relative, f"cannot read: {e.strerror}")
    return TreeEntry(Path(entry.path), relative, size)
