"""E-mail: EML with the stdlib `email` package, Outlook MSG with extract-msg.

Both end up as the same three things: address and subject headers, plain
and HTML bodies, and attachments, which are extracted like files of their own
under the path "mail.eml!attachment-name".
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses
from functools import partial
from pathlib import Path

from dgp.documents.base import ExtractionError, Segment
from dgp.documents.common import short_cause
from dgp.documents.containers import OLE_MAGIC, read_head
from dgp.documents.context import MAX_NESTING, ExtractContext
from dgp.documents.htmltext import html_to_text, same_text
from dgp.documents.textcodec import SNIFF_BYTES, looks_binary, sniff_encoding

EXTENSIONS = frozenset({".eml", ".msg"})
HEADERS = ("From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Subject")
# Headers that name people: a display name there is a person's name, whatever the name
# (scanners report it as such); the segment's `field` is the header's name in lower case.
ADDRESS_HEADERS = frozenset(h.lower() for h in HEADERS if h != "Subject")
# Display names of mailboxes that are no person: "Klantenservice <info@...>".
_NOT_A_PERSON = re.compile(
    r"(?i)\b(?:no-?reply|do-?not-?reply|info|support|service|helpdesk|servicedesk|team|"
    r"klantenservice|administratie|afdeling|gemeente|newsletter|nieuwsbrief|notifications?|"
    r"mailer-daemon|postmaster|b\.?v\.?|n\.?v\.?|ltd|inc|gmbh)\b"
)

# An attachment: its file name and how to get its bytes. Loading is deferred so
# that unsupported types cost nothing and one broken attachment spoils only itself.
Attachment = tuple[str, Callable[[], bytes]]


def extract(path: Path, ctx: ExtractContext) -> Iterator[Segment]:
    if path.suffix.lower() == ".msg":
        return _extract_msg(path, ctx)
    return _extract_eml(path, ctx)


# -- shared by EML and MSG -------------------------------------------------------------


def _mail_segments(
    ctx: ExtractContext,
    headers: Iterable[tuple[str, str | None]],
    plain: list[str],
    html: list[str],
    attachments: Iterable[Attachment],
) -> Iterator[Segment]:
    for name, value in headers:
        if value and value.strip():
            location = ctx.location(section=f"header:{name}")  # header:From, header:Cc
            yield Segment(text=value.strip(), location=location, field=name.lower())
    plain = [body.replace("\r\n", "\n") for body in plain]
    for body in plain:
        if body.strip():
            yield ctx.segment(body, section="body", line=1)
    plain_text = "\n".join(plain)
    for body in html:
        text = html_to_text(body)
        # Most HTML bodies only repeat the plain one; scan them when they say more.
        if text.strip() and not same_text(text, plain_text):
            yield ctx.segment(text, section="body_html", line=1)
    for name, load in attachments:
        yield from _attachment(ctx, name, load)


def _attachment(ctx: ExtractContext, name: str, load: Callable[[], bytes]) -> Iterator[Segment]:
    """Extract an attachment through the registry, in a private temporary directory."""
    from dgp.documents import registry  # the registry imports this module

    name = name.replace("\\", "/").rsplit("/", 1)[-1] or "attachment"
    child = ctx.child(f"{ctx.display_path}!{name}")
    if not registry.is_supported(Path(name)):
        kind = Path(name).suffix.lower() or "without an extension"
        yield child.notice("attachment_not_scanned", f"attachment of a type not read ({kind})")
        return
    if child.depth > MAX_NESTING:
        yield child.notice("attachment_too_deep")
        return
    try:
        data = load()
    except Exception as exc:  # a broken MIME part or embedded message
        yield child.notice(
            "attachment_unreadable", f"attachment could not be unpacked: {short_cause(exc)}"
        )
        return
    with tempfile.TemporaryDirectory(prefix="dgp-attachment-") as folder:
        file = Path(folder) / f"attachment{Path(name).suffix.lower()}"
        file.write_bytes(data)
        yield from registry.extract_attachment(file, child)


def display_names(value: str) -> list[tuple[int, int]]:
    """Spans of the display names in an address header that name a person:
    "Jan Jansen <jan@example.nl>, "De Vries, Marie" <marie@...>" -> two spans.

    Left out: bare addresses, a name that is an address, and mailboxes of teams and
    organisations (noreply, Klantenservice, "Acme B.V.").
    """
    spans: list[tuple[int, int]] = []
    position = 0
    for name, address in getaddresses([value]):
        name = name.strip()
        start = value.find(name, position) if name else -1
        if start < 0:
            continue
        position = start + len(name)
        if "@" in name or name.lower() == address.lower() or _NOT_A_PERSON.search(name):
            continue
        if any(c.isalpha() for c in name) and not any(c.isdigit() for c in name):
            spans.append((start, start + len(name)))
    return spans


# -- EML -------------------------------------------------------------------------------


def _extract_eml(path: Path, ctx: ExtractContext) -> Iterator[Segment]:
    if looks_binary(read_head(path, SNIFF_BYTES)):
        raise ExtractionError("EML looks binary, not like an e-mail message")
    with path.open("rb") as handle:
        message = BytesParser(policy=policy.default).parse(handle)
    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    _walk(message, plain, html, attachments)
    headers = [(name, value) for name in HEADERS for value in _header_values(message, name)]
    yield from _mail_segments(ctx, headers, plain, html, attachments)


def _walk(part: Message, plain: list[str], html: list[str], attachments: list[Attachment]) -> None:
    """Sort the leaves of a MIME tree into bodies and attachments.

    A forwarded message (message/rfc822) is an attachment of its own, so its
    headers are read as headers and not lost inside the outer body.
    """
    content_type = part.get_content_type()
    if content_type == "message/rfc822":
        attachments.append((_eml_name(part.get_filename() or "message"), partial(_inner, part)))
    elif part.is_multipart():
        for sub in part.get_payload():
            _walk(sub, plain, html, attachments)
    elif part.get_filename() or part.get_content_disposition() == "attachment":
        attachments.append((part.get_filename() or "attachment", partial(_payload, part)))
    elif content_type == "text/plain":
        plain.append(_part_text(part))
    elif content_type == "text/html":
        html.append(_part_text(part))


def _header_values(message: Message, name: str) -> list[str]:
    """Decoded header values; the raw value when the header is too broken to parse."""
    values = []
    for raw_name, raw_value in message.raw_items():
        if raw_name.lower() == name.lower():
            try:
                values.append(str(message.policy.header_fetch_parse(raw_name, raw_value)))
            except Exception:  # the stdlib header parser has crashed on odd input before
                values.append(str(raw_value))
    return values


def _inner(part: Message) -> bytes:
    """The bytes of a forwarded message (message/rfc822), to extract as an .eml file."""
    return part.get_payload(0).as_bytes()


def _payload(part: Message) -> bytes:
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _eml_name(name: str) -> str:
    return name if name.lower().endswith(".eml") else f"{name}.eml"


def _part_text(part: Message) -> str:
    """Decoded text of a part; an unknown or lying charset falls back to guessing."""
    if isinstance(part, EmailMessage):
        try:
            return str(part.get_content())
        except (LookupError, UnicodeError, KeyError):
            pass
    return _decode(_payload(part))


def _decode(data: bytes) -> str:
    return data.decode(sniff_encoding(data[:SNIFF_BYTES]), errors="replace")


# -- MSG -------------------------------------------------------------------------------


def _extract_msg(path: Path, ctx: ExtractContext) -> Iterator[Segment]:
    import extract_msg

    if read_head(path) != OLE_MAGIC:
        raise ExtractionError("MSG is corrupt: not an Outlook message (no OLE header)")
    message = extract_msg.openMsg(str(path))
    try:
        headers = [
            (name, getattr(message, attribute, None))
            for name, attribute in (
                ("From", "sender"),
                ("To", "to"),
                ("Cc", "cc"),
                ("Bcc", "bcc"),
                ("Subject", "subject"),
            )
        ]
        plain = [getattr(message, "body", None) or ""]
        html = [_msg_html(message)]
        attachments = [_msg_attachment(a) for a in getattr(message, "attachments", ())]
        yield from _mail_segments(ctx, headers, plain, html, attachments)
    finally:
        message.close()


def _msg_html(message: object) -> str:
    try:
        data = getattr(message, "htmlBody", None)
    except Exception:  # extract-msg derives HTML from RTF, which can fail on its own
        return ""
    return _decode(data) if isinstance(data, bytes) else str(data or "")


def _msg_attachment(attachment: object) -> Attachment:
    """Name and loader of an attachment; embedded messages become .msg files."""
    from extract_msg.enums import AttachmentType

    names = (getattr(attachment, a, None) for a in ("longFilename", "shortFilename", "name"))
    name = str(next((n for n in names if n), "attachment"))
    if getattr(attachment, "type", None) == AttachmentType.MSG and not name.lower().endswith(
        ".msg"
    ):
        name = f"{name}.msg"
    return name, partial(_msg_data, attachment)


def _msg_data(attachment: object) -> bytes:
    data = getattr(attachment, "data", None)
    if hasattr(data, "exportBytes"):  # an embedded message, opened by extract-msg
        return bytes(data.exportBytes())
    if isinstance(data, bytes):
        return data
    raise ValueError("attachment holds no file data")  # web links, unsupported kinds
