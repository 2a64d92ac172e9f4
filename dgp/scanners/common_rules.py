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
