"""The target policy of everything that goes over the network (SSRF, credentials, limits).

Light on purpose: URL parsing, redaction, credential refusal and the address policy
import only the standard library, so the web app and the kind specs can validate and
show targets. The HTTP fetcher (httpx) is `dgp.net.fetch`, imported by the processes
that fetch.
"""

from dgp.net.errors import (
    FetchFailed,
    NetError,
    ResponseTooLarge,
    TargetRefused,
    TargetUnreachable,
    TLSFailed,
    TooManyRedirects,
)
from dgp.net.policy import Checked, NetPolicy, Resolver, check_target, system_resolver
from dgp.net.urls import (
    DEFAULT_PORTS,
    WEB_SCHEMES,
    TargetURL,
    endpoint,
    find_credentials,
    is_secret_param,
    normalise_host,
    parse_url,
    redact,
    redact_text,
    refuse_credentials,
    web_target,
)

__all__ = [
    "DEFAULT_PORTS",
    "WEB_SCHEMES",
    "Checked",
    "FetchFailed",
    "NetError",
    "NetPolicy",
    "Resolver",
    "ResponseTooLarge",
    "TLSFailed",
    "TargetRefused",
    "TargetURL",
    "TargetUnreachable",
    "TooManyRedirects",
    "check_target",
    "endpoint",
    "find_credentials",
    "is_secret_param",
    "normalise_host",
    "parse_url",
    "redact",
    "redact_text",
    "refuse_credentials",
    "system_resolver",
    "web_target",
]
