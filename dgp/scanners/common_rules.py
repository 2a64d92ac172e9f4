"""Rules every file-based scanner shares."""

from dgp.domain.severity import Severity
from dgp.engine.rules import define

ITEM_NOT_SCANNED = define(
    "scan.item_not_scanned",
    "governance",
    Severity.INFO,
    "Item not scanned",
    "An item was refused or could not be read, so it is not covered by this scan.",
    (),
    "Check the item by hand, or remove what made it unreadable and scan again.",
).rule_id

FINDINGS_CAPPED = define(
    "scan.findings_capped",
    "governance",
    Severity.INFO,
    "More findings than listed",
    "An item holds so many findings of one rule that only the first ones are listed; the "
    "rest are counted here.",
    (),
    "Treat the item as a whole: it is a data set, not a stray value.",
).rule_id
