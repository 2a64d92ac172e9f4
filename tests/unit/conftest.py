"""Unit tier fixtures: no real key file and the code fixture tree.

Every unit test runs with DGP_HASH_KEY set to a test key and XDG_CONFIG_HOME in its
own folder, so none reads or makes the user's ~/.config/dataguardian/hash.key (child
processes inherit both).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import codefixtures as fx

TEST_KEY_HEX = "00" * 32


@pytest.fixture(autouse=True)
def _no_real_key_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DGP_HASH_KEY", TEST_KEY_HEX)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The code fixture project (tests/codefixtures.py), made once per module."""
    return fx.make_tree(tmp_path_factory.mktemp("tree"))
