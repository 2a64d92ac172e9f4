"""Per-entity precision, recall and F1 of the detection engine on the labelled corpus.

    python bench/quality.py [--lines 20000] [--seed 1234] [--pii-share 0.5] [--examples 3]

Every rule_id that occurs in the corpus labels is scored with tests/corpus.py ``evaluate``
semantics (see its docstring); the graded ones (BSN, IBAN, payment card, e-mail, phone) have a
target of precision and recall >= 0.97. ``--examples N`` prints N missed labels and N false
positives per rule.

Secrets are scored on tests/corpus_secrets.py snippets (every provider format and assignment
syntax, with hard negatives) plus the lines above (which hold no secrets): per rule, and as
one family (any ``secret.*`` rule may find a secret label), target >= 0.95.
"""

from __future__ import annotations

import _bench_path  # noqa: F401  (first: keeps bench/ off the import path)

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.corpus import GRADED_RULES, format_table, generate, misses  # noqa: E402
from tests.corpus_secrets import family_metrics, generate_secrets  # noqa: E402

TARGET = 0.97


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--pii-share", type=float, default=0.5)
    ap.add_argument("--secret-snippets", type=int, default=10_000)
    ap.add_argument("--examples", type=int, default=3, help="misses shown per rule (0: none)")
    ap.add_argument(
        "--check", action="store_true", help="exit 1 if a graded rule is below the target"
    )
    args = ap.parse_args(argv)

    from dgp.engine.detector import Detector

    t0 = time.perf_counter()
    lines = generate(args.lines, seed=args.seed, pii_share=args.pii_share)
    rule_ids = sorted({lab.rule_id for line in lines for lab in line.labels})
    n_labels = sum(len(line.labels) for line in lines)
    print(
        f"corpus: {len(lines)} lines, {n_labels} labels, seed {args.seed}, "
        f"generated in {time.perf_counter() - t0:.1f} s"
    )

    t0 = time.perf_counter()
    metrics, missed = misses(Detector(), lines, rule_ids)
    print(f"detection + scoring: {time.perf_counter() - t0:.1f} s\n")
    print(format_table(metrics))

    ok = True
    print(f"\ngraded rules (target precision and recall >= {TARGET}):")
    for rid in GRADED_RULES:
        m = metrics.get(rid)
        if m is None:
            print(f"  {rid:<20} no labels in corpus")
            continue
        met = m.precision >= TARGET and m.recall >= TARGET
        ok &= met
        print(f"  {rid:<20} P {m.precision:.3f}  R {m.recall:.3f}  {'OK' if met else 'MISSED'}")

    ok &= _secrets(Detector(), lines, args)

    if args.examples:
        for rid in rule_ids:
            fns = missed.fn.get(rid, [])[: args.examples]
            fps = missed.fp.get(rid, [])[: args.examples]
            if not fns and not fps:
                continue
            print(f"\n{rid}:")
            for lab, text in fns:
                print(f"  FN {lab.value!r:<28} in {text!r}")
            for det, text in fps:
                print(f"  FP {det.value!r:<28} in {text!r}")
    return 0 if ok or not args.check else 1


SECRETS_TARGET = 0.95  # issue 11: secrets as a family


def _secrets(detector, pii_lines, args) -> bool:
    """Score the secret rules on the secrets corpus plus the PII lines (negatives for them)."""
    t0 = time.perf_counter()
    snippets = generate_secrets(args.secret_snippets, seed=args.seed)
    lines = snippets + pii_lines
    rule_ids = sorted({lab.rule_id for line in snippets for lab in line.labels})
    metrics, _ = misses(detector, lines, rule_ids)
    family, family_missed = family_metrics(detector, lines)
    n_labels = sum(len(line.labels) for line in snippets)
    n_negative = sum(1 for line in snippets if not line.labels)
    print(
        f"\nsecrets corpus: {len(snippets)} snippets ({n_negative} hard negatives), {n_labels} "
        f"labels, {len(rule_ids)} rules, "
        f"plus the {len(pii_lines)} lines above; {time.perf_counter() - t0:.1f} s\n"
    )
    print(format_table(metrics))
    met = family.precision >= SECRETS_TARGET and family.recall >= SECRETS_TARGET
    print(
        f"\nsecrets as a family (target precision and recall >= {SECRETS_TARGET}):\n"
        f"  {'secret.*':<20} P {family.precision:.3f}  R {family.recall:.3f}  "
        f"(tp {family.tp}, fp {family.fp}, fn {family.fn})  {'OK' if met else 'MISSED'}"
    )
    for lab, text in family_missed.fn.get("secret.*", [])[: args.examples]:
        print(f"  FN {lab.value!r:<28.60} in {text!r:.120}")
    for det, text in family_missed.fp.get("secret.*", [])[: args.examples]:
        print(f"  FP {det.value!r:<28.60} in {text!r:.120}")
    return met


if __name__ == "__main__":
    sys.exit(main())
