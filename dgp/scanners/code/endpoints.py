"""Whether a plain http:// URL in code is an endpoint that carries personal data.

The rule code.http_personal_data looks for http:// URLs about people. A word
inside a longer word says nothing ("UserGuide", "AccountManagement" in a
documentation link), and a documentation page is read, not sent personal data
to: only a path segment or a query parameter that names personal data counts
(`/customer/123`, `/api/user_profile`, `?email=`), on a host that is no
documentation site and in a URL that is no static document.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

# Words that name personal data when they stand alone in a path segment or a
# parameter name (split at every non-letter: "user_profile", "id-users", "v1/customers").
PERSONAL_WORDS = frozenset(
    """user users userinfo userdata customer customers klant klanten patient patients
    patient patienten email emails mail bsn ssn profile profiles account accounts login
    signin signup register registration payment payments address addresses adres person
    persons people member members contact contacts""".split()
)
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "[::1]", "::1"})
LOCAL_SUFFIXES = (".local", ".localhost", ".test", ".example", ".invalid")
# Hosts that publish documentation, specifications and schemas.
_DOC_HOST = re.compile(
    r"^(?:docs?|developers?|devcenter|wiki|help|support|learn|manual|man|schemas?|specs?"
    r"|documentation|api-?docs|reference|kb|blog)\.|\.readthedocs\.(?:io|org)$"
    r"|(?:^|\.)(?:w3\.org|ietf\.org|rfc-editor\.org|python\.org|mozilla\.org|github\.io)$"
)
# A static document: read by a person, not an endpoint (unless a query sends it data).
_DOC_PATH = re.compile(
    r"\.(?:html?|xhtml|pdf|md|rst|txt|xsd|dtd|wsdl|css|js|png|jpe?g|gif|svg|ico)$"
)
_TOKENS = re.compile(r"[^0-9a-zà-ÿ]+")
_TRAILING = ".,;:!?)]}*`"


def is_local_host(host: str) -> bool:
    return host in LOCAL_HOSTS or host.endswith(LOCAL_SUFFIXES)


def personal_endpoint(url: str) -> bool:
    """True when `url` (starting with http://) names personal data in a path segment or
    a query parameter of a host that is neither local nor a documentation site."""
    try:
        parts = urlsplit(url.rstrip(_TRAILING))
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    if not host or is_local_host(host) or _DOC_HOST.search(host):
        return False
    path = parts.path.lower()
    if (_DOC_PATH.search(path) or parts.fragment) and not parts.query:
        return False  # a page to read (an anchor in it): nothing is sent
    names = [path, *(name for name, _ in parse_qsl(parts.query, keep_blank_values=True))]
    return any(token in PERSONAL_WORDS for name in names for token in _TOKENS.split(name.lower()))
