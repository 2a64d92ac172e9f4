"""Provider tokens: credentials whose own format says who issued them.

Each rule checks the token's real structure (prefix, length, alphabet, and the
checksum or embedded encoding where the provider has one), then rejects
stand-ins (`xxxx`, `EXAMPLE`, one repeated character, a sequence). Formats
follow the providers' documentation and the public rule lists of gitleaks and
TruffleHog (formats are facts; no code is taken from them).

Tokens without a distinctive prefix (a Datadog key is 32 hex digits) count only
under a name that says so (`DD_API_KEY = ...`): see `named`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from dgp.engine.context import ContextWords
from dgp.engine.patterns import PatternSpec
from dgp.engine.secrets import structure
from dgp.engine.secrets.placeholders import is_placeholder_token

TOKEN_PRIORITY = 95
NAMED_PRIORITY = 90
_B = r"(?<![A-Za-z0-9_])"  # a token starts a word
_E = r"(?![A-Za-z0-9_])"  # and ends one
_E_DASH = r"(?![A-Za-z0-9_-])"  # for alphabets with a dash
_E_B64 = r"(?![A-Za-z0-9+/=_-])"

Extra = Callable[[str], bool]

# Prefixes that only provider tokens (and JWTs) carry: a value that starts with one is the
# provider rule's to judge (a `ghp_` token with a bad checksum is no secret for any rule).
_PROVIDER_PREFIX = re.compile(
    r"(?:gh[pousr]_|github_pat_|gl(?:pat|rt|dt|ptt|cbt|oas|ft|imt|agent|soat|ffct)-|GR1348941"
    r"|npm_|pypi-AgE|rubygems_|oy2[a-z0-9]{43}$|dckr_pat_|lin_(?:api|oauth)_|PMAK-|xox[abeoprs][-.]"
    r"|xapp-|[rs]k_(?:live|test)_|whsec_|AKIA|ASIA|ABIA|ACCA|AIza|GOCSPX-|LTAI|do[opr]_v1_"
    r"|hv[sb]\.|dapi[a-f0-9]|ops_eyJ|dp\.(?:pt|st|sa|ct|scim|audit)\.|pul-|AGE-SECRET-KEY-1"
    r"|sk-(?:ant|proj|svcacct|admin)-|hf_|api_org_|ATBB|AT[AC]TT3|SG\.|shp(?:at|ca|pa|ss)_"
    r"|sq0(?:atp|csp)-|EAAA|AQE|sntry[us]_|gl(?:c|sa)_|eyJrIjoi|dt0c01\.|ntn_|pat-(?:na|eu)[12]-"
    r"|HRKU-|NRA[AK]-|NRII-|xkeysib-|xsmtpsib-|key-[a-f0-9]{32}$|SK[0-9a-f]{32}$"
    r"|eyJ[A-Za-z0-9_-]{10,}\.eyJ)"
)


def provider_prefixed(value: str) -> bool:
    """The value starts like a provider token (see `_PROVIDER_PREFIX`)."""
    return _PROVIDER_PREFIX.match(value) is not None


def _classes(value: str) -> int:
    return sum(
        (
            any(c.islower() for c in value),
            any(c.isupper() for c in value),
            any(c.isdigit() for c in value),
        )
    )


def mixed(value: str) -> bool:
    """Random base62: lower, upper and digits all occur (a 30-character key lacks one in <1%)."""
    return _classes(value) == 3


def _check(
    prefix: str | int,
    confidence: float,
    extra: Extra | None,
    context: ContextWords | None,
    end_boundary: str | None = None,
) -> Callable[[str, int, int], float | None]:
    """`end_boundary`: the token must end there in the text, not only in the candidate (the
    matcher also offers shorter ends, which would cut a long token into a valid-looking one)."""
    boundary = re.compile(end_boundary) if end_boundary else None

    def check(text: str, start: int, end: int) -> float | None:
        if boundary is not None and not boundary.match(text, end):
            return None
        value = text[start:end]
        skip = prefix if isinstance(prefix, int) else len(prefix)
        if extra is not None and not extra(value):
            return None
        if is_placeholder_token(value[skip:], value):
            return None
        if context is not None and not context.near(text, start, end):
            return None
        return confidence

    return check


def token(
    rule_id: str,
    pattern: str,
    prefix: str | int,
    *,
    trigger: str | None = None,
    end: str = _E,
    start: str = _B,
    confidence: float = 0.95,
    extra: Extra | None = None,
    caseless: bool = False,
    context: ContextWords | None = None,
) -> PatternSpec:
    """A token found by its own shape. `pattern` is bounded; `trigger` (hyperscan) may be
    a shorter start of it; `prefix` is the fixed start left out of the placeholder check."""
    return PatternSpec(
        rule_id,
        trigger or pattern,
        _check(prefix, confidence, extra, context, end),
        caseless=caseless,
        python=start + pattern + end,
        priority=TOKEN_PRIORITY,
        context=context,
    )


_OPERATOR = r"[\"'`]?[ \t]*(?:=>|:=|\?=|[:=])[ \t]*[\"'`]?"


def named(
    rule_id: str,
    keywords: str,
    value: str,
    *,
    end: str = _E_DASH,
    confidence: float = 0.85,
    extra: Extra | None = None,
    context: ContextWords | None = None,
) -> PatternSpec:
    """A provider key without a prefix, assigned to a name that contains `keywords`."""
    head = rf"(?:{keywords})[A-Za-z0-9_.-]{{0,40}}" + _OPERATOR
    value = f"(?:{value})"
    return PatternSpec(
        rule_id,
        head + value,
        _check(0, confidence, extra, context),
        caseless=True,
        python=r"(?<![A-Za-z0-9])" + head + value + end,
        value=re.compile(head + rf"(?P<v>{value}){end}", re.IGNORECASE),
        priority=NAMED_PRIORITY,
        context=context,
    )


def _hex_lower(value: str) -> bool:
    return value == value.lower() or value == value.upper()


def _base62_crc(prefix_length: int) -> Extra:
    return lambda v: structure.has_base62_crc32(v, prefix_length)


def _jwt_payload_after(prefix: str) -> Extra:
    """Tokens that carry base64 JSON after a prefix (1Password service accounts, Grafana)."""

    def extra(value: str) -> bool:
        body = value[len(prefix) :].split("_", 1)[0].split(".", 1)[0]
        return structure.json_object(structure.b64decode_loose(body)) is not None

    return extra


def _discord_bot(value: str) -> bool:
    """A Discord bot token starts with the bot's numeric id in base64."""
    first = structure.b64decode_loose(value.split(".", 1)[0])
    return first is not None and first.isdigit()


def _age(value: str) -> bool:
    return structure.is_bech32(value)


_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_UUID_ANY = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"

_TWILIO = ContextWords(["twilio"], before=400, after=400)
_OKTA = ContextWords(["okta", "okta.com", "oktapreview.com"], before=300, after=300)
# `test_` + 30 letters and digits is also a test function's name: Mollie keys count near
# the word (MOLLIE_API_KEY=..., $mollie->setApiKey(...)); elsewhere the generic rule judges.
_MOLLIE = ContextWords(["mollie"], before=300, after=300)
_GOCARDLESS = ContextWords(["gocardless"], before=300, after=300)
_VAULT = ContextWords(["vault", "vault_token", "vault-token"], before=200, after=100)

PROVIDER_PATTERNS: tuple[PatternSpec, ...] = (
    # -- cloud platforms ---------------------------------------------------------------
    token(
        "secret.aws.access_key_id",
        r"(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}",
        4,
        trigger=r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b",
        end=r"(?![A-Za-z0-9])",
    ),
    PatternSpec(
        "secret.aws.secret_access_key",
        r"aws_?secret_?(?:access_?)?key[\"']?\s*[:=]+\s*[\"']?[A-Za-z0-9/+]{40}",
        _check(0, 0.95, None, None),
        caseless=True,
        value=re.compile(
            r"aws_?secret_?(?:access_?)?key[\"']?\s{0,20}[:=]+\s{0,20}[\"']?"
            r"(?P<v>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])",
            re.IGNORECASE,
        ),
        priority=TOKEN_PRIORITY,
    ),
    token("secret.gcp.api_key", r"AIza[0-9A-Za-z_-]{35}", 4, end=_E_DASH),
    PatternSpec(
        "secret.gcp.service_account",
        r"\"private_key_id\"\s*:\s*\"[0-9a-f]{40}\"",
        _check(0, 0.95, None, None),
        value=re.compile(r"\"private_key_id\"\s{0,20}:\s{0,20}\"(?P<v>[0-9a-f]{40})\""),
        priority=TOKEN_PRIORITY,
    ),
    PatternSpec(
        "secret.azure.storage_connection_string",
        r"DefaultEndpointsProtocol=https?;AccountName=[^;\s]+;AccountKey=[A-Za-z0-9+/=]{40,}",
        _check(0, 0.95, None, None),
        value=re.compile(
            r"DefaultEndpointsProtocol=https?;AccountName=[^;\s]{1,200};AccountKey="
            r"(?P<v>[A-Za-z0-9+/=]{40,200})"
        ),
        priority=TOKEN_PRIORITY,
    ),
    token("secret.gcp.oauth_client_secret", r"GOCSPX-[0-9A-Za-z_-]{28}", 7, end=_E_DASH),
    token(
        "secret.azure.client_secret",
        r"[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}",
        0,
        trigger=r"[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31}",
        start=r"(?<![A-Za-z0-9_~.-])",
        end=r"(?![A-Za-z0-9_~.-])",
        confidence=0.9,
    ),
    token("secret.alibaba.access_key_id", r"LTAI[A-Za-z0-9]{20}", 4, extra=mixed),
    named(
        "secret.alibaba.access_key_secret",
        r"alibaba|aliyun|alicloud",
        r"[A-Za-z0-9]{30}",
        extra=mixed,
    ),
    token("secret.digitalocean.token", r"do[opr]_v1_[a-f0-9]{64}", 7),
    token(
        "secret.cloudflare.origin_ca_key",
        r"v1\.0-[a-f0-9]{24}-[a-f0-9]{146}",
        5,
        trigger=r"v1\.0-[a-f0-9]{24}-[a-f0-9]{40}",
    ),
    named("secret.cloudflare.api_token", r"cloudflare|cf_api|cf-api", r"[A-Za-z0-9_-]{40}"),
    named("secret.cloudflare.global_api_key", r"cloudflare|cf_api|cf-api", r"[a-f0-9]{37}"),
    token(
        "secret.hashicorp.vault_token",
        r"hvs\.[A-Za-z0-9_-]{90,120}|hvb\.[A-Za-z0-9_-]{138,300}",
        4,
        trigger=r"hv[sb]\.[A-Za-z0-9_-]{90}",
        end=_E_DASH,
    ),
    token(
        "secret.hashicorp.vault_token",
        r"s\.[A-Za-z0-9]{24}",
        2,
        end=r"(?![A-Za-z0-9_.-])",
        start=r"(?<![A-Za-z0-9_.-])",
        extra=mixed,
        context=_VAULT,
        confidence=0.85,
    ),
    token(
        "secret.hashicorp.terraform_token",
        r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}",
        0,
        trigger=r"\.atlasv1\.[A-Za-z0-9_=-]{60}",
        end=_E_DASH,
    ),
    token("secret.databricks.token", r"dapi[a-f0-9]{32}(?:-[0-9])?", 4, end=_E_DASH),
    # -- secret stores and encryption keys ----------------------------------------------
    token(
        "secret.onepassword.service_account_token",
        r"ops_eyJ[A-Za-z0-9+/]{250,2000}={0,3}",
        4,
        trigger=r"ops_eyJ[A-Za-z0-9+/]{100}",
        end=_E_B64,
        extra=_jwt_payload_after("ops_"),
        confidence=0.97,
    ),
    token(
        "secret.onepassword.secret_key",
        r"A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}"
        r"-[A-Z0-9]{5}",
        3,
        end=r"(?![A-Za-z0-9-])",
    ),
    token(
        "secret.doppler.token",
        r"dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,44}",
        6,
        trigger=r"dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40}",
    ),
    token("secret.pulumi.access_token", r"pul-[a-f0-9]{40}", 4),
    token(
        "secret.age.secret_key",
        r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
        16,
        extra=_age,
        confidence=0.99,
    ),
    # -- AI platforms --------------------------------------------------------------------
    token(
        "secret.openai.api_key",
        r"sk-(?:proj|svcacct|admin)-(?:[A-Za-z0-9_-]{74}|[A-Za-z0-9_-]{58})T3BlbkFJ"
        r"(?:[A-Za-z0-9_-]{74}|[A-Za-z0-9_-]{58})|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}",
        3,
        trigger=r"T3BlbkFJ[A-Za-z0-9_-]{20}",
        end=_E_DASH,
        confidence=0.97,
    ),
    token(
        "secret.anthropic.api_key",
        r"sk-ant-(?:api03|admin01)-[A-Za-z0-9_-]{93}AA",
        14,
        trigger=r"sk-ant-(?:api03|admin01)-[A-Za-z0-9_-]{40}",
        end=_E_DASH,
        confidence=0.97,
    ),
    token(
        "secret.huggingface.token",
        r"(?:hf_|api_org_)[A-Za-z]{34}",
        3,
        extra=lambda v: _classes(v[-34:]) == 2,
    ),
    # -- code and package hosting -------------------------------------------------------
    token(
        "secret.github.token",
        r"gh[pousr]_[A-Za-z0-9]{36}",
        4,
        extra=_base62_crc(4),
        confidence=0.99,
    ),
    token("secret.github.token", r"github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}", 11),
    token("secret.gitlab.token", r"glpat-[A-Za-z0-9_-]{20}", 6, end=_E_DASH),
    token(
        "secret.gitlab.token",
        r"glpat-[A-Za-z0-9_-]{27,300}\.[0-9a-z]{2}[0-9a-z]{7}",
        6,
        trigger=r"glpat-[A-Za-z0-9_-]{27}",
        end=_E_DASH,
    ),
    token(
        "secret.gitlab.runner_token",
        r"glrt-[A-Za-z0-9_-]{20}|glrt-t[0-9]_[A-Za-z0-9_-]{27,300}\.[0-9a-z]{9}"
        r"|GR1348941[A-Za-z0-9_-]{20}",
        5,
        trigger=r"glrt-[A-Za-z0-9_-]{20}|GR1348941[A-Za-z0-9_-]{20}",
        end=_E_DASH,
    ),
    token("secret.gitlab.deploy_token", r"gldt-[A-Za-z0-9_-]{20}", 5, end=_E_DASH),
    token(
        "secret.gitlab.ci_token",
        r"glptt-[a-f0-9]{40}|glcbt-[0-9a-zA-Z]{1,5}_[A-Za-z0-9_-]{20}",
        6,
        end=_E_DASH,
    ),
    token("secret.gitlab.oauth_secret", r"gloas-[A-Za-z0-9_-]{64}", 6, end=_E_DASH),
    token(
        "secret.gitlab.service_token",
        r"glft-[A-Za-z0-9_-]{20}|glimt-[A-Za-z0-9_-]{25}|glagent-[A-Za-z0-9_-]{50}"
        r"|glsoat-[A-Za-z0-9_-]{20}|glffct-[A-Za-z0-9_-]{20}",
        5,
        end=_E_DASH,
    ),
    token(
        "secret.bitbucket.app_password",
        r"ATBB[A-Za-z0-9_=.-]{28,40}",
        4,
        end=r"(?![A-Za-z0-9_=.-])",
        extra=lambda v: mixed(v[4:]),
    ),
    named("secret.bitbucket.client_secret", r"bitbucket", r"[A-Za-z0-9_=-]{64}", extra=mixed),
    token(
        "secret.atlassian.api_token",
        r"AT[AC]TT3[A-Za-z0-9_=+/-]{100,300}=[A-F0-9]{8}",
        6,
        trigger=r"AT[AC]TT3[A-Za-z0-9_=+/-]{100}",
        end=r"(?![A-Za-z0-9_=+/-])",
    ),
    named(
        "secret.atlassian.api_token",
        r"atlassian|confluence|jira",
        r"[A-Za-z0-9]{24}",
        end=r"(?![A-Za-z0-9_-])",
        extra=mixed,
        confidence=0.8,
    ),
    token("secret.npm.token", r"npm_[A-Za-z0-9]{36}", 4, extra=_base62_crc(4), confidence=0.99),
    token(
        "secret.pypi.token",
        r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,1000}|pypi-AgENdGVzdC5weXBpLm9yZw[A-Za-z0-9_-]{50,1000}",
        5,
        trigger=r"pypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50}",
        end=_E_DASH,
        confidence=0.99,
    ),
    token("secret.rubygems.api_key", r"rubygems_[a-f0-9]{48}", 9),
    token(
        "secret.nuget.api_key",
        r"oy2[a-z0-9]{43}",
        3,
        extra=lambda v: any(c.isdigit() for c in v[3:]),
    ),
    token("secret.docker.access_token", r"dckr_pat_[A-Za-z0-9_-]{27}", 9, end=_E_DASH),
    token("secret.linear.api_key", r"lin_api_[A-Za-z0-9]{40}|lin_oauth_[a-f0-9]{64}", 8),
    token(
        "secret.postman.api_key",
        r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}",
        5,
    ),
    # -- payments ------------------------------------------------------------------------
    token(
        "secret.stripe.live_key",
        r"[rs]k_live_[0-9a-zA-Z]{24,247}",
        8,
        trigger=r"[rs]k_live_[0-9a-zA-Z]{24}",
    ),
    token(
        "secret.stripe.test_key",
        r"[rs]k_test_[0-9a-zA-Z]{24,247}",
        8,
        trigger=r"[rs]k_test_[0-9a-zA-Z]{24}",
        confidence=0.9,
    ),
    token("secret.stripe.webhook_secret", r"whsec_[A-Za-z0-9+/=]{32,64}", 6, end=_E_B64),
    token(
        "secret.mollie.api_key",
        r"live_[A-Za-z0-9]{30}|access_[A-Za-z0-9]{40}",
        5,
        extra=lambda v: mixed(v.split("_", 1)[1]),
        context=_MOLLIE,
        confidence=0.9,
    ),
    token(
        "secret.mollie.test_key",
        r"test_[A-Za-z0-9]{30}",
        5,
        extra=lambda v: mixed(v[5:]),
        context=_MOLLIE,
        confidence=0.85,
    ),
    token(
        "secret.adyen.api_key",
        r"AQE[A-Za-z0-9+/]{40,300}={0,2}-[A-Za-z0-9+/]{43}=(?:-[A-Za-z0-9:&+/=_.!-]{8,40})?",
        3,
        trigger=r"AQE[A-Za-z0-9+/]{40}",
        end=r"(?![A-Za-z0-9+/=])",
        confidence=0.97,
    ),
    token(
        "secret.gocardless.access_token",
        r"(?:live|sandbox)_[A-Za-z0-9_=-]{40}",
        5,
        end=_E_DASH,
        context=_GOCARDLESS,
        confidence=0.9,
    ),
    token(
        "secret.square.access_token",
        r"EAAA[A-Za-z0-9_+=-]{60}|sq0atp-[A-Za-z0-9_-]{22}",
        4,
        end=r"(?![A-Za-z0-9_+=-])",
        extra=lambda v: mixed(v[4:]) or v.startswith("sq0"),
    ),
    token("secret.square.oauth_secret", r"sq0csp-[A-Za-z0-9_-]{43}", 7, end=_E_DASH),
    token(
        "secret.plaid.access_token",
        r"access-(?:sandbox|development|production)-" + _UUID,
        7,
    ),
    named("secret.plaid.secret", r"plaid", r"[a-f0-9]{30}", extra=_hex_lower),
    token(
        "secret.shopify.access_token",
        r"shp(?:at|ca|pa)_[a-fA-F0-9]{32}",
        6,
    ),
    token("secret.shopify.shared_secret", r"shpss_[a-fA-F0-9]{32}", 6),
    # -- crypto exchanges (keys without a prefix: the name says which exchange) ----------
    named("secret.binance.api_key", r"binance", r"[A-Za-z0-9]{64}", end=_E, extra=mixed),
    named(
        "secret.kraken.api_key",
        r"kraken",
        r"[A-Za-z0-9+/]{56}(?:[A-Za-z0-9+/]{30,32}={0,2})?",
        end=r"(?![A-Za-z0-9+/=])",
    ),
    named("secret.coinbase.api_key", r"coinbase", r"[A-Za-z0-9_-]{64}", extra=mixed),
    named("secret.kucoin.api_key", r"kucoin", r"[a-f0-9]{24}|" + _UUID),
    named("secret.bitfinex.api_key", r"bitfinex", r"[A-Za-z0-9_-]{43}", extra=mixed),
    # -- messaging -----------------------------------------------------------------------
    token(
        "secret.slack.token",
        r"xoxb-[0-9]{10,13}-[0-9]{10,13}-[A-Za-z0-9]{24}"
        r"|xox[pe]-[0-9]{10,13}-[0-9]{10,13}-[0-9]{10,13}-[a-f0-9]{32}"
        r"|xox[ar]-2-[0-9]{10,13}-[0-9]{10,13}-[0-9]{10,13}-[a-f0-9]{32,64}"
        r"|xox[os]-[0-9]{6,13}-[0-9]{6,13}-[0-9]{6,13}-[a-f0-9]{32,64}",
        5,
        trigger=r"xox[abeoprs]-[0-9]{1,13}-[0-9]{6,13}-",
        end=_E_DASH,
    ),
    token("secret.slack.app_token", r"xapp-1-[A-Z0-9]{9,12}-[0-9]{10,13}-[a-f0-9]{64}", 7),
    token(
        "secret.slack.refresh_token",
        r"xoxe\.xox[bp]-1-[A-Za-z0-9]{163,166}|xoxe-1-[A-Za-z0-9]{146}",
        7,
        trigger=r"xoxe(?:\.xox[bp])?-1-[A-Za-z0-9]{100}",
    ),
    token(
        "secret.slack.webhook",
        r"https://hooks\.slack\.com/services/T[A-Z0-9]{6,12}/B[A-Z0-9]{6,12}/[A-Za-z0-9]{20,32}"
        r"|https://hooks\.slack\.com/(?:workflows|triggers)/T[A-Z0-9]{6,12}/A[A-Z0-9]{6,12}"
        r"/[0-9]{8,20}/[A-Za-z0-9]{20,32}",
        0,
        trigger=r"hooks\.slack\.com/(?:services|workflows|triggers)/T[A-Z0-9]{6}",
        start="",
        extra=lambda v: not is_placeholder_token(v.rsplit("/", 1)[1]),
    ),
    token("secret.twilio.api_key", r"SK[0-9a-f]{32}", 2, confidence=0.8),
    named(
        "secret.twilio.auth_token",
        r"twilio[A-Za-z0-9_.-]{0,20}(?:auth|token|secret)|auth_?token",
        r"[a-f0-9]{32}",
        context=_TWILIO,
        extra=_hex_lower,
        confidence=0.9,
    ),
    token(
        "secret.sendgrid.api_key",
        r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}",
        3,
        end=_E_DASH,
    ),
    token("secret.mailchimp.api_key", r"[0-9a-f]{32}-us[0-9]{1,2}", 0),
    token(
        "secret.mailgun.api_key",
        r"key-[a-f0-9]{32}",
        4,
        start=r"(?<![A-Za-z0-9_-])",
        extra=lambda v: not v[4:].isdigit(),
    ),
    named(
        "secret.mailgun.api_key",
        r"mailgun",
        r"[a-f0-9]{32}-[a-f0-9]{8}-[a-f0-9]{8}",
        extra=_hex_lower,
        confidence=0.9,
    ),
    token(
        "secret.brevo.api_key",
        r"x(?:keysib|smtpsib)-[a-f0-9]{64}-[A-Za-z0-9]{16}",
        8,
    ),
    token(
        "secret.telegram.bot_token",
        r"[0-9]{8,10}:AA[A-Za-z0-9_-]{33}",
        0,
        start=r"(?<![A-Za-z0-9_:])",
        end=_E_DASH,
        extra=lambda v: mixed(v.split(":", 1)[1]),
        confidence=0.9,
    ),
    token(
        "secret.discord.webhook",
        r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/[0-9]{17,20}"
        r"/[A-Za-z0-9_-]{60,68}",
        0,
        trigger=r"discord(?:app)?\.com/api/webhooks/[0-9]{17}",
        start="",
        end=_E_DASH,
        extra=lambda v: not is_placeholder_token(v.rsplit("/", 1)[1]),
    ),
    named(
        "secret.discord.bot_token",
        r"discord",
        r"[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}",
        extra=_discord_bot,
        confidence=0.9,
    ),
    token(
        "secret.microsoft.teams_webhook",
        r"https://[a-z0-9-]{1,60}\.webhook\.office\.com/webhookb2/"
        + _UUID
        + "@"
        + _UUID
        + r"/IncomingWebhook/[a-f0-9]{32}/"
        + _UUID
        + r"(?:/[A-Za-z0-9_-]{20,80})?",
        0,
        trigger=r"\.webhook\.office\.com/webhookb2/[0-9a-f]{8}-",
        start="",
        end=_E_DASH,
    ),
    token(
        "secret.microsoft.teams_webhook",
        r"https://[a-z0-9.-]{1,80}\.logic\.azure\.com(?::443)?/workflows/[a-f0-9]{32}/triggers"
        r"/manual/paths/invoke\?api-version=[0-9-]{10}&sp=[A-Za-z0-9%/._-]{1,80}"
        r"&sv=[0-9.]{1,8}&sig=[A-Za-z0-9_-]{43}",
        0,
        trigger=r"\.logic\.azure\.com(?::443)?/workflows/[a-f0-9]{32}/triggers",
        start="",
        end=_E_DASH,
        extra=lambda v: not is_placeholder_token(v.rsplit("sig=", 1)[1]),
    ),
    # -- monitoring ----------------------------------------------------------------------
    named(
        "secret.datadog.api_key",
        r"datadog|dd[_-]?api[_-]?key|dd[_-]?client[_-]?token",
        r"[a-f0-9]{32}",
        extra=_hex_lower,
    ),
    named(
        "secret.datadog.app_key",
        r"datadog|dd[_-]?app(?:lication)?[_-]?key",
        r"[a-f0-9]{40}",
        extra=_hex_lower,
    ),
    token(
        "secret.newrelic.api_key", r"NRA[AK]-[A-Z0-9]{27}|NRII-[A-Za-z0-9_-]{32}", 5, end=_E_DASH
    ),
    token(
        "secret.newrelic.license_key",
        r"(?:[a-f0-9]{32}|eu01xx[a-f0-9]{26})FFFFNRAL",
        0,
        extra=lambda v: not is_placeholder_token(v[:-8]),
    ),
    token("secret.sentry.auth_token", r"sntryu_[a-f0-9]{64}", 7),
    token(
        "secret.sentry.auth_token",
        r"sntrys_eyJpYXQiO[A-Za-z0-9+/]{10,400}={0,2}_[A-Za-z0-9+/]{43}",
        7,
        trigger=r"sntrys_eyJpYXQiO[A-Za-z0-9+/]{10}",
        end=r"(?![A-Za-z0-9+/=_])",
        extra=lambda v: (
            structure.json_object(structure.b64decode_loose(v[7:].rsplit("_", 1)[0].rstrip("=")))
            is not None
        ),
    ),
    named("secret.sentry.auth_token", r"sentry", r"[a-f0-9]{64}", extra=_hex_lower),
    token(
        "secret.grafana.token",
        r"glc_[A-Za-z0-9+/]{32,400}={0,3}",
        4,
        trigger=r"glc_[A-Za-z0-9+/]{32}",
        end=_E_B64,
        extra=_jwt_payload_after("glc_"),
    ),
    token("secret.grafana.token", r"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}", 5),
    token(
        "secret.grafana.token",
        r"eyJrIjoi[A-Za-z0-9]{70,400}={0,3}",
        0,
        trigger=r"eyJrIjoi[A-Za-z0-9]{70}",
        end=_E_B64,
        extra=lambda v: structure.json_object(structure.b64decode_loose(v)) is not None,
    ),
    token("secret.dynatrace.token", r"dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64}", 7),
    token(
        "secret.okta.api_token",
        r"00[A-Za-z0-9_-]{40}",
        2,
        trigger=r"\b00[A-Za-z0-9_-]{40}",
        end=_E_DASH,
        extra=lambda v: mixed(v[2:]),
        context=_OKTA,
        confidence=0.85,
    ),
    # -- productivity and CRM -------------------------------------------------------------
    token(
        "secret.notion.token",
        r"ntn_[0-9]{11}[A-Za-z0-9]{35}|secret_[A-Za-z0-9]{43}",
        4,
        extra=lambda v: mixed(v.split("_", 1)[1]),
    ),
    token("secret.hubspot.token", r"pat-(?:na|eu)[12]-" + _UUID, 8),
    named("secret.hubspot.token", r"hubspot|hapi_?key", _UUID_ANY, confidence=0.8),
    token(
        "secret.dropbox.token",
        r"sl\.(?:u\.)?[A-Za-z0-9_-]{130,1200}",
        3,
        trigger=r"sl\.(?:u\.)?[A-Za-z0-9_-]{130}",
        end=_E_DASH,
        extra=lambda v: mixed(v[3:]),
    ),
    named(
        "secret.dropbox.token",
        r"dropbox",
        r"[A-Za-z0-9]{11}AAAAAAAAAA[A-Za-z0-9_=-]{43}",
        confidence=0.9,
    ),
    # -- legacy: key-shaped UUIDs under a provider's name --------------------------------
    named(
        "secret.heroku.api_key",
        r"heroku",
        _UUID,
        confidence=0.85,
    ),
    token("secret.heroku.api_key", r"HRKU-AA[0-9A-Za-z_-]{58}", 7, end=_E_DASH),
)
