"""Service settings: files, secrets file, DGP_* overrides, clear errors."""

from pathlib import Path

import pytest

from dgp.plumbing.settings import SettingsError, load_settings

KEY = "ab" * 32


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def env_for(tmp_path: Path, conf: str = "", secrets: str = "", **extra: str) -> dict[str, str]:
    return {
        "DGP_CONFIG": str(write(tmp_path, "dataguardian.conf", conf)),
        "DGP_SECRETS": str(write(tmp_path, "secrets.conf", secrets)),
        **extra,
    }


def test_files_then_environment(tmp_path: Path) -> None:
    env = env_for(
        tmp_path,
        "[dataguardian]\nredis_url = redis://r:6379/1\nmax_deliveries = 5\n"
        "delete_uploads_after_scan = no\n",
        f"[secrets]\nhash_key = {KEY}\ndatabase_password = s3cret\n",
        DGP_MAX_DELIVERIES="7",
    )
    settings = load_settings(env)
    assert settings.redis_url == "redis://r:6379/1"
    assert settings.max_deliveries == 7  # the environment wins
    assert settings.delete_uploads_after_scan is False
    assert settings.hash_key == bytes.fromhex(KEY)
    assert settings.database_password == "s3cret"
    assert "s3cret" not in repr(settings) and KEY not in repr(settings)


def test_defaults_with_only_a_key(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "DGP_CONFIG": str(tmp_path / "none"),
            "DGP_HASH_KEY": KEY,
            "DGP_SECRETS": str(tmp_path / "none"),
        }
    )
    assert settings.database_url == "postgresql:///dataguardian"
    assert settings.max_deliveries == 3


@pytest.mark.parametrize(
    "conf,secrets,extra,message",
    [
        ("", "", {}, "hash_key is not set"),
        ("", "[secrets]\nhash_key = zz\n", {}, "must be hexadecimal"),
        (f"[dataguardian]\nhash_key = {KEY}\n", "", {}, "belongs in the secrets file"),
        (
            "[dataguardian]\nmax_deliveries = many\n",
            f"[secrets]\nhash_key = {KEY}\n",
            {},
            "max_deliveries from",
        ),
        (
            "[dataguardian]\nreddis_url = x\n",
            f"[secrets]\nhash_key = {KEY}\n",
            {},
            "unknown setting 'reddis_url'",
        ),
        (
            "",
            "",
            {"DGP_HASH_KEY": KEY, "DGP_DELETE_UPLOADS_AFTER_SCAN": "maybe"},
            "not a yes/no value",
        ),
    ],
)
def test_errors_name_the_setting(
    tmp_path: Path, conf: str, secrets: str, extra: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(env_for(tmp_path, conf, secrets, **extra))


def test_scanner_apps_names_the_kinds_whose_app_runs_here(tmp_path: Path) -> None:
    kinds = ["document", "code", "image"]
    for value, expected in (
        ("all", ["code", "document", "image"]),
        ("code, document", ["code", "document"]),
        ("none", []),
        ("", []),
    ):
        env = {"DGP_CONFIG": "/nonexistent", "DGP_HASH_KEY": "ab" * 32, "DGP_SCANNER_APPS": value}
        assert load_settings(env).local_scanner_apps(kinds) == expected


def test_artefact_limits_and_retention_are_checked(tmp_path: Path) -> None:
    base = {"DGP_CONFIG": "/nonexistent", "DGP_SECRETS": "/nonexistent", "DGP_HASH_KEY": KEY}
    settings = load_settings(base)
    assert settings.artefact_max_bytes == 64 * 1024 * 1024 and settings.retention_days == 365
    assert load_settings({**base, "DGP_RETENTION_DAYS": "0"}).retention_days == 0  # keep all
    for name, value, message in (
        ("ARTEFACT_MAX_BYTES", "0", "artefact_max_bytes must be 1 to 67108864"),
        ("ARTEFACT_MAX_BYTES", str(64 * 1024 * 1024 + 1), "artefact_max_bytes must be 1 to"),
        ("SCAN_ARTEFACTS_MAX_BYTES", "-1", "scan_artefacts_max_bytes must be positive"),
        ("RETENTION_DAYS", "-1", "retention_days must be 0"),
        ("RETENTION_DAYS", "nan", "retention_days must be 0"),
    ):
        with pytest.raises(SettingsError, match=message):
            load_settings({**base, f"DGP_{name}": value})
