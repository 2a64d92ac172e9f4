"""Credentials at rest: the Secret that never shows itself, AES-GCM sealing bound to its
row, clear errors for a wrong or missing key, rotation, and the keys' settings."""

from __future__ import annotations

import base64
import copy
import json
import logging
import pickle
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from dgp.domain.credential import (
    Credential,
    CredentialKind,
    Secret,
    check_name,
    check_secret,
    scrubbed,
)
from dgp.domain.job import ScanInputs
from dgp.plumbing.credential_cipher import (
    Binding,
    CredentialCipher,
    CredentialUnreadable,
    KeyNotConfigured,
    Sealed,
    key_id,
)
from dgp.plumbing.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]
SECRET = "ghp_s3cr3tTokenValue0123456789abcdefABCD"
KEY_A = bytes(range(32))
KEY_B = bytes(range(32, 64))
ORG = "6f1c1c1e-0000-4000-8000-000000000001"
OTHER_ORG = "6f1c1c1e-0000-4000-8000-000000000002"
ROW = "0b7f2a4e-0000-4000-8000-00000000000a"
OTHER_ROW = "0b7f2a4e-0000-4000-8000-00000000000b"
HERE = Binding(ROW, ORG, CredentialKind.GIT_TOKEN)


def credential() -> Credential:
    return Credential(ROW, "ci token", CredentialKind.GIT_TOKEN, Secret(SECRET))


# -- the Secret and the Credential ---------------------------------------------------


def test_a_secret_shows_itself_nowhere(caplog: pytest.LogCaptureFixture) -> None:
    item = credential()
    inputs = ScanInputs(b"k" * 32, credential=item)
    shown = [
        repr(item.secret),
        str(item.secret),
        f"{item.secret}",
        f"{item.secret!r:>60}",
        "%s %r" % (item.secret, item.secret),  # noqa: UP031 - the logging style
        repr(item),
        str(item),
        repr(inputs),
        json.dumps(item.to_dict()),
    ]
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("dgp.test").info("using %s for %r", item, inputs)
    shown += [r.getMessage() for r in caplog.records]
    assert all(SECRET not in text for text in shown), shown
    assert item.secret.reveal() == SECRET


def test_a_secret_is_not_serialised_by_accident() -> None:
    secret = Secret(SECRET)
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    with pytest.raises(TypeError):
        pickle.dumps(credential())
    with pytest.raises(TypeError):
        json.dumps({"secret": secret})
    assert copy.deepcopy(secret) is secret  # immutable: no second copy made
    assert Secret("a") == Secret("a") and Secret("a") != Secret("b")
    assert hash(Secret("a")) == hash(Secret("b"))  # the hash tells nothing about the value
    assert secret.scrub(f"git: fatal: auth failed for {SECRET}@host") == (
        "git: fatal: auth failed for [credential]@host"
    )


def test_basic_auth_splits_at_the_first_colon() -> None:
    item = Credential(ROW, "site", CredentialKind.BASIC_AUTH, Secret("jan:pa:ss"))
    user, password = item.basic_auth()
    assert (user, password.reveal()) == ("jan", "pa:ss")
    with pytest.raises(ValueError, match="not basic_auth"):
        credential().basic_auth()
    with pytest.raises(ValueError, match="user:password"):
        replace(item, secret=Secret("no colon")).basic_auth()


def test_scrubbing_removes_the_secret_and_a_basic_auth_password_alone() -> None:
    item = Credential(ROW, "site", CredentialKind.BASIC_AUTH, Secret("jan:hunter2hunter2"))
    text = {"a": ["login jan:hunter2hunter2", "pw hunter2hunter2"], "n": 3, "user": "jan"}
    assert scrubbed(text, item) == {
        "a": ["login [credential]", "pw [credential]"],
        "n": 3,
        "user": "jan",  # the user name is not secret
    }
    assert credential().scrub(f"x{SECRET}y") == "x[credential]y"


@pytest.mark.parametrize("bad", ["", "x" * 16385, "a\x00b"])
def test_bad_secrets_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        check_secret(bad)


@pytest.mark.parametrize("bad", ["", "  ", "x" * 201, "two\nlines"])
def test_bad_names_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="name"):
        check_name(bad)


def test_unknown_kind_names_the_known_ones() -> None:
    assert CredentialKind.parse(" API_token ") is CredentialKind.API_TOKEN
    with pytest.raises(ValueError, match="database_password, api_token, git_token, basic_auth"):
        CredentialKind.parse("ssh_key")


# -- sealing -------------------------------------------------------------------------


def test_round_trip_with_a_fresh_nonce_each_time() -> None:
    cipher = CredentialCipher(KEY_A)
    first, second = cipher.seal(SECRET, HERE), cipher.seal(SECRET, HERE)
    assert cipher.open(first, HERE) == SECRET == cipher.open(second, HERE)
    assert first.nonce != second.nonce and first.ciphertext != second.ciphertext
    assert len(first.nonce) == 12 and len(first.ciphertext) == len(SECRET.encode()) + 16
    assert SECRET.encode() not in first.ciphertext
    assert first.key_id == key_id(KEY_A) == cipher.current_key_id
    assert cipher.open(cipher.seal("zeg 'ünïcode' €", HERE), HERE) == "zeg 'ünïcode' €"


def test_a_tampered_value_does_not_decrypt() -> None:
    cipher = CredentialCipher(KEY_A)
    sealed = cipher.seal(SECRET, HERE)
    flipped = bytes([sealed.ciphertext[0] ^ 1]) + sealed.ciphertext[1:]
    for bad in (
        replace(sealed, ciphertext=flipped),
        replace(sealed, ciphertext=sealed.ciphertext[:-1]),
        replace(sealed, nonce=bytes(12)),
        replace(sealed, nonce=b"short"),
    ):
        with pytest.raises(CredentialUnreadable, match=f"credential {ROW} does not decrypt"):
            cipher.open(bad, HERE)


@pytest.mark.parametrize(
    "elsewhere",
    [
        Binding(OTHER_ROW, ORG, CredentialKind.GIT_TOKEN),  # copied into another row
        Binding(ROW, OTHER_ORG, CredentialKind.GIT_TOKEN),  # or another organisation
        Binding(ROW, ORG, CredentialKind.API_TOKEN),  # or its kind changed
    ],
)
def test_a_value_moved_to_another_row_or_organisation_does_not_decrypt(
    elsewhere: Binding,
) -> None:
    cipher = CredentialCipher(KEY_A)
    sealed = cipher.seal(SECRET, HERE)
    with pytest.raises(CredentialUnreadable, match="altered or moved"):
        cipher.open(sealed, elsewhere)


def test_a_wrong_key_is_a_clear_error_naming_the_key_id() -> None:
    sealed = CredentialCipher(KEY_A).seal(SECRET, HERE)
    with pytest.raises(KeyNotConfigured) as raised:
        CredentialCipher(KEY_B).open(sealed, HERE)
    message = str(raised.value)
    assert key_id(KEY_A) in message and ROW in message and "credentials_old_keys" in message
    assert key_id(KEY_B) in message  # what this host has instead
    assert SECRET not in message and KEY_A.hex() not in message


def test_no_key_refuses_to_seal_and_names_the_setting() -> None:
    cipher = CredentialCipher(None)
    assert cipher.current_key_id is None
    with pytest.raises(KeyNotConfigured, match="no credentials_key is set"):
        cipher.seal(SECRET, HERE)
    sealed = CredentialCipher(KEY_A).seal(SECRET, HERE)
    with pytest.raises(KeyNotConfigured, match="this host has: none"):
        cipher.open(sealed, HERE)


def test_rotation_opens_with_the_old_key_and_seals_with_the_new() -> None:
    old = CredentialCipher(KEY_A).seal(SECRET, HERE)
    rotated = CredentialCipher(KEY_B, old=[KEY_A])
    assert rotated.needs_reseal(old)
    assert rotated.open(old, HERE) == SECRET
    new = rotated.seal(rotated.open(old, HERE), HERE)
    assert new.key_id == key_id(KEY_B) and not rotated.needs_reseal(new)
    assert CredentialCipher(KEY_B).open(new, HERE) == SECRET  # the old key can go now
    assert rotated.key_ids == {key_id(KEY_A), key_id(KEY_B)}


def test_key_ids_are_stable_and_distinct() -> None:
    assert key_id(KEY_A) == key_id(bytes(range(32)))
    assert key_id(KEY_A) != key_id(KEY_B)
    assert len(key_id(KEY_A)) == 16 and KEY_A.hex()[:16] != key_id(KEY_A)
    with pytest.raises(ValueError, match="32 bytes"):
        CredentialCipher(b"short")
    assert isinstance(CredentialCipher(KEY_A).seal("x", HERE), Sealed)


def test_cryptography_is_loaded_only_when_a_key_is_used() -> None:
    """Every `dgp` process imports the worker and the store; only sealing or opening a
    value may load cryptography's native part (7 MiB)."""
    probe = (
        "import sys, dgp.cli, dgp.plumbing.janitor, dgp.plumbing.worker, dgp.apps.web.app\n"
        "from dgp.plumbing.credential_cipher import Binding, CredentialCipher\n"
        "from dgp.domain.credential import CredentialKind\n"
        "native = 'cryptography.hazmat.bindings._rust'\n"
        "cipher = CredentialCipher(bytes(32))\n"
        "before = native in sys.modules\n"
        "cipher.seal('x', Binding('i', 'o', CredentialKind.API_TOKEN))\n"
        "print(before, native in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.split()
    assert out == ["False", "True"]


# -- settings ------------------------------------------------------------------------


def settings_env(tmp_path: Path, secrets: str, **extra: str) -> dict[str, str]:
    (tmp_path / "secrets.conf").write_text(f"[secrets]\nhash_key = {'ab' * 32}\n{secrets}")
    return {
        "DGP_CONFIG": str(tmp_path / "none.conf"),
        "DGP_SECRETS": str(tmp_path / "secrets.conf"),
        **extra,
    }


def test_keys_are_read_as_hex_or_base64(tmp_path: Path) -> None:
    b64 = base64.b64encode(KEY_A).decode()
    urlsafe = base64.urlsafe_b64encode(KEY_B).decode()
    settings = load_settings(
        settings_env(
            tmp_path,
            f"credentials_key = {b64}\ncredentials_old_keys = {KEY_B.hex()}, {urlsafe}\n",
        )
    )
    assert settings.credentials_key == KEY_A
    assert settings.credentials_old_keys == (KEY_B, KEY_B)
    assert b64 not in repr(settings)
    env = settings_env(tmp_path, "", DGP_CREDENTIALS_KEY=KEY_B.hex())
    assert load_settings(env).credentials_key == KEY_B
    unset = load_settings(settings_env(tmp_path, "credentials_key =\n"))
    assert unset.credentials_key is None and unset.credentials_old_keys == ()
    assert CredentialCipher.from_settings(settings).current_key_id == key_id(KEY_A)


@pytest.mark.parametrize(
    "line,message",
    [
        ("credentials_key = abcd", "credentials_key from .*secrets.conf: a credentials key is 32"),
        (f"credentials_key = {'ab' * 31}", "credentials_key from"),
        ("credentials_key = not base64 at all!", "openssl rand -base64 32"),
        (f"credentials_old_keys = {KEY_A.hex()}, nope", "credentials_old_keys from"),
    ],
)
def test_malformed_keys_name_the_setting(tmp_path: Path, line: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message) as raised:
        load_settings(settings_env(tmp_path, line + "\n"))
    assert KEY_A.hex() not in str(raised.value)


def test_the_key_belongs_in_the_secrets_file(tmp_path: Path) -> None:
    env = settings_env(tmp_path, "")
    conf = tmp_path / "dataguardian.conf"
    conf.write_text(f"[dataguardian]\ncredentials_key = {KEY_A.hex()}\n")
    with pytest.raises(SettingsError, match="belongs in the secrets file"):
        load_settings({**env, "DGP_CONFIG": str(conf)})
