// The consent banner on the current page, found by what it says (Dutch and English),
// for banners that DuckDuckGo's autoconsent rules do not know. Evaluated by the
// website scanner in each frame; returns a plain object and marks the buttons it found
// with data-dgp-choice so that the scanner can click them through Playwright.
(() => {
  const COOKIE_WORDS = /cookie|toestemming|consent|privacy|tracking|gegevens|personalis|partners|advertent|advertis/i;
  const ROLES = [
    ["reject", /\b(alles? )?weiger|\breject|decline|\bdeny\b|refuse|niet akkoord|nee,? (bedankt|dank)|no,? thanks|alleen (strikt )?(noodzakelijk|functione|essenti|vereist)|(only|just) (the )?(strictly )?(necessary|essential|required)|(necessary|essential|required) (cookies )?only|doorgaan zonder|continue without|ablehnen|tout refuser|\bdisagree|geen cookies|no cookies/i],
    ["save", /opslaan|bewaar|\bsave\b|bevestig|confirm|keuze|selectie|selection|my choices|mijn voorkeur/i],
    ["settings", /instelling|voorkeur|aanpass|beheer|meer opties|zelf kiezen|kies zelf|\bsettings|preferences|customi[sz]e|manage|options|\bdetails|more info|partners|\bkiezen|choose|personali[sz]e/i],
    ["accept", /accepte|akkoord|\bagree|\ballow|toestaan|sta toe|\bok(é|ay)?\b|^ja\b|\byes\b|got it|begrepen|prima|i understand|zustimmen|akzeptieren|alles goed|doorgaan|continue|accept/i],
  ];
  const CLICKABLE = "button, a, [role=button], input[type=button], input[type=submit], [onclick], [tabindex]";

  function* walk(root) {
    const stack = [root];
    while (stack.length) {
      const node = stack.pop();
      if (node.shadowRoot) stack.push(node.shadowRoot);
      const kids = node.children || [];
      for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]);
      if (node.nodeType === 1) yield node;
    }
  }
  function visible(el) {
    const r = el.getBoundingClientRect();
    if (r.width < 2 || r.height < 2) return false;
    const s = getComputedStyle(el);
    return s.visibility !== "hidden" && s.display !== "none" && parseFloat(s.opacity || "1") > 0.05;
  }
  function label(el) {
    const text = (el.innerText || el.value || el.getAttribute("aria-label") || el.title || "").trim();
    return text.replace(/\s+/g, " ").slice(0, 80);
  }
  function role(text) {
    if (!text || text.length > 60) return null;
    for (const [name, pattern] of ROLES) if (pattern.test(text)) return name;
    return null;
  }
  function parentOf(el) {
    return el.parentElement || (el.getRootNode && el.getRootNode().host) || null;
  }
  function isOverlay(el) {
    const s = getComputedStyle(el);
    return s.position === "fixed" || s.position === "sticky" || el.getAttribute("role") === "dialog"
      || el.getAttribute("aria-modal") === "true" || el.tagName === "DIALOG" || parseInt(s.zIndex || "0") > 999;
  }
  // the banner: the nearest ancestor of a visible choice button that talks about cookies
  function findBanner() {
    let best = null;
    for (const el of walk(document.documentElement)) {
      if (!el.matches || !el.matches(CLICKABLE) || !visible(el)) continue;
      const r = role(label(el));
      if (r !== "accept" && r !== "reject" && r !== "settings") continue;
      let box = parentOf(el);
      for (let depth = 0; box && depth < 12; depth++, box = parentOf(box)) {
        if (box === document.body || box === document.documentElement) break;
        const text = (box.innerText || "").slice(0, 6000);
        if (COOKIE_WORDS.test(text) && text.length < 6000) {
          let top = box;  // widen to the overlay it sits in
          for (let up = box; up && up !== document.body; up = parentOf(up)) if (isOverlay(up)) { top = up; break; }
          if (!best || (best.contains && best.contains(top))) best = top;
          break;
        }
      }
    }
    return best;
  }
  function modal(banner) {
    const vw = innerWidth, vh = innerHeight;
    const covers = (el) => { const r = el.getBoundingClientRect(); return r.width * r.height >= 0.6 * vw * vh; };
    if (covers(banner)) return true;
    const locked = [document.body, document.documentElement].some((el) => el && getComputedStyle(el).overflow === "hidden");
    if (locked) return true;
    if (banner.getAttribute("aria-modal") === "true" || (banner.matches && banner.matches("dialog:modal"))) return true;
    for (const el of walk(document.body || document.documentElement)) {
      if (el !== banner && banner.contains(el)) continue;
      const s = getComputedStyle(el);
      if (s.position === "fixed" && s.pointerEvents !== "none" && visible(el) && covers(el)) return true;
    }
    return false;
  }
  const NECESSARY = /noodzakelijk|necessary|essential|functione|strictly|required|vereist/i;
  function preticked(banner) {
    const found = [];
    for (const el of walk(banner)) {
      const isBox = el.matches && (el.matches("input[type=checkbox]") || el.getAttribute("role") === "switch");
      if (!isBox || el.disabled || el.getAttribute("aria-disabled") === "true") continue;
      const on = el.checked === true || el.getAttribute("aria-checked") === "true";
      const around = parentOf(el);
      const text = ((el.labels && el.labels[0] && el.labels[0].innerText) || el.getAttribute("aria-label") || (around && around.innerText) || el.name || "").trim().slice(0, 80);
      if (on && !NECESSARY.test(text) && (visible(el) || (around && visible(around)))) found.push(text || el.name || "checkbox");
    }
    return found;
  }
  const banner = findBanner();
  if (!banner) return { found: false };
  document.querySelectorAll("[data-dgp-choice]").forEach((el) => el.removeAttribute("data-dgp-choice"));
  const roles = { accept: [], reject: [], settings: [], save: [] };
  let n = 0;
  for (const el of walk(banner)) {
    if (!el.matches || !el.matches(CLICKABLE) || !visible(el)) continue;
    const text = label(el);
    const r = role(text);
    if (!r) continue;
    const id = `${r}-${n++}`;
    el.setAttribute("data-dgp-choice", id);
    roles[r].push({ id, label: text });
  }
  return { found: true, modal: modal(banner), roles, preticked: preticked(banner) };
})()
