"""Browser mode: the start page and the next pages in headless Chromium, once per
consent state, each in a fresh profile.

Per state: open the start page; read the banner (autoconsent, else our heuristics);
take a screenshot of the first view (for "accept" and "reject": right after the
choice); make the state's choice, counting clicks; then visit the next pages. Every
request, cookie (by HTTP or by script) and storage key is recorded with whether it
came before or after the choice.

Bounds: a page gets `page_seconds` to load (a page that never finishes is recorded as
such and scanned as far as it loaded); a watchdog kills the state's browser when a
step hangs past its limit (a script in an endless loop), which fails that state with
the reason; the policy proxy bounds the bytes. The browser's processes are killed
when the state ends, whatever happened (chromium.kill_browser).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import Any

from dgp import __version__
from dgp.net import NetPolicy, TargetURL
from dgp.net.urls import redact
from dgp.scanners.session import ScanSession
from dgp.scanners.website import chromium, consent
from dgp.scanners.website.cookies import from_browser
from dgp.scanners.website.observations import (
    ACCEPT,
    AFTER,
    BEFORE,
    NONE,
    REJECT,
    Observation,
    Request,
    Seen,
    StorageKey,
)
from dgp.scanners.website.options import WebsiteOptions
from dgp.scanners.website.proxy import PolicyProxy

log = logging.getLogger(__name__)
VIEWPORT = {"width": 1280, "height": 800}
SETTLE_SECONDS = 1.5  # network quiet after a load or a click
BANNER_SECONDS = 4.0  # how long a banner may take to appear
GRACE_SECONDS = 5.0  # beyond a step's limit before the watchdog kills the browser
MAX_REQUESTS = 5000  # recorded per state
PROFILE_PREFIX = "dgp-chromium-"


class Hung(Exception):
    """The watchdog stopped the browser: a step ran past its limit."""


class Watchdog:
    """Kills the state's browser when a step runs past its deadline."""

    def __init__(self, profile: str) -> None:
        self.profile = profile
        self.fired: str | None = None
        self._timer: threading.Timer | None = None

    @contextlib.contextmanager
    def limit(self, seconds: float, what: str) -> Iterator[None]:
        def fire() -> None:
            self.fired = f"{what} did not finish within {seconds:g} s; the browser was stopped"
            chromium.kill_browser(self.profile)

        self._timer = threading.Timer(seconds + GRACE_SECONDS, fire)
        self._timer.daemon = True
        self._timer.start()
        try:
            yield
        finally:
            self._timer.cancel()
        if self.fired:
            raise Hung(self.fired)


def run_states(
    session: ScanSession,
    options: WebsiteOptions,
    pages: list[TargetURL],
    runtime: Any,
    policy: NetPolicy,
) -> dict[str, Observation]:
    from playwright.sync_api import sync_playwright

    visit = pages[: options.browser_pages]
    observations: dict[str, Observation] = {}
    budget = max(1, options.limits.max_bytes - session.scan.stats.bytes_scanned)
    with (
        PolicyProxy(policy, runtime.resolver, runtime.proxies, budget) as proxy,
        tempfile.TemporaryDirectory(prefix=PROFILE_PREFIX) as work,
        sync_playwright() as playwright,
    ):
        for number, state in enumerate(options.states):
            session.check_time()
            session.progress(50 + 10 * number, f"browser: state '{state}'")
            proxy.reset_budget(budget)
            profile = f"{work}/{state}"
            run = StateRun(playwright, state, profile, options, runtime, proxy)
            try:
                observations[state] = run.run(visit)
            finally:
                chromium.kill_browser(profile)  # nothing outlives the state
    return observations


class StateRun:
    def __init__(
        self,
        playwright: Any,
        state: str,
        profile: str,
        options: WebsiteOptions,
        runtime: Any,
        proxy: PolicyProxy,
    ) -> None:
        self.playwright = playwright
        self.state = state
        self.profile = profile
        self.options = options
        self.runtime = runtime
        self.proxy = proxy
        self.obs = Observation(state, "browser")
        self.phase = BEFORE
        self.current = ""
        self.script_cookies: set[str] = set()
        self.autoconsent = consent.Autoconsent()
        self.watchdog = Watchdog(profile)

    # -- recording -----------------------------------------------------------------------

    def _on_request(self, request: Any) -> None:
        if len(self.obs.requests) >= MAX_REQUESTS:
            return
        url = request.url
        if not url.startswith(("http://", "https://")):
            return
        host = url.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
        host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        self.obs.requests.append(
            Request(
                redact(url)[:300],
                host.strip("[]").lower(),
                request.resource_type,
                self.current,
                self.phase,
            )
        )

    def _on_cookie(self, source: Any, name: Any) -> None:
        self.script_cookies.add(str(name)[:256])

    def _cookies(self, context: Any, phase: str) -> None:
        known = {s.cookie.key for s in self.obs.cookies}
        for data in context.cookies():
            source = "script" if data.get("name") in self.script_cookies else "http"
            cookie = from_browser(data, source, self.current)
            if cookie.key not in known:
                known.add(cookie.key)
                self.obs.cookies.append(Seen(cookie, self.current, phase))

    def _storage(self, page: Any, phase: str) -> None:
        known = {(k.origin, k.area, k.key) for k in self.obs.storage}
        for frame in page.frames:
            try:
                found = frame.evaluate(consent.STORAGE_KEYS)
            except Exception:
                continue
            for area, keys in (
                ("localStorage", found["local"]),
                ("sessionStorage", found["session"]),
            ):
                for key in keys:
                    if (found["origin"], area, key) not in known:
                        known.add((found["origin"], area, key))
                        self.obs.storage.append(
                            StorageKey(found["origin"], area, str(key)[:200], self.current, phase)
                        )

    # -- the state -------------------------------------------------------------------------

    def run(self, pages: list[TargetURL]) -> Observation:
        try:
            with self.watchdog.limit(60.0, "starting Chromium"):
                context = self._launch()
        except Exception as e:
            why = self.watchdog.fired or f"Chromium did not start ({_short(e)})"
            self.obs.failed_pages[pages[0].display] = why
            self.obs.banner.note = why
            return self.obs
        try:
            self._visit(context, pages)
        except Hung as e:
            self.obs.failed_pages[self.current or pages[0].display] = str(e)
            self.obs.banner.note = self.obs.banner.note or str(e)
        except Exception as e:  # the browser died or a page broke Playwright
            if self.watchdog.fired:
                self.obs.failed_pages[self.current or pages[0].display] = self.watchdog.fired
            else:
                self.obs.failed_pages[self.current or pages[0].display] = (
                    f"the browser failed ({type(e).__name__})"
                )
        finally:
            with contextlib.suppress(Exception), self.watchdog.limit(15.0, "closing Chromium"):
                context.close()
        asked = {r.host for r in self.obs.requests}  # not Chromium's own background calls
        for host, why in self.proxy.stats.refused.items():
            if host.strip("[]").lower() in asked:
                self.obs.failed_pages.setdefault(f"request to {host}", why)
        if self.proxy.stats.over_budget:
            self.obs.banner.note += " the byte limit was reached; later requests were refused"
        return self.obs

    def _launch(self) -> Any:
        executable = chromium.executable(self.runtime.chromium)
        context = self.playwright.chromium.launch_persistent_context(
            self.profile,
            executable_path=executable,
            headless=True,
            args=chromium.flags(tuple(self.runtime.trusted_spki)),
            proxy={"server": self.proxy.url, "bypass": "<-loopback>"},
            viewport=VIEWPORT,
            locale="nl-NL",
            timezone_id="Europe/Amsterdam",
            user_agent=self._user_agent(),
            accept_downloads=False,
            service_workers="block",
            timeout=30_000,
        )
        context.expose_binding("autoconsentSendMessage", self.autoconsent.receive)
        context.expose_binding("dgpCookieSet", self._on_cookie)
        context.add_init_script(consent.cookie_hook())
        context.add_init_script(consent.autoconsent_script())
        context.on("request", self._on_request)
        return context

    def _user_agent(self) -> str:
        return user_agent(chromium.executable(self.runtime.chromium) or "chromium")

    def _visit(self, context: Any, pages: list[TargetURL]) -> None:
        page = context.pages[0] if context.pages else context.new_page()
        seconds = self.options.page_seconds
        self._open(page, pages[0], seconds)
        with self.watchdog.limit(BANNER_SECONDS + seconds, "reading the consent banner"):
            found = self._find_banner(page)
        if self.state == NONE:
            self._screenshot(page)
        else:
            with self.watchdog.limit(seconds + 10, f"choosing '{self.state}'"):
                self._choose(page, found)
                self._settle(page)
            self._screenshot(page)
        with self.watchdog.limit(seconds, "reading cookies and storage"):
            self._cookies(context, self.phase)
            self._storage(page, self.phase)
        for target in pages[1:]:
            self._open(page, target, seconds)
            with self.watchdog.limit(seconds, "reading cookies and storage"):
                self._cookies(context, self.phase)
                self._storage(page, self.phase)

    def _open(self, page: Any, target: TargetURL, seconds: float) -> None:
        from playwright.sync_api import Error as PlaywrightError

        self.current = target.display
        self.obs.pages.append(target.display)
        with self.watchdog.limit(seconds + SETTLE_SECONDS + 5, f"loading {target.display}"):
            try:
                page.goto(target.url, wait_until="load", timeout=seconds * 1000)
            except PlaywrightError as e:
                if "Timeout" in type(e).__name__ or "Timeout" in str(e)[:200]:
                    self.obs.failed_pages[target.display] = (
                        f"did not finish loading within {seconds:g} s; read as far as it loaded"
                    )
                else:
                    self.obs.failed_pages[target.display] = _short(e)
                    return
            self._settle(page)

    def _settle(self, page: Any) -> None:
        with contextlib.suppress(Exception):
            page.wait_for_load_state("networkidle", timeout=SETTLE_SECONDS * 1000)
        self.autoconsent.pump()

    def _find_banner(self, page: Any) -> dict[str, Any] | None:
        """Wait for autoconsent's popup or our heuristics' banner, whichever comes first;
        the first layer is read with the heuristics either way."""
        deadline = time.monotonic() + BANNER_SECONDS
        banner = self.obs.banner
        found = None
        while time.monotonic() < deadline:
            self.autoconsent.pump()
            if self.autoconsent.popup_frame is not None:
                break
            hit = consent.read_banner(page.frames)
            if hit is not None:
                found = hit[1]
                # give autoconsent a moment to claim a platform it knows
                page.wait_for_timeout(300)
                self.autoconsent.pump()
                break
            page.wait_for_timeout(150)
        if self.autoconsent.popup_frame is not None:
            banner.found, banner.cmp, banner.method = (
                True,
                self.autoconsent.popup_cmp,
                "autoconsent",
            )
            hit = consent.read_banner([self.autoconsent.popup_frame, *page.frames])
            found = hit[1] if hit else found
        elif found is not None:
            banner.method = "heuristic"
            banner.cmp = self.autoconsent.cmp
        if found is not None:
            consent.describe(found, banner)
            banner.found = True
        return found

    def _choose(self, page: Any, found: dict[str, Any] | None) -> None:
        banner = self.obs.banner
        if not banner.found:
            return
        self.phase = AFTER
        if self.autoconsent.popup_frame is not None:
            self.autoconsent.choose("optIn" if self.state == ACCEPT else "optOut")
            deadline = time.monotonic() + self.options.page_seconds
            while self.autoconsent.result is None and time.monotonic() < deadline:
                page.wait_for_timeout(100)
                self.autoconsent.pump()
            if self.autoconsent.result:
                done = self.autoconsent.done or {}
                banner.chosen = True
                banner.clicks = int(done.get("totalClicks", 0)) or None
                if banner.clicks is None and found is not None:
                    banner.clicks = (
                        1 if banner.offers("reject" if self.state == REJECT else "accept") else 2
                    )
                return
            banner.note = "autoconsent could not make the choice; tried the heuristics"
        self._choose_by_heuristics(page, found)

    def _choose_by_heuristics(self, page: Any, found: dict[str, Any] | None) -> None:
        banner = self.obs.banner
        want = "accept" if self.state == ACCEPT else "reject"
        for clicks in range(3):  # clicks so far: the first layer, a settings layer, one more
            if found is None:
                break
            ids = consent.choice_ids(found, want)
            if ids:
                if self._click(page, ids[0]):
                    banner.chosen, banner.clicks = True, clicks + 1
                return
            if clicks and self.state == REJECT and consent.choice_ids(found, "save"):
                unticked = self._untick(page, found)
                if self._click(page, consent.choice_ids(found, "save")[0]):
                    banner.chosen, banner.clicks = True, clicks + unticked + 1
                return
            settings = consent.choice_ids(found, "settings")
            if not settings or not self._click(page, settings[0]):
                return
            page.wait_for_timeout(500)
            hit = consent.read_banner(page.frames)
            found = hit[1] if hit else None
            if found and self.state == REJECT:
                for label in found.get("preticked") or []:
                    if label not in banner.preticked:
                        banner.preticked.append(label)

    def _click(self, page: Any, choice: str) -> bool:
        selector = f'[data-dgp-choice="{choice}"]'
        for frame in page.frames:
            try:
                handle = frame.locator(selector).first
                if handle.count():
                    handle.click(timeout=3000)
                    return True
            except Exception:
                continue
        return False

    def _untick(self, page: Any, found: dict[str, Any]) -> int:
        """Untick the banner's pre-ticked optional boxes (each a click)."""
        try:
            return int(page.evaluate(consent.UNTICK))
        except Exception:
            return 0

    def _screenshot(self, page: Any) -> None:
        if not self.options.screenshots:
            return
        with contextlib.suppress(Exception), self.watchdog.limit(15.0, "the screenshot"):
            self.obs.screenshot = page.screenshot(type="png", timeout=10_000)


@functools.cache
def user_agent(executable: str) -> str:
    """Chromium's own user agent without "Headless" (some sites hide their banner from
    bots), saying who we are."""
    version = "0"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=10)
        version = next((w for w in out.stdout.split() if w[:1].isdigit()), "0")
    return (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        f"Chrome/{version} Safari/537.36 DataGuardianPro/{__version__}"
    )


def _short(error: Exception) -> str:
    text = str(error).split("\n", 1)[0]
    return redact(text)[:200] or type(error).__name__
