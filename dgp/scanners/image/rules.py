"""The image scanner's own rules (SPEC 3.6). Text read by OCR or decoded from a barcode
is checked by the shared engine, whose rules (pii.*) those findings carry."""

from dgp.domain.severity import Severity
from dgp.engine import legal
from dgp.engine.rules import RULES, define

_ID_DOCUMENT_REFS = (legal.gdpr("4(1)"), *legal.NATIONAL_ID)

define(
    "image.face.person",
    "pii",
    Severity.MEDIUM,
    "Photo of a person",
    "A face is visible: a photo of an identifiable person is personal data (GDPR art. 4(1)). "
    "It becomes biometric data, a special category (art. 9(1)), only when it is processed "
    "to identify someone (face recognition, art. 4(14)); this scan detects faces, it does "
    "not identify anyone.",
    legal.PERSONAL_DATA,
    "Keep photos of people only with a basis (consent, contract) and a retention period; "
    "blur or crop faces in copies that do not need them.",
)
define(
    "image.id_document.mrz",
    "pii",
    Severity.HIGH,
    "Identity document (machine-readable zone)",
    "The machine-readable zone of a passport or ID card, with valid ICAO 9303 check digits: "
    "a copy of an identity document. A Dutch document carries the BSN (UAVG art. 46); "
    "copies may only be kept where a law requires it.",
    _ID_DOCUMENT_REFS,
    "Delete the copy, or keep it only where a law requires one, with the photo and the BSN "
    "blacked out (the KopieID way) and a retention period.",
)
define(
    "image.id_document.mrz_unverified",
    "pii",
    Severity.MEDIUM,
    "Identity document (machine-readable zone, check digits failed)",
    "Lines shaped like a passport or ID-card machine-readable zone whose check digits do not "
    "all hold: most likely a badly read or altered identity document.",
    _ID_DOCUMENT_REFS,
    "Check the image by hand; delete copies of identity documents that no law requires.",
)
define(
    "image.id_document.dutch",
    "pii",
    Severity.HIGH,
    "Dutch identity document",
    "The words of a Dutch passport, identity card or driving licence with a document number: "
    "a copy of an identity document (UAVG art. 46 on the BSN it carries).",
    _ID_DOCUMENT_REFS,
    "Delete the copy, or keep it only where a law requires one, with the photo and the BSN "
    "blacked out and a retention period.",
)
define(
    "image.metadata.gps",
    "pii",
    Severity.MEDIUM,
    "GPS position in image metadata",
    "The image's metadata holds the place where it was taken: location data about the "
    "photographer and the people in the picture, in every copy of the file.",
    legal.PERSONAL_DATA,
    "Strip location metadata before sharing or publishing (or turn off location tagging "
    "on the camera).",
)
define(
    "image.metadata.camera_serial",
    "pii",
    Severity.LOW,
    "Camera serial number in image metadata",
    "A serial number ties every photo to one camera, and so to its owner.",
    legal.PERSONAL_DATA,
    "Strip the maker notes and serial numbers from images before sharing them.",
)
define(
    "image.metadata.person_name",
    "pii",
    Severity.LOW,
    "Person named in image metadata",
    "An EXIF, XMP or IPTC field (artist, author, owner, copyright, by-line) names a person; "
    "metadata travels with every copy of the file.",
    legal.PERSONAL_DATA,
    "Clear the name fields before sharing, or set an organisation name instead.",
)
define(
    "image.metadata.capture_details",
    "governance",
    Severity.INFO,
    "Capture details in image metadata",
    "The metadata says when the image was taken or with which software it was made; with "
    "a person in the picture or a name in the file, this is part of their personal data.",
    (legal.gdpr("5(1)(c)"),),
    "Strip metadata that the use of the image does not need.",
)
define(
    "image.metadata.thumbnail_differs",
    "pii",
    Severity.MEDIUM,
    "Embedded thumbnail differs from the image",
    "The file carries a preview image (EXIF thumbnail) that does not match the picture: "
    "what was cropped or blacked out may still be visible in it.",
    legal.PERSONAL_DATA,
    "Re-save the image without metadata (its thumbnail goes with it) before sharing it.",
)
define(
    "image.file.unreadable",
    "governance",
    Severity.INFO,
    "Image could not be read",
    "The file is truncated, corrupt or not the image its name says, so it was not checked.",
    (),
    "Check the file by hand, or repair it and scan again.",
)
define(
    "image.file.refused",
    "governance",
    Severity.INFO,
    "Image refused (too large to decode safely)",
    "The image has more pixels than the scan allows (a decompression bomb or a huge scan), "
    "so it was not decoded.",
    (),
    "Check the file by hand; scan it alone with a higher max_pixels if it is a real scan.",
)
define(
    "image.file.trailing_data",
    "security",
    Severity.LOW,
    "Data hidden after the image",
    "The file goes on after the end of its image (a polyglot or an appended archive): "
    "content that image viewers do not show, and that this scan did not read.",
    legal.SECURITY,
    "Re-save the image from its pixels, or find out what was appended and why.",
)
define(
    "image.ocr.unavailable",
    "governance",
    Severity.INFO,
    "Image text not read (no OCR)",
    "Tesseract with its Dutch and English language data is not installed, so the text in "
    "images was not checked.",
    (),
    "Install tesseract-ocr, tesseract-ocr-nld and tesseract-ocr-eng and scan again.",
)
define(
    "image.ocr.failed",
    "governance",
    Severity.INFO,
    "Image text not read (OCR failed)",
    "OCR of a page failed or ran past its time limit, so its text was not checked.",
    (),
    "Scan the image alone with a longer ocr_seconds, or check it by hand.",
)

# the rules this kind defines (its spec lists them)
RULE_IDS = tuple(rule_id for rule_id in RULES if rule_id.startswith("image."))
