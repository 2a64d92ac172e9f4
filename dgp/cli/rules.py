"""`dgp rules`: every rule id with its severity, description and legal references."""

from __future__ import annotations

import argparse
import json

from dgp import kinds
from dgp.engine.rules import RULES


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("rules", help="list every rule with its severity and legal references")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    kinds.names()  # each kind's spec defines its rules on import
    rules = sorted(RULES.values(), key=lambda r: r.rule_id)
    if args.format == "json":
        print(
            json.dumps(
                [
                    {
                        "rule_id": r.rule_id,
                        "category": r.category,
                        "severity": r.severity.value,
                        "title": r.title,
                        "description": r.description,
                        "legal_refs": [
                            {"law": ref.law, "article": ref.article} for ref in r.legal_refs
                        ],
                        "remediation": r.remediation,
                    }
                    for r in rules
                ],
                indent=2,
                ensure_ascii=False,
            )
        )
        return 0
    for r in rules:
        refs = "; ".join(str(ref) for ref in r.legal_refs) or "-"
        print(f"{r.rule_id:<40} {r.severity.value:<8} {r.title}")
        print(f"    {r.description}")
        print(f"    law: {refs}")
    return 0
