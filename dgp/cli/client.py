"""`dgp submit` and `dgp status`: use a running DataGuardian server's API.

The token comes from --token or DGP_TOKEN (never stored by us). Uploads: a local
file or folder given as TARGET is sent as an upload (a folder is zipped first),
so the server never reads the client's disk. For a kind that takes no target,
TARGET is a questionnaire's JSON file (dpia) or comma-separated scan ids (report).
With --wait and --artefacts DIR, what the scan made is downloaded into DIR.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from dgp import kinds
from dgp.cli.files import read_questionnaire, write_artefacts
from dgp.cli.kinds import kind_name
from dgp.cli.progress import ProgressBar
from dgp.domain.job import Artefact, ScanInputError
from dgp.kinds import Input

FINAL = {"done", "failed", "degraded", "cancelled"}
EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2


class ApiError(Exception):
    pass


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    submit = sub.add_parser("submit", help="start a scan on a DataGuardian server")
    submit.add_argument("kind", type=kind_name, help="scanner kind (dgp kinds)")
    submit.add_argument(
        "target",
        help="a git URL, or a local file/folder to upload; a questionnaire's JSON file "
        "(dpia); scan ids, comma-separated (report)",
    )
    _common(submit)
    submit.add_argument("--wait", action="store_true", help="wait for the scan to end")
    submit.add_argument(
        "--credential", metavar="ID", help="a stored credential the scan may use (dgp credentials)"
    )
    submit.add_argument(
        "--artefacts",
        type=Path,
        metavar="DIR",
        help="with --wait: download the files the scan made (reports, images) into DIR",
    )
    submit.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        type=parse_option,
        help="a scan option (VALUE as JSON, else text), e.g. mode=http; repeatable",
    )
    submit.set_defaults(run=run_submit)
    status = sub.add_parser("status", help="show a scan's status on a server")
    status.add_argument("scan_id")
    _common(status)
    status.set_defaults(run=run_status)


def parse_option(text: str) -> tuple[str, Any]:
    """NAME=VALUE from the command line: VALUE as JSON (true, 3, ["a"]), else as text."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE")
    try:
        return name.strip(), json.loads(value)
    except json.JSONDecodeError:
        return name.strip(), value


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--server", default=os.environ.get("DGP_SERVER", "http://127.0.0.1:5000"))
    p.add_argument(
        "--token", default=os.environ.get("DGP_TOKEN"), help="API token (default: DGP_TOKEN)"
    )


class Client:
    def __init__(self, server: str, token: str | None, timeout: float = 30.0) -> None:
        if not token:
            raise ApiError("no API token: pass --token or set DGP_TOKEN")
        self.base = server.rstrip("/") + "/api/v1"
        self.token = token
        self.timeout = timeout

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str | None = None
    ) -> dict[str, Any]:
        data, _ = self.fetch(method, path, body, content_type)
        return json.loads(data or b"{}")  # type: ignore[no-any-return]

    def fetch(
        self, method: str, path: str, body: bytes | None = None, content_type: str | None = None
    ) -> tuple[bytes, str]:
        """The answer's body and media type; ApiError for an error answer or none."""
        request = urllib.request.Request(self.base + path, data=body, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Accept", "application/json")
        if content_type:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.read(), response.headers.get_content_type()
        except urllib.error.HTTPError as e:
            try:
                message = json.loads(e.read())["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = e.reason
            raise ApiError(f"{e.code}: {message}") from None
        except (urllib.error.URLError, TimeoutError) as e:
            raise ApiError(f"cannot reach {self.base}: {getattr(e, 'reason', e)}") from None

    def submit(
        self,
        kind: str,
        target: str,
        credential: str | None = None,
        options: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        spec = kinds.get(kind)
        path = Path(target)
        request: dict[str, Any] = {"kind": kind, "target": target}
        if not (spec.takes(Input.TARGET) or spec.takes(Input.UPLOAD)):
            if spec.takes(Input.QUESTIONNAIRE) and (path.is_file() or not spec.takes(Input.SCANS)):
                request = {"kind": kind, "questionnaire": read_questionnaire(path)}
            else:
                request = {"kind": kind, "scan_ids": [i.strip() for i in target.split(",")]}
        elif path.exists():
            if credential:
                raise ApiError("--credential goes with a URL target, not with an upload")
            return self._upload(kind, path, options or {})
        if credential:
            request["credential"] = credential
        if options:
            request["options"] = options
        return self.request("POST", "/scans", json.dumps(request).encode(), "application/json")

    def _upload(self, kind: str, path: Path, options: dict[str, Any]) -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="dgp-submit-") as work:
            if path.is_dir():
                path = Path(shutil.make_archive(str(Path(work) / path.name), "zip", path))
            boundary = uuid.uuid4().hex
            parts = [
                f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\n{kind}\r\n',
                *(
                    [
                        f'--{boundary}\r\nContent-Disposition: form-data; name="options"\r\n\r\n'
                        f"{json.dumps(options)}\r\n"
                    ]
                    if options
                    else []
                ),
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="{path.name}"\r\nContent-Type: application/octet-stream\r\n\r\n',
            ]
            body = "".join(parts).encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
        return self.request("POST", "/scans", body, f"multipart/form-data; boundary={boundary}")

    def scan(self, scan_id: str) -> dict[str, Any]:
        return self.request("GET", f"/scans/{scan_id}")

    def artefacts(self, scan_id: str) -> list[Artefact]:
        """What the scan made, each downloaded whole."""
        made = []
        for item in self.request("GET", f"/scans/{scan_id}/artefacts")["items"]:
            name = urllib.parse.quote(item["name"], safe="")
            data, _ = self.fetch("GET", f"/scans/{scan_id}/artefacts/{name}")
            try:  # checked again here: the name becomes a file name on this machine
                made.append(Artefact(item["name"], item["media_type"], data))
            except ValueError as e:
                raise ApiError(f"the server sent an artefact this client refuses: {e}") from None
        return made


def _print_scan(scan: dict[str, Any]) -> None:
    progress = scan.get("progress") or {}
    print(
        f"{scan['id']}  {scan['kind']}  {scan['status']}  "
        f"{progress.get('percent', 0)}%  score {scan.get('score')}"
    )
    if scan.get("error"):
        print(f"error: {scan['error']}")


def run_submit(args: argparse.Namespace) -> int:
    if args.artefacts is not None and not args.wait:
        print("dgp submit: error: --artefacts needs --wait", file=sys.stderr)
        return EXIT_ERROR
    try:
        client = Client(args.server, args.token)
        scan = client.submit(args.kind, args.target, args.credential, dict(args.option))
        if args.wait:
            bar = ProgressBar()
            while scan["status"] not in FINAL:
                time.sleep(0.5)
                scan = client.scan(scan["id"])
                progress = scan.get("progress") or {}
                bar(int(progress.get("percent", 0)), str(progress.get("message", "")))
            bar.close()
        made = client.artefacts(scan["id"]) if args.artefacts is not None else []
    except (ApiError, ScanInputError) as e:
        print(f"dgp submit: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    try:
        if args.artefacts is not None:
            write_artefacts(made, args.artefacts)
    except OSError as e:
        print(f"dgp submit: error: cannot write the artefacts: {e}", file=sys.stderr)
        return EXIT_ERROR
    _print_scan(scan)
    return EXIT_FAILED if scan["status"] == "failed" else EXIT_OK


def run_status(args: argparse.Namespace) -> int:
    try:
        scan = Client(args.server, args.token).scan(args.scan_id)
    except ApiError as e:
        print(f"dgp status: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    _print_scan(scan)
    return EXIT_OK
