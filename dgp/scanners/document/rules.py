"""The document scanner's own rules (SPEC 3.4)."""

from dgp.domain.severity import Severity
from dgp.engine import legal
from dgp.engine.rules import RULES, define

define(
    "document.metadata_personal_data",
    "pii",
    Severity.LOW,
    "Person named in document metadata",
    "The document's properties (author, last modified by, ...) name a person; metadata "
    "travels with every copy of the file.",
    legal.PERSONAL_DATA,
    "Clear the document properties before sharing, or set a role name instead.",
)
define(
    "document.high_risk_file",
    "secret",
    Severity.HIGH,
    "High-risk file",
    "A file whose kind usually holds credentials or keys (.env, private keys, keystores, "
    "password files).",
    legal.SECURITY,
    "Remove the file from shared locations; keep credentials in a secret store.",
)
define(
    "document.encrypted",
    "governance",
    Severity.INFO,
    "Encrypted document not scanned",
    "The file is password protected, so its content could not be checked.",
    (),
    "Scan a decrypted copy, or record why this file is out of scope.",
)
define(
    "document.unreadable",
    "governance",
    Severity.INFO,
    "Document could not be read",
    "The file is corrupt or not what its name says, so its content could not be checked.",
    (),
    "Check the file by hand, or repair it and scan again.",
)
define(
    "document.ocr_unavailable",
    "governance",
    Severity.INFO,
    "Scanned page not read (no OCR)",
    "A page has no text layer and OCR is not installed, so its text was not checked.",
    (),
    "Install tesseract-ocr with the Dutch and English language data and scan again.",
)

# the rules this kind defines (its spec lists them)
RULE_IDS = tuple(rule_id for rule_id in RULES if rule_id.startswith("document."))
