"""The detection engine: every entity and secret type, context, confidence, offsets."""

import random
import re

import pytest

from dgp.engine import context
from dgp.engine.detector import Detector
from dgp.engine.rules import RULES

ISSUE_RULE_IDS = [
    "pii.bsn",
    "pii.iban",
    "pii.payment_card",
    "pii.email",
    "pii.phone",
    "pii.postcode",
    "pii.date_of_birth",
    "pii.id_document",
    "pii.kvk",
    "pii.vat",
    "pii.ip_address",
    "pii.name",
    "special.health",
    "special.religion",
    "special.ethnicity",
    "special.political",
    "special.union",
    "special.sexual_orientation",
    "special.genetic",
    "special.biometric",
    "special.criminal",
    "secret.aws.access_key_id",
    "secret.github.token",
    "secret.private_key",
    "secret.connection_string",
    "secret.password_assignment",
    "secret.high_entropy",
]


# Realistic random values (the made-up kind, "a1B2c3D4" * 3, is a placeholder now).
AZURE_KEY = (
    "vj2LpAKRuW2IM70iY/jp3Z3eMXYhy4UuK3TfDKSamUJz8wxhaGLNU1xeLzbZLGd0uSqsU59vZlY189/CFxYw4Q=="
)
STRIPE = "EiNgQI7W4E4PXSKc1itTnzph"


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector()


def found(detector: Detector, text: str) -> list[tuple[str, str]]:
    return [(d.rule_id, d.value) for d in detector.detect(text)]


def test_every_rule_id_of_the_issue_exists() -> None:
    for rule_id in ISSUE_RULE_IDS:
        assert rule_id in RULES
        rule = RULES[rule_id]
        assert rule.title and rule.description and rule.remediation
    assert all(RULES[r].legal_refs for r in ISSUE_RULE_IDS)
    assert RULES["pii.bsn"].legal_refs[-1].law == "UAVG"


@pytest.mark.parametrize(
    "text,rule_id,value",
    [
        ("BSN: 111222333", "pii.bsn", "111222333"),
        ("burgerservicenummer 111 222 333", "pii.bsn", "111 222 333"),
        ("sofinummer 1112.22.333", "pii.bsn", "1112.22.333"),
        ("IBAN NL91 ABNA 0417 1643 00 EUR", "pii.iban", "NL91 ABNA 0417 1643 00"),
        ("rekening DE89370400440532013000.", "pii.iban", "DE89370400440532013000"),
        ("card 4539 1488 0343 6467 exp 04/28", "pii.payment_card", "4539 1488 0343 6467"),
        ("732485,Pleun Klomp,374648945448391,03/31", "pii.payment_card", "374648945448391"),
        ("mail naar jan.de.vries@example.nl!", "pii.email", "jan.de.vries@example.nl"),
        ("bel 06-12345678 of", "pii.phone", "06-12345678"),
        ("tel +31(0)20 1234567", "pii.phone", "+31(0)20 1234567"),
        ("Adres: Keizersgracht 12, 1015 CX Amsterdam", "pii.postcode", "1015 CX"),
        ("Zoeyweg 873, 7695DV Luyksgestel", "pii.postcode", "7695DV"),
        ("geboren op 12-03-1985 te Utrecht", "pii.date_of_birth", "12-03-1985"),
        ("date of birth: 1985-03-12", "pii.date_of_birth", "1985-03-12"),
        ("born May 31, 1959", "pii.date_of_birth", "May 31, 1959"),
        ("geboortedatum 3 maart 1990", "pii.date_of_birth", "3 maart 1990"),
        ("paspoortnummer SPECI2014", "pii.id_document", "SPECI2014"),
        ("KvK-nummer 12345678", "pii.kvk", "12345678"),
        ("BTW NL004495445B01", "pii.vat", "NL004495445B01"),
        ("USt-IdNr DE136695976", "pii.vat", "DE136695976"),
        ("client 84.23.11.5 connected", "pii.ip_address", "84.23.11.5"),
        ("from 2001:4860:4860::8888", "pii.ip_address", "2001:4860:4860::8888"),
        ("Beste Jan de Vries,", "pii.name", "Jan de Vries"),
        ('{"name": "Kieran Fisher"}', "pii.name", "Kieran Fisher"),
    ],
)
def test_entities(detector: Detector, text: str, rule_id: str, value: str) -> None:
    assert (rule_id, value) in found(detector, text)


@pytest.mark.parametrize(
    "text",
    [
        "ordernummer 111222333",  # passes the 11-proef, but no BSN context
        "BSN: 111222334",  # context, but fails the 11-proef
        "NL91ABNA0417164301",  # IBAN checksum fails
        "4012888888881882",  # Luhn fails
        "x = 0.8444218515250481",  # digits of a decimal fraction
        "Track & trace: JVGL4966021564966",
        "IBAN: NL27 SFKV 0241 0930 61",  # bad IBAN: its digit groups are no phone or card
        "uitgebracht op 09-10-2023",  # a date without birth context
        "2024-01-31 12:34:56 INFO started",
        "version 1.2.3.4",
        "std::string at 12:34:56",
        "id 123e4567-e89b-12d3-a456-426614174000",
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "localhost 127.0.0.1 and 0.0.0.0",
        "1234 AB",  # a postcode shape without address context
        "KvK 1234567",  # seven digits
        "logo@2x.png",
    ],
)
def test_negatives(detector: Detector, text: str) -> None:
    assert [r for r, _ in found(detector, text) if r.startswith("pii.")] == []


def test_bare_checksum_numbers_are_low_confidence() -> None:
    low = Detector(min_confidence=0.2)
    dets = [d for d in low.detect("nummer 111222333") if d.rule_id == "pii.bsn"]
    assert len(dets) == 1 and dets[0].confidence < 0.5
    assert Detector().detect("nummer 111222333") == []
    # labelled as an order number it is that, not a BSN, at any confidence
    assert low.detect("ordernummer 111222333") == []


def test_context_word_must_be_a_word(detector: Detector) -> None:
    # "geb" is a context word, but not inside "uitgebracht"
    assert found(detector, "is uitgebracht op 09-10-1985") == []
    assert found(detector, "geb. 09-10-1985") == [("pii.date_of_birth", "09-10-1985")]


@pytest.mark.parametrize(
    "text,rule_id,value",
    [
        ('AWS_KEY = "AKIABRPOIG8F1CBFNO6B"', "secret.aws.access_key_id", "AKIABRPOIG8F1CBFNO6B"),
        (
            "aws_secret_access_key = Yx/zfSAN2cW7GfP6R7o425U85hfj+ej4JkeiqoKR",
            "secret.aws.secret_access_key",
            "Yx/zfSAN2cW7GfP6R7o425U85hfj+ej4JkeiqoKR",
        ),
        (
            'key="AIzaZ1c5jAU2rjTbrNLwMtshF6PwKluYIFdlKdM"',
            "secret.gcp.api_key",
            "AIzaZ1c5jAU2rjTbrNLwMtshF6PwKluYIFdlKdM",
        ),
        (
            '"private_key_id": "47c462ddaed16dc0cf0b9cd7f78df0cac5e40c02"',
            "secret.gcp.service_account",
            "47c462ddaed16dc0cf0b9cd7f78df0cac5e40c02",
        ),
        (
            "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + AZURE_KEY,
            "secret.azure.storage_connection_string",
            AZURE_KEY,
        ),
        (
            "token ghs_erNANMDgHixhf4ceAYkFATOHxeiZEh3nyUvE",  # a valid CRC32 suffix
            "secret.github.token",
            "ghs_erNANMDgHixhf4ceAYkFATOHxeiZEh3nyUvE",
        ),
        ("glpat-pHdEoziIbob_y6ShRfh2", "secret.gitlab.token", "glpat-pHdEoziIbob_y6ShRfh2"),
        (
            "xoxb-965328710122-6916697848018-wRxpVHSbKdA9u4uQgwLg6G3o",
            "secret.slack.token",
            "xoxb-965328710122-6916697848018-wRxpVHSbKdA9u4uQgwLg6G3o",
        ),
        (
            "https://hooks.slack.com/services/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",
            "secret.slack.webhook",
            "https://hooks.slack.com/services/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",
        ),
        ("sk_live_" + STRIPE, "secret.stripe.live_key", "sk_live_" + STRIPE),
        ("sk_test_" + STRIPE, "secret.stripe.test_key", "sk_test_" + STRIPE),
        (
            "SK09348334896a68f812d810a485ed0324",
            "secret.twilio.api_key",
            "SK09348334896a68f812d810a485ed0324",
        ),
        (
            "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",
            "secret.sendgrid.api_key",
            "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",
        ),
        (
            "06bd2aa399dac946dc59c0996daeee6f-us6",
            "secret.mailchimp.api_key",
            "06bd2aa399dac946dc59c0996daeee6f-us6",
        ),
        (
            "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",  # a valid CRC32 suffix
            "secret.npm.token",
            "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",
        ),
        (
            "HEROKU_API_KEY=646a0e61-58d3-4b47-bab7-83c0fd1c82f3",
            "secret.heroku.api_key",
            "646a0e61-58d3-4b47-bab7-83c0fd1c82f3",
        ),
        (
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "secret.jwt.token",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        ),
        (
            "-----BEGIN OPENSSH PRIVATE KEY-----\n" + AZURE_KEY + "\n",
            "secret.private_key",
            "-----BEGIN OPENSSH PRIVATE KEY-----",
        ),
        (
            "DATABASE_URL=postgres://admin:S3cr3tP4ss@db:5432/app",
            "secret.connection_string",
            "S3cr3tP4ss",
        ),
        (
            "mongodb+srv://u:Xy7pQ2wz@cluster0.example.net/db",
            "secret.connection_string",
            "Xy7pQ2wz",
        ),
        (
            "jdbc:mysql://db:3306/app?user=u&password=Kq8zPw2x",
            "secret.connection_string",
            "Kq8zPw2x",
        ),
        (
            "Server=db;Database=app;User Id=sa;Password=Zz9yXx8w;",
            "secret.connection_string",
            "Zz9yXx8w",
        ),
        ('password = "Welk0m!2024xyz"', "secret.password_assignment", "Welk0m!2024xyz"),
        ("export API_TOKEN=q8Zr2LmX0pVb", "secret.password_assignment", "q8Zr2LmX0pVb"),
        (
            'hmac_salt = "Zk8qL2mX9pVb3nR7tY1wE5uI0oP4aS6d"',
            "secret.high_entropy",
            "Zk8qL2mX9pVb3nR7tY1wE5uI0oP4aS6d",
        ),
        (
            "https://deploy:Qw3rtyUi0pAs@git.acme.nl/x.git",
            "secret.connection_string",
            "Qw3rtyUi0pAs",
        ),
        ("redis://:Qw3rtyUi0p@cache:6379", "secret.connection_string", "Qw3rtyUi0p"),
        ("password: Sup3rS3cr3tPw9", "secret.password_assignment", "Sup3rS3cr3tPw9"),
        ("  db_password: Kq8zPw2xTt  # prod", "secret.password_assignment", "Kq8zPw2xTt"),
    ],
)
def test_secrets(detector: Detector, text: str, rule_id: str, value: str) -> None:
    assert (rule_id, value) in found(detector, text)


@pytest.mark.parametrize(
    "text",
    [
        'password = "changeme"',
        "password: see the vault",
        "Password: ${DB_PASS}",
        'password = "${DB_PASSWORD}"',
        "password = os.environ['DB_PASSWORD']",
        'secret = "aaaaaaaaaa"',
        "postgres://user:${PASSWORD}@db/app",
        'id = "0123456789abcdef0123456789abcdef01234567"',  # a hex hash, not a secret
    ],
)
def test_secret_negatives(detector: Detector, text: str) -> None:
    assert [r for r, _ in found(detector, text) if r.startswith("secret.")] == []


def test_special_category_only_near_personal_data(detector: Detector) -> None:
    assert found(detector, "De studie gaat over diabetes en kanker.") == []
    got = found(detector, "Patiënt Jan de Vries (BSN 111222333) heeft diabetes.")
    assert ("special.health", "diabetes") in got
    assert ("pii.bsn", "111222333") in got
    far = "BSN 111222333" + " filler" * 40 + " diabetes"
    assert ("special.health", "diabetes") not in found(detector, far)


@pytest.mark.parametrize(
    "word,category",
    [
        ("vakbondslid", "union"),
        ("moslim", "religion"),
        ("strafblad", "criminal"),
        ("vingerafdruk", "biometric"),
        ("DNA", "genetic"),
        ("homoseksueel", "sexual_orientation"),
        ("etniciteit", "ethnicity"),
        ("politieke partij", "political"),
    ],
)
def test_special_lexicons(detector: Detector, word: str, category: str) -> None:
    assert (f"special.{category}", word) in found(detector, f"klant@example.nl {word}")


def test_offsets_are_characters_not_bytes(detector: Detector) -> None:
    text = "Patiënt Zoë — é€ BSN 111222333 en jan@example.nl"
    for d in detector.detect(text):
        assert text[d.start : d.end] == d.value


def test_overlaps_keep_the_specific_rule(detector: Detector) -> None:
    # the AWS key is also a password-like value under a key name; the specific rule wins
    got = found(detector, 'api_key = "AKIABRPOIG8F1CBFNO6B"')
    assert got == [("secret.aws.access_key_id", "AKIABRPOIG8F1CBFNO6B")]


def test_one_pass_engine_handles_large_text(detector: Detector) -> None:
    line = "gewone tekst zonder persoonsgegevens, code = compute(x, 42)\n"
    text = line * 20000 + "BSN 111222333\n" + line * 20000
    assert found(detector, text) == [("pii.bsn", "111222333")]


@pytest.mark.parametrize(
    "text,value",
    [
        ("Geachte heer De Vries,", "De Vries"),
        ("Mevr. Jansen belde gisteren", "Jansen"),
        ("Dhr. van den Berg", "van den Berg"),
        ("Beste Jan Müller,", "Jan Müller"),
        ("Dear Mr. Smith", "Smith"),
    ],
)
def test_names_after_a_salutation_or_with_accents(
    detector: Detector, text: str, value: str
) -> None:
    assert ("pii.name", value) in found(detector, text)


def test_context_words_count_alike_in_ascii_and_other_windows() -> None:
    """`near` searches an ASCII window lower-cased (faster) and any other case-insensitively:
    both must give the answer of the case-insensitive search, whatever the case of the word
    and of the letters around it."""
    rng = random.Random(7)
    fillers = ["x", "X", " ", "1", ":", "é", "É", "-", "\n", "ß"]
    checked = found = 0
    for words in (context.PHONE, context.NAME, context.BSN, context.PHONE_BE):
        reference = re.compile(
            r"(?<![a-z])(?:" + "|".join(re.escape(w) for w in words.words) + r")(?![a-z])",
            re.IGNORECASE,
        )
        for _ in range(400):
            word = rng.choice(words.words)
            word = "".join(c.upper() if rng.random() < 0.3 else c for c in word)
            before = "".join(rng.choice(fillers) for _ in range(rng.randrange(0, 4)))
            after = "".join(rng.choice(fillers) for _ in range(rng.randrange(0, 4)))
            text = f"{before}{word}{after} 0612345678"
            start = len(text) - 10
            expected = reference.search(words.window(text, start, len(text))) is not None
            assert words.near(text, start, len(text)) is expected, text
            checked += 1
            found += expected
    assert 0 < found < checked  # both answers occur


def test_byte_offsets_become_character_offsets() -> None:
    """Hyperscan reports UTF-8 byte offsets: each becomes the count of characters that
    start before it (a character cut in two counts), in every mix of 1- to 4-byte
    characters and lone surrogates."""
    from dgp.engine.matcher import _to_char_offsets

    rng = random.Random(7)
    for _ in range(2000):
        text = "".join(rng.choice("ab \n\u00e9\u20ac\U0001f600\ud800") for _ in range(40))
        data = text.encode("utf-8", "surrogatepass")
        hits = {pid: sorted(rng.sample(range(len(data) + 1), 5)) for pid in range(3)}
        expected = {
            pid: [sum(1 for b in data[:end] if not 0x80 <= b < 0xC0) for end in ends]
            for pid, ends in hits.items()
        }
        assert _to_char_offsets(data, hits) == (expected,)


def test_trie_regex_matches_what_the_alternation_matches() -> None:
    """Word lists become tries for Python's re: the same strings, longest first, also
    when a lookahead after them makes the regex back off to a shorter word."""
    from dgp.engine.tries import trie_regex

    rng = random.Random(11)
    for _ in range(300):
        words = {
            "".join(rng.choice("ab\u00e9.") for _ in range(rng.randint(1, 5))) for _ in range(9)
        }
        alternation = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
        plain = re.compile(f"(?:{alternation})(?![ab])")
        trie = re.compile(trie_regex(words) + "(?![ab])")
        for _ in range(20):
            text = "".join(rng.choice("ab\u00e9. x") for _ in range(14))
            assert [m.span() for m in trie.finditer(text)] == [
                m.span() for m in plain.finditer(text)
            ]


def test_a_batch_gives_each_text_what_it_gives_alone(detector: Detector) -> None:
    """`detect_many` checks each rule's candidates across the texts of a batch, and reads
    the windows near context words and personal data of them all in one hyperscan call:
    still, each text's detections are those of the text alone, in batches of every size.
    The texts hold every kind of line of the test corpus, ASCII or not, and some stand
    where a neighbour would change them: a context word at the end of one text and a bare
    number at the start of the next, a lexicon word far from any personal data."""
    from tests.corpus import CorpusGenerator

    gen = CorpusGenerator(11)
    rng = random.Random(11)
    line_kinds = (gen.positive_line, gen.negative_line, gen.filler_line)
    texts = [
        "\n".join(rng.choice(line_kinds)().text for _ in range(rng.randrange(0, 25)))
        for _ in range(300)
    ]
    texts += ["", "BSN:", "111222333", "Jan belt", "diabetes", "klant@example.nl", "ééé"]
    order = list(range(len(texts)))
    rng.shuffle(order)
    texts = [texts[i] for i in order]
    alone = [detector.detect(text) for text in texts]
    assert sum(map(len, alone)) > 300
    assert any(d.rule_id.startswith("special.") for found in alone for d in found)
    assert any(not text.isascii() for text in texts)
    at = 0
    while at < len(texts):
        size = rng.randrange(1, 50)
        assert detector.detect_many(texts[at : at + size]) == alone[at : at + size]
        at += size
    assert detector.detect_many(["BSN:", "111222333"]) == [[], []]
    assert detector.detect_many([]) == []
