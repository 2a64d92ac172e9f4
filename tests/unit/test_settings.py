"""Service settings: files, secrets file, DGP_* overrides, clear errors."""

import re
from pathlib import Path

import pytest

from dgp.cli import main
from dgp.plumbing.settings import SettingsError, load_settings

KEY = "ab" * 32
ROOT = Path(__file__).resolve().parents[2]


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


def test_a_secrets_file_that_does_not_parse_is_named_by_line_never_by_its_text(
    tmp_path: Path,
) -> None:
    """The message goes to the journal: the broken line may be a pasted password."""
    env = env_for(tmp_path, "", f"[secrets]\nhash_key = {KEY}\nTr0ub4dor&3\n")
    with pytest.raises(SettingsError, match="line 3: not `name = value`") as e:
        load_settings(env)
    assert "Tr0ub4dor" not in str(e.value)


# --- dgp settings check ----------------------------------------------------------------

PASSWORD = "s3cret-Tr0ub4dor"  # a value no message may show


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["settings", "check", *args])
    out, err = capsys.readouterr()
    return code, out, err


def postinst_secrets(key: str) -> str:
    """The secrets.conf the package's postinst writes on first install."""
    script = (ROOT / "packaging/debian/postinst").read_text()
    body = re.search(r"<<SECRETS\n(.*?)\nSECRETS\n", script, re.S)
    assert body, "the postinst writes secrets.conf from a <<SECRETS here-document"
    return body[1].replace("$(random_key)", key)


def test_check_accepts_the_files_the_package_ships_and_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conffile = ROOT / "packaging/debian/conf/dataguardian.conf"
    assert check(capsys, str(conffile))[0] == 0
    secrets = write(tmp_path, "secrets.conf", postinst_secrets(KEY))
    code, out, _ = check(capsys, "--secrets", str(secrets))
    assert (code, out.strip()) == (0, f"ok: {secrets}: credentials_key, hash_key")


def test_check_names_what_a_file_sets_and_nothing_of_the_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = write(
        tmp_path,
        "dataguardian.conf",
        "[dataguardian]\nredis_url = redis://r:6379/1\nmax_deliveries = 5\nscanner_apps = none\n",
    )
    assert check(capsys, str(conf)) == (
        0,
        f"ok: {conf}: max_deliveries, redis_url, scanner_apps\n",
        "",
    )
    secrets = write(
        tmp_path, "secrets.conf", f"[secrets]\nhash_key = {KEY}\ndatabase_password = {PASSWORD}\n"
    )
    code, out, err = check(capsys, "--secrets", str(secrets))
    assert code == 0 and "database_password" in out
    assert PASSWORD not in out + err and KEY not in out + err


@pytest.mark.parametrize(
    "text,secrets,message",
    [
        ("[dataguardian]\nreddis_url = x\n", False, "unknown setting 'reddis_url'"),
        ("[dataguardian]\nmax_deliveries = many\n", False, "max_deliveries from .*whole number"),
        ("[dataguardian]\nreclaim_idle_seconds = soon\n", False, "reclaim_idle_seconds from"),
        ("[dataguardian]\nallow_local_sources = sure\n", False, "allow_local_sources from"),
        (f"[dataguardian]\nhash_key = {KEY}\n", False, "hash_key belongs in the secrets file"),
        (f"[dataguardian]\nredis_password = {PASSWORD}\n", False, "redis_password belongs in"),
        ("[dataguardain]\nredis_url = x\n", False, r"unknown section \[dataguardain\]"),
        ("# only comments\n", False, r"no \[dataguardian\] section"),
        ("redis_url = x\n", False, "line 1 comes before any"),
        ("[dataguardian]\nkey_prefix = a\nkey_prefix = b\n", False, "key_prefix is set twice"),
        (f"[secrets]\ndatabase_password = {PASSWORD}\n", True, "hash_key is not set"),
        (f"[secrets]\nhash_key = {PASSWORD}\n", True, "hash_key from .* must be hexadecimal"),
        ("[secrets]\nhash_key = abcd\n", True, "hash_key from .* at least 16 bytes"),
        (f"[secrets]\nhash_key = {KEY}\n{PASSWORD}\n", True, "line 3: not `name = value`"),
        (
            f"[secrets]\nhash_key = {KEY}\nredis_password = a\nredis_password = {PASSWORD}\n",
            True,
            r"redis_password is set twice in \[secrets\]",
        ),
        (f"[secrets]\nhash_key = {KEY}\nreddis_password = {PASSWORD}\n", True, "'reddis_pass"),
        (f"[dataguardian]\nredis_url = x\n[secrets]\nhash_key = {KEY}\n", True, "unknown sec"),
    ],
)
def test_check_refuses_a_bad_file_naming_the_setting_and_never_a_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, secrets: bool, message: str
) -> None:
    path = write(tmp_path, "checked.conf", text)
    code, out, err = check(capsys, *(["--secrets"] if secrets else []), str(path))
    assert (code, out) == (2, "")
    assert re.search(message, err), err
    assert err.startswith("dgp settings check: error: ") and str(path) in err
    assert PASSWORD not in err and KEY not in err


def test_check_refuses_a_missing_or_unreadable_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = check(capsys, str(tmp_path / "none.conf"))
    assert code == 2 and "none.conf: no such file" in err
    latin = tmp_path / "latin.conf"
    latin.write_bytes("[dataguardian]\nkey_prefix = caf\xe9\n".encode("latin-1"))
    code, _, err = check(capsys, str(latin))
    assert code == 2 and "not UTF-8 text" in err


def test_check_without_a_file_loads_what_a_service_would(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env_for(tmp_path, "", f"[secrets]\nhash_key = {KEY}\n").items():
        monkeypatch.setenv(name, value)
    assert check(capsys)[0] == 0
    monkeypatch.setenv("DGP_MAX_DELIVERIES", "many")
    code, _, err = check(capsys)
    assert code == 2 and "max_deliveries from DGP_MAX_DELIVERIES" in err
