"""Generic secrets: a literal value assigned to a secret-like name, in any syntax.

Most leaked credentials have no provider format: a database password, an
internal API token. They show in how they are written: a name that says
password/secret/token/api key, and a literal value. The syntaxes differ per
language and file type, so there is one pattern per shape:

* quoted: `password = "..."`, `"apiKey": '...'`, Go `` token := `...` ``,
  `var password string = "..."`, Kotlin/Scala `val password: String = "..."`,
  PHP `$password .= "..."`, `config["password"] = "..."`, Terraform/HCL, TOML;
* line: `PASSWORD=...` in .env, .properties, .ini and YAML, shell `export`,
  Dockerfile `ENV`/`ARG`, Makefile `?=`/`::=`/`:::=`, also inside a JSON string
  after an escaped newline (`"...\\nDB_PASSWORD=...\\n"`);
* inline: `token=...` in log lines, URLs and command lines (`--password=...`);
* call: `define('DB_PASSWORD', '...')`, `System.setProperty("X_TOKEN", "...")`,
  `{"password", "..."}`, env lists (`- name: DB_PASSWORD` / `value: ...`);
* XML: `<password>...</password>` (also across lines) and
  `<add key="Password" value="..."/>`.

A value is reported only when it is a literal, not an expression or a reference
(`forms.CharField(...)`, `get_password()`, `os.environ["X"]`, `var.db_password`,
`X25519.secret_length`, a URL, a path, a type name), not a placeholder, and has
the entropy of something chosen to be hard to guess. Every regex is bounded.
"""

from __future__ import annotations

import math
import re
from string import ascii_lowercase as LOWER
from string import ascii_uppercase as UPPER
from string import digits as DIGITS

from dgp.engine.patterns import PatternSpec
from dgp.engine.secrets.placeholders import is_placeholder, is_public_token
from dgp.engine.secrets.providers import provider_prefixed

ENTROPY_FLOOR = 3.0  # bits per character; shorter values may have less (see `entropy_floor`)
MIN_VALUE = 6
# Above e-mail addresses and numbers (a password may hold an "@" or digits), below
# connection strings and provider tokens, which name what the value is.
ASSIGNMENT_PRIORITY = 82
NAME_REACH = 400  # characters before a value searched for its name

_KW = (
    r"(?:password|passwd|passwort|wachtwoord|pwd|passphrase|secret|token|api[_.-]?key"
    r"|access[_.-]?key|auth[_.-]?key|client[_.-]?secret|private[_.-]?key|signing[_.-]?key"
    r"|encryption[_.-]?key|master[_.-]?key)"
)
_NAME = r"[A-Za-z0-9_.-]{0,60}" + _KW + r"[A-Za-z0-9_.-]{0,60}"
_START = r"(?<![A-Za-z0-9_.-])"
_QUOTE = r"(?:\"\"\"|'''|[\"'`])"
_OP = r"(?::::=|::=|:=|=>|==?|\?=|\.=|\|\|=|\?\?=|<-|:)"
_COLON_TYPE = r"[ \t]*:[ \t]*&?[A-Za-z_][A-Za-z0-9_.<>\[\]?]{0,40}"
# after a quoted name only `"name": Type`; a type after a space only follows a bare name
# (Go `var password string = ...`), not an attribute (`class="x-token" fill="..."`)
_TYPE = (
    r"(?:[\"'\]]{1,2}(?:" + _COLON_TYPE + r")?"
    r"|" + _COLON_TYPE + r"|[ \t]+[A-Za-z_][A-Za-z0-9_.]{0,30})?"
)
_QUOTED_VALUE = r"(?P<q>\"\"\"|'''|[\"'`])(?P<v>[^\s\"'`\\]{6,200})(?P=q)"
_LINE_VALUE = r"(?P<v>[^\s\"'`\\]{6,200})"
_LINE_END = r"(?=[ \t]*(?:[#;][^\n]*)?$|[ \t]*\\[nr]|\"|[ \t]*\r?$)"
_LINE_PREFIX = (
    r"(?:(?:export|ENV|ARG|readonly|local|declare[ \t]+-x|typeset[ \t]+-x)[ \t]+|-[ \t]+)?"
)
_LINE_SPACED = r"(?:ENV|setenv|set[ \t]+-x)[ \t]+"  # NAME value, no operator

_KW_RE = re.compile(_KW, re.IGNORECASE)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
# Names whose value describes a secret without being one (the URL of a token endpoint, the
# length of a password, the name of an env var); checked on the name's last word(s).
_NOT_SECRET_LAST_WORD = frozenset(
    """
    url urls uri endpoint path file filename dir directory name type kind length len size count
    field label prompt placeholder hint header param parameter policy format pattern regex regexp
    algorithm alg method mode expiry expires expiration ttl timeout lifetime age version enabled
    disabled required min max id ids env var prefix suffix scope scopes class message msg error
    errors text title description help validator validators hasher hashers strength rule rules
    chars charset location source provider manager store service backend handler factory callback
    route view template selector input button icon query column table limit usage hash hashed
    digest rounds iterations cost ref arn widget form option options config settings schema
    serializer model attr attribute property storage cache response request generator display
    visible link flag
    """.split()
)
_NOT_SECRET_LAST_WORDS = frozenset(("key_name", "cookie_name", "type_hint", "expires_in"))
_NOT_SECRET_ANY = re.compile(
    r"public|publishable|pub_key|tokeniz|pagination|continuation|cursor|next_?(?:page_?)?token"
    r"|page_?token|sync_?token|marker|(?:eos|bos|pad|unk|sep|mask|cls|stop|start|end|special)"
    r"_?tokens?|(?:max|num|total|input|output)_?tokens?|tokens?_?(?:count|limit|usage|per)"
    r"|secretar|forgot|csrf_?token_?name|_?key_?ref|key_?ref|secret_?ref|valuefrom|tokentype"
)
# Values that are something else than a secret: a URL, a path or file name, an e-mail
# address, the name of an environment variable. One regex: this runs for every candidate.
_NOT_A_SECRET_SHAPE = re.compile(
    r"^(?:[A-Za-z][A-Za-z0-9+.-]{1,20}://|/|\./|\.\./|~/|[A-Za-z]:\\)"
    r"|\.(?i:pem|key|crt|cer|p12|pfx|jks|json|ya?ml|txt|env|ini|cfg|conf|properties|toml|xml"
    r"|gpg|asc|der|pub)$"
    r"|^[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,24}$"
    r"|^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$"
    r"|^#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$"  # a colour
)
_DOTTED = re.compile(r"^[A-Za-z_$][\w$-]*(?:\.[A-Za-z_$][\w$-]*)+$")
# A part that reads as code: a word of 3+ lower-case letters (`var`, `secret_length`,
# `getToken`), or an ALL_CAPS_NAME with an underscore (`settings.SECRET_KEY`).
_CODE_PART = re.compile(
    r"^(?:[a-z]{3,}|[a-z]{2,}_[a-z0-9_]*|[A-Z][A-Z0-9]*_[A-Z0-9_]+|[a-z]{2,}(?:[A-Z][a-z]+[0-9]*)+"
    r"|(?:[A-Z][a-z]{2,})+|\$\w+)$"
)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Words joined as code joins them: camelCase, PascalCase, Header-Case, kebab-case.
_WORDY = re.compile(
    r"^(?:[a-z]+(?:[A-Z][a-z]+)+|(?:[A-Z][a-z]+){2,}|[A-Z][a-z]+(?:-[A-Z][a-z]+)+|[a-z]+(?:-[a-z]+)+)$"
)
# A regular expression, not a value: groups, classes with ranges, counted repeats, escapes.
_REGEX_LIKE = re.compile(r"\(\?|\[[^\]]{0,20}-[^\]]{0,20}\]|\{\d+(?:,\d*)?\}|\\[dswbDSWB]|^\^.*\$$")
_IDENTIFIER_WORDS = re.compile(r"^[A-Za-z_]+$")
_NUMBERISH = re.compile(r"^(?:[\d.:_-]+|0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+)$")
_EXPRESSION = re.compile(r"[()\[\]{}<>]|^[!&*@%$#|-]|^[a-z_][a-z0-9_]*=[A-Za-z_]\w*$")


def snake(name: str) -> str:
    return _CAMEL.sub("_", name).lower().replace("-", "_").replace(".", "_")


def not_a_secret_name(name: str) -> bool:
    """A name that contains a secret word but holds something else (a URL, a length)."""
    words = snake(name).strip("_$@:")
    parts = words.rsplit("_", 2)
    if parts[-1] in _NOT_SECRET_LAST_WORD or "_".join(parts[-2:]) in _NOT_SECRET_LAST_WORDS:
        return True
    return _NOT_SECRET_ANY.search(words) is not None


_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


_STEMS = ("pass", "pwd", "secret", "token", "key", "wachtwoord")


def name_before(text: str, start: int) -> str:
    """The last secret-like name in the characters before a value (bounded): the last
    secret word (found with plain string search: this runs for every candidate), widened
    to the identifier around it."""
    floor = max(0, start - NAME_REACH)
    window = text[floor:start].lower()
    end = len(window)
    for _ in range(8):
        at = max(window.rfind(stem, 0, end) for stem in _STEMS)
        if at < 0:
            return ""
        lo = hi = floor + at
        left, right = max(floor, lo - 60), min(start, lo + 70)
        while lo > left and text[lo - 1] in _NAME_CHARS:
            lo -= 1
        while hi < right and text[hi] in _NAME_CHARS:
            hi += 1
        name = text[lo:hi]
        if _KW_RE.search(name):
            return name
        end = lo - floor
    return ""


_SECRET_NAME_WORDS = frozenset(
    "password passwd pwd passphrase secret token key apikey credential credentials".split()
)


def _names_a_secret(identifier: str) -> bool:
    """An identifier made of words one of which is a secret word (`PasswordInput`); a random
    value that merely holds "pWd" somewhere is not."""
    return not _SECRET_NAME_WORDS.isdisjoint(snake(identifier).split("_"))


def is_reference(value: str) -> bool:
    """`var.db_password`, `X25519.secret_length`, `settings.SECRET_KEY`, an entry point
    `package.module:function`: a dotted name whose parts read as code, not a random value
    that happens to hold a dot (`DTNxf5.nKYfa`)."""
    module, colon, attr = value.partition(":")
    if colon and not (attr.isidentifier() and _DOTTED.match(module)):
        return False
    return _DOTTED.match(module) is not None and any(
        _CODE_PART.match(part) for part in module.split(".")
    )


def literal_value(value: str, name: str, quoted: bool) -> bool:
    """The value reads as a chosen secret, not a reference, expression or stand-in."""
    if quoted:
        core = value
    else:
        core = value.rstrip(";,")
        if _EXPRESSION.search(core) or _NUMBERISH.match(core):
            return False
        if _IDENTIFIER_WORDS.match(core):  # a type, a variable, a boolean: no digits at all
            return False
    # cheapest first: every candidate that is a real secret runs all of these
    if len(core) < MIN_VALUE or provider_prefixed(core) or is_public_token(core):
        return False
    if _NOT_A_SECRET_SHAPE.search(core) or ("." in core and is_reference(core.strip("'\""))):
        return False
    if _IDENTIFIER.match(core) and _names_a_secret(core):  # "PasswordInput", "PKCS7PrivateKey"
        return False
    if _WORDY.match(core) or _REGEX_LIKE.search(core):  # "currentColor", "Accept-Encoding"
        return False
    return entropy(core) >= entropy_floor(core) and not is_placeholder(core, name)


def entropy_floor(value: str) -> float:
    """Bits per character a chosen secret has at least: a short value cannot reach 3 bits
    (6 distinct characters give 2.58), and one that mixes three character classes
    (`e0HFeue4Js`) was generated or chosen to be hard to guess even with a repeat. Letters
    of one case only are words (`blanks`, `action`) unless long and varied."""
    classes = character_classes(value)
    if classes == 1 and value.isalpha():
        return ENTROPY_FLOOR if len(value) >= 12 else math.inf
    slack = 0.8 if classes >= 3 else 0.25
    return min(ENTROPY_FLOOR, math.log2(len(value)) - slack)


_LOWER, _UPPER, _DIGITS = (frozenset(c) for c in (LOWER, UPPER, DIGITS))


def character_classes(value: str) -> int:
    """Lower case, upper case, digits, other: how many of the four occur."""
    chars = set(value)
    found = (not chars.isdisjoint(_LOWER)) + (not chars.isdisjoint(_UPPER))
    found += not chars.isdisjoint(_DIGITS)
    return found + (not chars <= _LOWER | _UPPER | _DIGITS)


_C_LOG_C = (0.0, *(c * math.log2(c) for c in range(1, 257)))


def entropy(value: str) -> float:
    """Shannon entropy in bits per character: log2(n) - sum(c log2 c) / n over the counts c
    (values are at most 256 characters here; longer ones are cut)."""
    value = value[:256]
    n = len(value)
    if not n:
        return 0.0
    return math.log2(n) - sum(map(_C_LOG_C.__getitem__, map(value.count, set(value)))) / n


def _assigned(confidence: float, quoted: bool):
    def check(text: str, start: int, end: int) -> float | None:
        value = text[start:end]
        if provider_prefixed(value):  # cheap, and common: `GITHUB_TOKEN=ghp_...`
            return None
        name = name_before(text, start)
        if not name or not_a_secret_name(name):
            return None
        if "==" in text[max(0, start - 6) : start] and character_classes(value) < 3:
            return None  # `token == "#bygroup"`: a parser's comparison, not a password check
        return confidence if literal_value(value, name, quoted) else None

    return check


def _spec(trigger: str, python: str, value: str, check, *, multiline: bool = False):
    """`trigger` is for hyperscan (unbounded repeats are cheap there); `python` finds the span
    and `value` the value in it (both bounded)."""
    flags = re.IGNORECASE | (re.MULTILINE if multiline else 0)
    return PatternSpec(
        "secret.password_assignment",
        trigger,
        check,
        caseless=True,
        multiline=multiline,
        python=python,
        value=re.compile(value, flags),
        priority=ASSIGNMENT_PRIORITY,
    )


# Hyperscan triggers start at the secret word: what precedes it in the name does not
# change where a match ends, and each bounded repeat costs the automaton a counter.
_TRIGGER_NAME = _KW + r"[A-Za-z0-9_.-]*"
_TRIGGER_TYPE = r"(?:[ \t]*:[ \t]*&?[A-Za-z_][A-Za-z0-9_.<>\[\]?]*|[ \t]+[A-Za-z_][A-Za-z0-9_.]*)?"
_TRIGGER_OP = r"(?::*=|=>|==?|\?=|\.=|\|\|=|\?\?=|<-|:)"

_QUOTED_HEAD = _NAME + _TYPE + r"[ \t]*" + _OP + r"[ \t]*(?:[rbuf]{1,2}|@)?"
_CALL_HEAD = r"[({][ \t]*[\"']" + _NAME + r"[\"'][ \t]*,[ \t]*(?:[rbuf]{1,2}|@)?"
_DEFINE_HEAD = r"#[ \t]*define[ \t]+" + _NAME + r"[ \t]+(?:[LuU]|u8)?"
_XML_ATTR_HEAD = r"(?:key|name)[ \t]*=[ \t]*\"" + _NAME + r"\"[ \t]+value[ \t]*=[ \t]*"
_HCL_START = r"variable[ \t]+\"" + _NAME + r"\"[ \t]*\{"
_HCL_HEAD = _HCL_START + r"[^{}]{0,300}?\bdefault[ \t]*=[ \t]*"
_ENV_PAIR_HEAD = (
    r"name[\"']?[ \t]*[:=][ \t]*[\"']?" + _NAME + r"[\"']?[ \t]*,?[ \t]*(?:\r?\n[ \t]*-?[ \t]*)?"
    r"[\"']?value[\"']?[ \t]*[:=][ \t]*[\"']?"
)
_OPTIONALLY_QUOTED_VALUE = r"(?P<v>[^\s\"'`\\,}\]]{6,200})(?=[\"']?[ \t]*(?:[,}\]#]|\r?$))"
_LINE_OPERATOR = r"[ \t]*(?::::=|::=|:=|\?=|\+=|[=:])"
_LINE_HEAD = (
    r"[ \t]*(?:" + _LINE_PREFIX + _NAME + _LINE_OPERATOR + r"|" + _LINE_SPACED + _NAME + r"[ \t]+)"
)

ASSIGNMENT_PATTERNS: tuple[PatternSpec, ...] = (
    # a quoted literal: after a name and an operator in code and config of every language
    # (Python, JS/TS, Go `:=` and raw strings, `var x string =`, Kotlin/Scala `val`, PHP
    # `.=`, HCL, TOML, YAML, JSON), passed with its name to a setter (`define('DB_PASSWORD',
    # '...')`, `System.setProperty("X_TOKEN", "...")`, `{"password", "..."}`), in a C
    # `#define`, an XML `key`/`value` pair or a Terraform variable's default
    _spec(
        r"(?:"
        + _TRIGGER_NAME
        + r"[\"'\]]{0,2}"
        + _TRIGGER_TYPE
        + r"[ \t]*"
        + _TRIGGER_OP
        + r"|"
        + _TRIGGER_NAME
        + r"[\"'][ \t]*,"
        + r"|define[ \t]+[A-Za-z0-9_.-]*"
        + _TRIGGER_NAME
        + r"[ \t]+(?:[LuU]|u8)?"
        + r"|"
        + _TRIGGER_NAME
        + r"\"[ \t]+value[ \t]*="
        + r")[ \t]*(?:[rbuf]{1,2}|@)?[\"'`]"
        + r"|variable[ \t]+\"[A-Za-z0-9_.-]*"
        + _TRIGGER_NAME
        + r"\"[ \t]*\{",
        r"(?:"
        + _START
        + _QUOTED_HEAD
        + r"|"
        + _CALL_HEAD
        + r"|"
        + _DEFINE_HEAD
        + r"|"
        + _XML_ATTR_HEAD
        + r")"
        + _QUOTE
        + r"|"
        + _HCL_START,
        r"(?:"
        + _QUOTED_HEAD
        + r"|"
        + _CALL_HEAD
        + r"|"
        + _DEFINE_HEAD
        + r"|"
        + _XML_ATTR_HEAD
        + r"|"
        + _HCL_HEAD
        + r")"
        + _QUOTED_VALUE,
        _assigned(0.8, quoted=True),
    ),
    # NAME=value lines (.env, .properties, .ini, YAML, shell, Dockerfile, Makefile),
    # also inside a JSON string after an escaped newline
    _spec(
        # not anchored for hyperscan (a line-start anchor before a name costs it an
        # automaton run from every line start); the Python regex anchors
        _TRIGGER_NAME
        + r"[ \t]*(?::*=|\?=|\+=|:)[ \t]*[^\s\"'`$\\]|"
        + _LINE_SPACED
        + r"[A-Za-z0-9_.-]*"
        + _TRIGGER_NAME
        + r"[ \t]+[^\s\"'`$\\]",
        r"(?:^|\\n)" + _LINE_HEAD + r"[ \t]*[^\s\"'`$\\]",
        r"(?:\\n)?" + _LINE_HEAD + r"[ \t]*" + _LINE_VALUE + _LINE_END,
        _assigned(0.75, quoted=False),
        multiline=True,
    ),
    # name=value inside a line: log lines, URL query strings, command-line flags
    _spec(
        _TRIGGER_NAME + r"=[^\s\"'`$\\&]",
        r"[ \t;,&?(](?:--)?" + _NAME + r"=[^\s\"'`$\\&]",
        r"[ \t;,&?(](?:--)?" + _NAME + r"=(?P<v>[^\s\"'`\\&;,)]{6,200})(?![^\s\"'`\\&;,)])",
        _assigned(0.75, quoted=False),
    ),
    # env lists: {"name": "DB_PASSWORD", "value": "..."}, YAML "- name: X" / "value: ..."
    _spec(
        r"name[\"']?[ \t]*[:=][ \t]*[\"']?[A-Za-z0-9_.-]*"
        + _TRIGGER_NAME
        + r"[\"']?[ \t]*,?[ \t]*(?:\r?\n|[\"']?value)",
        r"name[\"']?[ \t]*[:=][ \t]*[\"']?" + _NAME + r"[\"']?[ \t]*,?[ \t]*(?:\r?$|[\"']?value)",
        _ENV_PAIR_HEAD + _OPTIONALLY_QUOTED_VALUE,
        _assigned(0.75, quoted=True),
        multiline=True,
    ),
    # XML: <password>...</password>, also across lines; <entry key="password">...</entry>
    _spec(
        r"<[A-Za-z0-9_.:-]*"
        + _KW
        + r"[A-Za-z0-9_.:-]*>|key=\"[A-Za-z0-9_.-]*"
        + _TRIGGER_NAME
        + r"\">",
        r"<[A-Za-z0-9_.:-]{0,60}" + _KW + r"[A-Za-z0-9_.:-]{0,60}>|key=\"" + _NAME + r"\">",
        r"(?:<(?P<tag>[A-Za-z0-9_.:-]{1,130})>|key=\"[^\"]{1,130}\">)\s{0,200}(?:<!\[CDATA\[)?"
        r"(?P<v>[^<>\s]{6,200})(?:\]\]>)?\s{0,200}</",
        _assigned(0.8, quoted=True),
    ),
)
