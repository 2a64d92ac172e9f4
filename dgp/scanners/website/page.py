"""One HTML page as the scanner reads it: links, the resources it makes a browser load,
forms and their fields, pre-ticked boxes, and the visible text.

lxml's HTML parser (libxml2) reads malformed markup the way browsers roughly do and
never raises on it; an empty or binary body gives an empty page. Nothing on the page
is fetched or run here.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

MAX_TEXT = 512 * 1024  # characters of visible text kept per page
MAX_ITEMS = 5000  # links, resources or form fields kept per page
_SKIP_TEXT = frozenset({"script", "style", "noscript", "template", "svg", "head", "iframe"})
_BLOCKS = frozenset(
    "p div br li ul ol tr td th table section article header footer nav aside main h1 h2 h3 "
    "h4 h5 h6 form label button option dd dt pre blockquote address".split()
)
_CSS_URL = re.compile(r"""@import\s+(?:url\()?\s*["']?([^"')\s;]+)|url\(\s*["']?([^"')\s]+)""")
# scripts that do not run: a consent platform turns them on later (text/plain and the like)
_RUNNABLE_TYPES = frozenset(
    {"", "text/javascript", "application/javascript", "module", "text/ecmascript",
     "application/ecmascript", "text/jscript", "text/livescript"}
)  # fmt: skip
_PERSONAL_FIELD = re.compile(
    r"(?i)e-?mail|naam|name|phone|telefoon|mobiel|mobile|\btel\b|adres|address|straat|street|"
    r"postcode|zip|woonplaats|city|birth|geboorte|bsn|iban|rekening|passport|paspoort"
)
_PERSONAL_TYPES = frozenset({"email", "tel", "password"})
_SEARCH_FIELD = re.compile(r"(?i)^(?:q|s|query|search|zoek|zoeken|keyword|term)$")
_CONSENT_BOX = re.compile(
    r"(?i)nieuwsbrief|newsletter|marketing|aanbieding|offer|partner|derden|third[- ]part|"
    r"toestemming|consent|akkoord|agree|cookie|promot|updates|mailing|reclame|advert|"
    r"personali|profil|analytic|statistie|tracking|social"
)
_NECESSARY = re.compile(r"(?i)noodzakelijk|necessary|essential|functione|strictly|required")


@dataclass(frozen=True)
class Link:
    url: str
    text: str


@dataclass(frozen=True)
class Resource:
    kind: str  # script, image, iframe, stylesheet, font, media, object, form, css
    url: str


@dataclass(frozen=True)
class Checkbox:
    name: str
    label: str
    checked: bool

    @property
    def gives_consent(self) -> bool:
        words = f"{self.name} {self.label}"
        return bool(_CONSENT_BOX.search(words)) and not _NECESSARY.search(words)


@dataclass
class Form:
    action: str  # absolute URL it sends to
    method: str
    fields: list[str] = field(default_factory=list)  # "type:name" of each input
    personal: bool = False  # asks for personal data
    checkboxes: list[Checkbox] = field(default_factory=list)


@dataclass
class Page:
    url: str
    lang: str = ""
    title: str = ""
    links: list[Link] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)
    text: str = ""
    html: str = ""  # the markup as decoded (for consent-platform markers)


def parse(body: bytes, url: str, encoding: str | None = None) -> Page:
    """The page at `url` (its final address) from its body; never raises on bad markup."""
    html = _decode(body, encoding)
    page = Page(url=url, html=html)
    if not html.strip():
        return page
    try:
        root = lxml.html.document_fromstring(
            html, parser=lxml.html.HTMLParser(remove_comments=True, no_network=True)
        )
    except (etree.ParserError, ValueError):
        return page
    base = url
    for b in root.iter("base"):
        href = b.get("href")
        if href:
            base = _absolute(url, href) or url
        break
    page.lang = (root.get("lang") or "").strip().lower()
    title = root.find(".//title")
    page.title = " ".join((title.text_content() if title is not None else "").split())[:300]
    labels = _labels(root)
    for element in root.iter(etree.Element):
        if len(page.links) + len(page.resources) > MAX_ITEMS:
            break
        _element(page, element, base, labels)
    page.text = _visible_text(root)
    return page


def _decode(body: bytes, encoding: str | None) -> str:
    if encoding:
        try:
            return body.decode(encoding, errors="replace")
        except LookupError:
            pass
    head = body[:2048].decode("ascii", errors="ignore")
    m = re.search(r"""(?i)<meta[^>]+charset\s*=\s*["']?([\w-]+)""", head)
    if m:
        try:
            return body.decode(m.group(1), errors="replace")
        except LookupError:
            pass
    return body.decode("utf-8", errors="replace")


def _absolute(base: str, ref: str | None) -> str | None:
    if not ref:
        return None
    ref = ref.strip()
    if not ref or ref.startswith(("javascript:", "mailto:", "tel:", "data:", "#", "about:")):
        return None
    try:
        joined = urllib.parse.urljoin(base, ref)
    except ValueError:
        return None
    return joined if joined.startswith(("http://", "https://")) else None


def _element(page: Page, el: etree._Element, base: str, labels: dict[str, str]) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""
    tag = tag.lower()
    add = page.resources.append
    if tag in ("a", "area"):
        url = _absolute(base, el.get("href"))
        if url:
            page.links.append(Link(url, " ".join(el.text_content().split())[:200]))
    elif tag == "script":
        kind = (el.get("type") or "").strip().lower()
        url = _absolute(base, el.get("src"))
        if url and kind in _RUNNABLE_TYPES:
            add(Resource("script", url))
    elif tag in ("img", "source"):
        url = _absolute(base, el.get("src"))
        if url is None and el.get("srcset"):
            url = _absolute(base, el.get("srcset", "").strip().split(" ")[0].split(",")[0])
        if url:
            add(Resource("image" if tag == "img" else "media", url))
    elif tag in ("iframe", "frame", "embed"):
        url = _absolute(base, el.get("src"))
        if url:
            add(Resource("iframe", url))
    elif tag in ("video", "audio", "track"):
        url = _absolute(base, el.get("src") or el.get("poster"))
        if url:
            add(Resource("media", url))
    elif tag == "object":
        url = _absolute(base, el.get("data"))
        if url:
            add(Resource("object", url))
    elif tag == "link":
        rel = (el.get("rel") or "").lower().split()
        url = _absolute(base, el.get("href"))
        if url and {"stylesheet", "preload", "modulepreload", "icon"} & set(rel):
            kind = "font" if (el.get("as") or "").lower() == "font" else "stylesheet"
            add(Resource(kind if "stylesheet" in rel or kind == "font" else "link", url))
    elif tag == "style":
        for m in _CSS_URL.finditer(el.text or ""):
            url = _absolute(base, m.group(1) or m.group(2))
            if url:
                add(Resource("css", url))
    elif tag == "meta" and (el.get("http-equiv") or "").lower() == "refresh":
        target = re.search(r"(?i)url\s*=\s*['\"]?([^'\";]+)", el.get("content") or "")
        url = _absolute(base, target.group(1)) if target else None
        if url:
            page.links.append(Link(url, ""))
    elif tag == "form":
        page.forms.append(_form(el, base, page.url, labels))


def _labels(root: etree._Element) -> dict[str, str]:
    found = {}
    for label in root.iter("label"):
        target = label.get("for")
        if target:
            found[target] = " ".join(label.text_content().split())[:200]
    return found


def _form(el: lxml.html.HtmlElement, base: str, url: str, labels: dict[str, str]) -> Form:
    action = _absolute(base, el.get("action")) or url
    form = Form(action=action, method=(el.get("method") or "get").lower())
    fields = []
    for field_el in el.iter("input", "textarea", "select"):
        kind = field_el.get("type") or ("text" if field_el.tag == "input" else field_el.tag)
        kind = kind.lower()
        if kind in ("hidden", "submit", "button", "image", "reset"):
            continue
        name = field_el.get("name") or field_el.get("id") or ""
        label = labels.get(field_el.get("id") or "", "") or _label_around(field_el)
        auto = field_el.get("autocomplete") or ""
        fields.append((kind, name, label, auto))
        if kind in ("checkbox", "radio"):
            form.checkboxes.append(Checkbox(name, label, field_el.get("checked") is not None))
        if len(fields) >= 200:
            break
    form.fields = [f"{kind}:{name}" for kind, name, _l, _a in fields]
    searchy = all(k == "search" or _SEARCH_FIELD.match(n) for k, n, _l, _a in fields)
    form.personal = not searchy and any(
        kind in _PERSONAL_TYPES or _PERSONAL_FIELD.search(f"{name} {auto} {label}")
        for kind, name, label, auto in fields
        if kind not in ("checkbox", "radio")
    )
    return form


def _label_around(el: etree._Element) -> str:
    """A field's label when no <label for> names it: the <label> around it, else the text
    right after it ("<input type=checkbox> Send me the newsletter")."""
    parent = el.getparent()
    if parent is not None and parent.tag == "label":
        return " ".join(" ".join(parent.itertext()).split())[:200]
    return " ".join((el.tail or "").split())[:200]


def _visible_text(root: etree._Element) -> str:
    """The text a visitor reads: scripts, styles and templates left out, a line per block.
    One pass (iterwalk, skipping hidden subtrees), so deep nesting costs no more."""
    parts: list[str] = []
    size = 0
    body = root.find("body")
    walker = etree.iterwalk(body if body is not None else root, events=("start", "end"))
    for event, el in walker:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if event == "start":
            if tag in _SKIP_TEXT or not tag:
                walker.skip_subtree()  # its "end" event still comes, with the tail
                continue
            if tag in _BLOCKS:
                parts.append("\n")
            parts.append((el.text or "").replace("\n", " "))  # source line breaks are spaces
        else:
            if tag in _BLOCKS:
                parts.append("\n")
            parts.append((el.tail or "").replace("\n", " "))
        size += len(parts[-1])
        if size > MAX_TEXT:
            break
    lines = (" ".join(line.split()) for line in "".join(parts).splitlines())
    return "\n".join(line for line in lines if line)[:MAX_TEXT]
