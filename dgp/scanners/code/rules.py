"""Privacy anti-patterns in source code (SPEC 3.1) and tracking SDKs in dependencies.

The anti-patterns are PatternSpecs: the code scanner adds them to the detection
engine's hyperscan database, so a file is still read once for everything.
"""

from __future__ import annotations

import re

from dgp.domain.severity import Severity
from dgp.engine import legal
from dgp.engine.patterns import PatternSpec
from dgp.engine.rules import RULES, define
from dgp.scanners.code.endpoints import personal_endpoint

define(
    "code.pii_in_log",
    "security",
    Severity.MEDIUM,
    "Personal data written to a log",
    "A log or print call includes a field that holds personal data or a credential; logs "
    "are kept long, copied widely and rarely protected like the database.",
    (legal.gdpr("5(1)(c)"), legal.gdpr("5(1)(f)"), legal.gdpr("32")),
    "Log an identifier or a masked value instead, or leave the field out.",
)
define(
    "code.weak_password_hash",
    "security",
    Severity.HIGH,
    "Password hashed with MD5 or SHA-1",
    "Fast unsalted hashes are cracked in bulk once the table leaks.",
    legal.SECURITY,
    "Use a slow salted password hash: argon2id, scrypt or bcrypt.",
)
define(
    "code.sql_string_format",
    "security",
    Severity.HIGH,
    "SQL built with string formatting",
    "Values pasted into SQL text allow SQL injection, which exposes the personal data in "
    "the database.",
    legal.SECURITY,
    "Use parameterised queries (placeholders), never string formatting or concatenation.",
)
define(
    "code.http_personal_data",
    "security",
    Severity.MEDIUM,
    "Personal data sent over plain http://",
    "An unencrypted http:// endpoint with a personal-data path or parameter: anyone on the "
    "network path can read or change it.",
    legal.SECURITY,
    "Use https:// with a valid certificate.",
)
define(
    "code.retention_forever",
    "governance",
    Severity.MEDIUM,
    "Data kept forever",
    "A retention or expiry setting that never ends; personal data may be kept no longer "
    "than needed for its purpose.",
    legal.RETENTION,
    "Set a retention period that matches the purpose, and delete or anonymise after it.",
)
define(
    "code.tracking_sdk",
    "consent",
    Severity.MEDIUM,
    "Tracking or analytics SDK in dependencies",
    "An analytics or tracking library is a dependency: it usually places cookies or reads "
    "device data, which needs prior consent, and may send data outside the EU.",
    (*legal.TRACKING, legal.gdpr("44")),
    "Load it only after consent, configure EU hosting and IP anonymisation, or remove it.",
)

CONTRIBUTOR_LIST = "code.contributor_list"
define(
    CONTRIBUTOR_LIST,
    "pii",
    Severity.LOW,
    "Names and e-mail addresses of contributors",
    "A contributor list or the translator credits of a translation catalogue name the "
    "people who worked on the project, often with their e-mail addresses.",
    legal.PERSONAL_DATA,
    "Keep the list if the people in it agreed to be credited publicly; remove addresses "
    "nobody needs, and honour requests to be left out.",
)

MAX_URL = 2048
_PII_FIELDS = (
    r"(?:e_?mail|bsn|ssn|sofi|iban|phone|telefoon|password|passwd|wachtwoord|birth"
    r"|geboorte|dob|address|adres|credit_?card|card_?number|postcode|patient)"
)


def _snippet(text: str, start: int, end: int) -> float:
    return 0.8


_WORD_GOES_ON = re.compile(r"[a-z][A-Za-z]*")


def _field_in_code(text: str, start: int, end: int) -> float | None:
    """A log call's argument names a personal-data field (`user.email`), not a message
    that says a word ("Be patient", "S3 path style addressing")."""
    more = _WORD_GOES_ON.match(text, end, end + 32)
    if more is not None and more.group() not in ("s", "es"):
        return None  # "addressing", "emailed": another word (a plural or "_id" is not)
    field = re.search(_PII_FIELDS + r"$", text[start:end], re.IGNORECASE)
    call = text.find("(", start, end)
    if field is None or call < 0:
        return None
    quote, opened, i, stop = None, call, call, start + field.start()
    while i < stop:
        c = text[i]
        if quote is not None and c == "\\":
            i += 2
            continue
        if c in "\"'`" and quote in (None, c):
            quote, opened = (None, i) if quote else (c, i)
        i += 1
    if quote is None:
        return 0.8
    # inside a string: code in an interpolation (f"{user.email}", `${user.email}`) or a
    # key (row["email"], data.get("email"))
    inside = text[opened:stop]
    key = text[max(0, opened - 5) : opened].endswith(("[", "get("))
    return 0.8 if key or inside.rfind("{") > inside.rfind("}") else None


# SQL, not a sentence that starts with its verb ("UPDATE statement on table '%s' expected",
# "Delete model %s"): a SELECT of columns, a function or a placeholder, INSERT INTO,
# UPDATE ... SET, DELETE FROM.
_SQL_SHAPE = re.compile(
    r"(?:SELECT\s+(?:DISTINCT\s+)?(?:\*|%|\{|\$\{|@@|\w+\s*\(|[\w.,\s\"`\[\]]+?\bFROM\b)"
    r"|INSERT\s+INTO\b|UPDATE\s+[\w.\"`%{}$\[\]]+\s+SET\b|DELETE\s+FROM\b)",
    re.IGNORECASE,
)
# What is pasted in: quoted identifiers and SQL fragments are how query builders and ORMs
# compose SQL (`"DELETE FROM %s" % qn(table)`, `"SELECT * FROM (%s)" % sql`), not values.
_BUILDER_ARGUMENT = re.compile(
    r"\s*(?:(?:self\.|connection\.ops\.|ops\.|self\.connection\.ops\.)?"
    r"(?:quote_name\w*|qn\d?|quote_identifier|quote_schema|format_table|format_column)"
    r"\s*\([^()]*\)?|\w*sql\w*)\s*",
    re.IGNORECASE,
)
_VERB = re.compile(r"[\"'`](SELECT|INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
# the string's own closing quote, then what is pasted into it (or a concatenation)
_ARGUMENTS = {
    q: re.compile(re.escape(q) + r"\s*(?:(?:%\s*\(?|\.format\()([^\n]*)|\+\s*[\w(])")
    for q in ('"', "'")
}


def _sql_built(text: str, start: int, end: int) -> float | None:
    """SQL text with something pasted in, unless the text is a sentence or what is pasted
    in are quoted identifiers and SQL fragments only."""
    verb = _VERB.search(text, start, end)
    if verb is None or not _SQL_SHAPE.match(text, verb.start(1), end + 200):
        return None
    opener = text[verb.start()]
    if opener == "`" or text[verb.start() - 1 : verb.start()] in ("f", "F"):
        return 0.8  # an interpolated string: the pattern found its "{" / "${"
    # after the string's own closing quote (not one inside it: "LIKE '%MariaDB%'")
    line_end = text.find("\n", end)
    stop = min(len(text) if line_end < 0 else line_end, end + 200)
    pasted = _ARGUMENTS[opener].search(text, verb.end(), stop)
    if pasted is None:
        return None
    if pasted.group(1) is not None:  # % or .format(: what goes in
        parts = pasted.group(1).rstrip(" ),:;").split(",")
        if all(_BUILDER_ARGUMENT.fullmatch(part) for part in parts if part.strip()):
            return None
    return 0.8


_URL_REST = re.compile(r"[^\s\"'<>]*")


def _personal_endpoint(text: str, start: int, end: int) -> float | None:
    """The whole URL is judged (the shorter candidate spans hyperscan also reports would
    cut a documentation page's ".html" off)."""
    whole = _URL_REST.match(text, start, start + MAX_URL)
    if whole is None or whole.end() != end:
        return None
    return 0.8 if personal_endpoint(text[start:end]) else None


CODE_PATTERNS: tuple[PatternSpec, ...] = (
    PatternSpec(
        "code.pii_in_log",
        r"\b(?:log(?:ger|ging)?|console|logging|print|println|printf|puts|System\.out|"
        r"slf4j|winston|pino)\b[.\w]*\s*\([^\n]*\b" + _PII_FIELDS,
        _field_in_code,
        caseless=True,
    ),
    PatternSpec(
        "code.weak_password_hash",
        r"\b(?:md5|sha1)\b[^\n]{0,40}\b(?:password|passwd|pwd|wachtwoord)",
        _snippet,
        caseless=True,
    ),
    PatternSpec(
        "code.weak_password_hash",
        r"\b(?:password|passwd|pwd|wachtwoord)\w*\s*=\s*[^\n]{0,60}\b(?:md5|sha1)\b",
        _snippet,
        caseless=True,
    ),
    PatternSpec(
        "code.sql_string_format",
        r"\bf[\"'](?:SELECT|INSERT|UPDATE|DELETE)\b[^\"'\n]*\{",
        _sql_built,
        caseless=True,
    ),
    PatternSpec(
        "code.sql_string_format",
        r"[\"'](?:SELECT|INSERT|UPDATE|DELETE)\b[^\"'\n]*[\"']\s*(?:%\s*[\w(]|\+\s*\w|"
        r"\.format\()",
        _sql_built,
        caseless=True,
    ),
    PatternSpec(
        "code.sql_string_format",
        r"`(?:SELECT|INSERT|UPDATE|DELETE)\b[^`\n]*\$\{",
        _sql_built,
        caseless=True,
    ),
    PatternSpec(
        "code.http_personal_data",
        r"http://[^\s\"'<>]*(?:user|customer|klant|patient|email|bsn|profile|account"
        r"|login|signup|register|payment|address|person|member|contact)[^\s\"'<>]*",
        _personal_endpoint,
        caseless=True,
    ),
    PatternSpec(
        "code.retention_forever",
        r"\b\w*(?:retention|retain|bewaartermijn|bewaren|keep_?for|ttl|expir\w*)\w*"
        r"[\"']?\s*[:=]+\s*(?:[\"']?(?:forever|never|infinite|infinity|unlimited|eeuwig)"
        r"\b|-1\b|float\([\"']inf)",
        _snippet,
        caseless=True,
    ),
)

# Tracking and analytics packages by name, across ecosystems.
TRACKING_PACKAGES = (
    "react-ga",
    "react-ga4",
    "ga-4-react",
    "vue-gtag",
    "vue-analytics",
    "ngx-google-analytics",
    "react-gtm-module",
    "gtag",
    "universal-analytics",
    "google-analytics",
    "@segment/analytics-next",
    "analytics-node",
    "@segment/analytics-node",
    "analytics-python",
    "segment-analytics-python",
    "analytics-ruby",
    "segmentio/analytics-go",
    "mixpanel",
    "mixpanel-browser",
    "mixpanel-ruby",
    "mixpanel-go",
    "amplitude-js",
    "@amplitude/analytics-browser",
    "@amplitude/analytics-node",
    "amplitude-analytics",
    "@hotjar/browser",
    "react-hotjar",
    "hotjar",
    "react-facebook-pixel",
    "facebook-pixel",
    "facebook_business",
    "facebook-business",
    "@fullstory/browser",
    "logrocket",
    "smartlook-client",
    "@microsoft/clarity",
    "posthog-js",
    "posthog",
    "posthog-node",
    "@datadog/browser-rum",
    "heap-api",
    "@firebase/analytics",
    "firebase-analytics",
    "appsflyer-react-native",
    "react-native-appsflyer",
    "react-native-branch",
    "branch-sdk",
    "adjust_sdk",
    "matomo-tracker",
    "@datapunt/matomo-tracker-js",
    "@jonkoops/matomo-tracker-react",
    "piwik-react-router",
    "ahoy_matey",
    "google-analytics-rails",
    "snowplow-tracker",
    "@snowplow/browser-tracker",
    "rudder-sdk-js",
    "@rudderstack/analytics-js",
    "kissmetrics",
    "intercom-client",
    "@intercom/messenger-js-sdk",
    "linkedin-insight-tag",
)
MANIFEST_NAMES = frozenset(
    {
        "package.json",
        "requirements.txt",
        "requirements-dev.txt",
        "Pipfile",
        "pyproject.toml",
        "setup.py",
        "setup.cfg",
        "Gemfile",
        "go.mod",
        "composer.json",
        "pom.xml",
        "build.gradle",
        "build.gradle.kts",
        "pubspec.yaml",
        "Podfile",
        "Cargo.toml",
    }
)
# Go modules are named by their path (github.com/segmentio/analytics-go/v3,
# gopkg.in/segmentio/analytics-go.v3): matched after a "/", with a major-version suffix.
TRACKING_GO_MODULES = (
    "segmentio/analytics-go",
    "mixpanel/mixpanel-go",
    "posthog/posthog-go",
    "amplitude/analytics-go",
    "rudderlabs/analytics-go",
)


def _alternation(names: tuple[str, ...]) -> str:
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


TRACKING_REGEX = re.compile(
    r"((?<![\w@/.-])(?:"
    + _alternation(TRACKING_PACKAGES)
    + r")(?![\w/.-])|(?<=/)(?:"
    + _alternation(TRACKING_GO_MODULES)
    + r")(?=(?:/v\d+|\.v\d+)?(?![\w/.-])))",
    re.IGNORECASE,
)


def is_manifest(name: str) -> bool:
    return name in MANIFEST_NAMES or (name.startswith("requirements") and name.endswith(".txt"))


# the rules this kind defines (its spec lists them)
RULE_IDS = tuple(rule_id for rule_id in RULES if rule_id.startswith("code."))
