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
    """Regular files below `root` in a stable order, and what was passed over and why."""
    root = root.resolve()
    unreadable: list[OSError] = []  # folders os.walk could not list, in the order it met them
    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable.append, followlinks=False):
        yield from _unreadable_folders(root, unreadable)
        here = Path(dirpath)
        kept = []
        for d in sorted(dirnames):
            if (here / d).is_symlink():
                yield Skipped(_rel(root, here / d), "symbolic link to a folder")
            elif d in VCS_DIRS or (not include_vendored and d in VENDORED_DIRS):
                continue
            else:
                kept.append(d)
        dirnames[:] = kept
        for name in sorted(filenames):
            path = here / name
            relative = _rel(root, path)
            if path.is_symlink():
                try:
                    target = path.resolve()
                except (OSError, RuntimeError):  # a loop (RuntimeError before Python 3.13)
                    yield Skipped(relative, "symbolic link that does not resolve (loop)")
                    continue
                if not target.is_relative_to(root):
                    yield Skipped(relative, "symbolic link out of the tree")
                continue  # a link inside the tree: its target is scanned where it is
            if not include_vendored and (
                name in GENERATED_NAMES or name.endswith(GENERATED_SUFFIXES)
            ):
                continue
            try:
                st = path.stat()
            except OSError as e:
                yield Skipped(relative, f"cannot read: {e.strerror}")
                continue
            if not path.is_file():
                continue
            yield TreeEntry(path, relative, st.st_size)
    yield from _unreadable_folders(root, unreadable)


def _unreadable_folders(root: Path, errors: list[OSError]) -> Iterator[Skipped]:
    """A folder that cannot be listed is reported like a file that cannot be read: the
    report must not look complete when a part of the tree was never seen."""
    while errors:
        e = errors.pop(0)
        where = Path(e.filename) if e.filename else root
        yield Skipped(_rel(root, where), f"cannot read folder: {e.strerror or type(e).__name__}")


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()
