"""Secret rules: every provider family, placeholders, expressions, syntaxes, keys, paths.

Values come from tests/corpus_secrets.py: generated from each provider's documented
format (with its checksum where it has one), many per rule, in many syntaxes. Negatives are
generated too: the same formats with a stand-in body, a broken checksum, expressions under
password names, placeholders in every syntax.
"""

from __future__ import annotations

import re
import zlib

import pytest

from dgp.engine.detector import Detector
from dgp.engine.rules import RULES
from dgp.engine.secrets import SECRET_PATTERNS, fixture_note, fixture_reason, is_test_path
from dgp.engine.secrets.placeholders import is_placeholder
from dgp.engine.secrets.structure import base62_crc32, has_base62_crc32, is_bech32
from tests.corpus_secrets import (
    FAMILY_LABEL,
    SecretCorpus,
    bech32_encode,
    crc32_base62,
    family_metrics,
    generate_secrets,
)

PER_RULE = 25
SEED = 20240611
GENERATOR = SecretCorpus(SEED)
TOKEN_RULES = sorted(GENERATOR.tokens)
NAMED_RULES = sorted(GENERATOR.named)


def _seed(rule_id: str) -> int:
    return zlib.crc32(rule_id.encode())


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector()


def secrets_in(detector: Detector, text: str) -> list[tuple[str, str]]:
    return [(d.rule_id, d.value) for d in detector.detect(text) if d.rule_id.startswith("secret.")]


# ------------------------------------------------------------------ the catalogue


def test_every_secret_rule_is_catalogued_with_a_stable_id() -> None:
    ids = {spec.rule_id for spec in SECRET_PATTERNS}
    legacy = {
        "secret.private_key",
        "secret.connection_string",
        "secret.password_assignment",
        "secret.high_entropy",
    }
    for rule_id in ids:
        assert rule_id in legacy or re.fullmatch(r"secret\.[a-z0-9]+\.[a-z_]+", rule_id), rule_id
        rule = RULES[rule_id]
        assert rule.category == "secret" and rule.legal_refs and rule.remediation
        assert rule.title and rule.description.endswith("personal data.")


def test_the_families_of_issue_11_are_covered() -> None:
    ids = {spec.rule_id for spec in SECRET_PATTERNS}
    providers = {rule_id.split(".")[1] for rule_id in ids}
    for family in (
        "azure alibaba digitalocean cloudflare hashicorp databricks kubernetes onepassword "
        "doppler pulumi openai anthropic huggingface shopify square plaid gocardless mollie "
        "adyen binance kraken coinbase kucoin bitfinex pypi rubygems nuget atlassian bitbucket "
        "mailgun brevo telegram discord microsoft datadog newrelic sentry grafana dynatrace "
        "okta linear notion postman hubspot dropbox age gitlab slack heroku stripe twilio"
    ).split():
        assert family in providers, family
    for rule_id in (
        "secret.gitlab.runner_token",
        "secret.gitlab.deploy_token",
        "secret.gitlab.ci_token",
        "secret.slack.app_token",
        "secret.slack.refresh_token",
        "secret.twilio.auth_token",
        "secret.stripe.live_key",
        "secret.hashicorp.terraform_token",
        "secret.microsoft.teams_webhook",
        "secret.discord.webhook",
    ):
        assert rule_id in ids, rule_id


def test_the_generator_knows_every_rule() -> None:
    """Every rule has a generator of real-format values (else its tests would be empty)."""
    generated = set(TOKEN_RULES) | set(NAMED_RULES)
    generic = {
        "secret.private_key",
        "secret.connection_string",
        "secret.password_assignment",
        "secret.high_entropy",
        "secret.kubernetes.secret_manifest",
        "secret.gcp.service_account",
        "secret.azure.storage_connection_string",
    }
    missing = {spec.rule_id for spec in SECRET_PATTERNS} - generated - generic
    assert not missing


# ------------------------------------------------------------------ provider tokens


@pytest.mark.parametrize("rule_id", TOKEN_RULES)
def test_provider_tokens_are_found_bare_and_assigned(detector: Detector, rule_id: str) -> None:
    gen = SecretCorpus(_seed(rule_id))
    for _ in range(PER_RULE):
        line = gen.token_line(rule_id)
        label = line.labels[0]
        assert (rule_id, label.value) in secrets_in(detector, line.text), line.text


@pytest.mark.parametrize("rule_id", NAMED_RULES)
def test_prefixless_keys_are_found_under_their_providers_name(
    detector: Detector, rule_id: str
) -> None:
    gen = SecretCorpus(_seed(rule_id))
    for _ in range(PER_RULE):
        line = gen.named_line(rule_id)
        label = line.labels[0]
        assert (rule_id, label.value) in secrets_in(detector, line.text), line.text


@pytest.mark.parametrize("rule_id", NAMED_RULES)
def test_prefixless_keys_without_the_name_are_not_that_provider(
    detector: Detector, rule_id: str
) -> None:
    gen = SecretCorpus(_seed(rule_id) + 1)
    for _ in range(PER_RULE):
        value = gen.named[rule_id].value()
        text = f'{gen.plain_name()} = "{value}"'
        assert rule_id not in {r for r, _ in secrets_in(detector, text)}, text


@pytest.mark.parametrize("rule_id", TOKEN_RULES)
def test_a_real_prefix_with_a_stand_in_body_is_no_secret(detector: Detector, rule_id: str) -> None:
    """The format-alike: the token's start with `xxxx...`, `XXXX...` or `0000...` after it."""
    gen = SecretCorpus(_seed(rule_id) + 2)
    for _ in range(PER_RULE):
        token = gen.tokens[rule_id]()
        keep = max(4, len(token) // 4)
        filler = gen.pick("x", "X", "0", "*")
        fake = token[:keep] + filler * (len(token) - keep)
        text = gen.pick(f'key = "{fake}"', f"token: {fake}", f"Use {fake} here.")
        assert secrets_in(detector, text) == [], text


@pytest.mark.parametrize(
    "prefix,length",
    [("ghp_", 4), ("gho_", 4), ("ghu_", 4), ("ghs_", 4), ("ghr_", 4), ("npm_", 4)],
)
def test_a_broken_crc32_suffix_is_no_token(detector: Detector, prefix: str, length: int) -> None:
    gen = SecretCorpus(len(prefix) + ord(prefix[2]))
    for _ in range(PER_RULE):
        good = gen.checksummed(prefix)
        assert has_base62_crc32(good, length)
        i = gen.rng.randrange(length, len(good))
        bad = good[:i] + gen.pick(*(c for c in "aZ7q" if c != good[i])) + good[i + 1 :]
        assert not has_base62_crc32(bad, length)
        assert secrets_in(detector, f"GH = '{bad}'") == [], bad
        assert secrets_in(detector, f"GH = '{good}'")[0][1] == good


def test_a_broken_age_checksum_is_no_key(detector: Detector) -> None:
    gen = SecretCorpus(7)
    for _ in range(PER_RULE):
        good = bech32_encode("age-secret-key-", gen.rng.randbytes(32)).upper()
        i = gen.rng.randrange(16, len(good))
        bad = good[:i] + ("Q" if good[i] != "Q" else "P") + good[i + 1 :]
        assert secrets_in(detector, good) == [("secret.age.secret_key", good)]
        assert secrets_in(detector, bad) == [], bad


@pytest.mark.parametrize(
    "text",
    [
        "xoxb-12345-abcd234",
        "SLACK=xoxb-12345-abcdefghij",
        "xoxp-1-2-3-abc",
        "AKIA1234567890ABCDEF",
        "aws = 'AKIAiosfodnn7example'",
        "hf_Ab3defghijklmnopqrstuvwxyzABCDEFGH",  # Hugging Face tokens have no digits
        "sk_live_abc123",
        "pk_live_51HxQ2eLkjdfWe8sK2mNq7Rt",  # publishable: public by design
        "adyen client key test_7KQ3MZW2XJ4T5UPV8RNY6CL9BDGHEA1F",
        "dop_v1_" + "a1" * 31,
        "glpat-short",
        "dapi" + "0" * 32,
        "shpat_" + "ab12" * 7,
        "mailgun pubkey-0123a4b5c6d7e8f90123a4b5c6d7e8f9",
        "NRJS-0123456789abcdef012",
        "sk-ant-api03-tooShort",
        "T3BlbkFJ on its own",
        "https://hooks.slack.com/services/TXXXXXXXX/BXXXXXXXX/XXXXXXXXXXXXXXXXXXXXXXXX",
        "https://discord.com/api/webhooks/000000000000000000/" + "x" * 68,
        "123456789:AAxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "-----BEGIN PRIVATE KEY-----",
    ],
)
def test_format_alikes_are_not_secrets(detector: Detector, text: str) -> None:
    assert secrets_in(detector, text) == []


# ------------------------------------------------------------------ placeholders


@pytest.mark.parametrize(
    "value",
    [
        "AKIAXXXXXXXXXXXXXXXX",
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "changeme",
        "<your-token>",
        "${API_KEY}",
        "{{ secret }}",
        "%(password)s",
        "xxxxxxxxxx",
        "**********",
        "REDACTED",
        "dummy",
        "example",
        "aaaaaaaaaaaa",
        "1234567890",
        "abcdefghijkl",
        "qwertyuiop",
        "a1B2c3D4a1B2c3D4a1B2c3D4",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        "ENC[AES256_GCM,data:abc,type:str]",
        "op://vault/item/password",
    ],
)
def test_placeholders(detector: Detector, value: str) -> None:
    assert is_placeholder(value, "api_key")
    for text in (f'api_key = "{value}"', f"PASSWORD={value}", f"token: {value}"):
        assert secrets_in(detector, text) == [], text


@pytest.mark.parametrize(
    "name,value",
    [
        ("password", "password"),
        ("API_KEY", "api-key"),
        ("db_password", "password"),
        ("secret", "SECRET"),
    ],
)
def test_a_value_equal_to_its_name_is_no_secret(detector: Detector, name: str, value: str) -> None:
    assert secrets_in(detector, f'{name} = "{value}"') == []


def test_placeholders_in_every_syntax_are_not_secrets(detector: Detector) -> None:
    gen = SecretCorpus(SEED + 1)
    for _ in range(400):
        name = gen.secret_name()
        line = gen.assigned(name, gen.placeholder(name), None)
        assert secrets_in(detector, line.text) == [], line.text


def test_a_real_format_key_stays_a_finding_in_a_test_file() -> None:
    assert fixture_reason("tests/fixtures/keys.py") == "in a test file or fixture"
    assert fixture_reason("src/app/test_login.py") == "in a test file or fixture"
    assert fixture_reason("web/src/login.spec.ts") == "in a test file or fixture"
    assert fixture_reason("src/test/java/LoginTest.java") == "in a test file or fixture"
    assert fixture_reason(".env.example") == "in an example or template file"
    assert fixture_reason("config/settings.yml.sample") == "in an example or template file"
    assert fixture_reason("examples/quickstart.py") == "in an example or template file"
    assert fixture_reason("docs/api.md") == "in documentation"
    for path in ("src/app/settings.py", "config/.env", "contest/main.py", "latest/x.go", None):
        assert fixture_reason(path) is None and not is_test_path(path), path
    lowered, sentence = fixture_note("tests/conftest.py", 0.95)
    assert lowered < 0.95 and "test" in sentence
    assert fixture_note("src/app.py", 0.95) is None


# ------------------------------------------------------------------ expressions


@pytest.mark.parametrize(
    "text",
    [
        "password_field = forms.CharField(widget=forms.PasswordInput)",
        "password = get_password()",
        'password = os.environ["X"]',
        "password = os.environ.get('DB_PASSWORD')",
        "password: str",
        "password: Optional[str] = None",
        "password=None",
        'password = request.form["password"]',
        "secret_length = X25519.secret_length",
        "password = var.db_password",
        "access_token_url = 'https://login.example.com/oauth2/token'",
        "token = self._get_token(request)",
        'next_token = response["NextToken"]',
        "api_key = settings.API_KEY",
        "  password: ${DB_PASSWORD}",
        "  password: !vault |",
        'token_type = "Bearer"',
        'tokenizer = "bert-base-uncased"',
        "max_tokens = 4096",
        'password_file = "/run/secrets/db_password"',
        'TOKEN_ENV = "GITHUB_TOKEN"',
        "const apiKey = process.env.API_KEY;",
        'api_key_header = "X-Api-Key"',
    ],
)
def test_expressions_and_references_are_not_values(detector: Detector, text: str) -> None:
    assert secrets_in(detector, text) == []


@pytest.mark.parametrize(
    "text",
    [  # seen in installed, popular packages
        "    'abbr', 'accept', 'accept-charset', 'accesskey', 'action', 'align',",
        "presidio_hf_token_pipe=presidio_analyzer.nlp_engine.hf_pipe:create_hf_token_pipe",
        '            if token == "blanks":',
        '        elif token == "#bygroup":',
        "            headerToken=0xE391C05F,",
        "            tokentype=Name.Function,",
        '        Token:                      "#d8dee9",',
        '                    "password": "string?",',
        "    secret = r'([a-z0-9]{64})'",
        "    secret_keyword = r'(?:key|pwd|pw|password|pass|token)'",
        "    password = r'([a-f0-9]{48}(?![a-f0-9]))'",
        "localStorage.setItem('token', 'jwt_abc123');",
        "        private_key: PKCS7PrivateKeyTypes,",
        "        token_type_match_fallback: bool=False,",
        '<text class="displacy-token" fill="currentColor" text-anchor="middle">',
        "        resp.vary = ('X-Auth-Token', 'Accept-Encoding')",
        '__lazy_modules__ = ["pathlib", "secrets", f"{__spec__.parent}._files"]',
        "    def test_encodeUnicode4BytesUTF8Highest(self):",
    ],
)
def test_code_that_is_not_a_secret(detector: Detector, text: str) -> None:
    assert secrets_in(detector, text) == []


def test_generated_expressions_are_not_values(detector: Detector) -> None:
    gen = SecretCorpus(SEED + 2)
    for _ in range(400):
        var, rest = gen.expression(gen.secret_name())
        assert secrets_in(detector, var + rest) == [], var + rest


# ------------------------------------------------------------------ syntaxes


def test_a_password_is_found_in_every_syntax(detector: Detector) -> None:
    """Each syntax of the corpus (Go raw strings, `var x string =`, XML across lines, JSON
    strings with escaped newlines, Makefile ?= ::= :::=, PHP .=, setProperty, val, HCL,
    .properties, .ini, TOML, ENV/ARG, export, env lists...) with many names and values."""
    gen = SecretCorpus(SEED + 3)
    quoted, bare = gen.syntaxes("x")
    for index in range(len(quoted) + len(bare)):
        for _ in range(8):
            name = gen.secret_name()
            quoted, bare = gen.syntaxes(name)
            is_bare = index >= len(quoted)
            before, after = bare[index - len(quoted)] if is_bare else quoted[index]
            value = gen.password(bare=is_bare)
            text = before + value + after
            found = secrets_in(detector, text)
            assert ("secret.password_assignment", value) in found, text


@pytest.mark.parametrize(
    "text,value",
    [
        ("var dbPassword string = `Xk9pLm2Qr7sTzW`", "Xk9pLm2Qr7sTzW"),
        ("<password>\n    Xk9pLm2Qr7sTzW\n</password>", "Xk9pLm2Qr7sTzW"),
        ('{"env": "DB_HOST=db\\nDB_PASSWORD=Xk9pLm2Qr7sTzW\\nDEBUG=1"}', "Xk9pLm2Qr7sTzW"),
        ("DB_PASSWORD :::= Xk9pLm2Qr7sTzW", "Xk9pLm2Qr7sTzW"),
        ('$password .= "Xk9pLm2Qr7sTzW";', "Xk9pLm2Qr7sTzW"),
        ('System.setProperty("X_TOKEN", "Xk9pLm2Qr7sTzW");', "Xk9pLm2Qr7sTzW"),
        ('val apiKey: String = "Xk9pLm2Qr7sTzW"', "Xk9pLm2Qr7sTzW"),
        ('variable "db_password" {\n  default = "Xk9pLm2Qr7sTzW"\n}', "Xk9pLm2Qr7sTzW"),
        ("spring.datasource.password=Xk9pLm2Qr7sTzW", "Xk9pLm2Qr7sTzW"),
        ("ENV DB_PASSWORD Xk9pLm2Qr7sTzW", "Xk9pLm2Qr7sTzW"),
        ('<add key="ClearTextPassword" value="Xk9pLm2Qr7sTzW" />', "Xk9pLm2Qr7sTzW"),
        ("- name: DB_PASSWORD\n  value: Xk9pLm2Qr7sTzW", "Xk9pLm2Qr7sTzW"),
    ],
)
def test_syntaxes_of_the_issue(detector: Detector, text: str, value: str) -> None:
    assert ("secret.password_assignment", value) in secrets_in(detector, text)


def test_kubernetes_secret_manifests(detector: Detector) -> None:
    gen = SecretCorpus(SEED + 4)
    for _ in range(PER_RULE):
        line = gen.manifest_line()
        found = secrets_in(detector, line.text)
        for label in line.labels:
            assert ("secret.kubernetes.secret_manifest", label.value) in found, line.text
    config_map = line.text.replace("kind: Secret", "kind: ConfigMap")
    assert "secret.kubernetes.secret_manifest" not in {
        r for r, _ in secrets_in(detector, config_map)
    }


# ------------------------------------------------------------------ keys and entropy


def test_private_keys_need_key_material(detector: Detector) -> None:
    gen = SecretCorpus(SEED + 5)
    for _ in range(PER_RULE):
        line = gen.private_key_line()
        assert ("secret.private_key", line.labels[0].value) in secrets_in(detector, line.text)
        assert secrets_in(detector, gen.key_negative().text) == []


def test_the_demo_jwt_is_no_secret_but_a_real_one_is(detector: Detector) -> None:
    demo = (
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwi"
        "aWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
    )
    assert secrets_in(detector, f"token = '{demo}'") == []
    gen = SecretCorpus(SEED + 6)
    for _ in range(PER_RULE):
        jwt = gen.jwt()
        assert ("secret.jwt.token", jwt) in secrets_in(detector, f"Authorization: Bearer {jwt}")


def test_high_entropy_needs_a_secret_like_name(detector: Detector) -> None:
    gen = SecretCorpus(SEED + 7)
    for _ in range(PER_RULE):
        line = gen.high_entropy_line()
        assert ("secret.high_entropy", line.labels[0].value) in secrets_in(detector, line.text)
        value = line.labels[0].value
        for name in ("blob", "checksum", "public_key", "image_digest", "request_id", "data"):
            assert secrets_in(detector, f'{name} = "{value}"') == [], name


# ------------------------------------------------------------------ structure checks


def test_github_style_checksum_known_vector() -> None:
    # the example of the base62-token format description: entropy part and its CRC32
    assert base62_crc32("zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ") == "0mLq17"
    assert crc32_base62("zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ") == "0mLq17"


@pytest.mark.parametrize(
    "value,valid",
    [
        ("A12UEL5L", True),  # BIP-173 test vectors
        ("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw", True),
        ("split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w", True),
        ("A1G7SGD8", False),
        ("split1checkupstagehandshakeupstreamerranterredcaperred2y9e3x", False),
        ("Abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw", False),  # mixed case
    ],
)
def test_bech32(value: str, valid: bool) -> None:
    assert is_bech32(value) is valid


# ------------------------------------------------------------------ the corpus


def test_secrets_as_a_family_on_the_generated_corpus(detector: Detector) -> None:
    snippets = generate_secrets(3000, seed=SEED)
    assert sum(1 for s in snippets if not s.labels) >= 1200  # hard negatives
    labelled = {lab.rule_id for s in snippets for lab in s.labels}
    assert labelled == {spec.rule_id for spec in SECRET_PATTERNS}
    metrics, missed = family_metrics(detector, snippets)
    examples = [t for _, t in missed.fn.get(FAMILY_LABEL, [])[:5]]
    examples += [f"{d.value!r} in {t}" for d, t in missed.fp.get(FAMILY_LABEL, [])[:5]]
    assert metrics.precision >= 0.95 and metrics.recall >= 0.95, examples


def test_a_token_is_not_cut_short_to_pass(detector: Detector) -> None:
    """The matcher offers shorter ends of a match; a token whose tail is a stand-in must not
    come back as its valid-looking head."""
    gen = SecretCorpus(SEED + 8)
    for _ in range(PER_RULE):
        head, payload, _signature = gen.jwt().split(".")
        fake_jwt = f"{head}.{payload}.{gen.mixed(12)}" + "x" * 30
        fake_stripe = "sk_live_" + gen.mixed(24) + "0" * 60
        for text in (f"Bearer {fake_jwt}", f"key = '{fake_stripe}'"):
            assert secrets_in(detector, text) == [], text
