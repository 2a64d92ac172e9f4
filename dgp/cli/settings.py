"""`dgp settings check [FILE] [--secrets]`: would the services accept this configuration?

With FILE, checks that one file as the services would load it (dataguardian.conf, or
secrets.conf with --secrets): the Ansible role runs it on each template before the
file replaces the one in /etc/dataguardian, so a bad file never reaches a restart.
Without FILE, loads the settings exactly as a service would start with them (both
files and the DGP_* environment). Exit 0, or 2 with the bad setting named on stderr;
values are never printed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dgp.plumbing.settings import SettingsError, check_file, load_settings


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("settings", help="check the service configuration")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser(
        "check", help="check a dataguardian.conf (or with --secrets a secrets.conf)"
    )
    check.add_argument(
        "file", nargs="?", type=Path, help="the file (default: what a service would load)"
    )
    check.add_argument(
        "--secrets", action="store_true", help="FILE is a secrets file ([secrets], hash_key)"
    )
    check.set_defaults(run=run_check)


def run_check(args: argparse.Namespace) -> int:
    try:
        if args.file is None:
            if args.secrets:
                raise SettingsError("--secrets needs the FILE to check")
            load_settings()
            print("ok: the settings a service would start with")
        else:
            names = check_file(args.file, secrets=args.secrets)
            print(f"ok: {args.file}: {', '.join(names) or 'no settings (every default)'}")
    except SettingsError as e:
        print(f"dgp settings check: error: {e}", file=sys.stderr)
        return 2
    return 0
