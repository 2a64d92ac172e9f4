"""The `dgp` command. Each subcommand is a module with `add_parser` and `run`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from dgp import __version__
from dgp.cli import (
    accounts,
    client,
    credentials,
    kinds,
    rules,
    scan,
    serve,
    service,
    settings,
)

COMMANDS = (scan, rules, kinds, service, accounts, credentials, client, serve, settings)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dgp", description="DataGuardian Pro: find personal data and privacy problems."
    )
    parser.add_argument("--version", action="version", version=f"dgp {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        print("dgp: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
