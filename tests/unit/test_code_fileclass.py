"""File classes of the code scanner (issue 11, precision on real code): which class a
repository file is, which hits fit it, names only in comments and strings, plain-http
endpoints that carry personal data and documentation links that do not."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest

from dgp.domain.finding import Location
from dgp.domain.job import ScanInputs, ScanJob
from dgp.domain.options import CodeOptions
from dgp.domain.severity import Severity
from dgp.scanners.code import scanner as code_scanner
from dgp.scanners.code.endpoints import personal_endpoint
from dgp.scanners.code.fileclass import (
    CreditsLedger,
    FileClass,
    Policy,
    classify,
    locale_root,
)
from dgp.scanners.code.regions import CodeRegions
from dgp.scanners.code.rules import CONTRIBUTOR_LIST
from dgp.scanners.session import Hit

RNG = random.Random(11)
WORDS = "app core lib util api server client shop billing users auth pkg".split()


def some_dirs(n: int) -> str:
    return "/".join(RNG.choice(WORDS) for _ in range(n))


# -- classes --------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [0, 1, 3])
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("tests/test_models.py", FileClass.TEST),
        ("test/unit/handler_test.go", FileClass.TEST),
        ("src/__tests__/cart.test.tsx", FileClass.TEST),
        ("spec/user_spec.rb", FileClass.TEST),
        ("src/main/java/ShopServiceTest.java", FileClass.TEST),
        ("testdata/keys/server.pem", FileClass.TEST),
        ("conftest.py", FileClass.TEST),
        ("examples/basic/app.py", FileClass.EXAMPLE),
        ("config/settings.py.example", FileClass.EXAMPLE),
        (".env.sample", FileClass.EXAMPLE),
        ("docs/howto/deploy.txt", FileClass.DOCS),
        ("README.md", FileClass.DOCS),
        ("guide.rst", FileClass.DOCS),
        ("CHANGELOG", FileClass.DOCS),
        ("AUTHORS", FileClass.CONTRIBUTORS),
        ("CONTRIBUTORS.md", FileClass.CONTRIBUTORS),
        (".mailmap", FileClass.CONTRIBUTORS),
        ("conf/locale/nl/LC_MESSAGES/django.po", FileClass.LOCALE),
        ("messages.pot", FileClass.LOCALE),
        ("src/locale/nl-be.js", FileClass.LOCALE),
        ("i18n/de.json", FileClass.LOCALE),
        ("package-lock.json", FileClass.MACHINE_DATA),
        ("poetry.lock", FileClass.MACHINE_DATA),
        ("go.sum", FileClass.MACHINE_DATA),
        ("data/s3/2006-03-01/service-2.json", FileClass.MACHINE_DATA),
        ("data/s3/2006-03-01/paginators-1.json", FileClass.MACHINE_DATA),
        ("api/openapi.yaml", FileClass.MACHINE_DATA),
        ("static/vendor.min.js", FileClass.MINIFIED),
        ("src/models.py", FileClass.SOURCE),
        ("src/notes.txt", FileClass.SOURCE),
        ("package.json", FileClass.SOURCE),  # a manifest: tracking SDKs are found there
        ("requirements-dev.txt", FileClass.SOURCE),
    ],
)
def test_classes_by_name(name: str, expected: FileClass, depth: int) -> None:
    relative = f"{some_dirs(depth)}/{name}" if depth else name
    assert classify(relative, "x = 1\n") is expected


@pytest.mark.parametrize(
    "head",
    [
        '{\n  "version": "2.0",\n  "metadata": {"apiVersion": "2020-01-01"},\n  "operations": {',
        '{"openapi": "3.1.0", "info": {"title": "Shop"}}',
        "openapi: 3.0.3\ninfo:\n  title: Shop\n",
        '{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"}',
    ],
)
def test_api_models_and_schemas_by_content(head: str) -> None:
    suffix = ".yaml" if head.startswith("openapi:") else ".json"
    assert classify(f"{some_dirs(2)}/model{suffix}", head) is FileClass.MACHINE_DATA
    # the same words in code are code
    assert classify(f"{some_dirs(2)}/model.py", head) is FileClass.SOURCE


def test_minified_by_line_length_only_for_scripts_and_styles() -> None:
    bundle = "var a=1;" * 400
    assert classify("dist/app.js", bundle) is FileClass.MINIFIED
    assert classify("dist/site.css", ".a{b:c}" * 400) is FileClass.MINIFIED
    assert classify("dist/app.js", "var a = 1;\n" * 400) is FileClass.SOURCE
    assert classify("data/rows.csv", bundle) is FileClass.SOURCE


def test_locale_roots() -> None:
    assert locale_root("django/conf/locale/nl/LC_MESSAGES/django.po") == "django/conf/locale"
    assert locale_root("moment/src/locale/fy.js") == "moment/src/locale"
    assert locale_root("po/nl.po") == "po"
    assert locale_root("src/models.py") is None


# -- what each class keeps -------------------------------------------------------------------


def hit(rule_id: str, path: str, line: int = 1, column: int = 1, evidence: str = "x***") -> Hit:
    where = Location(path=path, line=line, column=column, end_column=column + 5)
    return Hit(rule_id, where, f"h-{rule_id}-{line}-{column}", evidence, 0.9)


SECRET_RULES = ["secret.private_key", "secret.aws.access_key_id", "secret.connection_string"]
TWO_DOWN = {Severity.CRITICAL: Severity.MEDIUM, Severity.HIGH: Severity.LOW}


@pytest.mark.parametrize("fc", [FileClass.TEST, FileClass.EXAMPLE, FileClass.DOCS])
@pytest.mark.parametrize("rule_id", SECRET_RULES)
def test_key_material_in_tests_is_kept_lower_with_the_reason(fc: FileClass, rule_id: str) -> None:
    from dgp.engine.rules import RULES

    lowered = TWO_DOWN[RULES[rule_id].severity]
    paths = {FileClass.TEST: "tests/keys.py", FileClass.EXAMPLE: "x.env.example"}
    path = paths.get(fc, "README.md")
    (kept,) = Policy(fc).apply([hit(rule_id, path)], "", path)
    assert kept.rule_id == rule_id and kept.severity is lowered
    if fc is FileClass.DOCS:  # the engine's paths do not know a README: this class says it
        assert "Found in a documentation" in (kept.description or "") and kept.confidence < 0.9


@pytest.mark.parametrize(
    ("path", "reason"),
    [("tests/keys.py", "in a test file or fixture"), ("conf/.env.example", "in an example")],
)
def test_the_reason_for_a_lower_secret_is_said_once(tmp_path: Path, path: str, reason: str) -> None:
    body = "\n".join("Zm9vYmFyYmF6cXV4" * 4 for _ in range(10))
    key = f"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA{'q' * 64}\n{body}\n"
    key += "-----END RSA PRIVATE KEY-----\n"
    (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / path).write_text(key)
    job = ScanJob(kind="code", target=str(tmp_path), options=CodeOptions(jobs=1))
    result = code_scanner.scan(job, ScanInputs(hash_key=b"k" * 32))
    (finding,) = [f for f in result.findings if f.rule_id == "secret.private_key"]
    assert finding.severity is Severity.MEDIUM
    assert finding.description.count("Found ") == 1 and reason in finding.description


@pytest.mark.parametrize("n", [1, 2, 7, 300])
@pytest.mark.parametrize("fc", [FileClass.TEST, FileClass.DOCS, FileClass.MACHINE_DATA])
def test_personal_values_in_examples_are_summed_up_per_rule(fc: FileClass, n: int) -> None:
    path = "tests/test_mail.py"
    hits = [hit("pii.email", path, line=i + 1) for i in range(n)]
    hits += [hit("pii.ip_address", path, line=i + 1, column=20) for i in range(n)]
    kept = Policy(fc).apply(hits, "", path)
    assert sorted(h.rule_id for h in kept) == ["pii.email", "pii.ip_address"]
    email = next(h for h in kept if h.rule_id == "pii.email")
    assert email.location.line == 1 and f"{n} e-mail addresses in a {fc.value}" in (
        email.description or ""
    )
    assert email.evidence == ("x***" if n == 1 else f"x*** and {n - 1} more")


def test_code_patterns_names_and_special_words_do_not_fit_examples_and_data() -> None:
    rules = ["code.sql_string_format", "code.http_personal_data", "special.health", "pii.name"]
    hits = [hit(r, "x", line=i + 1) for i, r in enumerate(rules)]
    for fc in (FileClass.TEST, FileClass.EXAMPLE, FileClass.DOCS):
        assert [h.rule_id for h in Policy(fc).apply(hits, "", "x")] == ["pii.name"]  # summed
    for fc in (FileClass.MACHINE_DATA, FileClass.MINIFIED):
        assert Policy(fc).apply(hits, "", "x") == []


@pytest.mark.parametrize("fc", [FileClass.MACHINE_DATA, FileClass.MINIFIED])
def test_machine_data_keeps_formatted_secrets_only(fc: FileClass) -> None:
    hits = [
        hit("secret.password_assignment", "m.json", 1),
        hit("secret.high_entropy", "m.json", 2),
        hit("secret.aws.access_key_id", "m.json", 3),
    ]
    assert [h.rule_id for h in Policy(fc).apply(hits, "", "m.json")] == ["secret.aws.access_key_id"]


def test_translator_credits_one_finding_per_folder_of_catalogues() -> None:
    ledger = CreditsLedger()
    langs = ["nl", "de", "fr", "fy", "pt_BR", "zh_Hans"]
    roots = ["django/conf/locale", "django/contrib/admin/locale"]
    for root, lang, domain in itertools.product(roots, langs, ["django", "djangojs"]):
        path = f"{root}/{lang}/LC_MESSAGES/{domain}.po"
        hits = [hit("pii.name", path, 2), hit("pii.email", path, 2, 20), hit("pii.name", path, 3)]
        hits.append(hit("secret.aws.access_key_id", path, 9))
        kept = Policy(classify(path, "")).apply(hits, "", path)
        assert {h.rule_id for h in kept} == {CONTRIBUTOR_LIST, "secret.aws.access_key_id"}
        assert [h.rule_id for h in ledger.take(kept)] == ["secret.aws.access_key_id"]
    summed = ledger.hits()
    assert len(summed) == len(roots)
    for one, root in zip(summed, roots, strict=True):
        assert one.evidence == "12 catalogues: 24 names, 12 e-mail addresses"
        assert (one.location.path or "").startswith(root)


def test_contributor_list_is_one_finding() -> None:
    hits = [hit("pii.name", "AUTHORS", i) for i in range(1, 40)]
    hits += [hit("pii.email", "AUTHORS", i, 30) for i in range(1, 30)]
    (one,) = Policy(FileClass.CONTRIBUTORS).apply(hits, "", "AUTHORS")
    assert one.rule_id == CONTRIBUTOR_LIST and one.evidence == "39 names, 29 e-mail addresses"
    assert CreditsLedger().take([one]) == [one]  # not a catalogue: reported as it is


# -- names in source: comments and strings only ----------------------------------------------

PY_TEXT = [
    ("# written by {w}", True),
    ('x = "{w}"', True),
    ("x = '{w}'  # note", True),
    ("class {w}(Base):", False),
    ("value = {w}.attr  # a comment after", False),
    ('f({w}, "s")', False),
    ('"""\n{w}\n"""', True),
    ("'''doc {w}'''", True),
    ("x = 'it''s' + {w}", False),
]
JS_TEXT = [
    ("// by {w}", True),
    ("/* {w} */", True),
    ("/*\n * {w}\n */", True),
    ("const a = `{w}`;", True),
    ("const a = new {w}();", False),
    ('let b = "a\\"b" + {w};', False),
]


@pytest.mark.parametrize("word", ["DevEnvironment", "JanJansen", "Søren", "Jan de Vries"])
@pytest.mark.parametrize(("suffix", "cases"), [(".py", PY_TEXT), (".js", JS_TEXT)])
def test_code_regions(word: str, suffix: str, cases: list[tuple[str, bool]]) -> None:
    for template, is_text in cases:
        prefix = "\n".join(f"line_{i} = {i}" for i in range(RNG.randrange(0, 5)))
        text = (prefix + "\n" if prefix else "") + template.format(w=word)
        offset = text.index(word)
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        assert CodeRegions(text, f"src/m{suffix}").is_text(line, column) is is_text, template


def test_data_files_are_text_throughout() -> None:
    for suffix in (".yaml", ".json", ".ini", ".txt", ".html"):
        assert CodeRegions("name: Jan Jansen\n", f"x{suffix}").is_text(1, 7)


# -- plain http endpoints with personal data -------------------------------------------------

HOSTS = ["crm.acme.nl", "api.shop.example.com", "10.0.0.5:8080", "intranet.corp", "shop.io"]
PERSONAL_PATHS = [
    "/customer/123456782/profile",
    "/api/v1/users/42",
    "/api/user_profile",
    "/klanten/export",
    "/v2/patients?id=1",
    "/login",
    "/search?email=piet",
    "/orders?customer_id=7",
    "/account/settings",
]
DOC_LINKS = [
    "docs.aws.amazon.com/IAM/latest/UserGuide/id_users.html",
    "docs.example.org/en/latest/accounts.html",
    "www.w3.org/TR/user-timing/",
    "developer.shop.io/api/customers",
    "project.readthedocs.io/en/latest/users/",
    "crm.acme.nl/static/UserGuide.pdf",
    "crm.acme.nl/AccountManagement/Overview",
    "crm.acme.nl/api/getUserProfile",
    "localhost:8000/users/1",
    "shop.test/customer/1",
]


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("path", PERSONAL_PATHS)
def test_personal_endpoints(host: str, path: str) -> None:
    assert personal_endpoint(f"http://{host}{path}")
    assert personal_endpoint(f"http://{host}{path}).")  # prose around it


@pytest.mark.parametrize("link", DOC_LINKS)
def test_documentation_links_and_identifiers_are_no_endpoints(link: str) -> None:
    assert not personal_endpoint(f"http://{link}")


# -- end to end ----------------------------------------------------------------------------


def test_a_tree_of_every_class(tmp_path: Path) -> None:
    files = {
        "src/app.py": 'URL = "http://crm.acme.nl/customer/export"\n',
        "src/docs_links.py": (
            "# see http://docs.aws.amazon.com/IAM/latest/UserGuide/id_users.html\n"
            "# and http://crm.acme.nl/AccountManagement/Overview\n"
        ),
        "tests/test_mail.py": "".join(f'TO_{i} = "user{i}@mailbox.nl"\n' for i in range(40)),
        "data/svc/2020-01-01/service-2.json": (
            '{"metadata": {}, "operations": {"CreateUser": {"documentation": '
            '"See http://docs.aws.amazon.com/UserGuide/x.html or mail ops@mailbox.nl"}}}\n'
        ),
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    job = ScanJob(kind="code", target=str(tmp_path), options=CodeOptions(jobs=1))
    result = code_scanner.scan(job, ScanInputs(hash_key=b"k" * 32))
    rows = sorted((f.rule_id, f.location.path) for f in result.findings)
    assert rows == [
        ("code.http_personal_data", "src/app.py"),
        ("pii.email", "data/svc/2020-01-01/service-2.json"),
        ("pii.email", "tests/test_mail.py"),
    ]
    test_mail = next(f for f in result.findings if f.location.path == "tests/test_mail.py")
    assert "40 e-mail addresses in a test file or fixture" in test_mail.description


# -- personal data in logs: a field, not a word in a message ---------------------------------

LOG_CALLS = ["logger.info", "log.debug", "logging.warning", "print", "console.log", "self.log"]
FIELDS = ["user.email", "customer.phone", "patient.bsn", "row['iban']", "person.address"]
MESSAGES = [
    '"Be patient. This can take some time..."',
    '"Using S3 path style addressing."',
    '"Emailed the report"',
    "'Phone home disabled'",
    '"Defaulting to javascript for usable password form management: " + e',
]


@pytest.fixture(scope="module")
def code_detector():
    from dgp.engine.detector import Detector
    from dgp.scanners.code.rules import CODE_PATTERNS

    return Detector(extra_patterns=CODE_PATTERNS)


def logged(detector, line: str) -> bool:
    return any(d.rule_id == "code.pii_in_log" for d in detector.detect(line))


@pytest.mark.parametrize("call", LOG_CALLS)
def test_a_personal_data_field_in_a_log_call(code_detector, call: str) -> None:
    for field in FIELDS:
        assert logged(code_detector, f"{call}({field})")
        assert logged(code_detector, f'{call}("sent to %s", {field})')
        assert logged(code_detector, f'{call}(f"sent to {{{field}}} now")')
        assert logged(code_detector, f"{call}(`sent to ${{{field}}}`)")
    for message in MESSAGES:
        assert not logged(code_detector, f"{call}({message})"), message


def test_source_keeps_code_patterns_in_code_and_names_in_text() -> None:
    text = (
        "# MD5 passwords with an empty salt are accepted\n"
        "digest = hashlib.md5(password.encode())\n"
        "class ChristianHolder:  # by Christian Heimes\n"
    )
    hits = [
        hit("code.weak_password_hash", "a.py", 1, 3),
        hit("code.weak_password_hash", "a.py", 2, 10),
        hit("pii.name", "a.py", 3, 7),
        Hit("pii.name", Location("a.py", 3, 32, 47), "h", "C***", 0.8),
        Hit("special.religion", Location("a.py", 3, 32, 41), "h2", "C***", 0.7),
    ]
    kept = Policy(FileClass.SOURCE).apply(hits, text, "a.py")
    assert [(h.rule_id, h.location.line, h.location.column) for h in kept] == [
        ("code.weak_password_hash", 2, 10),
        ("pii.name", 3, 32),
    ]


@pytest.mark.parametrize("name", ["cacert.pem", "certs/ca-bundle.crt", "img/icon.svg"])
def test_drawings_and_certificate_bundles_are_machine_data(name: str) -> None:
    assert classify(name, "") is FileClass.MACHINE_DATA
    card = hit("pii.payment_card", name, 3)
    (summed,) = Policy(FileClass.MACHINE_DATA).apply([card], "", name)
    assert summed.severity is Severity.LOW


# -- SQL built with formatting: values, not sentences or quoted identifiers ------------------

SQL_BUILT = [
    'q = "DELETE FROM {t} WHERE id = %s" % user_id',
    'q = "SELECT name FROM {t} WHERE id=" + uid',
    'q = "INSERT INTO {t} (a) VALUES ({{}})".format(v)',
    "db.query(`SELECT * FROM {t} WHERE id = ${{id}}`)",
    'q = "UPDATE {t} SET email = %s" % (email,)',
    'cur.execute(f"SELECT * FROM {t} WHERE id = {{uid}}")',
    'cursor.execute("select %s()" % func)',
]
NOT_SQL_BUILT = [
    '"UPDATE statement on table {t} expected to update %d row(s)" % n',
    'raise TypeError("update expected at most 1 argument, got %d" % len(args))',
    'return "Delete model %s" % self.name',
    '"Select statement %r is not supported" % x',
    '"SELECT * FROM %s LIMIT 1" % self.connection.ops.quote_name(table_name)',
    'sql = "SELECT %s FROM (%s) subquery" % (sql, inner_query_sql)',
    '"UPDATE %s SET" % qn(table),',
    'delete = "DELETE FROM %s" % self.quote_name_unless_alias(query.base_table)',
]


def sql_built(detector, line: str) -> bool:
    return any(d.rule_id == "code.sql_string_format" for d in detector.detect(line))


@pytest.mark.parametrize("table", ["users", "klanten", "app_customer", "public.orders"])
def test_sql_built_with_values(code_detector, table: str) -> None:
    for template in SQL_BUILT:
        assert sql_built(code_detector, template.format(t=table)), template
        assert sql_built(code_detector, template.format(t=table).lower()), template
    for template in NOT_SQL_BUILT:
        assert not sql_built(code_detector, template.format(t=table)), template


def test_a_quote_inside_sql_is_no_formatting(code_detector) -> None:
    assert not sql_built(code_detector, """cursor.execute("SELECT VERSION() LIKE '%MariaDB%'")""")
    assert sql_built(code_detector, """cursor.execute("SELECT * FROM t WHERE a = '%s'" % a)""")
