"""Zip and OLE containers: the outer shell of Office and OpenDocument files.

Checked before a format library sees the file, so a truncated, encrypted or
mislabelled file gets a clear reason instead of a library's stack trace.
"""

from __future__ import annotations

import posixpath
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from xml.etree import ElementTree

from dgp.documents.base import ExtractionError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An office document's parts are parsed in memory, at several times their size: more
# than this unpacked, or parts far more compressed than XML ever is, make a zip bomb.
MAX_UNPACKED_BYTES = 256 * 1024**2
MAX_PART_RATIO = 200
_RATIO_FLOOR = 1024**2  # small parts may compress as they like
MAX_PROPERTIES_XML = 1024**2  # docProps/meta.xml are tiny; a huge one is not worth parsing
MAX_PART_XML = 64 * 1024**2  # a comments part read whole (the zip's own limits hold too)
_PACKAGE_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"

_DC = "{http://purl.org/dc/elements/1.1/}"
_CP = "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}"
_EP = "{http://schemas.openxmlformats.org/officeDocument/2006/extended-properties}"
OOXML_CORE = {f"{_DC}creator": "author", f"{_CP}lastModifiedBy": "last_modified_by"}
OOXML_APP = {f"{_EP}Company": "company", f"{_EP}Manager": "manager"}


def read_head(path: Path, size: int = 8) -> bytes:
    with path.open("rb") as fh:
        return fh.read(size)


def open_zip(path: Path, label: str) -> zipfile.ZipFile:
    """Open an Office/ODF zip, or explain why it is not one.

    OOXML files that are password protected are not zips at all: Office wraps
    them in an OLE (CFB) container, recognisable by its first bytes.
    """
    if read_head(path) == OLE_MAGIC:
        raise _ole_error(path, label)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise ExtractionError(
            f"{label} is corrupt: not a valid zip archive (truncated or damaged)"
        ) from exc
    # zipfile stops reading a part at its declared size, so the declared sizes bind.
    infos = archive.infolist()
    unpacked = sum(info.file_size for info in infos)
    bomb = any(
        info.file_size > _RATIO_FLOOR and info.file_size > MAX_PART_RATIO * info.compress_size
        for info in infos
    )
    if unpacked > MAX_UNPACKED_BYTES or bomb:
        archive.close()
        raise ExtractionError(
            f"{label} is too large when unpacked ({unpacked} bytes); possible zip bomb"
        )
    return archive


def check_zip(path: Path, label: str) -> None:
    open_zip(path, label).close()


def _ole_error(path: Path, label: str) -> ExtractionError:
    """An OLE file with an OOXML name: encrypted, unless it is plainly an old .doc/.xls."""
    try:
        import olefile

        with olefile.OleFileIO(str(path)) as ole:
            encrypted = ole.exists("EncryptedPackage") or ole.exists("EncryptionInfo")
    except Exception:  # unreadable OLE: assume the common case, encryption
        encrypted = True
    if encrypted:
        return ExtractionError(
            f"{label} is encrypted (an OLE container, not a zip)", encrypted=True
        )
    return ExtractionError(
        f"{label} is an old binary Office file (OLE) with a {label} name; "
        "save it in the new format to scan it"
    )


def xml_properties(
    archive: zipfile.ZipFile, member: str, tags: Mapping[str, str]
) -> dict[str, str]:
    """Read named elements from a small XML part: {"{ns}creator": "author"} -> {"author": ...}.

    Missing or broken property parts give {}: losing metadata must not lose the text.
    """
    try:
        info = archive.getinfo(member)
        if info.file_size > MAX_PROPERTIES_XML:
            return {}
        root = ElementTree.fromstring(archive.read(info))
    except (
        KeyError,
        ElementTree.ParseError,
        zipfile.BadZipFile,
        OSError,
        ValueError,
        NotImplementedError,  # zipfile: a compression method it cannot read
        zlib.error,
    ):
        return {}
    found: dict[str, str] = {}
    for element in root.iter():
        name = tags.get(element.tag)
        if name and element.text and element.text.strip() and name not in found:
            found[name] = element.text.strip()
    return found


def ooxml_metadata(path: Path, label: str) -> dict[str, str]:
    """Author, last editor, company and manager of a .docx/.xlsx/.pptx.

    Read from the zip directly: the libraries only expose the core part, and
    company and manager live in docProps/app.xml.
    """
    with open_zip(path, label) as archive:
        return {
            **xml_properties(archive, "docProps/core.xml", OOXML_CORE),
            **xml_properties(archive, "docProps/app.xml", OOXML_APP),
        }


def local_name(tag: str) -> str:
    """ "{namespace}cm" -> "cm": comment parts come in several namespaces (legacy, 2018)."""
    return tag.rsplit("}", 1)[-1]


def read_xml(
    archive: zipfile.ZipFile, member: str, limit: int = MAX_PART_XML
) -> ElementTree.Element | None:
    """A part of an OOXML package parsed, or None when missing, too large or broken:
    an optional part (comments) that cannot be read must not cost the document's text."""
    try:
        info = archive.getinfo(member)
        if info.file_size > limit:
            return None
        return ElementTree.fromstring(archive.read(info))
    except (
        KeyError,
        ElementTree.ParseError,
        zipfile.BadZipFile,
        OSError,
        ValueError,
        NotImplementedError,  # zipfile: a compression method it cannot read
        zlib.error,
    ):
        return None


def related_parts(archive: zipfile.ZipFile, part: str) -> list[tuple[str, str, str]]:
    """(relationship id, type, part name) of what `part` refers to, e.g. a sheet's comments.

    Targets are relative to the part's folder ("../comments1.xml") or absolute
    ("/xl/comments/comment1.xml"); external targets (links) are left out.
    """
    folder, name = posixpath.split(part)
    root = read_xml(archive, posixpath.join(folder, "_rels", f"{name}.rels"), MAX_PROPERTIES_XML)
    if root is None:
        return []
    found = []
    for rel in root.iter(_PACKAGE_RELS):
        target = rel.get("Target") or ""
        if rel.get("TargetMode") == "External" or not target:
            continue
        path = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        found.append((rel.get("Id") or "", rel.get("Type") or "", posixpath.normpath(path)))
    return found
