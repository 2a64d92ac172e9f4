"""Secret patterns (SPEC section 2): provider tokens, keys, passwords in config."""

from __future__ import annotations

import re

from dgp.engine.patterns import PatternSpec, always
from dgp.engine.validators import shannon_entropy

ENTROPY_FLOOR = 3.0  # bits per character for generic `password=`/`secret=` values
HIGH_ENTROPY_FLOOR = 4.5  # for unlabelled strings, which have no key name to go on

_PLACEHOLDER = re.compile(
    r"^(?:\$\{?|%\(|\{\{|<|\*{3}|x{3,}|\.{3}|os\.environ|process\.env|env\(|getenv|changeme$"
    r"|password$|secret$|your[_-]|example|dummy|placeholder|none$|null$|true$|false$|redacted)",
    re.IGNORECASE,
)


def is_placeholder(value: str) -> bool:
    return _PLACEHOLDER.search(value) is not None or len(set(value)) <= 2


def _assigned_secret(text: str, start: int, end: int) -> float | None:
    value = text[start:end]
    if is_placeholder(value) or shannon_entropy(value) < ENTROPY_FLOOR:
        return None
    return 0.8


def _high_entropy(text: str, start: int, end: int) -> float | None:
    value = text[start:end]
    has_classes = (
        any(c.islower() for c in value)
        and any(c.isupper() for c in value)
        and any(c.isdigit() for c in value)
    )
    if not has_classes or is_placeholder(value) or shannon_entropy(value) < HIGH_ENTROPY_FLOOR:
        return None
    return 0.6


def _connection_password(text: str, start: int, end: int) -> float | None:
    return None if is_placeholder(text[start:end]) else 0.9


def _v(regex: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(regex, re.IGNORECASE | re.DOTALL | flags)


_KEYWORD = (
    r"[A-Za-z0-9_.-]*(?:password|passwd|passwort|wachtwoord|pwd|secret|token|api_?key|apikey"
    r"|access_?key|auth_?key|client_?secret)[A-Za-z0-9_.-]*"
)

SECRET_PATTERNS: tuple[PatternSpec, ...] = (
    PatternSpec(
        "secret.aws.access_key_id",
        r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b",
        always(0.95),
        priority=95,
    ),
    PatternSpec(
        "secret.aws.secret_access_key",
        r"aws_?secret_?(?:access_?)?key[\"']?\s*[:=]+\s*[\"']?[A-Za-z0-9/+]{40}",
        always(0.95),
        caseless=True,
        value=_v(
            r"aws_?secret_?(?:access_?)?key[\"']?\s*[:=]+\s*[\"']?(?P<v>[A-Za-z0-9/+]{40})"
            r"(?![A-Za-z0-9/+])"
        ),
        priority=95,
    ),
    PatternSpec("secret.gcp.api_key", r"AIza[0-9A-Za-z_\-]{35}", always(0.9), priority=95),
    PatternSpec(
        "secret.gcp.service_account",
        r"\"private_key_id\"\s*:\s*\"[0-9a-f]{40}\"",
        always(0.95),
        value=_v(r"\"private_key_id\"\s*:\s*\"(?P<v>[0-9a-f]{40})\""),
        priority=95,
    ),
    PatternSpec(
        "secret.azure.storage_connection_string",
        r"DefaultEndpointsProtocol=https?;AccountName=[^;\s]+;AccountKey=[A-Za-z0-9+/=]{40,}",
        always(0.95),
        value=_v(
            r"DefaultEndpointsProtocol=https?;AccountName=[^;\s]+;AccountKey="
            r"(?P<v>[A-Za-z0-9+/=]{40,})"
        ),
        priority=95,
    ),
    PatternSpec(
        "secret.github.token",
        r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b",
        always(0.95),
        priority=95,
    ),
    PatternSpec(
        "secret.github.token", r"\bgithub_pat_[A-Za-z0-9_]{82}\b", always(0.95), priority=95
    ),
    PatternSpec("secret.gitlab.token", r"\bglpat-[A-Za-z0-9_\-]{20}", always(0.95), priority=95),
    PatternSpec(
        "secret.slack.token", r"\bxox[baprs]-[A-Za-z0-9-]{10,72}", always(0.9), priority=95
    ),
    PatternSpec(
        "secret.slack.webhook",
        r"https://hooks\.slack\.com/services/T[A-Z0-9]{6,12}/B[A-Z0-9]{6,12}/[A-Za-z0-9]{20,32}",
        always(0.95),
        priority=95,
    ),
    PatternSpec(
        "secret.stripe.live_key", r"\b[rs]k_live_[0-9a-zA-Z]{24,99}\b", always(0.95), priority=95
    ),
    PatternSpec(
        "secret.stripe.test_key", r"\b[rs]k_test_[0-9a-zA-Z]{24,99}\b", always(0.9), priority=95
    ),
    PatternSpec("secret.twilio.api_key", r"\bSK[0-9a-f]{32}\b", always(0.8), priority=90),
    PatternSpec(
        "secret.sendgrid.api_key",
        r"\bSG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}",
        always(0.95),
        priority=95,
    ),
    PatternSpec(
        "secret.mailchimp.api_key", r"\b[0-9a-f]{32}-us\d{1,2}\b", always(0.9), priority=95
    ),
    PatternSpec("secret.npm.token", r"\bnpm_[A-Za-z0-9]{36}\b", always(0.95), priority=95),
    PatternSpec(
        "secret.heroku.api_key",
        r"heroku[A-Za-z0-9_ .\-\"']{0,30}[:=]\s*[\"']?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"
        r"[0-9a-f]{4}-[0-9a-f]{12}",
        always(0.85),
        caseless=True,
        value=_v(
            r"heroku[A-Za-z0-9_ .\-\"']{0,30}[:=]\s*[\"']?"
            r"(?P<v>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
        ),
        priority=90,
    ),
    PatternSpec(
        "secret.jwt.token",
        r"\beyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}",
        always(0.9),
        priority=90,
    ),
    PatternSpec(
        "secret.private_key",
        r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----",
        always(0.99),
        priority=99,
    ),
    PatternSpec(
        "secret.connection_string",
        # user:password@ in any URL, the user may be empty ("redis://:pw@cache")
        r"\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|"
        r"sqlserver|ftps?|sftp|https?|ldaps?|smtps?)://[^\s:/@\"'<>]*:[^\s@/\"'<>]+@",
        _connection_password,
        caseless=True,
        value=_v(r"[a-z+]+://[^\s:/@\"'<>]*:(?P<v>[^\s@/\"'<>]+)@"),
        priority=85,
    ),
    PatternSpec(
        "secret.connection_string",
        r"\bjdbc:[a-z0-9]+:[^\s\"']*?[?;&](?:password|pwd)=[^\s;&\"']+",
        _connection_password,
        caseless=True,
        value=_v(r"jdbc:[a-z0-9]+:[^\s\"']*?[?;&](?:password|pwd)=(?P<v>[^\s;&\"']+)"),
        priority=85,
    ),
    PatternSpec(
        "secret.connection_string",
        r"(?:server|data source|host)=[^;\"'\n]+;",
        _connection_password,
        caseless=True,
        value=_v(
            r"(?:server|data source|host)=[^;\"'\n]{1,100};[^\"'\n]{0,200}?"
            r"(?:password|pwd)=(?P<v>[^;\"'\s]+)"
        ),
        priority=85,
    ),
    PatternSpec(
        "secret.password_assignment",
        _KEYWORD + r"[\"']?\s*(?::=|=>|==?|:)\s*[\"']",
        _assigned_secret,
        caseless=True,
        # Python starts only at the start of a name: not again inside every identifier
        python=r"(?<![A-Za-z0-9_.-])" + _KEYWORD + r"[\"']?\s*(?::=|=>|==?|:)\s*[\"']",
        value=_v(_KEYWORD + r"[\"']?\s*(?::=|=>|==?|:)\s*[\"'](?P<v>[^\"'\s]{6,200})[\"']"),
        priority=60,
    ),
    PatternSpec(
        "secret.password_assignment",
        # .env, ini and YAML lines: NAME=value, name: value (unquoted)
        r"^[ \t]*(?:export[ \t]+|- )?" + _KEYWORD + r"[ \t]*[=:][ \t]*[^\s\"'$]",
        _assigned_secret,
        caseless=True,
        multiline=True,
        value=_v(
            r"[ \t]*(?:export[ \t]+|- )?" + _KEYWORD + r"[ \t]*[=:][ \t]*"
            r"(?P<v>[^\s\"'$]{6,200})[ \t]*(?:#.*)?$",
            re.MULTILINE,
        ),
        priority=60,
    ),
    PatternSpec(
        "secret.high_entropy",
        # no dash in the first 32 characters: UUIDs (quoted everywhere in code) never start one
        r"[\"'][A-Za-z0-9+/_=]{32}",
        _high_entropy,
        value=_v(r"[\"'](?P<v>[A-Za-z0-9+/_=\-]{32,200})[\"']"),
        priority=5,
    ),
)
