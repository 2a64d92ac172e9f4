"""The API kind, as every process sees it: options, limits, target policy, rules."""

from __future__ import annotations

from dgp.kinds import Input, KindSpec
from dgp.net import redact_text
from dgp.scanners.api.options import API_LIMITS, ApiOptions
from dgp.scanners.api.rules import RULE_IDS
from dgp.scanners.api.target import api_endpoint, check_api_url

SPEC = KindSpec(
    name="api",
    summary="An HTTP API, passively by default: TLS, headers, CORS, authentication, rate "
    "limits, errors and personal data in responses; its OpenAPI document as a data map; "
    "mutating requests and probes only when asked and allowed",
    port=5009,
    implementation_module="dgp.scanners.api.scanner",
    # the base URL; an uploaded OpenAPI document goes with it (the form's target field)
    inputs=frozenset({Input.TARGET, Input.UPLOAD}),
    options=ApiOptions,
    limits=API_LIMITS,
    rules=RULE_IDS,
    check_target=check_api_url,
    show_target=redact_text,
    endpoint=api_endpoint,
)
