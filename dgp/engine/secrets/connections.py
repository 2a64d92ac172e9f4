"""Passwords inside connection strings and URLs (`scheme://user:password@host`)."""

from __future__ import annotations

import re

from dgp.engine.patterns import PatternSpec
from dgp.engine.secrets.placeholders import is_placeholder

_USER = re.compile(r"//([^\s:/@\"'<>]*):")


def _connection_password(text: str, start: int, end: int) -> float | None:
    value = text[start:end]
    user = _USER.search(text, max(0, start - 120), start)
    return None if is_placeholder(value, user.group(1) if user else "") else 0.9


def _v(regex: str) -> re.Pattern[str]:
    return re.compile(regex, re.IGNORECASE | re.DOTALL)


CONNECTION_PATTERNS: tuple[PatternSpec, ...] = (
    PatternSpec(
        "secret.connection_string",
        # user:password@ in any URL, the user may be empty ("redis://:pw@cache")
        r"\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|"
        r"sqlserver|ftps?|sftp|https?|ldaps?|smtps?)://[^\s:/@\"'<>]*:[^\s@/\"'<>]+@",
        _connection_password,
        caseless=True,
        value=_v(r"[a-z+]+://[^\s:/@\"'<>]{0,200}:(?P<v>[^\s@/\"'<>]{1,200})@"),
        priority=85,
    ),
    PatternSpec(
        "secret.connection_string",
        r"\bjdbc:[a-z0-9]+:[^\s\"']*?[?;&](?:password|pwd)=[^\s;&\"']+",
        _connection_password,
        caseless=True,
        value=_v(r"jdbc:[a-z0-9]+:[^\s\"']{0,300}?[?;&](?:password|pwd)=(?P<v>[^\s;&\"']{1,200})"),
        priority=85,
    ),
    PatternSpec(
        "secret.connection_string",
        r"(?:server|data source|host)=[^;\"'\n]+;",
        _connection_password,
        caseless=True,
        value=_v(
            r"(?:server|data source|host)=[^;\"'\n]{1,100};[^\"'\n]{0,200}?"
            r"(?:password|pwd)=(?P<v>[^;\"'\s]{1,200})"
        ),
        priority=85,
    ),
)
