// Reports the name of every cookie a script sets (document.cookie, CookieStore) to the
// scanner's dgpCookieSet binding, so that cookies set by script are told from those set
// by HTTP. Injected into every frame before the page's own scripts.
(() => {
  if (window.__dgpCookieHook) return;
  Object.defineProperty(window, "__dgpCookieHook", { value: true });
  const tell = (name) => { try { if (name && window.dgpCookieSet) window.dgpCookieSet(String(name)); } catch (e) {} };
  const d = Object.getOwnPropertyDescriptor(Document.prototype, "cookie");
  if (d && d.set) {
    Object.defineProperty(Document.prototype, "cookie", {
      configurable: true, enumerable: d.enumerable,
      get() { return d.get.call(this); },
      set(v) { tell(String(v).split(";")[0].split("=")[0].trim()); return d.set.call(this, v); },
    });
  }
  if (window.cookieStore && window.cookieStore.set) {
    const set = window.cookieStore.set.bind(window.cookieStore);
    window.cookieStore.set = (a, b) => { tell(typeof a === "string" ? a : a && a.name); return set(a, b); };
  }
})();
