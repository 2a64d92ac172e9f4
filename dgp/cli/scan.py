"""`dgp scan KIND TARGET`: run one scanner here, without the services.

For a kind that takes a questionnaire instead of a target (DPIA), TARGET is the
questionnaire's JSON file. What the scan makes besides findings (a report, a
redacted image) is written into the folder given by --artefacts.

Exit codes: 0 no finding at or above --fail-on, 1 there is one, 2 usage or
input error, or a scan that failed (with a message on stderr): never 1 for a
failure, which CI would read as "findings".

The report is written as the scan goes (pages of findings, dgp.output): the scan's
memory does not grow with its findings. With --output it goes to a temporary file
beside the target, renamed into place once complete, so a failed scan leaves no
half report; on stdout a failed scan's report stops where the scan did.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import logging
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from dgp import __version__, kinds
from dgp.cli.client import parse_option
from dgp.cli.files import read_questionnaire, write_artefacts
from dgp.cli.kinds import kind_name
from dgp.cli.progress import ProgressBar
from dgp.config import HashKeyError, load_hash_key
from dgp.domain import inputs
from dgp.domain.baseline import Baseline, BaselineError
from dgp.domain.credential import Credential, CredentialKind, Secret
from dgp.domain.finding import Finding
from dgp.domain.job import ScanInputError, ScanInputs, ScanJob
from dgp.domain.options import OptionsError, ScanOptions
from dgp.domain.severity import Severity
from dgp.domain.text import escape_controls
from dgp.kinds import Input
from dgp.output import FORMATS, open_report

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
log = logging.getLogger(__name__)
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
        "--openapi",
        metavar="FILE|URL",
        help="api: the API's OpenAPI document (else the usual locations are tried)",
    )
    p.add_argument(
        "--credential",
        metavar="ID",
        help="a stored credential the scan may use (dgp credentials; needs the service "
        "settings and --org)",
    )
    p.add_argument("--org", metavar="NAME", help="the organisation the --credential belongs to")
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
    secret = p.add_mutually_exclusive_group()
    secret.add_argument(
        "--password-file", type=Path, metavar="FILE", help="database: read the password from FILE"
    )
    secret.add_argument(
        "--password-env", metavar="VAR", help="database: read the password from variable VAR"
    )
    secret.add_argument(
        "--ask-password", action="store_true", help="database: ask for the password"
    )
    p.add_argument(
        "--jobs",
        type=int,
        help="code: worker processes reading files (default: the CPUs this process may use)",
    )
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
    ("jobs", "--jobs"),
    ("openapi", "--openapi"),
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
    for name, value in [*limit_args.items(), ("jobs", args.jobs)]:
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


def _error(message: str) -> None:
    """Messages name the target, which the user may not have typed (a file name from an
    archive): shown escaped, never obeyed by the terminal."""
    print(f"dgp scan: error: {escape_controls(message)}", file=sys.stderr)


def _stop_on_sigterm() -> None:
    """SIGTERM (`timeout`, `kill`, a CI runner) ends the scan like ^C does: as an exception,
    so the scan's private temporary folder is removed on the way out."""

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)


class _OutputError(Exception):
    """The report cannot be written where asked."""


@contextlib.contextmanager
def _report_file(target: Path | None) -> Iterator[TextIO]:
    """stdout, or a temporary file beside `target` that becomes it only when the report
    is complete (removed if the scan fails)."""
    if target is None:
        yield sys.stdout
        return
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
    except OSError as e:
        raise _OutputError(f"cannot write {target}: {e.strerror}") from None
    try:
        with open(fd, "w", encoding="utf-8", newline="") as out:
            yield out
        os.chmod(name, 0o666 & ~_umask())
        os.replace(name, target)
    except OSError as e:
        raise _OutputError(f"cannot write {target}: {e.strerror}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


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


def _credential(args: argparse.Namespace) -> Credential | None:
    """The scan's credential: a stored one named by --credential, or a database password
    from --password-file, --password-env or --ask-password."""
    if args.credential:
        if args.password_file or args.password_env or args.ask_password:
            raise ScanInputError("give either --credential or a password, not both")
        return _stored_credential(args)
    return _password(args)


def _stored_credential(args: argparse.Namespace) -> Credential:
    """The stored credential named by --credential, decrypted here (the service settings
    give the database and the credentials key); ScanInputError says why not."""
    if not args.org:
        raise ScanInputError("--credential needs --org (the organisation it belongs to)")
    from dgp.cli.accounts import CommandError
    from dgp.cli.credentials import organisation_id, stores
    from dgp.plumbing.settings import SettingsError
    from dgp.plumbing.store.errors import CredentialMissing

    try:
        store, credentials = stores()
        return credentials.reveal(organisation_id(store, args.org), args.credential)
    except CredentialMissing:
        raise ScanInputError(f"no credential {args.credential} in {args.org!r}") from None
    except (CommandError, SettingsError, ValueError) as e:
        raise ScanInputError(f"the credential cannot be read: {e}") from None


def _password(args: argparse.Namespace) -> Credential | None:
    """The password of a database scan, from a file, a variable or a prompt: never an
    argument (the process list shows those) nor the target (stored and shown)."""
    if args.password_file is not None:
        try:
            text = args.password_file.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as e:
            raise ScanInputError(f"cannot read {args.password_file}: {e.strerror}") from None
    elif args.password_env is not None:
        if args.password_env not in os.environ:
            raise ScanInputError(f"the variable {args.password_env} is not set")
        text = os.environ[args.password_env]
    elif args.ask_password:
        text = getpass.getpass("database password: ")
    else:
        return None
    if not text:
        raise ScanInputError("the password is empty")
    return Credential("cli", "cli", CredentialKind.DATABASE_PASSWORD, Secret(text))


def run(args: argparse.Namespace) -> int:
    _stop_on_sigterm()
    bar = ProgressBar()
    try:
        job = _job(args)
        if args.baseline is not None:
            job.baseline = Baseline.load(args.baseline)
        credential = _credential(args)
        scan = kinds.get(args.kind).scan_function()
        with _report_file(args.output) as out:
            writer = open_report(args.format, out, tool_version=__version__)

            def pages(findings: Sequence[Finding]) -> None:
                bar.close()  # the bar's line is cleared; it is drawn again below
                writer.write(findings)

            inputs = ScanInputs(
                hash_key=load_hash_key(), progress=bar, pages=pages, credential=credential
            )
            result = scan(job, inputs)
            bar.close()
            writer.write(result.findings)  # those a kind kept rather than handed on
            writer.close(result.scan)
    except (ScanInputError, BaselineError, HashKeyError, _OutputError) as e:
        bar.close()
        _error(str(e))
        return EXIT_ERROR
    except Exception as e:  # a bug must not look like "findings found" (exit 1)
        bar.close()
        log.debug("scan failed", exc_info=True)
        _error(f"the scan failed unexpectedly: {type(e).__name__}: {e}")
        return EXIT_ERROR
    if args.artefacts is not None:
        try:
            write_artefacts(result.artefacts, args.artefacts)
        except OSError as e:
            _error(f"cannot write the artefacts: {e.strerror or e}")
            return EXIT_ERROR
    elif result.artefacts:
        names = ", ".join(a.name for a in result.artefacts)
        print(f"dgp scan: not written (use --artefacts DIR): {names}", file=sys.stderr)
    if args.fail_on is not None:
        threshold = Severity(args.fail_on)
        counts = result.scan.stats.findings_by_severity
        if any(n and Severity(sev).at_least(threshold) for sev, n in counts.items()):
            return EXIT_FINDINGS
    return EXIT_OK
