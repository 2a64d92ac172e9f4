"""The website scanner's rules (SPEC 3.2), each with the law behind it.

Consent: the ePrivacy Directive art. 5(3) as the Netherlands implements it
(Telecommunicatiewet art. 11.7a), consent as the GDPR defines it (art. 4(11), 7),
and the Dutch regulator's (Autoriteit Persoonsgegevens) and the EDPB cookie banner
taskforce's reading of it: refusing must be as easy as accepting, on the first
layer. Transfers: GDPR chapter V. Transparency: GDPR art. 12-14 and, for the
imprint, the e-Commerce Directive as Dutch law implements it (BW 3:15d).
"""

from __future__ import annotations

from dgp.domain.finding import LegalRef
from dgp.domain.severity import Severity
from dgp.engine import legal
from dgp.engine.rules import RuleBook
from dgp.scanners.common_rules import ITEM_NOT_SCANNED

EPRIVACY = LegalRef("ePrivacy Directive", "5(3)")
TW = LegalRef("Telecommunicatiewet", "11.7a")
TW_EXEMPTION = LegalRef("Telecommunicatiewet", "11.7a(3)(b)")
CONSENT = (legal.gdpr("4(11)"), legal.gdpr("7"))
EDPB_BANNERS = LegalRef("EDPB", "Cookie Banner Taskforce report (17 January 2023)")
PLANET49 = LegalRef("CJEU", "C-673/17 Planet49")
TRANSFERS = (legal.gdpr("44"), legal.gdpr("45"), legal.gdpr("46"), legal.gdpr("49"))
ECOMMERCE = (LegalRef("BW", "3:15d(1)(c)"), LegalRef("Directive 2000/31/EC", "5(1)(d)"))
_S = Severity
_BOOK = RuleBook()
_rule = _BOOK.rule


# -- consent ----------------------------------------------------------------------------

COOKIE_BEFORE_CONSENT = _rule(
    "website.consent.cookie_before_consent",
    "consent",
    _S.HIGH,
    "Tracking cookie before consent",
    "A marketing or tracking cookie (or browser storage key) is stored before the visitor "
    "has agreed to it. Storing or reading such information needs prior consent.",
    (EPRIVACY, TW, *CONSENT),
    "Load the product that sets it only after the visitor accepts its category in the "
    "consent banner (block the script until then, or use the platform's consent mode "
    "without storage).",
)
TRACKER_BEFORE_CONSENT = _rule(
    "website.consent.tracker_before_consent",
    "consent",
    _S.HIGH,
    "Tracker loaded before consent",
    "The page contacts an advertising, social media or session-recording service before "
    "the visitor has agreed: the service reads or stores information on the device and "
    "receives the visitor's address and the page visited.",
    (EPRIVACY, TW, *CONSENT),
    "Load the tracker only after consent for its purpose (block its tag until the "
    "consent banner says yes).",
)
ANALYTICS_BEFORE_CONSENT = _rule(
    "website.consent.analytics_before_consent",
    "consent",
    _S.MEDIUM,
    "Analytics before consent",
    "An analytics product sets a cookie or is contacted before the visitor has agreed. "
    "Dutch law exempts analytics cookies only when they have little or no effect on "
    "privacy (no data shared for other purposes, addresses shortened, a processing "
    "agreement; the AP's guidance); third-party analytics rarely qualifies.",
    (EPRIVACY, TW, TW_EXEMPTION, *CONSENT),
    "Ask consent before loading it, or configure it so that it qualifies for the "
    "analytics exemption (and document why), or use a privacy-friendly analytics tool.",
)
TRACKER_AFTER_REJECT = _rule(
    "website.consent.tracker_after_reject",
    "consent",
    _S.HIGH,
    "Tracking after the visitor rejected it",
    "After choosing 'reject all', trackers are still contacted or tracking cookies are "
    "still set: the refusal is not respected.",
    (EPRIVACY, TW, *CONSENT, legal.gdpr("21")),
    "Make the consent platform block every non-essential tag on refusal and test it in "
    "a fresh browser profile.",
)
NO_BANNER = _rule(
    "website.consent.no_banner",
    "consent",
    _S.HIGH,
    "Tracking without a consent banner",
    "The site uses cookies or services that need consent but shows no way to give or refuse it.",
    (EPRIVACY, TW, *CONSENT),
    "Add a consent banner (a consent management platform) that asks before loading "
    "them, with equal 'accept' and 'reject' choices.",
)
NO_REJECT_FIRST_LAYER = _rule(
    "website.consent.no_reject_first_layer",
    "consent",
    _S.HIGH,
    "No reject option on the banner's first layer",
    "The banner offers 'accept' at once but hides refusal behind settings or further "
    "screens. The AP and the EDPB: refusing must be as easy as accepting, on the same "
    "layer.",
    (EPRIVACY, TW, *CONSENT, EDPB_BANNERS),
    "Put a 'reject all' (or 'only necessary') button next to 'accept all', equally visible.",
)
REJECT_HARDER = _rule(
    "website.consent.reject_harder_than_accept",
    "consent",
    _S.MEDIUM,
    "Rejecting takes more clicks than accepting",
    "Refusing consent needs more clicks than giving it, which nudges visitors to accept.",
    (EPRIVACY, TW, *CONSENT, EDPB_BANNERS),
    "Make rejecting as short as accepting: one click each.",
)
NO_REJECT_OPTION = _rule(
    "website.consent.no_reject_option",
    "consent",
    _S.HIGH,
    "No way to refuse consent",
    "The banner lets the visitor accept but offers no way to refuse.",
    (EPRIVACY, TW, *CONSENT, EDPB_BANNERS),
    "Offer 'reject all' next to 'accept all'.",
)
COOKIE_WALL = _rule(
    "website.consent.cookie_wall",
    "consent",
    _S.HIGH,
    "Cookie wall",
    "The banner blocks the site until the visitor accepts and offers no way to refuse: "
    "consent under such pressure is not freely given (the AP treats cookie walls as "
    "not allowed).",
    (EPRIVACY, TW, *CONSENT, legal.gdpr("7(4)")),
    "Let visitors use the site after refusing; offer 'reject all' on the banner.",
)
PRETICKED = _rule(
    "website.consent.preticked_box",
    "consent",
    _S.MEDIUM,
    "Pre-ticked consent box",
    "A box that gives consent (marketing, newsletters, cookie categories, sharing) is "
    "ticked in advance. Silence or pre-ticked boxes are no consent.",
    (*CONSENT, PLANET49, EPRIVACY, TW),
    "Leave every consent box unticked until the visitor ticks it.",
)
LONG_LIFETIME = _rule(
    "website.cookie.long_lifetime",
    "consent",
    _S.LOW,
    "Cookie kept far longer than its purpose needs",
    "A cookie stays on the device for more than 13 months. Supervisory authorities "
    "consider 13 months the most that consent and audience measurement can justify; "
    "browsers cap cookies at 400 days.",
    (legal.gdpr("5(1)(e)"), EPRIVACY, TW),
    "Shorten the cookie's lifetime to what its purpose needs (at most 13 months for "
    "consent and analytics cookies) and ask consent again after that.",
)

# -- cookie security ---------------------------------------------------------------------

COOKIE_NOT_SECURE = _rule(
    "website.cookie.not_secure",
    "security",
    _S.MEDIUM,
    "Cookie without the Secure flag on an HTTPS site",
    "The cookie may also be sent over plain HTTP, where anyone on the network can read it.",
    legal.SECURITY,
    "Set the Secure attribute on every cookie of an HTTPS site.",
)
SESSION_COOKIE_FLAGS = _rule(
    "website.cookie.session_flags",
    "security",
    _S.LOW,
    "Session cookie without HttpOnly or SameSite",
    "A session or login cookie that scripts can read (no HttpOnly) or that is sent with "
    "requests from other sites (no SameSite): session theft through cross-site scripting "
    "or cross-site request forgery is easier.",
    legal.SECURITY,
    "Set HttpOnly and SameSite=Lax (or Strict) on session cookies.",
)

# -- transfers ---------------------------------------------------------------------------

OUTSIDE_EEA = _rule(
    "website.transfer.outside_eea",
    "transfer",
    _S.MEDIUM,
    "Visitor data sent to an organisation outside the EU/EEA",
    "The site makes visitors' browsers contact a service of an organisation outside the "
    "EU/EEA, which receives at least their IP address and the page visited: a transfer "
    "that needs an adequacy decision (for the US only for organisations certified under "
    "the Data Privacy Framework), appropriate safeguards or an exception.",
    TRANSFERS,
    "Check the legal basis for the transfer (adequacy, DPF certification, standard "
    "contractual clauses with a transfer impact assessment), mention it in the privacy "
    "policy, or use an EU/EEA alternative or self-host the resource.",
)

# -- privacy policy and imprint ----------------------------------------------------------

POLICY_MISSING = _rule(
    "website.privacy.policy_missing",
    "transparency",
    _S.HIGH,
    "No privacy policy found",
    "No privacy policy is linked from the site or found at a usual address, while the "
    "site processes visitors' personal data.",
    (legal.gdpr("12(1)"), *legal.TRANSPARENCY),
    "Publish a privacy policy in the visitors' language and link it from every page.",
)
_POLICY_FIX = "Add this to the privacy policy, in plain language."
_ELEMENTS = (  # (element, severity, what the policy must say, GDPR articles)
    ("controller", _S.MEDIUM, "the controller's identity and contact details",
     ("13(1)(a)", "14(1)(a)")),
    ("dpo", _S.LOW, "the data protection officer's contact details (where one is required)",
     ("13(1)(b)", "37")),
    ("purposes", _S.MEDIUM, "the purposes of the processing", ("13(1)(c)", "14(1)(c)")),
    ("legal_basis", _S.MEDIUM, "the legal basis of each processing", ("13(1)(c)", "6(1)")),
    ("recipients", _S.LOW, "the recipients or categories of recipients", ("13(1)(e)",)),
    ("transfers", _S.MEDIUM, "transfers outside the EU/EEA and their safeguards",
     ("13(1)(f)", "46")),
    ("retention", _S.MEDIUM, "how long the data are kept", ("13(2)(a)", "5(1)(e)")),
    ("rights", _S.MEDIUM, "the data subject's rights (access, rectification, erasure, "
     "objection, portability)", ("13(2)(b)", "15")),
    ("complaint", _S.MEDIUM, "the right to complain to the Autoriteit Persoonsgegevens (or "
     "another supervisory authority)", ("13(2)(d)", "77")),
)  # fmt: skip
POLICY_ELEMENT: dict[str, str] = {
    element: _rule(
        f"website.privacy.no_{element}",
        "transparency",
        severity,
        f"Privacy policy does not name {what.split(' (')[0]}",
        f"The privacy policy does not mention {what}, which it must.",
        tuple(legal.gdpr(a) for a in articles),
        _POLICY_FIX,
    )
    for element, severity, what, articles in _ELEMENTS
}
NO_KVK = _rule(
    "website.imprint.no_kvk",
    "transparency",
    _S.MEDIUM,
    "No Chamber of Commerce (KvK) number on a Dutch site",
    "A Dutch business site must show its trade register (KvK) number; none was found on "
    "the home page, the contact or imprint pages or the privacy policy.",
    ECOMMERCE,
    "Show the KvK number (and the VAT number) in the footer or on the contact page.",
)
KVK_INVALID = _rule(
    "website.imprint.kvk_invalid",
    "transparency",
    _S.LOW,
    "KvK number that is not a valid number",
    "A number labelled as the KvK number is not the 8 digits a Chamber of Commerce number has.",
    ECOMMERCE,
    "Correct the KvK number shown.",
)

# -- forms -----------------------------------------------------------------------------

FORM_INSECURE = _rule(
    "website.form.insecure_transport",
    "security",
    _S.HIGH,
    "Form with personal data sent over plain HTTP",
    "A form that asks for personal data is on an http:// page or sends to an http:// "
    "address: anyone on the network path can read what visitors type.",
    legal.SECURITY,
    "Serve the page and the form's action over HTTPS only.",
)
FORM_NO_PRIVACY_LINK = _rule(
    "website.form.no_privacy_link",
    "transparency",
    _S.LOW,
    "Form with personal data without a privacy link",
    "A form asks for personal data but the page does not link to the privacy policy, so "
    "visitors are not told what happens to what they type.",
    legal.TRANSPARENCY,
    "Link the privacy policy next to the form.",
)

# -- transport security and headers ----------------------------------------------------

NO_HTTPS = _rule(
    "website.tls.no_https",
    "security",
    _S.HIGH,
    "Site not served over HTTPS",
    "The site answers over plain HTTP and not over HTTPS: what visitors read and send can "
    "be read and changed on the way.",
    legal.SECURITY,
    "Serve the site over HTTPS with a valid certificate and redirect HTTP to it.",
)
NO_HTTPS_REDIRECT = _rule(
    "website.tls.no_https_redirect",
    "security",
    _S.MEDIUM,
    "HTTP does not redirect to HTTPS",
    "The site's http:// address answers with content instead of redirecting to https://.",
    legal.SECURITY,
    "Redirect every http:// request to its https:// address (301).",
)
TLS_INVALID = _rule(
    "website.tls.invalid_certificate",
    "security",
    _S.HIGH,
    "TLS certificate does not verify",
    "The certificate is expired, for another name, self-signed or from an unknown "
    "authority: browsers warn visitors, and the connection may be intercepted.",
    legal.SECURITY,
    "Install a valid certificate for the site's name (e.g. from Let's Encrypt) with its "
    "chain, and renew it automatically.",
)
TLS_EXPIRING = _rule(
    "website.tls.expiring_soon",
    "security",
    _S.MEDIUM,
    "TLS certificate expires soon",
    "The certificate expires within 21 days.",
    legal.SECURITY,
    "Renew the certificate, and automate renewal.",
)
MIXED_CONTENT = _rule(
    "website.tls.mixed_content",
    "security",
    _S.MEDIUM,
    "Mixed content: HTTP resources on an HTTPS page",
    "An HTTPS page loads scripts, frames, images or styles over plain HTTP, which can be "
    "read or replaced on the way.",
    legal.SECURITY,
    "Load every resource over HTTPS.",
)
HSTS_MISSING = _rule(
    "website.header.hsts_missing",
    "security",
    _S.MEDIUM,
    "No HSTS header",
    "Without Strict-Transport-Security a visitor's first request can be downgraded to plain HTTP.",
    legal.SECURITY,
    "Send Strict-Transport-Security: max-age=31536000; includeSubDomains.",
)
HSTS_NOT_PRELOAD_READY = _rule(
    "website.header.hsts_not_preload_ready",
    "security",
    _S.INFO,
    "HSTS not ready for the preload list",
    "The HSTS header does not meet the browsers' preload list requirements (max-age of "
    "at least one year, includeSubDomains, preload, HTTP redirected to HTTPS).",
    legal.SECURITY,
    "Meet the requirements listed, then submit the domain to the HSTS preload list.",
)
CSP_MISSING = _rule(
    "website.header.csp_missing",
    "security",
    _S.LOW,
    "No Content-Security-Policy",
    "Without a Content-Security-Policy an injected script can run and send visitors' data "
    "anywhere.",
    legal.SECURITY,
    "Send a Content-Security-Policy that allows only the scripts and hosts the site needs.",
)
REFERRER_POLICY = _rule(
    "website.header.referrer_policy_missing",
    "security",
    _S.LOW,
    "No strict Referrer-Policy",
    "Without a strict Referrer-Policy the full address of the page (which may hold search "
    "terms, names or ids) goes to every third party the page loads.",
    (legal.gdpr("5(1)(c)"), legal.gdpr("25"), legal.gdpr("32")),
    "Send Referrer-Policy: strict-origin-when-cross-origin (or no-referrer).",
)
NOSNIFF = _rule(
    "website.header.nosniff_missing",
    "security",
    _S.LOW,
    "No X-Content-Type-Options: nosniff",
    "Browsers may guess content types and run uploaded files as scripts.",
    legal.SECURITY,
    "Send X-Content-Type-Options: nosniff.",
)
PERMISSIONS_POLICY = _rule(
    "website.header.permissions_policy_missing",
    "security",
    _S.INFO,
    "No Permissions-Policy",
    "Without a Permissions-Policy, third-party frames may ask for the camera, microphone "
    "or location.",
    (legal.gdpr("25"), legal.gdpr("32")),
    "Send a Permissions-Policy that turns off the features the site does not use.",
)

RULE_IDS: tuple[str, ...] = (*_BOOK.ids, ITEM_NOT_SCANNED)
