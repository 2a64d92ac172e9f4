"""`dgp kinds`: the registered scanner kinds, for people and for build and deploy tools.

`dgp kinds --json` is what debian/rules, the package scripts and the Ansible role read,
so the registry stays the only list of kinds. Also the argparse types that name a kind.
"""

from __future__ import annotations

import argparse
import json

from dgp import kinds


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("kinds", help="list the scanner kinds (--json for tools)")
    p.add_argument("--json", action="store_true", help="every kind's spec as JSON")
    p.add_argument("--names", action="store_true", help="the kind names only, one per line")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.json:
        print(json.dumps([spec.describe() for spec in kinds.specs()], indent=2))
    elif args.names:
        print("\n".join(kinds.names()))
    else:
        for spec in kinds.specs():
            print(f"{spec.name:<10} port {spec.port}  {spec.summary}")
    return 0


def kind_name(value: str) -> str:
    """argparse type: a registered kind."""
    try:
        return kinds.get(value).name
    except kinds.UnknownKind as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def instance_name(value: str) -> str:
    """argparse type: a kind, or KIND-N for one more consumer of it (`website-2`)."""
    try:
        kinds.for_instance(value)
    except kinds.UnknownKind as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return value
