"""Account commands: `dgp user create`, `dgp user unlock` and `dgp token create`.

There are no default accounts: the first admin is made here (or by the Ansible
playbook, which runs this). A password is never a command-line argument (it would
show in `ps` and in shell history): it is read from standard input, or prompted
for twice on a terminal. A token is printed once, alone on standard output, so a
script can capture it; only its hash is stored.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from dgp.plumbing.settings import SettingsError, load_settings
from dgp.plumbing.store import (
    ROLE_SCOPES,
    ROLES,
    SCOPES,
    ScanStore,
    StoreUnavailable,
    UserExists,
    UserStore,
)

DEFAULT_ROLE = "viewer"  # least privilege unless told otherwise


class CommandError(Exception):
    """A problem the user can fix; printed without a traceback."""


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    user = sub.add_parser("user", help="manage user accounts")
    user_sub = user.add_subparsers(dest="user_command", required=True, metavar="COMMAND")
    create = user_sub.add_parser(
        "create",
        help="create a user; the password is read from stdin or prompted for twice",
    )
    create.add_argument("--org", required=True, help="the organisation's name")
    create.add_argument("--email", required=True)
    role = create.add_mutually_exclusive_group()
    role.add_argument("--admin", action="store_const", const="admin", dest="role")
    role.add_argument("--role", choices=ROLES, help=f"default {DEFAULT_ROLE}")
    create.add_argument(
        "--create-org", action="store_true", help="create the organisation if it does not exist"
    )
    create.set_defaults(run=run_user_create)
    unlock = user_sub.add_parser(
        "unlock", help="clear the delays that failed sign-ins put on an account"
    )
    unlock.add_argument("--email", required=True, help="in every organisation it has")
    unlock.set_defaults(run=run_user_unlock)

    token = sub.add_parser("token", help="manage API tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True, metavar="COMMAND")
    make = token_sub.add_parser("create", help="create an API token and print it once")
    make.add_argument("--email", required=True, help="the user the token acts as")
    make.add_argument("--org", help="the user's organisation (when the address has several)")
    make.add_argument("--name", required=True, help="what the token is for")
    make.add_argument(
        "--scope",
        action="append",
        choices=SCOPES,
        dest="scopes",
        help="repeat for several (default: everything the user's role allows)",
    )
    make.set_defaults(run=run_token_create)


def run_user_create(args: argparse.Namespace) -> int:
    return report_errors("dgp user create", lambda: _create_user(args))


def run_user_unlock(args: argparse.Namespace) -> int:
    return report_errors("dgp user unlock", lambda: _unlock_user(args))


def run_token_create(args: argparse.Namespace) -> int:
    return report_errors("dgp token create", lambda: _create_token(args))


def report_errors(name: str, action: Callable[[], int | None]) -> int:
    """Run a command's `action` (its exit code, None for 0); a problem the user can fix
    is one line on stderr, without a traceback."""
    try:
        return action() or 0
    except (SettingsError, StoreUnavailable, CommandError, ValueError) as e:
        print(f"{name}: error: {e}", file=sys.stderr)
        return 1 if isinstance(e, UserExists) else 2


def _stores() -> tuple[ScanStore, UserStore]:
    from dgp.plumbing.connections import connect  # (here: redis costs every dgp command 0.25 s)

    connections = connect(load_settings(), maxconn=2)
    return connections.store, UserStore(connections.database)


def _create_user(args: argparse.Namespace) -> None:
    role = args.role or DEFAULT_ROLE
    password = read_password()
    store, users = _stores()
    org = store.find_organisation(args.org)
    if org is None:
        if not args.create_org:
            raise CommandError(f"no organisation {args.org!r} (add --create-org to create it)")
        org = store.create_organisation(args.org)
        store.audit(org, None, "organisation.created", "organisation", org, {"via": "cli"})
    user = users.create_user(org, args.email, password, role)
    store.audit(org, None, "user.created", "user", user.id, {"role": role, "via": "cli"})
    print(f"created {role} {user.id} in organisation {args.org}")


def _unlock_user(args: argparse.Namespace) -> None:
    from dgp.plumbing.connections import connect
    from dgp.plumbing.login_throttle import LoginThrottle

    settings = load_settings()
    connections = connect(settings, maxconn=1)
    throttle = LoginThrottle(connections.queue.redis, settings.key_prefix, settings.hash_key)
    cleared = throttle.unlock(args.email)
    user = UserStore(connections.database).find_user(args.email)
    if user is not None:  # audited where the account is known to be one
        connections.store.audit(
            user.organisation_id, None, "user.unlocked", "user", user.id, {"via": "cli"}
        )
    print(f"cleared the sign-in delays of {cleared} client(s) for this address")


def _create_token(args: argparse.Namespace) -> None:
    store, users = _stores()
    user = users.find_user(args.email, args.org)
    if user is None or user.disabled:
        raise CommandError("no such enabled user (give --org when the address has several)")
    scopes = set(args.scopes or ROLE_SCOPES[user.role])
    beyond = sorted(scopes - ROLE_SCOPES[user.role])
    if beyond:
        raise CommandError(f"a {user.role} cannot have {', '.join(beyond)}")
    token_id, plaintext = users.create_token(user, args.name, scopes)
    store.audit(
        user.organisation_id,
        user.id,
        "token.created",
        "token",
        token_id,
        {"scopes": sorted(scopes), "via": "cli"},
    )
    print(f"token {token_id} ({', '.join(sorted(scopes))}); it is shown only now:", file=sys.stderr)
    print(plaintext)


def read_password(what: str = "password") -> str:
    """From a terminal: prompted twice. Otherwise the first line of standard input."""
    if sys.stdin.isatty():
        first = getpass.getpass(f"{what.capitalize()}: ")
        if getpass.getpass(f"{what.capitalize()} again: ") != first:
            raise CommandError(f"the {what}s differ")
        return first
    line = sys.stdin.readline()
    password = line[:-1] if line.endswith("\n") else line
    if not password:
        raise CommandError(f"no {what} on standard input")
    return password
