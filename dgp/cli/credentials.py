"""`dgp credentials add|list|delete|rotate-key`: the operator's side of stored credentials.

A secret is never a command-line argument (it would show in `ps` and in shell
history): it is read from a file (--secret-file), an environment variable
(--secret-env), a prompt on a terminal (twice), or the first line of standard
input. Nothing prints it back. `rotate-key` re-encrypts every credential with the
current `credentials_key` after a new key was set and the old one moved to
`credentials_old_keys` (README.md, "Credentials", says how, step by step).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dgp.cli.accounts import CommandError, read_password, report_errors
from dgp.domain.credential import CredentialKind
from dgp.plumbing.credential_cipher import CredentialCipher
from dgp.plumbing.settings import load_settings
from dgp.plumbing.store import ScanStore
from dgp.plumbing.store.credentials import ROTATE_BATCH, CredentialStore

EXIT_UNREADABLE = 1  # rotate-key: some rows could not be read (the others were done)


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    credentials = sub.add_parser("credentials", help="credentials that scans use, encrypted")
    commands = credentials.add_subparsers(
        dest="credentials_command", required=True, metavar="COMMAND"
    )
    add = commands.add_parser(
        "add",
        help="store a credential; the secret comes from --secret-file, --secret-env, "
        "a prompt or stdin, never from the command line",
    )
    add.add_argument("--org", required=True, help="the organisation's name")
    add.add_argument("--name", required=True, help="what the credential is for")
    add.add_argument("--kind", required=True, choices=[k.value for k in CredentialKind])
    source = add.add_mutually_exclusive_group()
    source.add_argument("--secret-file", type=Path, help="read the secret from this file")
    source.add_argument("--secret-env", metavar="VARIABLE", help="read it from this variable")
    add.set_defaults(run=lambda args: report_errors("dgp credentials add", lambda: _add(args)))

    listing = commands.add_parser("list", help="an organisation's credentials (no values)")
    listing.add_argument("--org", required=True, help="the organisation's name")
    listing.set_defaults(
        run=lambda args: report_errors("dgp credentials list", lambda: _list(args))
    )

    delete = commands.add_parser(
        "delete", help="delete a credential; queued and running scans that use it are cancelled"
    )
    delete.add_argument("--org", required=True, help="the organisation's name")
    delete.add_argument("id")
    delete.set_defaults(
        run=lambda args: report_errors("dgp credentials delete", lambda: _delete(args))
    )

    rotate = commands.add_parser(
        "rotate-key",
        help="re-encrypt every credential with the current credentials_key (safe to rerun)",
    )
    rotate.add_argument(
        "--batch", type=int, default=ROTATE_BATCH, help=f"rows per transaction ({ROTATE_BATCH})"
    )
    rotate.set_defaults(
        run=lambda args: report_errors("dgp credentials rotate-key", lambda: _rotate(args))
    )


def stores() -> tuple[ScanStore, CredentialStore]:
    from dgp.plumbing.connections import connect  # (here: see accounts._stores)

    settings = load_settings()
    connections = connect(settings, maxconn=2)
    cipher = CredentialCipher.from_settings(settings)
    return connections.store, CredentialStore(connections.database, cipher)


def organisation_id(store: ScanStore, name: str) -> str:
    org = store.find_organisation(name)
    if org is None:
        raise CommandError(f"no organisation {name!r}")
    return org


def read_secret(args: argparse.Namespace) -> str:
    """The secret from --secret-file, --secret-env, a prompt or standard input."""
    if args.secret_file is not None:
        try:
            text = args.secret_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise CommandError(f"cannot read {args.secret_file}: {e}") from None
        return text.removesuffix("\n").removesuffix("\r")  # an editor's final newline
    if args.secret_env is not None:
        value = os.environ.get(args.secret_env, "")
        if not value:
            raise CommandError(f"the environment variable {args.secret_env} is not set")
        return value
    return read_password("secret")


def _add(args: argparse.Namespace) -> None:
    secret = read_secret(args)
    store, credentials = stores()
    org = organisation_id(store, args.org)
    made = credentials.create(org, args.name, args.kind, secret)
    details = {"name": made.name, "kind": made.kind.value, "via": "cli"}
    store.audit(org, None, "credential.created", "credential", made.id, details)
    print(made.id)  # alone on stdout, for scripts
    print(f"stored {made.kind} credential {made.name!r} with key {made.key_id}", file=sys.stderr)


def _list(args: argparse.Namespace) -> None:
    store, credentials = stores()
    for item in credentials.list(organisation_id(store, args.org)):
        used = item.last_used_at.isoformat(timespec="seconds") if item.last_used_at else "never"
        created = item.created_at.isoformat(timespec="seconds")
        print(
            f"{item.id}  {item.kind:<17}  key {item.key_id}  created {created}  "
            f"used {used}  {item.name}"
        )


def _delete(args: argparse.Namespace) -> None:
    store, credentials = stores()
    org = organisation_id(store, args.org)
    forget = load_settings().delete_uploads_after_scan
    cancelled = credentials.delete(org, args.id, forget_uploads=forget)
    if cancelled is None:
        raise CommandError(f"no credential {args.id} in organisation {args.org!r}")
    details = {"cancelled_scans": cancelled, "via": "cli"}
    store.audit(org, None, "credential.deleted", "credential", args.id, details)
    print(f"deleted {args.id}; {cancelled} queued or running scans that used it were cancelled")


def _rotate(args: argparse.Namespace) -> int:
    store, credentials = stores()
    report = credentials.rotate(batch=args.batch)
    for org, count in sorted(report.resealed.items()):
        details = {"resealed": count, "key_id": report.key_id, "via": "cli"}
        store.audit(org, None, "credentials.rotated", None, None, details)
    resealed = sum(report.resealed.values())
    print(
        f"re-encrypted {resealed} credentials with key {report.key_id}; "
        f"{report.current} were under it already"
    )
    for problem in report.unreadable:
        print(f"dgp credentials rotate-key: {problem}", file=sys.stderr)
    keys = credentials.count_by_key()
    print("credentials per key: " + (", ".join(f"{k} {n}" for k, n in keys.items()) or "none"))
    if report.unreadable:
        print(
            f"{len(report.unreadable)} credentials could not be read and keep their old key: "
            "add the key they need to credentials_old_keys and run this again, or delete them",
            file=sys.stderr,
        )
        return EXIT_UNREADABLE
    print("every credential is under the current key: credentials_old_keys can be emptied")
    return 0
