"""API scanner (SPEC 3.9): scan(job, inputs) -> ScanResult.

Passive by default: only GET, HEAD and OPTIONS, to the host the user named.
1. The base URL: reachable, TLS version and certificate (client.py, checks.py).
2. The OpenAPI document (discovery.py, document.py): uploaded, named by the `openapi`
   option, or found at the usual locations; validated; its operations (operations.py)
   and, from them, the data map with its findings (datamap.py). Without one, a short
   list of common paths is tried.
3. Per operation: a GET without credentials (with a foreign Origin, for CORS), with
   the scan's credential when it has one, an OPTIONS preflight, and for an id in the
   path a GET with a malformed id (verbose errors). Each answer: CORS, authentication,
   caching, banners, verbose errors, personal data in the body field by field
   (body.py), excessive data exposure against the documented schema.
4. Rate limiting: the signals seen, else a short burst of GETs.
5. Active mode (active.py), only when the options say so (and, through the services,
   the organisation allows it): mutating methods with schema-valid bodies and a
   bounded set of probes.
The data map (what the document declares, what was observed) is an artefact.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from dataclasses import dataclass, replace

from dgp.domain.finding import Location
from dgp.domain.job import (
    Artefact,
    ScanInputError,
    ScanInputs,
    ScanJob,
    ScanResult,
    TargetUnavailable,
)
from dgp.domain.options import ScanOptions
from dgp.net import NetPolicy, TargetRefused, TargetURL
from dgp.net.fetch import NetRuntime
from dgp.scanners.api import checks, datamap, rules
from dgp.scanners.api.body import BodyReport, field_names, read_body
from dgp.scanners.api.client import Client, Exchange, credential_headers
from dgp.scanners.api.discovery import COMMON_PATHS, discover, given_document, joined, read_file
from dgp.scanners.api.document import MAX_DOCUMENT_BYTES, Document
from dgp.scanners.api.operations import Operation, operations
from dgp.scanners.api.options import API_LIMITS, ApiOptions
from dgp.scanners.api.target import api_url
from dgp.scanners.common_rules import ITEM_NOT_SCANNED
from dgp.scanners.session import ScanSession, StopScan
from dgp.scanners.session import warm_up as session_warm_up

log = logging.getLogger(__name__)
MALFORMED_ID = "dgp-not-an-id"  # a path id of the wrong type: shows how errors look
# excessive data exposure: at least this many undocumented personal-data fields, and
# more than the schema declares
EXPOSURE_MIN_UNDOCUMENTED = 3


@dataclass(frozen=True)
class Runtime(NetRuntime):
    """The shared network surroundings, and a network policy (the tests': loopback only)."""

    policy: NetPolicy | None = None  # None: public addresses (private: allow_private_hosts)


def warm_up() -> None:
    session_warm_up()


def scan(job: ScanJob, inputs: ScanInputs, runtime: Runtime | None = None) -> ScanResult:
    runtime = runtime or Runtime()
    options = api_options(job.options)
    job = replace(job, options=options)
    if job.target.startswith("upload:"):
        raise ScanInputError(
            "an API scan needs the API's base URL as its target; an uploaded OpenAPI "
            "document goes with it"
        )
    try:
        base = api_url(job.target)
    except TargetRefused as e:
        raise ScanInputError(e.reason) from None
    session = ScanSession(job, inputs.hasher(), inputs.progress)
    session.scan.target = base.display
    policy = runtime.policy or NetPolicy(allow_private=options.allow_private_hosts)
    auth = credential_headers(inputs.credential)
    fetch = runtime.fetcher(policy, options.limits.max_file_bytes, options.request_seconds, 5)
    with fetch as fetcher:
        client = Client(
            session,
            fetcher,
            active=options.active,
            requests_per_second=options.requests_per_second,
            auth=auth,
        )
        run = ApiScan(session, client, base, options, inputs)
        with suppress(StopScan):  # a limit: the scan ends with what it found
            run.run()
    result = session.finish()
    result.artefacts = run.artefacts
    return result


def api_options(options: ScanOptions) -> ApiOptions:
    """The job's options as ApiOptions, its limits never above the kind's."""
    return ApiOptions.of_job(options, API_LIMITS)


class ApiScan:
    """One scan of one API: the steps of the module docstring, in order."""

    def __init__(
        self,
        session: ScanSession,
        client: Client,
        base: TargetURL,
        options: ApiOptions,
        inputs: ScanInputs,
    ) -> None:
        self.session = session
        self.client = client
        self.base = base
        self.options = options
        self.inputs = inputs
        self.document: Document | None = None
        self.operations: list[Operation] = []
        self.observed: dict[str, datamap.Observed] = {}
        self.artefacts: list[Artefact] = []
        self.rate_limited = False
        self.headers_missing: dict[str, list[str]] = {}  # rule -> urls
        self.banners: dict[str, str] = {}  # banner -> first url
        self.readable: list[tuple[Operation, TargetURL]] = []  # answered a GET

    # -- steps ------------------------------------------------------------------------

    def run(self) -> None:
        self.session.progress(2, f"connecting to {self.base.display}")
        try:
            if not self._start():
                return
            self.session.progress(10, "reading the OpenAPI document")
            self._document()
            total = max(1, len(self.operations))
            for n, op in enumerate(self.operations):
                self.session.progress(15 + 65 * n // total, f"checking {op.key}")
                self._operation(op)
            self.session.progress(82, "checking rate limiting")
            self._rate_limit()
            if self.options.active:
                from dgp.scanners.api import active

                self.session.progress(88, "active mode: writes and probes")
                active.run(self)
        finally:
            self._api_wide()
            self.artefacts = [
                datamap.artefact(
                    datamap.data_map(
                        self.base.display, self.document, self.operations, self.observed
                    )
                )
            ]

    def _start(self) -> bool:
        first = self.client.send("GET", self.base, authenticated=True)
        where = Location(url=self.base.display)
        if first.tls_failed:
            self.session.add(
                rules.TLS_INVALID,
                where,
                value=f"tls:{self.base.endpoint}",
                evidence=(first.error or "")[:300],
            )
            self.session.scan.stats.truncated = True
            self.session.scan.progress_message = "the certificate does not verify: nothing read"
            return False
        if isinstance(first.failure, TargetRefused):
            raise ScanInputError(first.failure.reason)
        if first.failure is not None and first.failure.unreachable:
            raise TargetUnavailable(first.failure.reason, self.base.endpoint)
        self.observe(first)
        if self.base.scheme == "http":
            self.session.add(rules.NO_HTTPS, where, value=f"http:{self.base.endpoint}")
        for what, evidence in checks.tls_problems(first.tls):
            rule = rules.TLS_OLD if what == "old_version" else rules.TLS_EXPIRING
            self.session.add(rule, where, value=f"{what}:{self.base.endpoint}", evidence=evidence)
        return True

    def _document(self) -> None:
        max_bytes = min(MAX_DOCUMENT_BYTES, self.options.limits.max_file_bytes)
        given = self.options.openapi
        if self.inputs.upload is not None:
            self.document = read_file(self.inputs.upload, max_bytes, "the uploaded document")
        elif given:
            self.document = given_document(
                self.client, self.base, given, self.options.allow_local_sources, max_bytes
            )
        else:
            self.document, problems = discover(self.client, self.base, max_bytes)
            for url, why in problems:
                self.session.add(ITEM_NOT_SCANNED, Location(url=url), value=url, evidence=why)
        if self.document is None:
            self.session.add(rules.OPENAPI_MISSING, Location(url=self.base.display), value="none")
            self.operations = self._common_paths()
            return
        self.operations = operations(self.document, self.options.max_operations)
        datamap.document_findings(
            self.session, self.document, self.operations, self.document.source
        )

    def _common_paths(self) -> list[Operation]:
        found = []
        for path in COMMON_PATHS:
            url = joined(self.base, path)
            answer = self.client.send("HEAD", url, authenticated=True)
            if answer.status and answer.status not in (404, 410, 501):  # 405: it is there
                found.append(Operation("GET", url.path or "/", documented=False))
        return found[: self.options.max_operations]

    def url_of(self, op: Operation, path: str | None = None) -> TargetURL | None:
        filled = op.fill_path() if path is None else path
        if filled is None:
            return None
        query = "&".join(f"{k}={v}" for k, v in op.query().items())
        prefix = "" if not op.documented else self._server_prefix()
        url = joined(self.base, prefix + filled) if op.documented else self.base.with_path(filled)
        return url.with_path(url.path, query) if query else url

    def _server_prefix(self) -> str:
        """The path of the document's first server (OpenAPI 3) or basePath (2), when the
        target URL has no path of its own; never another host."""
        if self.base.path not in ("", "/") or self.document is None:
            return ""
        data = self.document.data
        if self.document.swagger:
            path = data.get("basePath")
            return path.rstrip("/") if isinstance(path, str) and path.startswith("/") else ""
        servers = data.get("servers")
        if isinstance(servers, list) and servers and isinstance(servers[0], dict):
            url = str(servers[0].get("url", ""))
            if url.startswith("/"):
                return url.rstrip("/")
            try:
                server = api_url(url)
            except TargetRefused:
                return ""
            if server.origin == self.base.origin:
                return server.path.rstrip("/")
        return ""

    def _operation(self, op: Operation) -> None:
        seen = self.observed.setdefault(op.key, datamap.Observed())
        with self.session.recording() as found:
            self._check_operation(op, seen)
        seen.rules |= {f.rule_id for f in found}

    def _check_operation(self, op: Operation, seen: datamap.Observed) -> None:
        url = self.url_of(op)
        if url is None:
            seen.note = "not requested: a path parameter has no documented example"
            self._malformed_id(op, seen)
            return
        seen.url = url.display
        where = url.display
        origin = {"Origin": checks.CORS_PROBE_ORIGIN}
        exchanges: list[Exchange] = []
        if op.method in ("GET", "HEAD"):
            plain = self.client.send(op.method, url, headers=origin)
            exchanges.append(plain)
            seen.status = plain.status or None
            if plain.error is not None:
                seen.note = plain.error[:300]
                self.session.add(
                    ITEM_NOT_SCANNED, Location(url=where), value=where, evidence=plain.error[:300]
                )
            authed = None
            if self.client.has_credential:
                authed = self.client.send(op.method, url, authenticated=True, headers=origin)
                exchanges.append(authed)
                seen.status_with_credential = authed.status or None
            reports = self._bodies(op, where, plain, authed)
            self._auth(op, where, plain, reports)
            if plain.ok or (authed is not None and authed.ok):
                self.readable.append((op, url))
        preflight = self.client.send(
            "OPTIONS",
            url,
            headers={**origin, "Access-Control-Request-Method": op.method},
        )
        exchanges.append(preflight)
        self._cors(where, exchanges)
        for exchange in exchanges:
            self.observe(exchange)
            self._verbose(where, exchange)
        self._malformed_id(op, seen)

    def _bodies(
        self, op: Operation, where: str, plain: Exchange, authed: Exchange | None
    ) -> list[tuple[Exchange, BodyReport]]:
        reports = []
        seen = self.observed[op.key]
        for exchange in (plain, authed):
            if exchange is None or not exchange.body or exchange.status >= 500:
                continue
            if exchange is authed and authed.body == plain.body:
                continue
            report = read_body(
                self.session, exchange.body, exchange.content_type, where, report_fields=True
            )
            reports.append((exchange, report))
            for path, category in report.fields.items():
                seen.fields[path] = category.name
            seen.rules |= report.rule_ids
            if report.personal and checks.cacheable(exchange.headers):
                self.session.add(
                    rules.CACHEABLE_PERSONAL_DATA,
                    Location(url=where),
                    value=f"cache:{where}",
                    evidence=f"Cache-Control: {exchange.headers.get('cache-control', '(none)')}",
                )
            if exchange.ok and report.json:
                self._exposure(op, where, report)
        return reports

    def _auth(
        self, op: Operation, where: str, plain: Exchange, reports: list[tuple[Exchange, BodyReport]]
    ) -> None:
        if not plain.ok:
            return
        for exchange, report in reports:
            if exchange is plain and report.personal:
                kinds = sorted(report.categories() | report.rule_ids)
                self.session.add(
                    rules.UNAUTHENTICATED_PERSONAL_DATA,
                    Location(url=where),
                    value=f"unauthenticated:{where}",
                    evidence=f"{op.method} without credentials: {plain.status}; "
                    + ", ".join(k for k in kinds if not k.startswith("api."))[:200],
                )
        if op.secured is True:
            self.session.add(
                rules.SECURITY_NOT_ENFORCED,
                Location(url=where),
                value=f"enforced:{where}",
                evidence=f"{op.method} without credentials: {plain.status}",
            )

    def _exposure(self, op: Operation, where: str, report: BodyReport) -> None:
        """OWASP API3:2023: personal-data fields in the answer that the schema leaves out."""
        if not op.documented or not op.response_properties:
            return
        declared = {f.name for f in op.response_fields if f.category}
        returned = {path.rsplit(".", 1)[-1] for path in report.fields}
        undocumented = sorted(n for n in returned if n not in op.response_properties)
        if len(undocumented) >= EXPOSURE_MIN_UNDOCUMENTED and len(undocumented) > len(declared):
            self.session.add(
                rules.EXCESSIVE_EXPOSURE,
                Location(url=where),
                value=f"exposure:{where}",
                evidence=f"{len(undocumented)} undocumented personal-data fields: "
                + ", ".join(undocumented)[:200],
                description=f"{op.key} returns {len(returned)} personal-data fields; its "
                f"documented schema declares {len(declared)}. Undocumented: "
                + ", ".join(undocumented)[:300],
                extra={
                    "undocumented": undocumented,
                    "fields": sorted(field_names(report.parsed))[:100],
                },
            )

    def _cors(self, where: str, exchanges: list[Exchange]) -> None:
        found = {checks.cors_problem(e.headers) for e in exchanges if e.status}
        if "credentials" in found:
            rule = rules.CORS_CREDENTIALS
        elif "reflected" in found:
            rule = rules.CORS_REFLECTED
        else:
            return
        allowed = next(
            e.headers.get("access-control-allow-origin", "")
            for e in exchanges
            if e.status and checks.cors_problem(e.headers)
        )
        self.session.add(
            rule,
            Location(url=where),
            value=f"cors:{where}",
            evidence=f"Access-Control-Allow-Origin: {allowed[:80]}",
        )

    def _verbose(self, where: str, exchange: Exchange) -> None:
        if exchange.ok or not exchange.body:
            return
        marker = checks.verbose_error(exchange.body)
        if marker is not None:
            self.session.add(
                rules.STACK_TRACE,
                Location(url=where),
                value=f"verbose:{where}",
                evidence=f"{exchange.status}: {marker}",
            )

    def _malformed_id(self, op: Operation, seen: datamap.Observed) -> None:
        """A GET with a malformed id in the path: how the API answers bad input."""
        if op.method != "GET":
            return
        names = [
            p.name
            for p in op.parameters
            if p.where == "path" and p.schema.get("type") in ("integer", "number")
        ]
        if not names:
            return
        path = op.path
        for p in op.parameters:
            if p.where == "path":
                value = MALFORMED_ID if p.name in names else (p.example or MALFORMED_ID)
                path = path.replace("{" + p.name + "}", str(value))
        url = self.url_of(op, path)
        if url is None:
            return
        answer = self.client.send("GET", url, authenticated=True)
        self.observe(answer)
        where = seen.url or url.display
        self._verbose(where, answer)

    # -- API-wide -----------------------------------------------------------------------

    def observe(self, exchange: Exchange) -> None:
        """Headers that are about the API as a whole: counted, reported once at the end."""
        if not exchange.status:
            return
        headers = exchange.headers
        url = exchange.url.display
        if checks.rate_limit_signal(headers, exchange.status):
            self.rate_limited = True
        if "x-content-type-options" not in headers and exchange.body:
            self.headers_missing.setdefault(rules.NOSNIFF_MISSING, []).append(url)
        if exchange.url.scheme == "https" and "strict-transport-security" not in headers:
            self.headers_missing.setdefault(rules.HSTS_MISSING, []).append(url)
        for banner in checks.banners(headers):
            self.banners.setdefault(banner, url)

    def _rate_limit(self) -> None:
        if self.rate_limited:
            return
        target = self.readable[0][1] if self.readable else self.base
        for _ in range(self.options.burst):
            answer = self.client.send("GET", target, authenticated=True, paced=False)
            if checks.rate_limit_signal(answer.headers, answer.status):
                self.rate_limited = True
                return
        self.session.add(
            rules.NO_RATE_LIMIT,
            Location(url=self.base.display),
            value=f"ratelimit:{self.base.endpoint}",
            evidence=f"{self.options.burst} requests to {target.display}: no 429, "
            "Retry-After or RateLimit headers",
        )

    def _api_wide(self) -> None:
        where = Location(url=self.base.display)
        for rule, urls in sorted(self.headers_missing.items()):
            unique = sorted(set(urls))
            self.session.add(
                rule,
                where,
                value=f"{rule}:{self.base.endpoint}",
                evidence=f"{len(unique)} URL(s), e.g. {unique[0][:150]}",
            )
        for banner in sorted(self.banners):
            self.session.add(rules.BANNER, where, value=banner, evidence=banner)
