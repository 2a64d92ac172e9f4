"""The website scanner's browser mode: Debian's Chromium driven by Playwright, three
consent states per site, against sites served on loopback. Third-party hosts
(www.google-analytics.com, connect.facebook.net, ...) are the test server too: the
scan's policy proxy resolves them with the test's resolver, and Chromium resolves no
name itself (--host-resolver-rules), so nothing leaves the machine.

Without Chromium these fail, never skip: CI installs it (make deps).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from dgp.domain.job import ScanInputs, ScanJob, ScanResult
from dgp.scanners.common_rules import ITEM_NOT_SCANNED
from dgp.scanners.website import browser, chromium, scanner
from dgp.scanners.website.options import WebsiteOptions
from tests import websites as w
from tests.unit.test_website import HOST, KEY, NAMES, Builder, inventory, rule_ids


@pytest.fixture(autouse=True)
def _chromium() -> Iterator[None]:
    missing = chromium.available()
    if missing is not None:
        pytest.fail(f"browser mode unavailable: {missing} (make deps installs it)")
    yield
    assert leftover() == [], "Chromium processes outlived the scan"


def leftover() -> list[int]:
    return chromium.all_chromium_processes(f"{tempfile_dir()}/{browser.PROFILE_PREFIX}")


def tempfile_dir() -> str:
    import tempfile

    return tempfile.gettempdir()


@contextmanager
def hosted(tmp_path: Path, build: Builder) -> Iterator[tuple[w.Web, w.Served, scanner.Runtime]]:
    web = w.Web()
    with w.running(web, (HOST, *w.THIRD_PARTIES), tmp_path) as served:
        build(web, HOST, served.url)
        runtime = scanner.Runtime(
            resolver=w.resolver(*NAMES),
            ssl_context=served.tls.client if served.tls else None,
            proxies={},
            trusted_spki=served.spki(),
        )
        yield web, served, runtime


def run(url: str, runtime: scanner.Runtime, **options: object) -> ScanResult:
    settings: dict[str, object] = {
        "mode": "browser",
        "delay_seconds": 0.0,
        "page_seconds": 10.0,
        "browser_pages": 2,
    }
    settings.update(options)
    job = ScanJob("website", url, WebsiteOptions(**settings))  # type: ignore[arg-type]
    return scanner.scan(job, ScanInputs(KEY), runtime)


def scan_site(tmp_path: Path, build: Builder, **options: object) -> ScanResult:
    with hosted(tmp_path, build) as (_web, served, runtime):
        return run(served.url(HOST), runtime, **options)


def cookies(result: ScanResult, state: str) -> dict[str, dict]:  # type: ignore[type-arg]
    return {c["name"]: c for c in inventory(result)["states"][state]["cookies"]}


def test_compliant_site_equal_choices_nothing_before_consent(tmp_path: Path) -> None:
    result = scan_site(tmp_path, w.compliant_site)
    assert rule_ids(result) == set(), [(f.rule_id, f.evidence) for f in result.findings]
    states = inventory(result)["states"]
    assert {s: states[s]["method"] for s in states} == dict.fromkeys(
        ("none", "accept", "reject"), "browser"
    )
    banner = states["none"]["banner"]
    assert banner["found"] and banner["method"] == "heuristic"
    assert banner["first_layer"]["accept"] == ["Alles accepteren"]
    assert banner["first_layer"]["reject"] == ["Alles weigeren"]
    assert (states["accept"]["banner"]["clicks"], states["reject"]["banner"]["clicks"]) == (1, 1)
    assert "_pk_id.1.abcd" in cookies(result, "accept")  # Piwik PRO after "accept" only
    assert "_pk_id.1.abcd" not in cookies(result, "reject")
    assert cookies(result, "none") == {}
    shots = {a.name: a.data for a in result.artefacts if a.media_type == "image/png"}
    assert set(shots) == {"screenshot-none.png", "screenshot-accept.png", "screenshot-reject.png"}
    assert all(data.startswith(b"\x89PNG") for data in shots.values())


def test_ga_cookie_by_script_and_a_pixel_before_consent(tmp_path: Path) -> None:
    result = scan_site(tmp_path, w.tracking_site)
    assert rule_ids(result) == {
        "website.consent.analytics_before_consent",
        "website.consent.tracker_before_consent",
        "website.consent.no_banner",
        "website.transfer.outside_eea",
        "website.cookie.long_lifetime",  # _ga: two years
    }
    ga = cookies(result, "none")["_ga"]
    assert (ga["set_by"], ga["purpose"], ga["product"]) == (
        "script",
        "analytics",
        "Google Analytics",
    )
    hosts = {h["host"]: h for h in inventory(result)["states"]["none"]["hosts"]}
    assert hosts["www.facebook.com"]["country"] == "US"
    assert hosts["www.google-analytics.com"]["requests"] >= 2  # the script and its collect


def test_reject_still_loading_a_tracker(tmp_path: Path) -> None:
    result = scan_site(tmp_path, w.reject_leaks_site)
    assert rule_ids(result) == {
        "website.consent.tracker_after_reject",
        "website.transfer.outside_eea",
    }
    after = [f for f in result.findings if f.rule_id.endswith("tracker_after_reject")]
    assert {f.location.section for f in after} == {"request connect.facebook.net", "cookie _fbp"}


def test_reject_two_clicks_deep(tmp_path: Path) -> None:
    result = scan_site(tmp_path, w.reject_deep_site)
    assert rule_ids(result) == {"website.consent.no_reject_first_layer"}
    states = inventory(result)["states"]
    assert (states["accept"]["banner"]["clicks"], states["reject"]["banner"]["clicks"]) == (1, 2)
    assert "clicks to accept: 1, to reject: 2" in result.findings[0].evidence


def test_a_real_consent_platform_known_to_autoconsent(tmp_path: Path) -> None:
    result = scan_site(tmp_path, w.complianz_site)
    assert rule_ids(result) == set(), [(f.rule_id, f.evidence) for f in result.findings]
    states = inventory(result)["states"]
    for state in ("none", "accept", "reject"):
        banner = states[state]["banner"]
        assert (banner["cmp"], banner["method"]) == ("Complianz banner", "autoconsent"), banner
    assert states["reject"]["banner"]["chosen"] and states["reject"]["banner"]["clicks"] == 1
    assert "cmplz_banner-status" in cookies(result, "reject")


def test_a_page_that_never_finishes_and_one_that_hangs_the_browser(tmp_path: Path) -> None:
    def build(web: w.Web, host: str, url: Callable[[str, str], str]) -> None:
        w.compliant_site(web, host, url)
        web.handle(host, "/traag.png", w.hanging(120))
        slow = w.page('<img src="/traag.png" alt=""><a href="/diensten">x</a>' + w.FOOTER)
        web.add(host, "/", slow)
        web.add(host, "/diensten", w.page("<script>while (true) {}</script>" + w.FOOTER))

    started = time.monotonic()
    result = scan_site(tmp_path, build, states=("none",), page_seconds=3.0)
    took = time.monotonic() - started
    failed = inventory(result)["states"]["none"]["failed_pages"]
    reasons = " | ".join(failed.values())
    assert "did not finish loading within 3 s" in reasons
    assert "the browser was stopped" in reasons or "did not finish" in reasons
    assert took < 90  # bounded by the page limits, not by the server's 120 s


def test_browser_requests_obey_the_network_policy(tmp_path: Path) -> None:
    """A name that resolves to the cloud metadata address: the proxy refuses it (even
    with private networks allowed, as in these tests) and Chromium cannot go around it."""
    rebound = "metadata.voorbeeld.nl"

    def build(web: w.Web, host: str, url: Callable[[str, str], str]) -> None:
        image = f'<img src="{url(rebound, "/latest/meta-data/")}" alt="">'
        w.make_site(web, host, url, extra=image)

    with hosted(tmp_path, build) as (_web, served, runtime):
        special = {rebound: "169.254.169.254"}
        runtime = replace(runtime, resolver=w.resolver(*NAMES, special=special))
        result = run(served.url(HOST), runtime, states=("none",))
        assert "/latest/meta-data/" not in {s.path for s in served.server.seen}
    failed = inventory(result)["states"]["none"]["failed_pages"]
    assert "cloud metadata address" in failed[f"request to {rebound}"]


def test_chromium_processes_end_with_each_state(tmp_path: Path) -> None:
    during: list[int] = []
    original = browser.StateRun._visit

    def counting(self: browser.StateRun, context: object, pages: list) -> None:  # type: ignore[type-arg]
        during.append(len(chromium.browser_processes(self.profile)))
        original(self, context, pages)

    browser.StateRun._visit = counting  # type: ignore[method-assign]
    try:
        assert leftover() == []
        scan_site(tmp_path, w.compliant_site, browser_pages=1)
    finally:
        browser.StateRun._visit = original  # type: ignore[method-assign]
    assert len(during) == 3 and all(n >= 2 for n in during), during  # a browser per state
    assert leftover() == []  # and none after the scan


def test_a_browser_that_cannot_start_is_said_in_the_report_per_state(tmp_path: Path) -> None:
    """The HTTP crawl's view alone must not look like a complete browser scan."""
    with hosted(tmp_path, w.tracking_site) as (_web, served, runtime):
        broken = replace(runtime, chromium="/bin/false")  # exits at once: no DevTools pipe
        result = run(served.url(HOST), broken, states=("none", "reject"))
    missed = [f for f in result.findings if f.rule_id == ITEM_NOT_SCANNED]
    assert {f.location.section for f in missed} == {
        "browser, state none",
        "browser, state reject",
    }
    assert all("Chromium did not start" in f.evidence for f in missed)
    assert "website.consent.analytics_before_consent" in rule_ids(result)  # the HTML's GA
