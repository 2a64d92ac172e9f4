"""`dgp scan KIND TARGET`: run one scanner here, without the services.

For a kind that takes a questionnaire instead of a target (DPIA), TARGET is the
questionnaire's JSON file. What the scan makes besides findings (a report, a
redacted image) is written into the folder given by --artefacts.

Exit codes: 0 no finding at or above --fail-on, 1 there is one, 2 usage or
input error (with a message on stderr).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dgp import __version__, kinds
from dgp.cli.client import parse_option
from dgp.cli.files import read_questionnaire, write_artefacts
from dgp.cli.kinds import kind_name
from dgp.cli.progress import ProgressBar
from dgp.config import HashKeyError, load_hash_key
from dgp.domain import inputs
from dgp.domain.baseline import Baseline, BaselineError
from dgp.domain.job import ScanInputError, ScanInputs, ScanJob
from dgp.domain.options import OptionsError, ScanOptions
from dgp.domain.severity import Severity
from dgp.kinds import Input
from dgp.output import FORMATS, render

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
SEVERITIES = [s.value for s in Severity]


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("scan", help="scan a target with one scanner, here and now")
    p.add_argument("kind", type=kind_name, help="scanner kind (dgp kinds)")
    p.add_argument(
        "target", help="path, archive or (code) git URL; a questionnaire's JSON file (dpia)"
    )
    p.add_argument(
        "--questionnaire",
        type=Path,
        metavar="FILE",
        help="ai_model: the EU AI Act questionnaire's answers (JSON) to classify with the scan",
    )
    p.add_argument("--format", choices=FORMATS, default="text")
    p.add_argument("--output", "-o", type=Path, help="write the report here, not to stdout")
    p.add_argument(
        "--artefacts",
        type=Path,
        metavar="DIR",
        help="write the files the scan makes (reports, screenshots, redacted images) into DIR",
    )
    p.add_argument("--fail-on", choices=SEVERITIES, help="exit 1 if a finding is this severe")
    p.add_argument("--baseline", type=Path, help="JSON baseline or earlier JSON report")
    p.add_argument("--since", metavar="COMMIT", help="code: only files changed since COMMIT")
    p.add_argument("--branch", help="code: git branch or tag to clone")
    p.add_argument("--commit", help="code: git commit to check out")
    p.add_argument(
        "--git-metadata",
        action="store_true",
        help="code: add commit and author of each finding's line",
    )
    p.add_argument(
        "--include-vendored",
        action="store_true",
        help="code: also scan vendored and generated folders",
    )
    p.add_argument(
        "--severity-threshold",
        choices=SEVERITIES,
        default="info",
        help="leave out findings below this severity",
    )
    p.add_argument(
        "--min-confidence",
        type=float,
        default=None,
        help="leave out detections below this confidence (0..1)",
    )
    p.add_argument("--max-items", type=int, help="stop after this many files")
    p.add_argument("--max-bytes", type=int, help="stop after reading this many bytes")
    p.add_argument("--max-file-bytes", type=int, help="skip files larger than this")
    p.add_argument("--timeout", type=float, help="stop after this many seconds")
    p.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        type=parse_option,
        help="one of the kind's options (dgp kinds --json), VALUE as JSON or text, e.g. "
        'website: mode=http, states=\'["none","reject"]\'; repeatable',
    )
    p.set_defaults(run=run)


# options some kinds have: (option name, the flag that sets it)
KIND_FLAGS = (
    ("since", "--since"),
    ("branch", "--branch"),
    ("commit", "--commit"),
    ("git_metadata", "--git-metadata"),
    ("include_vendored", "--include-vendored"),
)


def _options(args: argparse.Namespace) -> ScanOptions:
    """The kind's own options type from the flags; a flag the kind has no option for is an
    error, not silently ignored."""
    limit_args = {
        "max_items": args.max_items,
        "max_bytes": args.max_bytes,
        "max_file_bytes": args.max_file_bytes,
        "timeout_seconds": args.timeout,
    }
    for name, value in limit_args.items():
        if value is not None and value <= 0:
            raise ScanInputError(f"--{name.replace('_', '-')} must be positive")
    values: dict[str, object] = {
        "limits": {k: v for k, v in limit_args.items() if v is not None},
        "severity_threshold": args.severity_threshold,
    }
    if args.min_confidence is not None:
        if not 0 <= args.min_confidence <= 1:
            raise ScanInputError("--min-confidence must be between 0 and 1")
        values["min_confidence"] = args.min_confidence
    options_type = kinds.get(args.kind).options
    for name, value in args.option:
        if name not in options_type.option_names():
            raise ScanInputError(f"{args.kind} scans have no option {name!r}")
        values[name] = value
    for name, flag in KIND_FLAGS:
        value = getattr(args, name)
        if value in (None, False):
            continue
        if name not in options_type.option_names():
            raise ScanInputError(f"{flag} does not apply to {args.kind} scans")
        values[name] = value
    try:
        return options_type.from_dict(values)
    except OptionsError as e:
        raise ScanInputError(str(e)) from None


def _job(args: argparse.Namespace) -> ScanJob:
    """The job: a target, or for a kind that takes none, what it takes instead."""
    spec = kinds.get(args.kind)
    if spec.takes(Input.TARGET) or spec.takes(Input.UPLOAD):
        questionnaire = None
        if args.questionnaire is not None:
            if not spec.takes(Input.QUESTIONNAIRE):
                raise ScanInputError(f"--questionnaire does not apply to {args.kind} scans")
            questionnaire = read_questionnaire(args.questionnaire)
        return ScanJob(
            kind=args.kind, target=args.target, options=_options(args), questionnaire=questionnaire
        )
    if not spec.takes(Input.QUESTIONNAIRE):
        raise ScanInputError(
            f"{args.kind} scans are given earlier scans: start them on a server (dgp submit)"
        )
    questionnaire = read_questionnaire(Path(args.target))
    target = inputs.describe(args.kind, questionnaire, ())
    return ScanJob(args.kind, target, _options(args), questionnaire=questionnaire)


def run(args: argparse.Namespace) -> int:
    bar = ProgressBar()
    try:
        job = _job(args)
        if args.baseline is not None:
            job.baseline = Baseline.load(args.baseline)
        scan = kinds.get(args.kind).scan_function()
        result = scan(job, ScanInputs(hash_key=load_hash_key(), progress=bar))
    except (ScanInputError, BaselineError, HashKeyError) as e:
        bar.close()
        print(f"dgp scan: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    bar.close()
    if args.artefacts is not None:
        try:
            write_artefacts(result.artefacts, args.artefacts)
        except OSError as e:
            why = e.strerror or str(e)
            print(f"dgp scan: error: cannot write the artefacts: {why}", file=sys.stderr)
            return EXIT_ERROR
    elif result.artefacts:
        names = ", ".join(a.name for a in result.artefacts)
        print(f"dgp scan: not written (use --artefacts DIR): {names}", file=sys.stderr)
    report = render(args.format, result.scan, result.findings, tool_version=__version__)
    if args.output is not None:
        try:
            args.output.write_text(report, encoding="utf-8", newline="")
        except OSError as e:
            print(f"dgp scan: error: cannot write {args.output}: {e.strerror}", file=sys.stderr)
            return EXIT_ERROR
    else:
        sys.stdout.write(report)
    if args.fail_on is not None:
        threshold = Severity(args.fail_on)
        if any(f.severity.at_least(threshold) for f in result.findings):
            return EXIT_FINDINGS
    return EXIT_OK
