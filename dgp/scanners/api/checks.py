"""What one response's headers and status say: transport, CORS, banners, caching,
rate-limit signals and verbose errors. Pure functions of an Exchange: the scanner
decides where each finding goes.
"""

from __future__ import annotations

import re
import time

import httpx

from dgp.net.fetch import TLSInfo

CORS_PROBE_ORIGIN = "https://dgp-cors-check.example"  # a made-up origin no API allows
OLD_TLS = frozenset({"SSLv2", "SSLv3", "TLSv1", "TLSv1.1"})
EXPIRY_WARNING_SECONDS = 30 * 24 * 3600
BANNER_HEADERS = (
    "server",
    "x-powered-by",
    "x-aspnet-version",
    "x-aspnetmvc-version",
    "x-generator",
    "x-runtime-version",
    "x-version",
)
_VERSION = re.compile(r"\d+\.\d+")
RATE_LIMIT_HEADERS = (
    "ratelimit",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "ratelimit-policy",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-rate-limit-limit",
    "retry-after",
)
# stack traces and error pages of the usual stacks, and database errors
VERBOSE_ERROR = re.compile(
    r"Traceback \(most recent call last\)"
    r"|File \"[^\"]+\", line \d+"
    r"|\bat [\w$.]+\([\w$]+\.(?:java|kt|scala):\d+\)"
    r"|\bat [\w$.<>]+ in [^\n]+:line \d+"  # .NET
    r"|System\.[A-Za-z]+Exception"
    r"|Exception in thread \""
    r"|(?:Fatal error|Warning|Parse error)</b>:? .+ on line \d+"
    r"|\bat (?:Object\.|Module\.|async )?[\w$.<>]+ \((?:/|[A-Za-z]:\\|node:)[^)]+:\d+:\d+\)"
    r"|\"(?:stack|stackTrace|trace|exception)\"\s*:\s*[\"\[]"
    r"|\bvendor/laravel/|\bsite-packages/|\bnode_modules/"
)
DATABASE_ERROR = re.compile(
    r"SQLSTATE\[|\bORA-\d{5}\b|You have an error in your SQL syntax|syntax error at or near"
    r"|psycopg2?\.errors|\bsqlite3\.OperationalError|unterminated quoted string"
    r"|Unclosed quotation mark|\bMongo(?:Server)?Error\b|\$where|BSON field|CastError"
    r"|SequelizeDatabaseError|org\.hibernate|PG::SyntaxError|quoted string not properly"
    r"terminated|Microsoft OLE DB|ODBC SQL Server Driver",
    re.IGNORECASE,
)


def banners(headers: httpx.Headers) -> list[str]:
    """Headers that name software with a version: ["Server: nginx/1.18.0"]."""
    return [
        f"{name}: {headers[name][:80]}"
        for name in BANNER_HEADERS
        if name in headers and _VERSION.search(headers[name])
    ]


def cors_problem(headers: httpx.Headers, origin: str = CORS_PROBE_ORIGIN) -> str | None:
    """'credentials' (any origin with credentials), 'reflected' (any origin), or None."""
    allowed = headers.get("access-control-allow-origin", "").strip()
    credentials = headers.get("access-control-allow-credentials", "").strip().lower() == "true"
    if not allowed:
        return None
    any_origin = allowed == "*" or allowed == origin or allowed.lower() == "null"
    if any_origin and credentials:
        return "credentials"
    if allowed == origin:
        return "reflected"
    return None


def cacheable(headers: httpx.Headers) -> bool:
    """Whether a shared cache may keep the response."""
    control = headers.get("cache-control", "").lower()
    directives = {d.split("=", 1)[0].strip() for d in control.split(",")}
    return not directives & {"no-store", "private"}


def rate_limit_signal(headers: httpx.Headers, status: int) -> bool:
    return status == 429 or any(name in headers for name in RATE_LIMIT_HEADERS)


def verbose_error(body: bytes) -> str | None:
    """The first verbose-error marker in a body, as short evidence, or None."""
    text = body[:200_000].decode("utf-8", "replace")
    match = VERBOSE_ERROR.search(text) or DATABASE_ERROR.search(text)
    return match.group(0)[:120] if match else None


def database_error(body: bytes) -> str | None:
    match = DATABASE_ERROR.search(body[:200_000].decode("utf-8", "replace"))
    return match.group(0)[:120] if match else None


def tls_problems(tls: TLSInfo | None, now: float | None = None) -> list[tuple[str, str]]:
    """(what, evidence) for an old protocol and a certificate close to expiry."""
    if tls is None:
        return []
    found = []
    if tls.version in OLD_TLS:
        found.append(("old_version", tls.version))
    left = tls.not_after - (time.time() if now is None else now)
    if left < EXPIRY_WARNING_SECONDS:
        days = max(0, int(left // 86400))
        found.append(("expiring", f"{tls.subject}: expires in {days} days"))
    return found
