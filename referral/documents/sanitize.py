"""What an uploaded file is, decided by its bytes, and a copy of it without what it tells about
where and by whom it was made.

The user's file name and the browser's content type are never trusted: the bytes name the type
(``filetype``'s signatures), and the structure must then hold up (a PDF opens with pypdf, an
image decodes with Pillow, a DOCX/ODT is a zip with the parts and content types its format
requires). Anything else is refused, a renamed executable among them.

Images are decoded and encoded again (``_images``), so nothing but pixels survives: EXIF with
its GPS position, camera and time, XMP, and a colour profile's text go. PDFs lose their
document information and XMP, and office files their author, dates and software (``_office``),
when that can be done without changing the content (a signed or encrypted PDF is kept as it
is). ``removed`` says what was there, for the page.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import filetype
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from referral.documents._refusals import Refused, damaged

__all__ = ["REMOVED_LABELS", "Refused", "Sanitized", "kind_of", "sanitize"]

REMOVED_LABELS = {
    "gps": _l("location (GPS position)"),
    "device": _l("camera or device"),
    "time": _l("dates and times"),
    "author": _l("author's name"),
    "software": _l("software used"),
    "title": _l("title"),
    "comments": _l("description, subject or keywords"),
    "xmp": _l("embedded XMP details"),
    "other": _l("other embedded details"),
}

MIME = {
    "pdf": ("application/pdf", "pdf"),
    "jpeg": ("image/jpeg", "jpg"),
    "png": ("image/png", "png"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "odt": ("application/vnd.oasis.opendocument.text", "odt"),
}
DOCX_MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
ODT_MIME = b"application/vnd.oasis.opendocument.text"
ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Sanitized:
    kind: str
    mime: str
    extension: str
    data: bytes
    removed: tuple[str, ...]
    thumbnail: bytes | None


def _not_accepted() -> Refused:
    return Refused(_("This type of file is not accepted: attach a PDF, a JPEG, PNG or HEIC "
                     "photo, or a DOCX or ODT document."))


def _zip_kind(data: bytes) -> str:
    """"docx" or "odt" when the zip has that format's required parts, else refused."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if names and names[0] == "mimetype":
                if archive.read("mimetype").strip() == ODT_MIME and "content.xml" in names:
                    return "odt"
                raise _not_accepted()
            if ("[Content_Types].xml" in names and "word/document.xml" in names
                    and DOCX_MAIN in archive.read("[Content_Types].xml")):
                return "docx"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError,
            NotImplementedError, EOFError):
        raise damaged() from None
    raise _not_accepted()


def kind_of(data: bytes) -> str:
    """The file's type from its bytes: "pdf", "jpeg", "png", "heic", "docx" or "odt"."""
    guess = filetype.guess(data[:8192])
    extension = guess.extension if guess else ""
    if extension == "pdf" or data[:1024].lstrip().startswith(b"%PDF-"):
        return "pdf"
    if extension == "jpg" and data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if extension == "png" and data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if extension == "heic" or (guess is not None and guess.mime == "image/heif"):
        return "heic"
    if data.startswith(ZIP_MAGIC):
        return _zip_kind(data)
    raise _not_accepted()


def sanitize(data: bytes, *, max_bytes: int) -> Sanitized:
    """The file, checked and stripped of its metadata; ``Refused`` when it is empty, too large,
    of a type not accepted, or not the type its bytes claim."""
    if not data:
        raise Refused(_("The file is empty."))
    if len(data) > max_bytes:
        limit = max(1, round(max_bytes / (1 << 20)))
        raise Refused(_("The file is larger than the limit of %(limit)s MB.", limit=limit))
    kind = kind_of(data)
    if kind in ("jpeg", "png", "heic"):
        from referral.documents import _images

        kind, clean, removed, thumbnail = _images.reencode(data, kind)
    else:
        from referral.documents import _office

        clean, removed = _office.strip(data, kind, max_bytes=max_bytes)
        thumbnail = None
    mime, extension = MIME[kind]
    return Sanitized(kind=kind, mime=mime, extension=extension, data=clean,
                     removed=tuple(sorted(set(removed))), thumbnail=thumbnail)
