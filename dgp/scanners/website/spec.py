"""The website kind, as every process sees it: options, limits, target policy, rules."""

from __future__ import annotations

from dgp.kinds import Input, KindSpec
from dgp.net import redact_text
from dgp.scanners.website.options import WEBSITE_LIMITS, WebsiteOptions
from dgp.scanners.website.rules import RULE_IDS
from dgp.scanners.website.target import check_site_url, site_endpoint

SPEC = KindSpec(
    name="website",
    summary="Cookies, trackers and consent before and after 'accept' and 'reject' in a real "
    "browser; privacy policy, imprint, transfers and transport security of a site",
    port=5002,
    implementation_module="dgp.scanners.website.scanner",
    inputs=frozenset({Input.TARGET}),
    options=WebsiteOptions,
    limits=WEBSITE_LIMITS,
    rules=RULE_IDS,
    check_target=check_site_url,
    show_target=redact_text,
    endpoint=site_endpoint,
    isolated=True,  # a browser per job: a hung or exploding page ends that job only
    system_packages=("chromium",),
)
