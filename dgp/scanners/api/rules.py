"""The API scanner's rules (SPEC 3.9), each with the law behind it.

Security of processing: GDPR art. 5(1)(f) and 32; data protection by design and
by default (art. 25) for what an API hands out without being asked (OWASP API
Security Top 10 2023, API3 "broken object property level authorization", is the
security side of data minimisation, art. 5(1)(c)); the records of processing
(art. 30) for the data map; the BSN's own rules (UAVG art. 46).
"""

from __future__ import annotations

from dgp.domain.severity import Severity
from dgp.engine import legal
from dgp.engine.rules import RuleBook
from dgp.scanners.common_rules import ITEM_NOT_SCANNED

_S = Severity
_BOOK = RuleBook()
_rule = _BOOK.rule
BY_DESIGN = (legal.gdpr("5(1)(c)"), legal.gdpr("25"))
RECORDS = (legal.gdpr("30"),)
BREACH = (legal.gdpr("32"), legal.gdpr("33"))


# -- transport --------------------------------------------------------------------------

NO_HTTPS = _rule(
    "api.tls.no_https",
    "security",
    _S.HIGH,
    "API served without TLS",
    "The API answers over plain HTTP: tokens and personal data cross the network readable "
    "and changeable by anyone on the path.",
    legal.SECURITY,
    "Serve the API over HTTPS only (TLS 1.2 or 1.3) and refuse or redirect plain HTTP.",
)
TLS_OLD = _rule(
    "api.tls.old_version",
    "security",
    _S.MEDIUM,
    "Outdated TLS version",
    "The API negotiated a TLS version before 1.2, which the Dutch NCSC's TLS guidelines "
    "rate insufficient.",
    legal.SECURITY,
    "Turn off TLS 1.0 and 1.1 on the server; offer TLS 1.2 and 1.3.",
)
TLS_EXPIRING = _rule(
    "api.tls.certificate_expiring",
    "security",
    _S.LOW,
    "TLS certificate expires soon",
    "The API's certificate expires within 30 days; clients will then refuse to connect or, "
    "worse, be told to ignore certificate errors.",
    legal.SECURITY,
    "Renew the certificate, and automate renewal (ACME) with monitoring of expiry.",
)
TLS_INVALID = _rule(
    "api.tls.certificate_invalid",
    "security",
    _S.HIGH,
    "TLS certificate does not verify",
    "The API's certificate does not verify (expired, wrong name, unknown issuer): clients "
    "cannot tell the API from an impostor. Nothing was read from it.",
    legal.SECURITY,
    "Install a certificate for the API's name from a trusted CA, with its full chain.",
)

# -- headers ----------------------------------------------------------------------------

HSTS_MISSING = _rule(
    "api.header.hsts_missing",
    "security",
    _S.LOW,
    "No Strict-Transport-Security",
    "Without HSTS a client that once follows a plain-HTTP link can be downgraded.",
    legal.SECURITY,
    "Send Strict-Transport-Security: max-age=31536000; includeSubDomains.",
)
NOSNIFF_MISSING = _rule(
    "api.header.nosniff_missing",
    "security",
    _S.LOW,
    "No X-Content-Type-Options: nosniff",
    "Browsers may read an API answer as HTML or script when its content type is sniffed.",
    legal.SECURITY,
    "Send X-Content-Type-Options: nosniff on every response.",
)
BANNER = _rule(
    "api.header.version_banner",
    "security",
    _S.LOW,
    "Server software and version disclosed",
    "A response header names the server or framework with its version: an attacker "
    "learns which known vulnerabilities to try.",
    legal.SECURITY,
    "Remove Server versions and X-Powered-By (or similar) headers in the server or proxy.",
)
CACHEABLE_PERSONAL_DATA = _rule(
    "api.header.cacheable_personal_data",
    "security",
    _S.MEDIUM,
    "Personal data in a cacheable response",
    "A response with personal data has no Cache-Control: no-store or private: shared "
    "caches and proxies may keep it and hand it to someone else.",
    (*legal.SECURITY, legal.gdpr("5(1)(e)")),
    "Send Cache-Control: no-store (or private, no-cache) on responses with personal data.",
)

# -- CORS, authentication, rate limits, errors ------------------------------------------

CORS_CREDENTIALS = _rule(
    "api.cors.credentials_any_origin",
    "security",
    _S.HIGH,
    "CORS allows any origin with credentials",
    "The API allows every origin (*, or whatever Origin the request names) together with "
    "Access-Control-Allow-Credentials: true: any web site a signed-in user visits can read "
    "the API's answers in that user's name.",
    legal.SECURITY,
    "Allow only the API's own front-end origins (an allowlist), and credentials only for them.",
)
CORS_REFLECTED = _rule(
    "api.cors.reflected_origin",
    "security",
    _S.LOW,
    "CORS reflects any origin",
    "The API echoes whatever Origin a request names in Access-Control-Allow-Origin.",
    legal.SECURITY,
    "Compare the Origin against an allowlist instead of reflecting it.",
)
UNAUTHENTICATED_PERSONAL_DATA = _rule(
    "api.auth.unauthenticated_personal_data",
    "security",
    _S.HIGH,
    "Personal data without authentication",
    "The endpoint answered a request without any credential with personal data: anyone who "
    "knows the URL can read it (a data breach in the sense of GDPR art. 4(12)).",
    (*legal.SECURITY, *BREACH[1:], *BY_DESIGN),
    "Require authentication (and authorisation per object) on every endpoint that returns "
    "personal data; check whether it was already read by others (logs) and whether a "
    "breach must be notified.",
)
SECURITY_NOT_ENFORCED = _rule(
    "api.auth.security_not_enforced",
    "security",
    _S.HIGH,
    "Documented authentication not enforced",
    "The OpenAPI document says this operation needs a credential, but it answered 2xx without one.",
    legal.SECURITY,
    "Enforce the documented security requirement in the API (middleware or gateway) and test it.",
)
NO_RATE_LIMIT = _rule(
    "api.ratelimit.no_signal",
    "security",
    _S.LOW,
    "No sign of rate limiting",
    "A short burst of requests got no 429, Retry-After or RateLimit headers: enumeration "
    "of ids, credential stuffing and scraping of personal data are not slowed down.",
    legal.SECURITY,
    "Limit requests per client and token (gateway or middleware) and announce the limits "
    "with RateLimit headers and 429 + Retry-After.",
)
STACK_TRACE = _rule(
    "api.error.verbose",
    "security",
    _S.MEDIUM,
    "Verbose error or stack trace",
    "An error response shows a stack trace, source paths or a database error: it tells an "
    "attacker how the API is built and may echo data.",
    legal.SECURITY,
    "Return a short error with a reference id; log the details on the server only.",
)
PERSONAL_FIELD = _rule(
    "api.response.personal_field",
    "pii",
    _S.LOW,
    "Personal-data field in a response",
    "A response field whose name means personal data holds a value.",
    legal.PERSONAL_DATA,
    "Return the field only to clients that need it, and record it in the register of "
    "processing activities.",
)
SPECIAL_FIELD = _rule(
    "api.response.special_category_field",
    "special_category",
    _S.HIGH,
    "Special-category field in a response",
    "A response field whose name means special-category data (health, religion, ethnicity, "
    "criminal records, ...) holds a value.",
    (*legal.SPECIAL_CATEGORY, *legal.SECURITY),
    "Return it only where an exception of GDPR art. 9(2) (UAVG art. 22-30) applies, to "
    "authorised clients, and encrypted in transit and at rest.",
)
EXCESSIVE_EXPOSURE = _rule(
    "api.exposure.excessive_data",
    "security",
    _S.HIGH,
    "Excessive data exposure (OWASP API3:2023)",
    "The response holds many more personal-data fields than the operation's documented "
    "schema declares: the API sends whole records and relies on clients to pick fields.",
    (*BY_DESIGN, *legal.SECURITY),
    "Return only the documented fields (a response model or serializer per operation), and "
    "keep the schema and the implementation in step (contract tests).",
)

# -- the OpenAPI document as a data map -------------------------------------------------

DATAMAP_UNPROTECTED = _rule(
    "api.datamap.unprotected_personal_data",
    "security",
    _S.MEDIUM,
    "Operation with personal data and no security requirement",
    "The OpenAPI document declares that this operation takes or returns personal data, "
    "and no security requirement for it.",
    (*legal.SECURITY, *BY_DESIGN),
    "Declare and enforce a security scheme for the operation (or globally).",
)
DATAMAP_QUERY = _rule(
    "api.datamap.personal_data_in_query",
    "pii",
    _S.MEDIUM,
    "Personal data in a query string",
    "A query parameter carries personal data: URLs end up in server, proxy and gateway logs, "
    "browser history and Referer headers.",
    (*legal.SECURITY, *BY_DESIGN),
    "Move the value into the request body (POST search) or a header, or use an opaque id.",
)
DATAMAP_EXAMPLE = _rule(
    "api.datamap.example_personal_data",
    "pii",
    _S.MEDIUM,
    "Real-looking personal data in an example",
    "An example in the OpenAPI document holds a value that passes the checks of a real "
    "identifier (a valid BSN, IBAN, card number, ...): possibly a copy of production data, "
    "published with the documentation.",
    (*legal.PERSONAL_DATA, *legal.SECURITY),
    "Use made-up examples that fail the checksums (e.g. BSN 000000000, "
    "NL00TEST0000000000) and check where the value came from.",
)
OPENAPI_INVALID = _rule(
    "api.openapi.invalid",
    "governance",
    _S.LOW,
    "OpenAPI document does not validate",
    "The API's OpenAPI document does not validate against the OpenAPI specification; tools "
    "(gateways, contract tests, this data map) may read it differently than intended.",
    RECORDS,
    "Fix the document (the first error is shown) and validate it in CI.",
)
OPENAPI_MISSING = _rule(
    "api.openapi.not_found",
    "governance",
    _S.INFO,
    "No OpenAPI document",
    "No OpenAPI document was given or found at the usual locations: only common paths were "
    "tried, and no data map of the API can be made.",
    RECORDS,
    "Publish (or give the scan) an OpenAPI document: it is the basis of the record of "
    "which personal data the API processes.",
)
OPENAPI_UNRESOLVED = _rule(
    "api.openapi.unresolved_reference",
    "governance",
    _S.INFO,
    "Reference in the OpenAPI document not followed",
    "A $ref points outside the document or to a place that does not exist; it is not "
    "followed (remote references are never fetched), so that part is not in the data map.",
    RECORDS,
    "Bundle the document into one file (every $ref local) and fix broken references.",
)

# -- active mode ------------------------------------------------------------------------

INJECTION = _rule(
    "api.active.injection_error",
    "security",
    _S.HIGH,
    "Injection marker caused a database error",
    "A request with an SQL or NoSQL injection marker in a parameter made the API answer "
    "with a database error: input reaches a query unescaped.",
    legal.SECURITY,
    "Use parameterised queries (or the driver's query builder) for every input; never "
    "build queries with string formatting or pass JSON objects into query filters.",
)
IDOR = _rule(
    "api.active.object_level_access",
    "security",
    _S.HIGH,
    "Other objects readable by changing the id (OWASP API1:2023)",
    "Changing the id in the path returned another object with personal data for the same "
    "credential: object-level authorisation may be missing.",
    (*legal.SECURITY, *BY_DESIGN),
    "Check per request that the caller may access the object with that id.",
)
MASS_ASSIGNMENT = _rule(
    "api.active.mass_assignment",
    "security",
    _S.HIGH,
    "Undocumented fields accepted (mass assignment)",
    "A write with undocumented fields (such as role or is_admin) was accepted and the "
    "fields came back in the answer: clients can set properties they should not.",
    legal.SECURITY,
    "Bind request bodies to an explicit model with the writable fields only; reject "
    "unknown fields.",
)

RULE_IDS: tuple[str, ...] = (*_BOOK.ids, ITEM_NOT_SCANNED)
