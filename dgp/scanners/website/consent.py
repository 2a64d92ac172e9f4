"""Finding and clicking the consent banner: DuckDuckGo's autoconsent for the consent
platforms and sites its rules know, our own Dutch/English heuristics (consent.js) for
the rest.

autoconsent runs in the page (its Playwright build, injected into every frame before
the page's own scripts) and talks to us through one binding: it asks for its rules
("init"), reports the platform and its popup, asks us to evaluate the snippets some
rules need, and reports the result and the number of clicks of an opt-in or opt-out.
We never let it act on its own (autoAction null): the first layer is read first, then
we send "optIn" or "optOut". Its cosmetic rules (hiding a banner) are off: hiding is
no choice.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from dgp.scanners.website.observations import Banner

HERE = Path(__file__).resolve().parent
AUTOCONSENT = HERE / "data" / "autoconsent"
CONFIG = {
    "enabled": True,
    "autoAction": None,
    "disabledCmps": [],
    "enablePrehide": False,
    "enableCosmeticRules": False,
    "enableGeneratedRules": True,
    "enableHeuristicDetection": False,
    "detectRetries": 6,
    "isMainWorld": False,
    "logs": dict.fromkeys(
        ("lifecycle", "rulesteps", "evals", "errors", "messages", "waits"), False
    ),
}

STORAGE_KEYS = """() => {
  const keys = (s) => { try { return Object.keys(s).slice(0, 200); } catch (e) { return []; } };
  return { origin: location.origin, local: keys(localStorage), session: keys(sessionStorage) };
}"""
UNTICK = """() => {
  let n = 0;
  const necessary = /noodzakelijk|necessary|essential|functione|strictly|required|vereist/i;
  for (const el of document.querySelectorAll("input[type=checkbox]:checked:not([disabled])")) {
    const text = (el.labels && el.labels[0] && el.labels[0].innerText) || el.name || "";
    if (!necessary.test(text)) { el.click(); n++; }
  }
  return n;
}"""


@cache
def autoconsent_script() -> str:
    return (AUTOCONSENT / "autoconsent.playwright.js").read_text(encoding="utf-8")


@cache
def cookie_hook() -> str:
    return (HERE / "cookie_hook.js").read_text(encoding="utf-8")


@cache
def banner_script() -> str:
    return (HERE / "consent.js").read_text(encoding="utf-8")


@cache
def _rules() -> list[dict[str, Any]]:
    data = json.loads((AUTOCONSENT / "rules.json").read_text(encoding="utf-8"))
    return list(data["autoconsent"])


def rules_for(url: str, main_frame: bool) -> dict[str, Any]:
    """The rules that can run in this frame (autoconsent checks again itself): a frame's
    rules, or the main frame's without the site-specific ones for other sites."""
    kept = []
    for rule in _rules():
        context = rule.get("runContext") or {}
        if main_frame and context.get("main", True) is False:
            continue
        if not main_frame and not context.get("frame", False):
            continue
        pattern = context.get("urlPattern")
        if pattern:
            try:
                if not re.search(pattern, url):
                    continue
            except re.error:
                pass  # a JavaScript-only pattern: let autoconsent decide
        kept.append(rule)
    return {"autoconsent": kept}


@dataclass
class Autoconsent:
    """autoconsent's messages from the page, handled when `pump` is called."""

    inbox: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)
    cmp: str | None = None
    popup_frame: Any = None
    popup_cmp: str | None = None
    result: bool | None = None
    done: dict[str, Any] | None = None
    errors: list[str] = field(default_factory=list)

    def receive(self, source: dict[str, Any], message: Any) -> None:
        """The binding: called by Playwright while it dispatches; only queues."""
        if isinstance(message, dict):
            self.inbox.append((source.get("frame"), message))

    def pump(self) -> None:
        while self.inbox:
            frame, message = self.inbox.pop(0)
            try:
                self._handle(frame, message)
            except Exception as e:  # a frame that went away, a page that navigated
                self.errors.append(type(e).__name__)

    def _handle(self, frame: Any, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "init":
            main = frame.parent_frame is None
            reply = {
                "type": "initResp",
                "config": CONFIG,
                "rules": rules_for(str(message.get("url", "")), main),
            }
            frame.evaluate("m => window.autoconsentReceiveMessage(m)", reply)
        elif kind == "eval":
            try:
                value = frame.evaluate(str(message.get("code", "")))
            except Exception:
                value = False
            frame.evaluate(
                "m => window.autoconsentReceiveMessage(m)",
                {"type": "evalResp", "id": message.get("id"), "result": value},
            )
        elif kind == "cmpDetected":
            self.cmp = self.cmp or str(message.get("cmp"))
        elif kind == "popupFound" and self.popup_frame is None:
            self.popup_frame, self.popup_cmp = frame, str(message.get("cmp"))
        elif kind in ("optOutResult", "optInResult"):
            self.result = bool(message.get("result"))
        elif kind == "autoconsentDone":
            self.done = message
        elif kind == "autoconsentError":
            self.errors.append(str(message.get("details", ""))[:200])

    def choose(self, action: str) -> None:
        """Send "optIn" or "optOut" to the frame whose popup was found."""
        self.popup_frame.evaluate("m => window.autoconsentReceiveMessage(m)", {"type": action})


def read_banner(frames: list[Any]) -> tuple[Any, dict[str, Any]] | None:
    """The first frame (the page first) with a banner our heuristics recognise."""
    for frame in frames:
        try:
            found = frame.evaluate(banner_script())
        except Exception:
            continue
        if isinstance(found, dict) and found.get("found"):
            return frame, found
    return None


def describe(found: dict[str, Any], banner: Banner) -> None:
    """The heuristic reading of the first layer into the state's Banner."""
    roles = found.get("roles") or {}
    banner.found = True
    banner.modal = bool(found.get("modal"))
    banner.first_layer = {
        role: [b["label"] for b in roles.get(role, [])] for role in ("accept", "reject", "settings")
    }
    banner.preticked = list(found.get("preticked") or [])


def choice_ids(found: dict[str, Any], role: str) -> list[str]:
    return [b["id"] for b in (found.get("roles") or {}).get(role, [])]
