"""What a file is, judged from its bytes (never from its name or the type the client declares), and the
names it is offered under.

PDF, PNG and JPEG are told by their signatures. DOCX, XLSX, ODT and ODS are all ZIP archives: an OpenDocument
file names its type in its ``mimetype`` entry, an Office Open XML file in the main part's content type in
``[Content_Types].xml``; both are read with :mod:`zipfile` from the spooled upload, so a ZIP that is neither
(or a macro-enabled DOCM/XLSM) is refused like any other type."""

from __future__ import annotations

import re
import unicodedata
import zipfile
from typing import BinaryIO
from urllib.parse import quote

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"

EXTENSIONS = {PDF: "pdf", PNG: "png", JPEG: "jpg", DOCX: "docx", XLSX: "xlsx", ODT: "odt", ODS: "ods"}
ACCEPTED = "PDF, DOCX, XLSX, ODT, ODS, PNG or JPEG"

# The content type of the main part of each Office Open XML type, as [Content_Types].xml declares it.
OOXML_MAIN = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
}
ODF_TYPES = {ODT.encode(): ODT, ODS.encode(): ODS}
CONTENT_TYPE_ATTRIBUTE = re.compile(rb'ContentType\s*=\s*"([^"]*)"')
# Read no more than this of an archive's small entries: a ZIP bomb is not unpacked.
ENTRY_READ_LIMIT = 256 * 1024


def _zip_type(file: BinaryIO) -> str | None:
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                with archive.open("mimetype") as entry:
                    return ODF_TYPES.get(entry.read(100).strip())
            if "[Content_Types].xml" in names:
                with archive.open("[Content_Types].xml") as entry:
                    declared = CONTENT_TYPE_ATTRIBUTE.findall(entry.read(ENTRY_READ_LIMIT))
                found = {
                    OOXML_MAIN[t.decode("ascii", "replace")]
                    for t in declared
                    if t.decode("ascii", "replace") in OOXML_MAIN
                }
                return found.pop() if len(found) == 1 else None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError, ValueError):
        return None
    return None


def media_type_of(file: BinaryIO) -> str | None:
    """The type of the file's content, or None when it is none of the accepted ones. Leaves the file at 0."""
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    found: str | None = None
    if head.startswith(b"%PDF-"):
        found = PDF
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        found = PNG
    elif head.startswith(b"\xff\xd8\xff"):
        found = JPEG
    elif head.startswith(b"PK\x03\x04"):
        found = _zip_type(file)
    file.seek(0)
    return found


FORM_ESCAPES = {"%22": '"', "%0D": "\r", "%0A": "\n"}
UNSAFE = re.compile(r'[\x00-\x1f\x7f-\x9f"\\/:*?<>|;]+')


# Characters that are not seen but change what is seen: every format character (Unicode category Cf: the
# direction controls U+202A–U+202E, U+2066–U+2069, U+200E, U+200F and U+061C, the zero-width U+200B–U+200D,
# U+2060 and U+FEFF, the soft hyphen, tags…) and the line and paragraph separators. "report\u202eexe.pdf"
# shows as "reportfdp.exe".
INVISIBLE_CATEGORIES = frozenset({"Cf", "Zl", "Zp"})


def without_invisible(text: str) -> str:
    """``text`` without the characters of :data:`INVISIBLE_CATEGORIES`."""
    if text.isascii():
        return text
    return "".join(c for c in text if unicodedata.category(c) not in INVISIBLE_CATEGORIES)


def stored_filename(uploaded: str | None, media_type: str) -> str:
    """The name a document keeps: the uploaded name's last path segment, without invisible characters
    (direction controls, zero-width and other format characters), with control characters, quotes and
    separators replaced, its extension that of the type found in the content (a PDF uploaded as
    ``report.docx`` is ``report.pdf``)."""
    name = without_invisible((uploaded or "").replace("\\", "/").rsplit("/", 1)[-1])
    for encoded, char in FORM_ESCAPES.items():  # how browsers and HTTP clients send these in a form
        name = name.replace(encoded, char)
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = UNSAFE.sub("_", unicodedata.normalize("NFC", stem)).strip(" ._") or "document"
    return f"{stem[:200]}.{EXTENSIONS[media_type]}"


def ascii_filename(name: str) -> str:
    """An ASCII stand-in for clients that ignore ``filename*``: accents dropped, anything else as ``_``."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"[^A-Za-z0-9._ ()-]+", "_", folded).strip(" ._")
    return cleaned if "." in cleaned and not cleaned.startswith(".") else f"document{_extension(name)}"


def _extension(name: str) -> str:
    return f".{name.rsplit('.', 1)[-1]}" if "." in name else ""


def content_disposition(name: str) -> str:
    """``attachment`` with an ASCII ``filename`` and the exact name as ``filename*`` (RFC 6266, 8187)."""
    return f"attachment; filename=\"{ascii_filename(name)}\"; filename*=UTF-8''{quote(name, safe='')}"
