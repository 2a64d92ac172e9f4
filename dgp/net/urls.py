"""Target URLs: parsed once, normalised, shown redacted; credentials in them refused.

A URL is read the way the programs that use it will read it: the scheme in any
case, an internationalised host name as its IDNA (punycode) form, and every
numeric host form the C library accepts (2130706433, 0177.0.0.1, 0x7f.1, 127.1)
as the dotted address it stands for, so the address the SSRF policy checks is
the one that is dialled. Anything that does not parse cleanly is refused rather
than guessed at: parsers that disagree about a URL are how SSRF guards are passed.

Credentials are refused in every target the services store: a user name or
password (whatever the scheme's case) and query or fragment parameters that
carry secrets (access_token, api_key, sig, X-Amz-Signature, ...). Targets are
shown to every reader of a scan; secrets belong in the encrypted credential store.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import socket
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass

from dgp.net.errors import TargetRefused

DEFAULT_PORTS = {"http": 80, "https": 443, "ssh": 22, "git": 9418}
WEB_SCHEMES = ("http", "https")
MAX_HOST = 253

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
# git's scp-like syntax, user@host:path (no "://"; the user is required here so that
# names such as "upload:report.pdf" are not read as hosts)
_SCP_LIKE = re.compile(
    r"^(?P<user>[^@/\\\s:]+)(?::(?P<password>[^@/\\\s]*))?@"
    r"(?P<host>\[[^\]/]+\]|[^:/\\\s\[\]]+):(?P<path>.*)$"
)
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_NUMERIC_PART = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")
_PARAM = re.compile(r"(?<=[?&;#])([^=&;#?\s]+)=([^&;#\s]*)")
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[/\\]+[^\s'\"<>`]+")
# user:password@host without a scheme (git's scp-like form, connection strings)
_PASSWORD_AT = re.compile(r"(?<![^\s'\"<>`(=,])[^\s'\"<>`@/:]+:[^\s'\"<>`@/]*@(?=[\w\[])")

# Query and fragment parameter names that carry secrets, compared in lower case with
# "-" read as "_": exact names, and parts of names (access_token, X-Amz-Signature, ...).
SECRET_PARAMS = frozenset(
    {
        "key",
        "sig",
        "auth",
        "authorization",
        "pass",
        "pwd",
        "jwt",
        "sid",
        "session",
        "sessionid",
        "session_id",
        "jsessionid",
        "phpsessid",
        "apikey",
        "accesskey",
        "secretkey",
        "privatekey",
        "appkey",
        "clientkey",
        "subscriptionkey",
    }
)
SECRET_PARTS = ("token", "secret", "passw", "signature", "credential", "api_key")


def is_secret_param(name: str) -> bool:
    """Whether a query parameter of this name carries a secret (its value is never kept)."""
    name = urllib.parse.unquote_plus(name).strip().lower().replace("-", "_")
    return (
        name in SECRET_PARAMS or name.endswith("_key") or any(part in name for part in SECRET_PARTS)
    )


@dataclass(frozen=True, repr=False)
class TargetURL:
    """A parsed, normalised network target. `str()` and `repr()` show it redacted."""

    scheme: str  # lower case
    host: str  # lower-case ASCII name (IDNA), dotted IPv4, or IPv6 without brackets
    port: int  # as given, else the scheme's default
    path: str = ""
    query: str = ""
    fragment: str = ""
    username: str | None = None
    password: str | None = None
    explicit_port: bool = False
    scp_like: bool = False  # git's user@host:path form (ssh)

    @property
    def address(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        """The host as an address when it is one (no name to resolve)."""
        try:
            return ipaddress.ip_address(self.host)
        except ValueError:
            return None

    @property
    def bracketed_host(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    @property
    def endpoint(self) -> str:
        """ "host:port": a unit of availability (per-host circuit breakers)."""
        return f"{self.bracketed_host}:{self.port}"

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)

    @property
    def url(self) -> str:
        """The normalised URL without user information."""
        return self._render(userinfo="")

    @property
    def url_with_user(self) -> str:
        """The normalised URL with its user name (ssh's account, as in git@host), never
        a password."""
        user = "" if self.username is None else urllib.parse.quote(self.username, safe="") + "@"
        return self._render(userinfo=user)

    @property
    def display(self) -> str:
        """The URL as shown to people and written to logs: user information and secret
        parameter values replaced by ***."""
        return _redact_params(self._render(userinfo="***@" if self.has_userinfo else ""))

    @property
    def has_userinfo(self) -> bool:
        return self.username is not None or self.password is not None

    def with_path(self, path: str, query: str = "") -> TargetURL:
        return dataclasses.replace(self, path=path, query=query, fragment="")

    def without_userinfo(self) -> TargetURL:
        return dataclasses.replace(self, username=None, password=None)

    def _render(self, userinfo: str) -> str:
        if self.scp_like:  # the user names the account (git@); a password is never shown
            user = "***" if userinfo and self.password is not None else self.username
            return f"{user}@{self.bracketed_host}:{self.path}"
        netloc = userinfo + self.bracketed_host
        if self.explicit_port and self.port != DEFAULT_PORTS.get(self.scheme):
            netloc += f":{self.port}"
        text = f"{self.scheme}://{netloc}{self.path}"
        if self.query:
            text += f"?{self.query}"
        if self.fragment:
            text += f"#{self.fragment}"
        return text

    def __str__(self) -> str:
        return self.display

    def __repr__(self) -> str:
        return f"TargetURL({self.display!r})"


def parse_url(text: str, schemes: Iterable[str] = WEB_SCHEMES) -> TargetURL:
    """`text` as a TargetURL if its scheme is one of `schemes` (git's user@host:path
    counts as ssh); TargetRefused, with the reason, for anything else. Credentials are
    parsed, not refused here: `refuse_credentials` decides about those."""
    allowed = tuple(schemes)
    text = text.strip()
    shown = redact(text)
    if _CONTROL.search(text):
        raise TargetRefused(f"{shown!r}: a URL may not contain spaces or control characters")
    if "://" not in text and "ssh" in allowed and (scp := _SCP_LIKE.match(text)):
        return _scp_like(scp, shown)
    scheme = _SCHEME.match(text)
    if scheme is None or not text[scheme.end() :].startswith("//"):
        raise TargetRefused(f"{shown!r} is not a URL (scheme://host/...)")
    name = scheme.group(1).lower()
    if name not in allowed:
        raise TargetRefused(f"{name}:// URLs are not accepted here (only {', '.join(allowed)})")
    try:
        parts = urllib.parse.urlsplit(text)
    except ValueError:  # an unbalanced [ ] in the host
        raise TargetRefused(f"{shown!r} is not a valid URL") from None
    if "\\" in parts.netloc:
        raise TargetRefused(f"{shown!r}: a backslash in the host part is ambiguous; refused")
    userinfo, at, hostport = parts.netloc.rpartition("@")
    username = password = None
    if at:
        user, colon, secret = userinfo.partition(":")
        username = urllib.parse.unquote(user)
        password = urllib.parse.unquote(secret) if colon else None
    try:
        port = parts.port
    except ValueError:
        raise TargetRefused(f"{shown!r}: not a valid port") from None
    if port == 0:
        raise TargetRefused(f"{shown!r}: port 0 is not a port to connect to")
    host = normalise_host(parts.hostname or "", bracketed=hostport.startswith("["), shown=shown)
    path = parts.path or ("/" if name in WEB_SCHEMES else "")
    return TargetURL(
        scheme=name,
        host=host,
        port=port or DEFAULT_PORTS.get(name, 0),
        path=path,
        query=parts.query,
        fragment=parts.fragment,
        username=username,
        password=password,
        explicit_port=port is not None,
    )


def _scp_like(match: re.Match[str], shown: str) -> TargetURL:
    raw = match.group("host")
    bracketed = raw.startswith("[")
    host = normalise_host(raw.strip("[]").lower(), bracketed=bracketed, shown=shown)
    return TargetURL(
        scheme="ssh",
        host=host,
        port=DEFAULT_PORTS["ssh"],
        path=match.group("path"),
        username=match.group("user"),
        password=match.group("password"),
        scp_like=True,
    )


def normalise_host(host: str, *, bracketed: bool = False, shown: str = "") -> str:
    """The host as it will be dialled: an IPv6 literal, the dotted form of any numeric
    IPv4 form the C library accepts, or a lower-case ASCII (IDNA) name."""
    where = shown or host
    if not host:
        raise TargetRefused(f"{where!r} has no host")
    if bracketed:
        if "%" in host:
            raise TargetRefused(f"{where!r}: IPv6 zone identifiers are not accepted")
        try:
            return str(ipaddress.IPv6Address(host))
        except ValueError:
            raise TargetRefused(f"{where!r}: not a valid IPv6 address") from None
    host = host.lower().removesuffix(".")
    labels = host.split(".")
    if _NUMERIC_PART.match(labels[-1]):  # a numeric last label: an IPv4 address or nothing
        if not all(_NUMERIC_PART.match(label) for label in labels):
            raise TargetRefused(f"{where!r}: not a valid IPv4 address")
        try:  # inet_aton is what getaddrinfo applies to numeric hosts: octal, hex, short
            return socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            raise TargetRefused(f"{where!r}: not a valid IPv4 address") from None
    if not host.isascii():
        host = _idna(host, where)
        labels = host.split(".")
    if len(host) > MAX_HOST or not all(_LABEL.match(label) for label in labels):
        raise TargetRefused(f"{where!r}: not a valid host name")
    return host


def _idna(host: str, where: str) -> str:
    import idna  # only for non-ASCII names: its tables are large

    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        raise TargetRefused(f"{where!r}: not a valid host name") from None


def find_credentials(text: str) -> str | None:
    """What in `text` (a URL in any scheme and case, git's user@host:path, or a path)
    is a credential, described without its value; None if nothing is.

    A user name is a credential except in ssh, where it names the account and the
    secret lives in a key (git@host:path). A query or fragment parameter is one when
    its name says so (access_token, api_key, X-Amz-Signature, sig, ...)."""
    text = text.strip()
    if "://" not in text and (scp := _SCP_LIKE.match(text)):
        return "a password" if scp.group("password") is not None else None
    scheme = _SCHEME.match(text)
    if scheme is not None and len(scheme.group(1)) > 1:  # "C:\..." is a path, not a URL
        rest = text[scheme.end() :].lstrip("/\\")
        authority = re.split(r"[/\\?#]", rest, maxsplit=1)[0]
        userinfo, at, _ = authority.rpartition("@")
        if at and ":" in userinfo:
            return "a password"
        if at and scheme.group(1).lower() != "ssh":
            return "a user name (where a token often goes)"
    for name, _value in _PARAM.findall(text):
        if is_secret_param(name):
            return f"the parameter {urllib.parse.unquote_plus(name)!r}"
    return None


def refuse_credentials(text: str) -> None:
    """TargetRefused if the target carries a credential (see find_credentials)."""
    what = find_credentials(text)
    if what is not None:
        raise TargetRefused(
            f"credentials in the URL are not accepted ({what}): they would be stored and "
            "shown with the scan; use a URL without them or an upload"
        )


def web_target(text: str, instead: str = "") -> TargetURL:
    """An http(s) target as a user types it (https:// when no scheme is given), never with
    credentials in it; TargetRefused (a ValueError) says why not. `instead` tells the
    user where credentials go for this kind."""
    text = text.strip()
    if "://" not in text:
        text = "https://" + text
    refuse_credentials(text)
    target = parse_url(text, WEB_SCHEMES)
    if target.has_userinfo:
        raise TargetRefused(f"credentials in the URL are not accepted{instead}")
    return target


def redact(url: str) -> str:
    """One URL with its user information and secret parameter values replaced by ***;
    works on URLs that do not parse as well (they are shown in error messages)."""
    scheme = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:[/\\]*", url)
    if scheme is None:
        return _redact_params(url)
    start = scheme.end()
    end = next((i for i, c in enumerate(url[start:], start) if c in "/\\?#"), len(url))
    authority = url[start:end]
    if "@" in authority:
        authority = "***@" + authority.rpartition("@")[2]
    return url[:start] + authority + _redact_params(url[end:])


def redact_text(text: str) -> str:
    """`text` (an error message, a log line) with every URL in it redacted."""
    text = _URL_IN_TEXT.sub(lambda m: redact(m.group(0)), text)
    return _PASSWORD_AT.sub("***@", text)


def _redact_params(text: str) -> str:
    return _PARAM.sub(
        lambda m: f"{m.group(1)}=***" if is_secret_param(m.group(1)) else m.group(0), text
    )


def endpoint(target: str) -> str | None:
    """ "host:port" of a network target (http, https, ssh, git, user@host:path), for
    per-host circuit breakers; None for anything that is not one (a path, file://)."""
    try:
        return parse_url(target, schemes=DEFAULT_PORTS).endpoint
    except TargetRefused:
        return None
