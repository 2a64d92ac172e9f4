"""The rule catalogue: every rule id with its severity, category and law.

Rule ids are stable: other tools (baselines, SARIF consumers, dashboards) rely
on them. Scanners add their own rules with `define()` at import time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dgp.domain.finding import LegalRef
from dgp.domain.severity import Severity
from dgp.engine import legal


@dataclass(frozen=True)
class Rule:
    rule_id: str
    category: str
    severity: Severity
    title: str
    description: str
    legal_refs: tuple[LegalRef, ...]
    remediation: str


RULES: dict[str, Rule] = {}


def define(
    rule_id: str,
    category: str,
    severity: Severity,
    title: str,
    description: str,
    legal_refs: Iterable[LegalRef],
    remediation: str,
) -> Rule:
    if rule_id in RULES:
        raise ValueError(f"rule {rule_id} defined twice")
    rule = Rule(rule_id, category, severity, title, description, tuple(legal_refs), remediation)
    RULES[rule_id] = rule
    return rule


class RuleBook:
    """The rules one scanner kind defines, in the order it defines them: its spec lists
    them (`ids`) without each kind keeping a list of its own."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    def rule(
        self,
        rule_id: str,
        category: str,
        severity: Severity,
        title: str,
        description: str,
        legal_refs: Iterable[LegalRef],
        remediation: str,
    ) -> str:
        """`define()` the rule, note it in this book, and give its id back."""
        define(rule_id, category, severity, title, description, legal_refs, remediation)
        self.ids.append(rule_id)
        return rule_id


_S = Severity
_PII_FIX = "Remove the value, or keep it only where a legal basis and a retention period exist."

for _id, _sev, _title, _desc, _refs in (
    (
        "pii.bsn",
        _S.HIGH,
        "Dutch citizen service number (BSN)",
        "A burgerservicenummer that passes the 11-proef. Processing the BSN needs a basis in law.",
        legal.NATIONAL_ID,
    ),
    (
        "pii.iban",
        _S.MEDIUM,
        "Bank account number (IBAN)",
        "An IBAN with a valid mod-97 checksum.",
        legal.PERSONAL_DATA,
    ),
    (
        "pii.payment_card",
        _S.HIGH,
        "Payment card number",
        "A card number that passes the Luhn check and an issuer range.",
        (*legal.PERSONAL_DATA, legal.gdpr("32")),
    ),
    ("pii.email", _S.LOW, "E-mail address", "An e-mail address.", legal.PERSONAL_DATA),
    ("pii.phone", _S.MEDIUM, "Phone number", "A valid phone number.", legal.PERSONAL_DATA),
    (
        "pii.postcode",
        _S.MEDIUM,
        "Dutch postcode in an address",
        "A Dutch postcode near address words: part of a home address.",
        legal.PERSONAL_DATA,
    ),
    (
        "pii.date_of_birth",
        _S.MEDIUM,
        "Date of birth",
        "A real, plausible date near birth words.",
        legal.PERSONAL_DATA,
    ),
    (
        "pii.id_document",
        _S.HIGH,
        "Passport or identity card number",
        "A Dutch passport or ID card document number near document words.",
        legal.NATIONAL_ID,
    ),
    (
        "pii.kvk",
        _S.LOW,
        "Chamber of Commerce (KvK) number",
        "A KvK number; for a sole trader it identifies a person.",
        legal.PERSONAL_DATA,
    ),
    (
        "pii.vat",
        _S.LOW,
        "VAT (BTW) number",
        "A VAT number with a valid checksum; for a sole trader it identifies a person.",
        legal.PERSONAL_DATA,
    ),
    (
        "pii.ip_address",
        _S.LOW,
        "IP address",
        "A routable IP address (online identifier).",
        (legal.gdpr("4(1)"),),
    ),
    (
        "pii.name",
        _S.LOW,
        "Person name",
        "A first name from the gazetteer followed by a surname.",
        legal.PERSONAL_DATA,
    ),
):
    define(_id, "pii", _sev, _title, _desc, _refs, _PII_FIX)

for _kind, _what in (
    ("health", "health"),
    ("religion", "religious or philosophical beliefs"),
    ("ethnicity", "racial or ethnic origin"),
    ("political", "political opinions"),
    ("union", "trade union membership"),
    ("sexual_orientation", "sex life or sexual orientation"),
    ("genetic", "genetic data"),
    ("biometric", "biometric data for identification"),
):
    define(
        f"special.{_kind}",
        "special_category",
        _S.HIGH,
        f"Special category data: {_what}",
        f"Words about {_what} near personal data: GDPR art. 9 forbids processing "
        "unless an exception applies.",
        legal.SPECIAL_CATEGORY,
        "Check the art. 9(2) exception relied on; otherwise remove the data. "
        "A DPIA is likely required.",
    )
define(
    "special.criminal",
    "special_category",
    _S.HIGH,
    "Criminal offence data",
    "Words about convictions or offences near personal data.",
    legal.CRIMINAL_DATA,
    "Only process under official authority or a UAVG art. 32-33 exception; otherwise remove.",
)


def _a(title: str) -> str:
    """'An AWS access key id', 'a private key': generic first words in lower case."""
    generic = title.split()[0] in ("Private", "Password", "Hard-coded", "High-entropy", "Value")
    text = title[0].lower() + title[1:] if generic else title
    return ("An " if text[0].lower() in "aeio" else "A ") + text


_SECRET_FIX = (
    "Revoke and rotate the credential, remove it from the file and its history, "
    "and load it from a secret store or the environment."
)
for _id, _sev, _title in (
    ("secret.aws.access_key_id", _S.HIGH, "AWS access key id"),
    ("secret.aws.secret_access_key", _S.CRITICAL, "AWS secret access key"),
    ("secret.gcp.api_key", _S.HIGH, "Google Cloud API key"),
    ("secret.gcp.service_account", _S.CRITICAL, "Google Cloud service-account key"),
    ("secret.azure.storage_connection_string", _S.CRITICAL, "Azure storage connection string"),
    ("secret.github.token", _S.HIGH, "GitHub token"),
    ("secret.gitlab.token", _S.HIGH, "GitLab token"),
    ("secret.slack.token", _S.HIGH, "Slack token"),
    ("secret.slack.webhook", _S.MEDIUM, "Slack webhook URL"),
    ("secret.stripe.live_key", _S.CRITICAL, "Stripe live secret key"),
    ("secret.stripe.test_key", _S.LOW, "Stripe test key"),
    ("secret.twilio.api_key", _S.HIGH, "Twilio API key"),
    ("secret.sendgrid.api_key", _S.HIGH, "SendGrid API key"),
    ("secret.mailchimp.api_key", _S.HIGH, "Mailchimp API key"),
    ("secret.npm.token", _S.HIGH, "npm access token"),
    ("secret.heroku.api_key", _S.HIGH, "Heroku API key"),
    ("secret.jwt.token", _S.MEDIUM, "JSON Web Token"),
    ("secret.private_key", _S.CRITICAL, "Private key"),
    ("secret.connection_string", _S.HIGH, "Password in a connection string or URL"),
    ("secret.password_assignment", _S.HIGH, "Hard-coded password or secret"),
    ("secret.high_entropy", _S.MEDIUM, "High-entropy string (possible secret)"),
    # provider families added in issue 11
    ("secret.gcp.oauth_client_secret", _S.HIGH, "Google OAuth client secret"),
    ("secret.azure.client_secret", _S.CRITICAL, "Azure AD (Entra ID) client secret"),
    ("secret.alibaba.access_key_id", _S.HIGH, "Alibaba Cloud access key id"),
    ("secret.alibaba.access_key_secret", _S.CRITICAL, "Alibaba Cloud access key secret"),
    ("secret.digitalocean.token", _S.CRITICAL, "DigitalOcean token"),
    ("secret.cloudflare.api_token", _S.HIGH, "Cloudflare API token"),
    ("secret.cloudflare.global_api_key", _S.CRITICAL, "Cloudflare global API key"),
    ("secret.cloudflare.origin_ca_key", _S.HIGH, "Cloudflare Origin CA key"),
    ("secret.hashicorp.vault_token", _S.CRITICAL, "HashiCorp Vault token"),
    ("secret.hashicorp.terraform_token", _S.CRITICAL, "Terraform Cloud API token"),
    ("secret.databricks.token", _S.HIGH, "Databricks access token"),
    ("secret.kubernetes.secret_manifest", _S.HIGH, "Value in a Kubernetes Secret manifest"),
    (
        "secret.onepassword.service_account_token",
        _S.CRITICAL,
        "1Password service account token",
    ),
    ("secret.onepassword.secret_key", _S.CRITICAL, "1Password account secret key"),
    ("secret.doppler.token", _S.CRITICAL, "Doppler token"),
    ("secret.pulumi.access_token", _S.HIGH, "Pulumi access token"),
    ("secret.age.secret_key", _S.CRITICAL, "age encryption secret key"),
    ("secret.openai.api_key", _S.HIGH, "OpenAI API key"),
    ("secret.anthropic.api_key", _S.HIGH, "Anthropic API key"),
    ("secret.huggingface.token", _S.HIGH, "Hugging Face token"),
    ("secret.gitlab.runner_token", _S.HIGH, "GitLab runner token"),
    ("secret.gitlab.deploy_token", _S.HIGH, "GitLab deploy token"),
    ("secret.gitlab.ci_token", _S.HIGH, "GitLab CI/CD job or pipeline trigger token"),
    ("secret.gitlab.oauth_secret", _S.HIGH, "GitLab OAuth application secret"),
    ("secret.gitlab.service_token", _S.MEDIUM, "GitLab feed, mail, agent, SCIM or flag token"),
    ("secret.bitbucket.app_password", _S.HIGH, "Bitbucket app password"),
    ("secret.bitbucket.client_secret", _S.HIGH, "Bitbucket OAuth client secret"),
    ("secret.atlassian.api_token", _S.HIGH, "Atlassian (Jira, Confluence) API token"),
    ("secret.pypi.token", _S.HIGH, "PyPI upload token"),
    ("secret.rubygems.api_key", _S.HIGH, "RubyGems API key"),
    ("secret.nuget.api_key", _S.HIGH, "NuGet API key"),
    ("secret.docker.access_token", _S.HIGH, "Docker Hub access token"),
    ("secret.linear.api_key", _S.MEDIUM, "Linear API key"),
    ("secret.postman.api_key", _S.MEDIUM, "Postman API key"),
    ("secret.stripe.webhook_secret", _S.HIGH, "Stripe webhook signing secret"),
    ("secret.mollie.api_key", _S.CRITICAL, "Mollie live API key or access token"),
    ("secret.mollie.test_key", _S.LOW, "Mollie test API key"),
    ("secret.adyen.api_key", _S.CRITICAL, "Adyen API key"),
    ("secret.gocardless.access_token", _S.CRITICAL, "GoCardless access token"),
    ("secret.square.access_token", _S.CRITICAL, "Square access token"),
    ("secret.square.oauth_secret", _S.HIGH, "Square OAuth secret"),
    ("secret.plaid.access_token", _S.HIGH, "Plaid access token"),
    ("secret.plaid.secret", _S.HIGH, "Plaid API secret"),
    ("secret.shopify.access_token", _S.HIGH, "Shopify access token"),
    ("secret.shopify.shared_secret", _S.HIGH, "Shopify app shared secret"),
    ("secret.binance.api_key", _S.CRITICAL, "Binance API key"),
    ("secret.kraken.api_key", _S.CRITICAL, "Kraken API key"),
    ("secret.coinbase.api_key", _S.CRITICAL, "Coinbase API key"),
    ("secret.kucoin.api_key", _S.CRITICAL, "KuCoin API key"),
    ("secret.bitfinex.api_key", _S.CRITICAL, "Bitfinex API key"),
    ("secret.slack.app_token", _S.HIGH, "Slack app-level token"),
    ("secret.slack.refresh_token", _S.HIGH, "Slack configuration or refresh token"),
    ("secret.twilio.auth_token", _S.HIGH, "Twilio auth token"),
    ("secret.mailgun.api_key", _S.HIGH, "Mailgun API key"),
    ("secret.brevo.api_key", _S.HIGH, "Brevo (Sendinblue) API or SMTP key"),
    ("secret.telegram.bot_token", _S.HIGH, "Telegram bot token"),
    ("secret.discord.webhook", _S.MEDIUM, "Discord webhook URL"),
    ("secret.discord.bot_token", _S.HIGH, "Discord bot token"),
    ("secret.microsoft.teams_webhook", _S.MEDIUM, "Microsoft Teams webhook URL"),
    ("secret.datadog.api_key", _S.HIGH, "Datadog API key"),
    ("secret.datadog.app_key", _S.HIGH, "Datadog application key"),
    ("secret.newrelic.api_key", _S.HIGH, "New Relic API key"),
    ("secret.newrelic.license_key", _S.MEDIUM, "New Relic license key"),
    ("secret.sentry.auth_token", _S.HIGH, "Sentry auth token"),
    ("secret.grafana.token", _S.HIGH, "Grafana token"),
    ("secret.dynatrace.token", _S.HIGH, "Dynatrace API token"),
    ("secret.okta.api_token", _S.CRITICAL, "Okta API token"),
    ("secret.notion.token", _S.MEDIUM, "Notion integration token"),
    ("secret.hubspot.token", _S.HIGH, "HubSpot access token or API key"),
    ("secret.dropbox.token", _S.HIGH, "Dropbox access token"),
):
    define(
        _id,
        "secret",
        _sev,
        _title,
        f"{_a(_title)} in clear text. Anyone who reads this file "
        "can use it to reach systems that may hold personal data.",
        legal.SECURITY,
        _SECRET_FIX,
    )
