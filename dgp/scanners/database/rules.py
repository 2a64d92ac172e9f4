"""The database scanner's rules (SPEC 3.5), each with the law behind it.

What a data protection officer making the register of processing (GDPR art. 30) wants
from a database: where personal data is (art. 4(1), 5(1)(c)), where the BSN is (its
use needs a basis in law: UAVG art. 46), special-category and criminal data (art. 9,
10; UAVG art. 22, 31-33), how it is protected (art. 5(1)(f), 25, 32) and whether it
can be deleted in time (art. 5(1)(e)).
"""

from __future__ import annotations

from dgp.domain.severity import Severity
from dgp.engine import legal
from dgp.engine.rules import RuleBook
from dgp.scanners.common_rules import ITEM_NOT_SCANNED

REGISTER = legal.gdpr("30")
BY_DESIGN = legal.gdpr("25")
ACCESS = (legal.gdpr("25(2)"), legal.gdpr("32(1)(b)"), legal.gdpr("32(4)"))
_S = Severity
_BOOK = RuleBook()
_rule = _BOOK.rule


PERSONAL_COLUMN = _rule(
    "database.pii.column",
    "pii",
    _S.MEDIUM,
    "Column of personal data",
    "A column holds personal data, by its name or by the share of sampled values that "
    "validate as an entity. It belongs in the register of processing activities.",
    (*legal.PERSONAL_DATA, REGISTER),
    "Record the column in the register of processing (purpose, legal basis, retention); "
    "remove it, or pseudonymise it, where the purpose does not need it.",
)
BSN_COLUMN = _rule(
    "database.pii.bsn_column",
    "pii",
    _S.HIGH,
    "Column of BSNs (burgerservicenummer)",
    "A column holds Dutch citizen service numbers. The BSN may only be processed where a "
    "law allows it (UAVG art. 46); a customer or member table usually has no such basis.",
    (*legal.NATIONAL_ID, REGISTER),
    "Name the law that allows processing the BSN in the register; without one, delete "
    "the column and use an own customer number.",
)
SPECIAL_COLUMN = _rule(
    "database.special.column",
    "special_category",
    _S.HIGH,
    "Column of special-category data",
    "A column holds data about health, religion, ethnicity, sexual orientation, political "
    "opinion, trade union membership, genetics or biometrics: processing it is forbidden "
    "unless an exception of GDPR art. 9(2) (and UAVG art. 22-30) applies.",
    (*legal.SPECIAL_CATEGORY, legal.gdpr("35"), REGISTER),
    "Record the art. 9(2) exception that applies and do a DPIA; restrict access to the "
    "column, encrypt it, or remove it.",
)
CRIMINAL_COLUMN = _rule(
    "database.criminal.column",
    "special_category",
    _S.HIGH,
    "Column of criminal-law data",
    "A column holds data about criminal convictions, offences or certificates of conduct "
    "(VOG): only under official authority or where the UAVG allows it.",
    (*legal.CRIMINAL_DATA, REGISTER),
    "Check that UAVG art. 31-33 allows this processing; otherwise delete the data.",
)
PLAINTEXT_PASSWORD = _rule(
    "database.security.plaintext_password",
    "security",
    _S.CRITICAL,
    "Passwords stored in plain text",
    "A password column holds values that are not a password hash: whoever reads the "
    "table (or a backup) can log in as every user, also elsewhere.",
    (*legal.SECURITY, BY_DESIGN),
    "Store passwords only as a slow, salted hash (argon2id, scrypt, bcrypt); rehash at the "
    "next login and reset the passwords that cannot be.",
)
WEAK_PASSWORD_HASH = _rule(
    "database.security.weak_password_hash",
    "security",
    _S.HIGH,
    "Passwords stored with a fast unsalted hash",
    "A password column holds MD5, SHA-1 or unsalted SHA-2 hashes, recognised by their "
    "shape: these are reversed with precomputed tables and commodity GPUs.",
    (*legal.SECURITY, BY_DESIGN),
    "Move to argon2id, scrypt or bcrypt (wrap the old hash at once, rehash at the next login).",
)
PUBLIC_ACCESS = _rule(
    "database.access.public",
    "security",
    _S.HIGH,
    "Personal data readable by every database user",
    "A table with personal data grants SELECT to PUBLIC (every role, also ones added "
    "later) or to the anonymous user: no access restriction is visible in the grants.",
    (*legal.SECURITY, *ACCESS),
    "Revoke the grant to PUBLIC and grant SELECT to the roles that need the data only.",
)
NO_RETENTION = _rule(
    "database.retention.no_timestamp",
    "governance",
    _S.MEDIUM,
    "Personal data with nothing to expire it by",
    "A table of personal data has no date or time column (created, updated, deleted, "
    "valid until): nothing tells when a row may be deleted, so rows are kept forever.",
    (*legal.RETENTION, legal.gdpr("17"), REGISTER),
    "Add a timestamp (or an expiry date) and a job that deletes or anonymises rows past "
    "their retention period.",
)
RLS_OFF = _rule(
    "database.access.row_level_security_off",
    "security",
    _S.MEDIUM,
    "Multi-tenant table without row-level security",
    "A table with personal data and a tenant or organisation column has row-level "
    "security off: one query without the right WHERE clause shows every tenant's rows.",
    (*legal.SECURITY, BY_DESIGN),
    "Enable row-level security with a policy on the tenant column (ALTER TABLE ... ENABLE "
    "ROW LEVEL SECURITY; CREATE POLICY ...), and make sure an unset tenant sees nothing.",
)
NO_TLS = _rule(
    "database.transport.no_tls",
    "security",
    _S.HIGH,
    "Database connection without TLS",
    "The server accepted an unencrypted connection over the network: passwords and the "
    "personal data in query results cross the network in plain text.",
    legal.SECURITY,
    "Turn TLS on in the server and make clients require it (sslmode=verify-full, "
    "require_secure_transport=ON).",
)

RULE_IDS: tuple[str, ...] = (*_BOOK.ids, ITEM_NOT_SCANNED)
