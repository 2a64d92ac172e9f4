"""Labelled secrets corpus: every provider format, every assignment syntax, hard negatives.

``generate_secrets(n, seed, share)`` returns ``LabelledLine`` snippets (see tests/corpus.py;
a snippet may span lines: XML elements, env lists, Kubernetes manifests, PEM blocks) with a
label on every secret the generator put in it:

* provider tokens (``PROVIDERS``): one generator per format, built from the providers'
  documented structure (prefix, length, alphabet; GitHub's and npm's CRC32 suffix, age's
  bech32 checksum, the JSON inside 1Password, Sentry and Grafana tokens), written bare in
  prose and logs or assigned in any of the syntaxes below;
* keys: PEM/OpenSSH private keys with material, JWTs with a JSON header;
* Kubernetes Secret manifests (``data:`` base64 and ``stringData:``), GCP service-account
  key files and Azure storage connection strings;
* passwords in connection strings and URLs;
* generic passwords assigned to secret-like names in every syntax of issue 11: Python,
  JS, Go (``:=``, raw strings, ``var x string =``), Kotlin/Scala ``val``, PHP (``=``,
  ``.=``, ``define``), Java ``System.setProperty``, C ``#define``, Terraform/HCL
  (attributes and ``variable`` defaults), TOML, YAML, .env, .properties, .ini, shell
  ``export``, Dockerfile ``ENV``/``ARG`` (with ``=`` and with a space), Makefile
  ``?=``/``::=``/``:::=``, XML elements across lines and ``key``/``value`` attributes,
  JSON (also inside a string after escaped newlines), env lists, CLI flags, URL queries;
* high-entropy strings under a secret-like name that no other rule knows.

Hard negatives carry no labels: placeholders in every syntax (``changeme``,
``<your-token>``, ``${API_KEY}``, ``{{ secret }}``, ``%(password)s``, ``xxxx``, ``****``,
``REDACTED``, ``dummy``, ``example``, the value equal to its name, one repeated character,
sequences, keyboard walks, documented example keys), provider look-alikes (a bad checksum,
a wrong length or alphabet, publishable keys, ``xoxb-12345-abcd234``), expressions and
references assigned to password-named variables (``forms.CharField(...)``,
``get_password()``, ``os.environ["X"]``, ``password: str``, ``password=None``,
``request.form["password"]``, ``var.db_password``, ``X25519.secret_length``, a token
endpoint URL), key markers without material, public keys, the base64 alphabet, jwt.io's
demo token, and random strings under names that are not secret (digests, ids, blobs).

Deterministic for a seed: every choice comes from one ``random.Random``.
"""

from __future__ import annotations

import base64
import json
import random
import string
import uuid
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from tests.corpus import Label, LabelledLine, Metrics, _DetectorLike, misses

FAMILY = "secret"
FAMILY_LABEL = "secret.*"

UPPER = string.ascii_uppercase
LOWER = string.ascii_lowercase
DIGITS = string.digits
HEX = "0123456789abcdef"
ALNUM = UPPER + LOWER + DIGITS
URLSAFE = ALNUM + "-_"
B64 = ALNUM + "+/"
BASE62 = DIGITS + UPPER + LOWER  # GitHub's and npm's checksum alphabet
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


# ------------------------------------------------------------------ encodings (independent)


def crc32_base62(text: str) -> str:
    n = zlib.crc32(text.encode())
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = BASE62[r] + out
    return out.rjust(6, "0")


def _bech32_polymod(values: Iterable[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            if (top >> i) & 1:
                chk ^= gen[i]
    return chk


def bech32_encode(hrp: str, data: bytes) -> str:
    """BIP-173: 8-bit bytes regrouped into 5-bit words, then a 6-word checksum."""
    acc = bits = 0
    words: list[int] = []
    for byte in data:
        acc = (acc << 8) | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            words.append((acc >> bits) & 31)
    if bits:
        words.append((acc << (5 - bits)) & 31)
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    polymod = _bech32_polymod([*expanded, *words, 0, 0, 0, 0, 0, 0]) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH32[w] for w in words + checksum)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


# ------------------------------------------------------------------ generator


@dataclass(frozen=True)
class Named:
    """A provider key that counts only under a name saying which provider it belongs to."""

    names: tuple[str, ...]
    value: Callable[[], str]


class SecretCorpus:
    """Deterministic source of labelled secret snippets and hard negatives."""

    def __init__(self, seed: int = 1234) -> None:
        self.rng = random.Random(seed)
        r = self.rand
        self.tokens: dict[str, Callable[[], str]] = {
            "secret.aws.access_key_id": lambda: self.pick("AKIA", "ASIA") + r(16, UPPER + DIGITS),
            "secret.gcp.api_key": lambda: "AIza" + r(35, URLSAFE),
            "secret.gcp.oauth_client_secret": lambda: "GOCSPX-" + r(28, URLSAFE),
            "secret.azure.client_secret": lambda: (
                r(3, ALNUM + "_~.") + r(1, DIGITS) + "Q~" + r(34, ALNUM + "_~.-")
            ),
            "secret.alibaba.access_key_id": lambda: "LTAI" + self.mixed(20),
            "secret.digitalocean.token": lambda: (
                self.pick("dop", "doo", "dor") + "_v1_" + r(64, HEX)
            ),
            "secret.cloudflare.origin_ca_key": lambda: f"v1.0-{r(24, HEX)}-{r(146, HEX)}",
            "secret.hashicorp.vault_token": lambda: self.pick(
                "hvs.CAESI" + r(self.rng.randint(86, 110), URLSAFE),
                "hvb.AAAAAQ" + r(self.rng.randint(134, 180), URLSAFE),
            ),
            "secret.hashicorp.terraform_token": lambda: (
                r(14, LOWER + DIGITS) + ".atlasv1." + r(67, ALNUM)
            ),
            "secret.databricks.token": lambda: "dapi" + r(32, HEX) + self.pick("", "-2", "-3"),
            "secret.onepassword.service_account_token": self.onepassword_token,
            "secret.onepassword.secret_key": lambda: (
                f"A3-{r(6, UPPER + DIGITS)}-{r(11, UPPER + DIGITS)}-{r(5, UPPER + DIGITS)}"
                f"-{r(5, UPPER + DIGITS)}-{r(5, UPPER + DIGITS)}"
            ),
            "secret.doppler.token": lambda: (
                "dp." + self.pick("pt", "st", "sa") + "." + self.mixed(43)
            ),
            "secret.pulumi.access_token": lambda: "pul-" + r(40, HEX),
            "secret.age.secret_key": lambda: bech32_encode(
                "age-secret-key-", self.rng.randbytes(32)
            ).upper(),
            "secret.openai.api_key": lambda: self.pick(
                "sk-proj-" + r(74, URLSAFE) + "T3BlbkFJ" + r(74, URLSAFE),
                "sk-svcacct-" + r(58, URLSAFE) + "T3BlbkFJ" + r(58, URLSAFE),
                "sk-" + self.mixed(20) + "T3BlbkFJ" + self.mixed(20),
            ),
            "secret.anthropic.api_key": lambda: (
                "sk-ant-" + self.pick("api03", "admin01") + "-" + r(93, URLSAFE) + "AA"
            ),
            "secret.huggingface.token": lambda: self.pick("hf_", "api_org_") + self.letters(34),
            "secret.github.token": self.github_token,
            "secret.gitlab.token": lambda: "glpat-" + self.mixed(20, URLSAFE),
            "secret.gitlab.runner_token": lambda: self.pick(
                "glrt-" + self.mixed(20, URLSAFE), "GR1348941" + self.mixed(20, URLSAFE)
            ),
            "secret.gitlab.deploy_token": lambda: "gldt-" + self.mixed(20, URLSAFE),
            "secret.gitlab.ci_token": lambda: self.pick(
                "glptt-" + r(40, HEX), f"glcbt-{self.rng.randint(1, 99)}_" + self.mixed(20, URLSAFE)
            ),
            "secret.gitlab.oauth_secret": lambda: "gloas-" + self.mixed(64, URLSAFE),
            "secret.gitlab.service_token": lambda: self.pick(
                "glft-" + self.mixed(20, URLSAFE),
                "glimt-" + self.mixed(25, URLSAFE),
                "glagent-" + self.mixed(50, URLSAFE),
                "glsoat-" + self.mixed(20, URLSAFE),
                "glffct-" + self.mixed(20, URLSAFE),
            ),
            "secret.bitbucket.app_password": lambda: "ATBB" + self.mixed(32),
            "secret.atlassian.api_token": lambda: (
                "ATATT3xFfGF0" + self.mixed(170, URLSAFE) + "=" + r(8, "0123456789ABCDEF")
            ),
            "secret.npm.token": lambda: self.checksummed("npm_"),
            "secret.pypi.token": lambda: (
                "pypi-AgEIcHlwaS5vcmc" + r(self.rng.randint(60, 200), URLSAFE)
            ),
            "secret.rubygems.api_key": lambda: "rubygems_" + r(48, HEX),
            "secret.nuget.api_key": lambda: "oy2" + self.with_digit(43, LOWER + DIGITS),
            "secret.docker.access_token": lambda: "dckr_pat_" + self.mixed(27, URLSAFE),
            "secret.linear.api_key": lambda: "lin_api_" + self.mixed(40),
            "secret.postman.api_key": lambda: f"PMAK-{r(24, HEX)}-{r(34, HEX)}",
            "secret.stripe.live_key": lambda: (
                self.pick("sk", "rk") + "_live_" + self.mixed(self.pick(24, 99))
            ),
            "secret.stripe.test_key": lambda: "sk_test_" + self.mixed(self.pick(24, 99)),
            "secret.stripe.webhook_secret": lambda: "whsec_" + self.mixed(32),
            "secret.adyen.api_key": self.adyen_key,
            "secret.square.access_token": lambda: self.pick(
                "EAAA" + self.mixed(60, ALNUM + "-_"), "sq0atp-" + self.mixed(22, URLSAFE)
            ),
            "secret.square.oauth_secret": lambda: "sq0csp-" + self.mixed(43, URLSAFE),
            "secret.plaid.access_token": lambda: (
                "access-" + self.pick("sandbox", "development", "production") + "-" + self.uuid()
            ),
            "secret.shopify.access_token": lambda: (
                self.pick("shpat_", "shpca_", "shppa_") + r(32, HEX)
            ),
            "secret.shopify.shared_secret": lambda: "shpss_" + r(32, HEX),
            "secret.slack.token": lambda: self.pick(
                f"xoxb-{r(12, DIGITS)}-{r(13, DIGITS)}-{self.mixed(24)}",
                f"xoxp-{r(12, DIGITS)}-{r(12, DIGITS)}-{r(13, DIGITS)}-{r(32, HEX)}",
            ),
            "secret.slack.app_token": lambda: (
                f"xapp-1-A{r(10, UPPER + DIGITS)}-{r(13, DIGITS)}-{r(64, HEX)}"
            ),
            "secret.slack.refresh_token": lambda: self.pick(
                "xoxe.xoxp-1-" + self.mixed(164), "xoxe-1-" + self.mixed(146)
            ),
            "secret.slack.webhook": lambda: (
                f"https://hooks.slack.com/services/T{r(8, UPPER + DIGITS)}/B{r(10, UPPER + DIGITS)}"
                f"/{self.mixed(24)}"
            ),
            "secret.twilio.api_key": lambda: "SK" + r(32, HEX),
            "secret.sendgrid.api_key": lambda: (
                f"SG.{self.mixed(22, URLSAFE)}.{self.mixed(43, URLSAFE)}"
            ),
            "secret.mailchimp.api_key": lambda: f"{r(32, HEX)}-us{self.rng.randint(1, 21)}",
            "secret.mailgun.api_key": lambda: "key-" + r(32, HEX),
            "secret.brevo.api_key": lambda: (
                self.pick("xkeysib-", "xsmtpsib-") + r(64, HEX) + "-" + self.mixed(16)
            ),
            "secret.telegram.bot_token": lambda: (
                f"{self.rng.randint(10**8, 10**10 - 1)}:AA{self.mixed(33, URLSAFE)}"
            ),
            "secret.discord.webhook": lambda: (
                f"https://discord.com/api/webhooks/{r(18, DIGITS)}/{self.mixed(68, URLSAFE)}"
            ),
            "secret.microsoft.teams_webhook": lambda: (
                f"https://{self.pick('acme', 'contoso', 'klantportaal')}.webhook.office.com"
                f"/webhookb2/{self.uuid()}@{self.uuid()}/IncomingWebhook/{r(32, HEX)}/{self.uuid()}"
                + self.pick("", "/V2" + self.mixed(45, URLSAFE))
            ),
            "secret.newrelic.api_key": lambda: self.pick(
                "NRAK-" + r(27, UPPER + DIGITS), "NRII-" + self.mixed(32, URLSAFE)
            ),
            "secret.newrelic.license_key": lambda: r(32, HEX) + "FFFFNRAL",
            "secret.sentry.auth_token": self.sentry_token,
            "secret.grafana.token": self.grafana_token,
            "secret.dynatrace.token": lambda: (
                f"dt0c01.{r(24, UPPER + DIGITS)}.{r(64, UPPER + DIGITS)}"
            ),
            "secret.notion.token": lambda: "ntn_" + r(11, DIGITS) + self.mixed(35),
            "secret.hubspot.token": lambda: "pat-" + self.pick("na1", "eu1") + "-" + self.uuid(),
            "secret.dropbox.token": lambda: (
                "sl." + self.pick("", "u.") + self.mixed(self.rng.randint(135, 400), URLSAFE)
            ),
            "secret.heroku.api_key": lambda: "HRKU-AA" + self.mixed(58, URLSAFE),
            "secret.jwt.token": self.jwt,
        }
        # keys without a prefix: only under a name that says which provider they are for
        self.named: dict[str, Named] = {
            "secret.aws.secret_access_key": Named(
                ("aws_secret_access_key", "AWS_SECRET_ACCESS_KEY", "awsSecretAccessKey"),
                lambda: self.mixed(40, ALNUM + "+/"),
            ),
            "secret.alibaba.access_key_secret": Named(
                ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "alibaba_secret", "aliyun_access_secret"),
                lambda: self.mixed(30),
            ),
            "secret.cloudflare.api_token": Named(
                ("CLOUDFLARE_API_TOKEN", "cloudflare_token", "CF_API_TOKEN"),
                lambda: self.mixed(40, URLSAFE),
            ),
            "secret.cloudflare.global_api_key": Named(
                ("CLOUDFLARE_API_KEY", "cloudflare_global_key"), lambda: r(37, HEX)
            ),
            "secret.bitbucket.client_secret": Named(
                ("BITBUCKET_CLIENT_SECRET", "bitbucket_oauth_secret"), lambda: self.mixed(64)
            ),
            "secret.gocardless.access_token": Named(
                ("GOCARDLESS_ACCESS_TOKEN", "gocardless_token"),
                lambda: self.pick("live_", "sandbox_") + self.mixed(40, URLSAFE),
            ),
            "secret.mollie.api_key": Named(
                ("MOLLIE_API_KEY", "mollie_live_key", "MOLLIE_ACCESS_TOKEN"),
                lambda: self.pick("live_" + self.mixed(30), "access_" + self.mixed(40)),
            ),
            "secret.mollie.test_key": Named(
                ("MOLLIE_TEST_KEY", "mollie_api_key"), lambda: "test_" + self.mixed(30)
            ),
            "secret.plaid.secret": Named(("PLAID_SECRET", "plaid_secret_key"), lambda: r(30, HEX)),
            "secret.binance.api_key": Named(
                ("BINANCE_API_KEY", "binance_secret"), lambda: self.mixed(64)
            ),
            "secret.kraken.api_key": Named(
                ("KRAKEN_API_KEY", "kraken_private_key"),
                lambda: self.pick(
                    self.mixed(56, B64), base64.b64encode(self.rng.randbytes(64)).decode()
                ),
            ),
            "secret.coinbase.api_key": Named(
                ("COINBASE_API_SECRET", "coinbase_key"), lambda: self.mixed(64, URLSAFE)
            ),
            "secret.kucoin.api_key": Named(
                ("KUCOIN_API_KEY", "kucoin_secret"), lambda: self.pick(r(24, HEX), self.uuid())
            ),
            "secret.bitfinex.api_key": Named(
                ("BITFINEX_API_KEY", "bitfinex_secret"), lambda: self.mixed(43, URLSAFE)
            ),
            "secret.twilio.auth_token": Named(
                ("TWILIO_AUTH_TOKEN", "twilio_token"), lambda: r(32, HEX)
            ),
            "secret.mailgun.api_key": Named(
                ("MAILGUN_API_KEY", "mailgun_key"), lambda: f"{r(32, HEX)}-{r(8, HEX)}-{r(8, HEX)}"
            ),
            "secret.datadog.api_key": Named(("DD_API_KEY", "datadog_api_key"), lambda: r(32, HEX)),
            "secret.datadog.app_key": Named(
                ("DD_APP_KEY", "datadog_application_key", "DD_APPLICATION_KEY"), lambda: r(40, HEX)
            ),
            "secret.okta.api_token": Named(
                ("OKTA_API_TOKEN", "okta_token"), lambda: "00" + self.mixed(40, URLSAFE)
            ),
            "secret.discord.bot_token": Named(
                ("DISCORD_BOT_TOKEN", "discord_token"), self.discord_bot_token
            ),
            "secret.hashicorp.vault_token": Named(
                ("VAULT_TOKEN", "vault_root_token"), lambda: "s." + self.mixed(24)
            ),
            "secret.atlassian.api_token": Named(
                ("JIRA_API_TOKEN", "atlassian_token", "confluence_api_token"),
                lambda: self.mixed(24),
            ),
            "secret.sentry.auth_token": Named(("SENTRY_AUTH_TOKEN",), lambda: r(64, HEX)),
            "secret.heroku.api_key": Named(("HEROKU_API_KEY", "heroku_token"), self.uuid),
            "secret.hubspot.token": Named(("HUBSPOT_API_KEY", "hapikey"), self.uuid),
            "secret.dropbox.token": Named(
                ("DROPBOX_TOKEN", "dropbox_access_token"),
                lambda: self.mixed(11) + "AAAAAAAAAA" + self.mixed(43, URLSAFE),
            ),
        }

    # ---------------------------------------------------------------- small helpers
    def rand(self, n: int, alphabet: str) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def pick(self, *options):
        return self.rng.choice(options)

    def mixed(self, n: int, alphabet: str = ALNUM) -> str:
        """Random, with lower, upper and digits (as a real random key has)."""
        while True:
            value = self.rand(n, alphabet)
            if (
                any(c.islower() for c in value)
                and any(c.isupper() for c in value)
                and any(c.isdigit() for c in value)
            ):
                return value

    def with_digit(self, n: int, alphabet: str) -> str:
        while True:
            value = self.rand(n, alphabet)
            if any(c.isdigit() for c in value):
                return value

    def letters(self, n: int) -> str:
        while True:
            value = self.rand(n, UPPER + LOWER)
            if any(c.isupper() for c in value) and any(c.islower() for c in value):
                return value

    def uuid(self) -> str:
        return str(uuid.UUID(bytes=self.rng.randbytes(16), version=4))

    def checksummed(self, prefix: str) -> str:
        body = self.rand(30, BASE62)
        return prefix + body + crc32_base62(body)

    def github_token(self) -> str:
        if self.rng.random() < 0.8:
            return self.checksummed(self.pick("ghp_", "gho_", "ghu_", "ghs_", "ghr_"))
        return f"github_pat_{self.mixed(22)}_{self.mixed(59)}"

    def onepassword_token(self) -> str:
        payload = {
            "signInAddress": self.pick("my.1password.eu", "acme.1password.com"),
            "userAuth": {
                "method": "SRPg-4096",
                "alg": "PBES2g-HS256",
                "iterations": 650000,
                "salt": b64url(self.rng.randbytes(16)),
            },
            "email": f"{self.rand(12, LOWER)}@1passwordserviceaccounts.eu",
            "srpX": self.rand(64, HEX),
            "muk": {
                "alg": "A256GCM",
                "ext": True,
                "k": b64url(self.rng.randbytes(32)),
                "key_ops": ["encrypt", "decrypt"],
                "kty": "oct",
                "kid": "mp",
            },
            "secretKey": self.tokens["secret.onepassword.secret_key"](),
            "deviceUuid": self.rand(26, LOWER + DIGITS),
        }
        encoded = base64.b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()
        return "ops_" + encoded.rstrip("=")

    def adyen_key(self) -> str:
        head = "AQE" + self.mixed(self.rng.randint(60, 120), B64) + self.pick("=", "==", "")
        return (
            head
            + "-"
            + self.mixed(43, B64)
            + "="
            + self.pick("", "-" + self.mixed(16, ALNUM + ":&"))
        )

    def sentry_token(self) -> str:
        if self.rng.random() < 0.5:
            return "sntryu_" + self.rand(64, HEX)
        payload = {
            "iat": self.rng.randint(1_700_000_000, 1_800_000_000) + 0.5,
            "url": "https://sentry.io",
            "region_url": "https://de.sentry.io",
            "org": self.rand(8, LOWER),
        }
        body = base64.b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()
        return f"sntrys_{body}_{self.mixed(43, B64)}"

    def grafana_token(self) -> str:
        if self.rng.random() < 0.5:
            return f"glsa_{self.mixed(32)}_{self.rand(8, HEX)}"
        payload = {
            "o": str(self.rng.randint(10**5, 10**6)),
            "n": f"stack-{self.rand(6, DIGITS)}-hm-read",
            "k": self.mixed(24),
            "m": {"r": "prod-eu-west-2"},
        }
        return "glc_" + base64.b64encode(json.dumps(payload).encode()).decode().rstrip("=")

    def discord_bot_token(self) -> str:
        user_id = str(self.rng.randint(10**17, 10**18))
        first = base64.b64encode(user_id.encode()).decode().rstrip("=")
        return f"{first}.{self.mixed(6, URLSAFE)}.{self.mixed(38, URLSAFE)}"

    def jwt(self) -> str:
        header = {"alg": self.pick("HS256", "RS256", "ES256"), "typ": "JWT"}
        now = self.rng.randint(1_600_000_000, 1_800_000_000)
        payload = {
            "sub": self.uuid(),
            "iat": now,
            "exp": now + 3600,
            "scope": self.pick("read", "read write", "admin"),
        }
        return ".".join(
            (
                b64url(json.dumps(header).encode()),
                b64url(json.dumps(payload).encode()),
                b64url(self.rng.randbytes(self.pick(32, 64, 256))),
            )
        )

    def password(self, bare: bool = False) -> str:
        """A password someone chose or generated: mixed classes, 10-28 characters.

        `bare` ones are written without quotes (.env, YAML, a command line), so they start
        with a letter or digit and hold none of the characters that would end or comment
        them there (`#`, `&`, `;`, `,`, quotes)."""
        symbols = "!%*+-=?@^_~." if bare else "!#%&*+-=?@^_~"
        while True:
            n = self.rng.randint(10, 28)
            alphabet = ALNUM + (symbols if self.rng.random() < 0.6 else "")
            value = self.rand(1, ALNUM) + self.mixed(n - 1, alphabet)
            low = value.lower()
            if not any(w in low for w in ("test", "xxx", "your", "fake", "todo", "mock", "dummy")):
                return value

    def private_key_block(self) -> str:
        kind = self.pick("RSA ", "EC ", "OPENSSH ", "", "ENCRYPTED ", "DSA ")
        if kind == "OPENSSH ":
            material = (
                "b3BlbnNzaC1rZXktdjEAAAAA" + base64.b64encode(self.rng.randbytes(300)).decode()
            )
        else:
            material = base64.b64encode(self.rng.randbytes(self.pick(48, 121, 600, 1190))).decode()
        lines = [material[i : i + 64] for i in range(0, len(material), 64)]
        return (
            f"-----BEGIN {kind}PRIVATE KEY-----",
            "\n".join(lines),
            f"-----END {kind}PRIVATE KEY-----",
        )

    # ---------------------------------------------------------------- names
    def secret_name(self) -> str:
        base = self.pick(
            "password",
            "passwd",
            "pwd",
            "secret",
            "token",
            "api_key",
            "apikey",
            "access_key",
            "auth_token",
            "client_secret",
            "secret_key",
            "wachtwoord",
            "passwort",
            "passphrase",
            "private_key",
            "signing_key",
            "encryption_key",
            "master_key",
            "access_token",
            "refresh_token",
            "db_password",
            "smtp_password",
            "redis_password",
            "jwt_secret",
            "session_secret",
            "webhook_secret",
            "app_secret",
            "admin_password",
        )
        return self.style(base)

    def style(self, snake_name: str) -> str:
        parts = snake_name.split("_")
        prefix = self.pick("", "", "db_", "prod_", "mail_", "app_", "service_")
        words = [*prefix.rstrip("_").split("_"), *parts] if prefix else parts
        form = self.rng.random()
        if form < 0.35:
            return "_".join(words).upper()
        if form < 0.7:
            return "_".join(words)
        if form < 0.85:
            return words[0] + "".join(w.title() for w in words[1:])
        return ".".join(words) if len(words) > 1 else words[0]

    def plain_name(self) -> str:
        return self.pick(
            "value",
            "data",
            "blob",
            "payload",
            "ref",
            "build_id",
            "image_digest",
            "checksum",
            "etag",
            "request_id",
            "commit",
            "content",
            "seed_data",
            "cache_key",
            "sort_key",
            "trace_id",
            "integrity",
            "hash",
            "fingerprint",
            "sample_id",
            "nonce",
        )

    # ---------------------------------------------------------------- placing values
    def syntaxes(self, name: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(quoted, bare): every way the corpus writes a value assigned to `name`, as the
        text (before, after) it; `bare` ones write the value without quotes."""
        quoted = [
            (f'{name} = "', '"'),
            (f"{name} = '", "'"),
            (f'const {name} = "', '";'),
            (f"let {name}: string = '", "';"),
            (f'{name} := "', '"'),
            (f"{name} := `", "`"),
            (f'var {name} string = "', '"'),
            (f'val {name} = "', '"'),
            (f'private val {name}: String = "', '"'),
            (f'${name} = "', '";'),
            (f"${name} .= '", "';"),
            (f"define('{name}', '", "');"),
            (f'System.setProperty("{name}", "', '");'),
            (f'os.environ["{name}"] = "', '"'),
            (f'#define {name} "', '"'),
            (f'  {name} = "', '"'),  # HCL / TOML
            (f'variable "{name}" {{\n  type    = string\n  default = "', '"\n}'),
            (f'{{"{name}": "', '"}'),
            (f'    "{name}": "', '",'),
            (f'  {name}: "', '"'),
            (f"{name}: '", "'"),
            (f':{name} => "', '",'),
            (f"'{name}' => '", "',"),
            (f'export {name}="', '"'),
            (f'config["{name}"] = "', '"'),
            (f'{{"{name}", "', '"}'),
            (f'<add key="{name}" value="', '" />'),
            (f'<property name="{name}" value="', '"/>'),
            (f'- name: {name}\n  value: "', '"'),
            (f'{{"name": "{name}", "value": "', '"}'),
        ]
        bare = [
            (f"{name}=", ""),
            (f"{name} = ", ""),
            (f"{name}: ", ""),
            (f"  {name}: ", "  # prod"),
            (f"export {name}=", ""),
            (f"ENV {name}=", ""),
            (f"ENV {name} ", ""),
            (f"ARG {name}=", ""),
            (f"{name} ?= ", ""),
            (f"{name} ::= ", ""),
            (f"{name} :::= ", ""),
            (f"{name} := ", ""),
            (f"<{name}>", f"</{name}>"),
            (f"<{name}>\n    ", f"\n</{name}>"),
            (f'{{"env": "HOST=db\\n{name}=', '\\nDEBUG=0"}'),
            (f"run --{name}=", " --verbose"),
            (f"https://api.example.com/v1/items?page=2&{name}=", "&sort=asc"),
            (f"{self.pick('2024-05-01T10:00:00Z INFO', 'DEBUG')} auth ok {name}=", " user=svc"),
            (f"- name: {name}\n  value: ", ""),
        ]
        return quoted, bare

    def assign(
        self, name: str, value: str | Callable[[bool], str], quoted_only: bool = False
    ) -> tuple[str, str, str]:
        """(before, value, after): `value` written as assigned to `name` in one syntax.

        `value` may be a function of `bare` (True when the syntax writes it unquoted)."""
        quoted, bare = self.syntaxes(name)
        options = quoted if quoted_only else quoted + bare
        before, after = self.rng.choice(options)
        if callable(value):
            value = value((before, after) in bare)
        return before, value, after

    def snippet(self, parts: Sequence[tuple[str, str | None]]) -> LabelledLine:
        """Join (text, rule_id or None) parts into a snippet with labels on the labelled ones."""
        text, labels = "", []
        for part, rule_id in parts:
            if rule_id is not None:
                labels.append(Label(rule_id, len(text), len(text) + len(part), part))
            text += part
        return LabelledLine(text, labels)

    def assigned(
        self,
        name: str,
        value: str | Callable[[bool], str],
        rule_id: str | None,
        quoted_only: bool = False,
    ) -> LabelledLine:
        before, value, after = self.assign(name, value, quoted_only)
        return self.snippet(((before, None), (value, rule_id), (after, None)))

    def in_prose(self, value: str, rule_id: str | None) -> LabelledLine:
        before, after = self.pick(
            ("Use ", " to deploy."),
            ("token ", ""),
            ("Gebruik deze sleutel: ", " (niet delen)"),
            ("2024-03-02 12:00:01 WARN request with credentials ", " rejected"),
            ("curl -H 'Authorization: Bearer ", "' https://api.example.nl/v1/me"),
            ("[", "]"),
            ("ref='", "'"),
            ("  - ", ""),
            ("", ""),
        )
        return self.snippet(((before, None), (value, rule_id), (after, None)))

    # ---------------------------------------------------------------- positives
    def token_line(self, rule_id: str | None = None) -> LabelledLine:
        rule_id = rule_id or self.rng.choice(sorted(self.tokens))
        value = self.tokens[rule_id]()
        if self.rng.random() < 0.5:
            return self.in_prose(value, rule_id)
        name = self.rng.choice((self.secret_name(), self.plain_name(), rule_id.split(".")[1]))
        quoted_only = value.endswith("=") or len(value) > 200 or "/" in value
        return self.assigned(name, value, rule_id, quoted_only=quoted_only)

    def named_line(self, rule_id: str | None = None) -> LabelledLine:
        rule_id = rule_id or self.rng.choice(sorted(self.named))
        spec = self.named[rule_id]
        name, value = self.rng.choice(spec.names), spec.value()
        quoted = self.pick(
            (f'{name} = "', '"'),
            (f"{name}={''}", ""),
            (f"{name}: ", ""),
            (f'  "{name}": "', '",'),
            (f"export {name}='", "'"),
        )
        return self.snippet(((quoted[0], None), (value, rule_id), (quoted[1], None)))

    def password_line(self) -> LabelledLine:
        return self.assigned(self.secret_name(), self.password, "secret.password_assignment")

    def connection_line(self) -> LabelledLine:
        user, host, db, pw = (
            self.rand(6, LOWER),
            self.pick("db", "10.0.3.4", "pg.internal"),
            self.rand(5, LOWER),
            self.password(bare=True).replace("@", "").replace("/", "").replace("?", ""),
        )
        scheme = self.pick(
            "postgres", "postgresql", "mysql", "mongodb+srv", "redis", "amqps", "https"
        )
        if self.rng.random() < 0.2:
            return self.snippet(
                (
                    (f"jdbc:mysql://{host}:3306/{db}?user={user}&password=", None),
                    (pw.replace("&", "x").replace(";", "x"), "secret.connection_string"),
                    ("&useSSL=true", None),
                )
            )
        if self.rng.random() < 0.2:
            return self.snippet(
                (
                    (f"Server={host};Database={db};User Id={user};Password=", None),
                    (pw.replace(";", "x"), "secret.connection_string"),
                    (";", None),
                )
            )
        user_part = "" if scheme == "redis" and self.rng.random() < 0.5 else user
        return self.snippet(
            (
                (
                    self.pick("DATABASE_URL=", 'url = "', "  uri: ", "")
                    + f"{scheme}://{user_part}:",
                    None,
                ),
                (pw, "secret.connection_string"),
                (f"@{host}:5432/{db}", None),
            )
        )

    def private_key_line(self) -> LabelledLine:
        begin, material, end = self.private_key_block()
        if self.rng.random() < 0.3:  # as a JSON string (a service-account file)
            escaped = material.replace("\n", "\\n")
            return self.snippet(
                (
                    ('{"type": "service_account", "private_key": "', None),
                    (begin, "secret.private_key"),
                    (f'\\n{escaped}\\n{end}\\n"}}', None),
                )
            )
        return self.snippet(((begin, "secret.private_key"), (f"\n{material}\n{end}\n", None)))

    def manifest_line(self) -> LabelledLine:
        name = self.pick("db-credentials", "api-keys", "smtp")
        key1 = self.pick("password", "DATABASE_URL", "tls.key", "token")
        key2 = self.pick("username-hint", "apiKey", "config")
        v1, v2 = self.password(bare=True), self.mixed(self.rng.randint(12, 30))
        label = "secret.kubernetes.secret_manifest"
        if self.rng.random() < 0.5:
            section: list[tuple[str, str | None]] = [
                (f"data:\n  {key1}: ", None),
                (base64.b64encode(v1.encode()).decode(), label),
                (f"\n  {key2}: ", None),
                (base64.b64encode(v2.encode()).decode(), label),
                ("\n", None),
            ]
        else:
            section = [
                (f"stringData:\n  {key1}: ", None),
                (v1, label),
                (f'\n  {key2}: "', None),
                (v2, label),
                ('"\n', None),
            ]
        metadata = f"metadata:\n  name: {name}\n  namespace: prod\ntype: Opaque\n"
        if self.rng.random() < 0.3:  # as `kubectl get -o yaml` writes it: kind after data
            return self.snippet(
                [("apiVersion: v1\n", None), *section, ("kind: Secret\n" + metadata, None)]
            )
        return self.snippet([("apiVersion: v1\nkind: Secret\n" + metadata, None), *section])

    def cloud_file_line(self) -> LabelledLine:
        """A GCP service-account key file or an Azure storage connection string."""
        if self.rng.random() < 0.5:
            key_id = self.rand(40, HEX)
            return self.snippet(
                (
                    (
                        '{\n  "type": "service_account",\n  "project_id": "acme-prod",\n'
                        '  "private_key_id": "',
                        None,
                    ),
                    (key_id, "secret.gcp.service_account"),
                    ('",\n  "client_email": "ci@acme-prod.iam.gserviceaccount.com"\n}', None),
                )
            )
        key = base64.b64encode(self.rng.randbytes(64)).decode()
        account = self.rand(12, LOWER + DIGITS)
        return self.snippet(
            (
                (f"DefaultEndpointsProtocol=https;AccountName={account};AccountKey=", None),
                (key, "secret.azure.storage_connection_string"),
                (";EndpointSuffix=core.windows.net", None),
            )
        )

    def high_entropy_line(self) -> LabelledLine:
        name = self.pick(
            "HMAC_SALT",
            "cookie_salt",
            "license_blob",
            "signature_seed",
            "session_salt",
            "webhook_signature",
            "hmac_seed",
            "decrypt_material",
            "auth_salt",
        )
        value = self.mixed(self.rng.randint(32, 64), ALNUM + "+/")
        before, after = self.pick((f'{name} = "', '"'), (f"{name}: '", "'"), (f'"{name}": "', '"'))
        return self.snippet(((before, None), (value, "secret.high_entropy"), (after, None)))

    def positive(self) -> LabelledLine:
        kind = self.rng.choices(
            ("token", "named", "password", "connection", "key", "manifest", "entropy", "cloud"),
            (10, 4, 6, 2, 1, 1, 1, 1),
        )[0]
        return {
            "token": self.token_line,
            "named": self.named_line,
            "password": self.password_line,
            "connection": self.connection_line,
            "key": self.private_key_line,
            "manifest": self.manifest_line,
            "entropy": self.high_entropy_line,
            "cloud": self.cloud_file_line,
        }[kind]()

    # ---------------------------------------------------------------- hard negatives
    def placeholder(self, name: str) -> str:
        n = self.rng.randint(8, 24)
        word = name.split(".")[-1]
        return self.pick(
            "changeme",
            "CHANGEME",
            "change_me",
            "<your-token>",
            "<YOUR_API_KEY>",
            "<password>",
            "${API_KEY}",
            "${" + word.upper() + "}",
            "{{ secret }}",
            "{{ .Values." + word + " }}",
            "%(password)s",
            "%(" + word + ")s",
            "x" * n,
            "X" * n,
            "*" * n,
            "REDACTED",
            "[REDACTED]",
            "dummy",
            "dummy-token",
            "example",
            "example-key-123",
            "your_api_key_here",
            "insert-token-here",
            word,
            word.upper(),
            self.rand(1, ALNUM) * n,
            "".join(chr(ord("a") + (i % 26)) for i in range(n)),
            "".join(str(i % 10) for i in range(self.rng.randint(0, 5), n)),
            "qwertyuiop",
            "abcdef123456",
            "$" + word.upper(),
            "%" + word.upper() + "%",
            "ENC[AES256_GCM,data:" + self.mixed(12) + ",type:str]",
        )

    def expression(self, name: str) -> tuple[str, str]:
        """(name, rest of the line): a password-named variable given an expression."""
        word = name.split(".")[-1]
        return self.pick(
            ("password_field", " = forms.CharField(widget=forms.PasswordInput)"),
            ("password", " = get_password()"),
            (name, f' = os.environ["{word.upper()}"]'),
            (name, f" = os.getenv('{word.upper()}')"),
            (name, f" = process.env.{word.upper()};"),
            ("password", ": str"),
            ("password", ": Optional[str] = None"),
            (name, "=None"),
            ("password", ' = request.form["password"]'),
            ("secret_length", " = X25519.secret_length"),
            ("password", " = var.db_password"),
            (name, f" = local.{word}"),
            ("access_token_url", " = 'https://login.example.com/oauth2/token'"),
            (
                "token_endpoint",
                ' = "https://auth.example.nl/realms/acme/protocol/openid-connect/token"',
            ),
            (name, f" = self._get_{word}()"),
            (name, f' = vault.read("secret/data/{word}")'),
            (name, f" = settings.{word.upper()}"),
            (name, ': "${' + word.upper() + '}"'),
            (name, f": {{{{ .Values.{word} }}}}"),
            ("password_min_length", " = 12"),
            ("max_tokens", " = 4096"),
            ("tokenizer", ' = "bert-base-uncased"'),
            ("eos_token", ' = "</s>"'),
            ("next_token", ' = response["NextToken"]'),
            ("secret_name", ' = "prod/db/credentials"'),
            ("token_type", ' = "Bearer"'),
            ("password_file", ' = "/run/secrets/db_password"'),
            ("TOKEN_ENV", ' = "GITHUB_TOKEN"'),
            ("password", " = PasswordInput()"),
            (name, f": {word}"),
            (name, f"= {word}Value"),
            ("PASSWORD_HASHERS", ' = ["django.contrib.auth.hashers.Argon2PasswordHasher"]'),
            ("secret_arn", ' = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod-db"'),
            (name, " = !vault |"),
            (name, f' = data.vault_generic_secret.app.data["{word}"]'),
            ("passwordInput", ' = "PasswordInput"'),
            ("apiKeyHeader", ' = "X-Api-Key"'),
        )

    def lookalike(self) -> str:
        """Shaped like a provider token, but not one (checksum, length, alphabet, public key)."""
        r = self.rand
        while True:
            body = self.rand(30, BASE62)
            bad = body + self.rand(6, BASE62)
            if bad[30:] != crc32_base62(body):
                break
        age = bech32_encode("age-secret-key-", self.rng.randbytes(32)).upper()
        age = age[:-1] + ("Q" if age[-1] != "Q" else "P")
        return self.pick(
            "xoxb-12345-abcd234",
            f"xoxb-{r(5, DIGITS)}-{self.mixed(10)}",
            self.pick("ghp_", "gho_", "npm_") + bad,
            "AKIA" + r(15, UPPER + DIGITS),
            "AKIA" + r(16, LOWER),
            "hf_" + self.mixed(34),
            "sk_live_" + self.mixed(12),
            "pk_live_" + self.mixed(24),
            "pk_test_" + self.mixed(24),
            "dop_v1_" + r(63, HEX),
            "glpat-" + self.mixed(12, URLSAFE),
            age,
            "pubkey-" + r(32, HEX),
            "test_" + r(32, UPPER + DIGITS),  # an Adyen client key: public by design
            "NRJS-" + r(19, HEX),
            "AIza" + self.mixed(30, URLSAFE),
            "SG." + self.mixed(10) + "." + self.mixed(10),
            "sk-" + self.mixed(48),
            "sk-ant-api03-" + self.mixed(20),
            "dapi" + r(31, HEX),
            "shpat_" + r(31, HEX),
            "xapp-1-" + r(10, UPPER),
            f"https://hooks.slack.com/services/T{r(8, UPPER)}/B{r(8, UPPER)}/" + "X" * 24,
            "https://discord.com/api/webhooks/123456789012345678/" + "x" * 68,
            "access-sandbox-" + r(8, HEX),
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwi"
            "aWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
            "eyJ" + self.mixed(20) + ".eyJ" + self.mixed(30) + "." + self.mixed(30),
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
            "test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM",
            "AKIA" + "X" * 16,
            self.pick("ghp_", "npm_", "glpat-", "sk_live_") + "x" * 36,
            "sk_live_" + "0123456789" * 3,
            self.uuid(),
            r(32, HEX),
            r(40, HEX),
            r(64, HEX),
        )

    def negative(self) -> LabelledLine:
        roll = self.rng.random()
        name = self.secret_name()
        if roll < 0.3:
            return self.assigned(name, self.placeholder(name), None)
        if roll < 0.55:
            var, rest = self.expression(name)
            return LabelledLine(var + rest)
        if roll < 0.75:
            value = self.lookalike()
            if self.rng.random() < 0.5:
                return self.in_prose(value, None)
            return self.assigned(self.plain_name(), value, None, quoted_only=True)
        if roll < 0.85:
            return self.key_negative()
        value = self.mixed(self.rng.randint(32, 64), ALNUM + "+/")
        before, after = self.pick(
            (f'{self.plain_name()} = "', '"'),
            ('<script integrity="sha384-', '" crossorigin="anonymous"></script>'),
            ('icon = "data:image/png;base64,', '"'),
            (f"{self.plain_name()}: '", "'"),
        )
        return LabelledLine(before + value + after)

    def key_negative(self) -> LabelledLine:
        kind = self.pick("RSA ", "", "OPENSSH ", "EC ")
        material = self.pick(
            "",
            "...",
            "abc",
            "MIIEv...",
            "<your private key>",
            "XXXXXXXXXXXXXXXX",
            "\n",
            "base64 here",
            "A" * 64,
        )
        public = base64.b64encode(self.rng.randbytes(270)).decode()
        begin, end = f"-----BEGIN {kind}PRIVATE KEY-----", f"-----END {kind}PRIVATE KEY-----"
        return LabelledLine(
            self.pick(
                f"{begin}\n{material}\n{end}",
                f'pem = "{begin}\\n{material}\\n{end}"',
                f'public_key = "{public[:200]}"',
                f"-----BEGIN PUBLIC KEY-----\n{public[:64]}\n{public[64:128]}\n"
                "-----END PUBLIC KEY-----",
                f"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ{public[:300]} deploy@ci",
                f"-----BEGIN CERTIFICATE-----\n{public[:64]}\n-----END CERTIFICATE-----",
                'if line.startswith("-----BEGIN PRIVATE KEY-----"):',
                f'publicKey: "{public[:88]}"',
            )
        )


def generate_secrets(n_snippets: int, seed: int = 1234, share: float = 0.5) -> list[LabelledLine]:
    """``n_snippets`` snippets; ``share`` of them carry secrets, the rest are hard negatives."""
    gen = SecretCorpus(seed)
    return [
        gen.positive() if gen.rng.random() < share else gen.negative() for _ in range(n_snippets)
    ]


# ------------------------------------------------------------------ scoring as a family


class _FamilyView:
    """A detector whose `secret.*` detections all carry one rule id (the family)."""

    def __init__(self, detector: _DetectorLike) -> None:
        self.detector = detector

    def detect(self, text: str):
        return [
            _Relabelled(FAMILY_LABEL, d.start, d.end, d.value)
            for d in self.detector.detect(text)
            if d.rule_id.startswith(FAMILY + ".")
        ]


@dataclass(frozen=True)
class _Relabelled:
    rule_id: str
    start: int
    end: int
    value: str


def as_family(lines: Iterable[LabelledLine]) -> list[LabelledLine]:
    return [
        LabelledLine(
            line.text,
            [
                Label(FAMILY_LABEL, lab.start, lab.end, lab.value)
                for lab in line.labels
                if lab.rule_id.startswith(FAMILY + ".")
            ],
        )
        for line in lines
    ]


def family_metrics(detector: _DetectorLike, lines: Sequence[LabelledLine]):
    """Precision and recall of secrets as one family: any `secret.*` rule may find a label."""
    metrics, missed = misses(_FamilyView(detector), as_family(lines), [FAMILY_LABEL])
    return metrics[FAMILY_LABEL], missed


__all__ = [
    "FAMILY_LABEL",
    "Metrics",
    "SecretCorpus",
    "as_family",
    "bech32_encode",
    "crc32_base62",
    "family_metrics",
    "generate_secrets",
]
