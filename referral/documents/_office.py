"""PDF and office documents without their document metadata, where that is safe.

A PDF loses its document information (author, software, dates, title, subject, keywords) and its
XMP streams (pypdf rewrites it with the same pages). A signed PDF is kept byte for byte (any
rewrite breaks its signature, which a court may need), and so is an encrypted one (it cannot be
rewritten without its password). A DOCX gets an empty ``docProps/core.xml`` and ``app.xml``
without application, company and manager; an ODT an empty ``meta.xml``; the zip entries'
timestamps are reset. The text of the document is never touched.
"""

from __future__ import annotations

import io
import zipfile
from xml.etree import ElementTree

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

from referral.documents._refusals import damaged

PDF_INFO = {"/Author": "author", "/Creator": "software", "/Producer": "software",
            "/CreationDate": "time", "/ModDate": "time", "/Title": "title",
            "/Subject": "comments", "/Keywords": "comments"}
# Elements by local name (namespaces differ between OOXML and ODF) and what they tell.
META = {"creator": "author", "lastModifiedBy": "author", "initial-creator": "author",
        "created": "time", "modified": "time", "lastPrinted": "time", "creation-date": "time",
        "date": "time", "print-date": "time", "printed-by": "author", "generator": "software",
        "title": "title", "subject": "comments", "description": "comments",
        "keywords": "comments", "keyword": "comments", "category": "comments",
        "Application": "software", "AppVersion": "software", "Company": "author",
        "Manager": "author", "Template": "software", "user-defined": "other",
        "editing-duration": "time"}
APP_DROPPED = {"Application", "AppVersion", "Company", "Manager", "Template", "HyperlinkBase"}
EMPTY_CORE = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties xmlns:cp="'
    b'http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="'
    b'http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    b'xmlns:dcmitype="http://purl.org/dc/dcmitype/" '
    b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"></cp:coreProperties>')
ODF_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
EPOCH = (1980, 1, 1, 0, 0, 0)  # the zip format's earliest time: no entry tells when it was saved
MAX_ENTRIES = 10_000
PDF_ERRORS = (PyPdfError, ValueError, TypeError, KeyError, AttributeError, IndexError,
              AssertionError, RecursionError, OSError, ZeroDivisionError)


def strip(data: bytes, kind: str, *, max_bytes: int) -> tuple[bytes, set[str]]:
    if kind == "pdf":
        return _pdf(data)
    return _zip(data, kind, unpacked_limit=max(20 * max_bytes, 100 << 20))


def _pdf(data: bytes) -> tuple[bytes, set[str]]:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            return data, set()
        if len(reader.pages) == 0:
            raise damaged()
        root = reader.trailer["/Root"]
        form = root.get("/AcroForm")
        signed = "/Perms" in root or (form is not None and int(
            form.get_object().get("/SigFlags", 0)) & 1)
        found = {PDF_INFO.get(str(name), "other") for name in (reader.metadata or {})}
        if signed:
            return data, set()
        writer = PdfWriter(clone_from=reader)
        writer.metadata = None
        if "/Metadata" in writer.root_object:
            del writer.root_object["/Metadata"]
            found.add("xmp")
        for page in writer.pages:
            for name in ("/Metadata", "/PieceInfo"):
                if name in page:
                    del page[name]
                    found.add("xmp" if name == "/Metadata" else "software")
        out = io.BytesIO()
        writer.write(out)
    except PDF_ERRORS:
        raise damaged() from None
    return out.getvalue(), found


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _told(xml: bytes) -> set[str]:
    """What a metadata part tells: codes of its filled-in elements."""
    root = ElementTree.fromstring(xml)  # noqa: S314 - expat fetches no entities; size is bounded
    return {META.get(_local(el.tag), "other") for el in root.iter()
            if el is not root and (el.text or "").strip() and _local(el.tag) in META}


def _app_without_names(xml: bytes) -> bytes:
    """docProps/app.xml without who made it and with what (page and word counts stay)."""
    root = ElementTree.fromstring(xml)  # noqa: S314
    namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    ElementTree.register_namespace("", namespace)
    ElementTree.register_namespace(
        "vt", "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes")
    for child in list(root):
        if _local(child.tag) in APP_DROPPED:
            root.remove(child)
    return ElementTree.tostring(root, encoding="UTF-8", xml_declaration=True)


def _empty_meta(xml: bytes) -> bytes:
    root = ElementTree.fromstring(xml)  # noqa: S314
    version = root.get(f"{{{ODF_OFFICE}}}version", "1.2")
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-meta xmlns:office='
            f'"{ODF_OFFICE}" office:version="{version}"><office:meta/></office:document-meta>'
            ).encode()


def _replacement(name: str, content: bytes, kind: str, found: set[str]) -> bytes:
    if kind == "docx" and name == "docProps/core.xml":
        found.update(_told(content))
        return EMPTY_CORE
    if kind == "docx" and name == "docProps/app.xml":
        found.update(_told(content))
        return _app_without_names(content)
    if kind == "odt" and name == "meta.xml":
        found.update(_told(content))
        return _empty_meta(content)
    return content


def _zip(data: bytes, kind: str, *, unpacked_limit: int) -> tuple[bytes, set[str]]:
    found: set[str] = set()
    out = io.BytesIO()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as source:
            entries = source.infolist()
            if len(entries) > MAX_ENTRIES or sum(e.file_size for e in entries) > unpacked_limit:
                raise damaged()  # a zip bomb, not a document
            with zipfile.ZipFile(out, "w") as target:
                for entry in entries:
                    content = _replacement(entry.filename, source.read(entry), kind, found)
                    copy = zipfile.ZipInfo(entry.filename, date_time=EPOCH)
                    copy.compress_type = entry.compress_type
                    copy.external_attr = entry.external_attr
                    target.writestr(copy, content)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ElementTree.ParseError, KeyError,
            OSError, NotImplementedError, EOFError, ValueError):
        raise damaged() from None
    if any(e.date_time != EPOCH for e in entries):
        found.add("time")
    return out.getvalue(), found
