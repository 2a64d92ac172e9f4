"""Seeded databases of known content for the database scanner's tests, bench and sample:
the same tables in PostgreSQL, MariaDB and SQLite (Faker nl_NL, fixed seed).

- klanten: names, e-mail, phone, postcode, house number, date of birth, IBAN, a BSN
  column named `klant_ref`, a JSON column holding e-mail addresses, a timestamp;
- accounts: a login and MD5 password hashes, a timestamp;
- patienten: a tenant column, diagnoses and e-mail addresses, no timestamp;
- producten: no personal data;
- bestellingen (big_table): orders without personal data, as many rows as asked.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from typing import Any

from faker import Faker

DIALECTS = ("postgresql", "mysql", "sqlite")
TYPES = {
    "id": ("integer primary key", "int primary key", "integer primary key"),
    "text": ("text", "varchar(255)", "text"),
    "date": ("date", "date", "date"),
    "time": ("timestamp", "datetime", "timestamp"),
    "json": ("jsonb", "json", "text"),
    "int": ("bigint", "bigint", "integer"),
    "money": ("numeric(10,2)", "decimal(10,2)", "numeric"),
}
TABLES: dict[str, list[tuple[str, str]]] = {
    "klanten": [
        ("id", "id"),
        ("voornaam", "text"),
        ("achternaam", "text"),
        ("email", "text"),
        ("telefoon", "text"),
        ("postcode", "text"),
        ("huisnummer", "int"),
        ("geboortedatum", "date"),
        ("iban", "text"),
        ("klant_ref", "int"),
        ("profiel", "json"),
        ("aangemaakt_op", "time"),
    ],
    "accounts": [("id", "id"), ("login", "text"), ("password", "text"), ("created_at", "time")],
    "patienten": [("id", "id"), ("tenant_id", "int"), ("diagnose", "text"), ("email", "text")],
    "producten": [("id", "id"), ("omschrijving", "text"), ("prijs", "money")],
}
DIAGNOSES = ("diabetes type 2", "astma", "hypertensie", "depressie", "migraine")
PRODUCTS = ("fiets", "lamp", "stoel", "tafel", "kast", "bank", "spiegel")
# (rule, schema-less path) every engine reports for the seeded tables
EXPECTED = {
    ("database.pii.column", "klanten.voornaam"),
    ("database.pii.column", "klanten.achternaam"),
    ("database.pii.column", "klanten.email"),
    ("database.pii.column", "klanten.telefoon"),
    ("database.pii.column", "klanten.postcode"),
    ("database.pii.column", "klanten.huisnummer"),
    ("database.pii.column", "klanten.geboortedatum"),
    ("database.pii.column", "klanten.iban"),
    ("database.pii.column", "klanten.profiel"),
    ("database.pii.bsn_column", "klanten.klant_ref"),
    ("database.security.weak_password_hash", "accounts.password"),
    ("database.special.column", "patienten.diagnose"),
    ("database.pii.column", "patienten.email"),
    ("database.retention.no_timestamp", "patienten"),
}
RLS_FINDING = ("database.access.row_level_security_off", "patienten")  # PostgreSQL only
PUBLIC_FINDING = ("database.access.public", "klanten")  # after grant_public()


def bsn(fake: Faker) -> int:
    """A BSN of 9 digits without a leading zero (kept as a number, it stays 9 digits)."""
    while True:
        value = fake.ssn()
        if not value.startswith("0"):
            return int(value)


def rows(table: str, count: int, seed: int = 7) -> Iterator[tuple[Any, ...]]:
    fake = Faker("nl_NL")
    fake.seed_instance(seed)
    pick = random.Random(seed)
    for i in range(1, count + 1):
        if table == "klanten":
            yield (
                i,
                fake.first_name(),
                fake.last_name(),
                fake.email(),
                fake.phone_number(),
                fake.postcode(),
                fake.random_int(1, 300),
                fake.date_of_birth(minimum_age=18, maximum_age=90),
                fake.iban(),
                bsn(fake),
                json.dumps({"contact": {"email": fake.email()}, "nieuwsbrief": True}),
                fake.date_time_this_decade(),
            )
        elif table == "accounts":
            digest = hashlib.md5(fake.password().encode()).hexdigest()  # what is flagged
            yield (i, f"user{i}", digest, fake.date_time_this_decade())
        elif table == "patienten":
            yield (i, pick.randint(1, 5), pick.choice(DIAGNOSES), fake.email())
        else:
            yield (i, pick.choice(PRODUCTS), round(pick.uniform(1, 500), 2))


def ddl(dialect: str, table: str, columns: list[tuple[str, str]] | None = None) -> str:
    i = DIALECTS.index(dialect)
    cols = ", ".join(f"{name} {TYPES[kind][i]}" for name, kind in columns or TABLES[table])
    return f"CREATE TABLE {table} ({cols})"


def seed(conn: Any, dialect: str, count: int = 300) -> None:
    """The four tables with `count` rows each, committed."""
    mark = "?" if dialect == "sqlite" else "%s"
    cur = conn.cursor()
    for table, columns in TABLES.items():
        cur.execute(ddl(dialect, table))
        marks = ", ".join([mark] * len(columns))
        cur.executemany(f"INSERT INTO {table} VALUES ({marks})", list(rows(table, count)))
    conn.commit()


def big_table(conn: Any, dialect: str, count: int, name: str = "bestellingen") -> None:
    """`count` orders (no personal data), made by the server itself."""
    cur = conn.cursor()
    columns = [("id", "id"), ("klant_id", "int"), ("bedrag", "money"), ("besteld_op", "time")]
    cur.execute(ddl(dialect, name, columns))
    if dialect == "postgresql":
        cur.execute(
            f"INSERT INTO {name} SELECT g, g %% 1000, (g %% 500) + 0.5, "
            "timestamp '2024-01-01' + g * interval '1 minute' FROM generate_series(1, %s) g",
            (count,),
        )
        cur.execute(f"ANALYZE {name}")
    elif dialect == "mysql":
        cur.execute(
            f"INSERT INTO {name} SELECT seq, seq % 1000, (seq % 500) + 0.5, "
            f"'2024-01-01' + INTERVAL seq MINUTE FROM seq_1_to_{int(count)}"
        )
        cur.execute(f"ANALYZE TABLE {name}")
        cur.fetchall()
    else:
        cur.execute(
            f"WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ?) "
            f"INSERT INTO {name} SELECT n, n % 1000, (n % 500) + 0.5, '2024-01-01' FROM g",
            (count,),
        )
    conn.commit()


def paths(found: set[tuple[str, str]], schema: str) -> set[tuple[str, str]]:
    """(rule, path) pairs with the schema taken off the paths."""
    return {(rule, path.removeprefix(f"{schema}.")) for rule, path in found}
