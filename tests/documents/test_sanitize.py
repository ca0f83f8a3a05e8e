"""Type by content and metadata stripped: a photo's GPS position, camera and time gone after
sanitising (read back with Pillow), HEIC stored as JPEG without them, PNG text and profiles
dropped, PDF information and XMP removed (a signed PDF kept as it is), DOCX/ODT properties
emptied; a renamed executable, a damaged file and an oversize one refused."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image, PngImagePlugin

from referral.documents.sanitize import REMOVED_LABELS, Refused, sanitize

LIMIT = 20 << 20
GPS = {1: "N", 2: (43.0, 15.0, 30.5), 3: "E", 4: (76.0, 55.0, 12.25)}
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
       b'22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
       b'exif:GPSLatitude="43,15.5N" xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
       b'xmp:CreatorTool="ShelterCam"/></rdf:RDF></x:xmpmeta>')


def _exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Apple"
    exif[0x0110] = "iPhone 15 Pro"
    exif[0x0131] = "17.1.2"
    exif[0x0132] = "2026:03:04 05:06:07"
    exif[0x013B] = "Officer Serikbayev"
    if orientation:
        exif[0x0112] = orientation
    exif.get_ifd(0x8825).update(GPS)
    exif.get_ifd(0x8769).update({0x9003: "2026:03:04 05:06:07", 0xA431: "SN-99881"})
    return exif


def photo_with_gps(size: tuple[int, int] = (64, 48), orientation: int | None = None) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=_exif(orientation).tobytes(), xmp=XMP,
               comment=b"taken at the shelter")
    return out.getvalue()


def _assert_no_metadata(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        assert len(exif) == 0 and not exif.get_ifd(0x8825)
        assert not {"exif", "xmp", "comment", "icc_profile", "XML:com.adobe.xmp"} & set(image.info)
    for needle in (b"Exif\x00\x00", b"iPhone", b"Apple", b"2026:03:04", b"Serikbayev",
                   b"GPSLatitude", b"ShelterCam", b"shelter", b"SN-99881"):
        assert needle not in data


def test_jpeg_with_gps_exif_is_stored_without_it(bare) -> None:
    original = photo_with_gps()
    with Image.open(io.BytesIO(original)) as image:  # the test photo does carry the position
        assert image.getexif().get_ifd(0x8825)[2] == GPS[2]
    clean = sanitize(original, max_bytes=LIMIT)
    assert (clean.kind, clean.mime, clean.extension) == ("jpeg", "image/jpeg", "jpg")
    _assert_no_metadata(clean.data)
    assert {"gps", "device", "time", "author", "software", "xmp", "comments"} <= set(
        clean.removed)
    assert set(clean.removed) <= set(REMOVED_LABELS)
    with Image.open(io.BytesIO(clean.data)) as image:
        assert image.size == (64, 48)
        assert image.getpixel((10, 10))[0] > 150  # the picture itself is kept
    # The thumbnail is made from the stripped copy: a small JPEG without metadata.
    assert clean.thumbnail is not None
    _assert_no_metadata(clean.thumbnail)
    with Image.open(io.BytesIO(clean.thumbnail)) as thumb:
        assert thumb.format == "JPEG" and max(thumb.size) <= 320


def test_a_photo_is_turned_upright_before_its_orientation_tag_goes(bare) -> None:
    clean = sanitize(photo_with_gps((80, 40), orientation=6), max_bytes=LIMIT)
    with Image.open(io.BytesIO(clean.data)) as image:
        assert image.size == (40, 80)
    assert len(sanitize(clean.data, max_bytes=LIMIT).removed) == 0  # nothing left to remove


def test_heic_is_stored_as_jpeg_without_its_exif(bare) -> None:
    import pillow_heif

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 120, 10)).save(out, format="HEIF",
                                                    exif=_exif().tobytes(), quality=80)
    heic = out.getvalue()
    assert heic[4:12] in (b"ftypheic", b"ftypmif1", b"ftypheix")
    clean = sanitize(heic, max_bytes=LIMIT)
    assert (clean.kind, clean.mime) == ("jpeg", "image/jpeg")
    assert clean.data.startswith(b"\xff\xd8\xff")
    _assert_no_metadata(clean.data)
    assert {"gps", "device", "time"} <= set(clean.removed)


def test_png_text_chunks_exif_and_profile_are_dropped(bare) -> None:
    from PIL import ImageCms

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jane Doe")
    info.add_text("Software", "ScanSuite 9")
    info.add_text("Creation Time", "2026-03-04")
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    Image.new("RGBA", (30, 20), (0, 0, 255, 128)).save(
        out, format="PNG", pnginfo=info, icc_profile=icc, exif=_exif().tobytes())
    clean = sanitize(out.getvalue(), max_bytes=LIMIT)
    assert (clean.kind, clean.extension) == ("png", "png")
    with Image.open(io.BytesIO(clean.data)) as image:
        assert image.mode == "RGBA" and image.getpixel((1, 1))[3] == 128
        assert not image.text and "icc_profile" not in image.info
        assert len(image.getexif()) == 0
    for needle in (b"Jane Doe", b"ScanSuite", b"iPhone", b"iCCP", b"eXIf", b"tEXt"):
        assert needle not in clean.data
    assert {"author", "software", "time", "gps", "device"} <= set(clean.removed)


def _pdf(**info: str) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata(info)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pdf_information_is_removed(bare) -> None:
    from pypdf import PdfReader

    original = _pdf(**{"/Author": "Officer Serikbayev", "/Producer": "ScanSuite 9",
                       "/CreationDate": "D:20260304050607", "/Title": "Forensic report"})
    clean = sanitize(original, max_bytes=LIMIT)
    assert (clean.kind, clean.mime, clean.thumbnail) == ("pdf", "application/pdf", None)
    reader = PdfReader(io.BytesIO(clean.data))
    assert len(reader.pages) == 1
    assert not {"/Author", "/Producer", "/CreationDate", "/Title"} & set(reader.metadata or {})
    for needle in (b"Serikbayev", b"ScanSuite", b"D:20260304", b"Forensic report"):
        assert needle not in clean.data
    assert {"author", "software", "time", "title"} <= set(clean.removed)


def test_a_signed_pdf_is_kept_byte_for_byte(bare) -> None:
    """Rewriting a signed PDF would break its signature: it is kept, nothing reported."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, NumberObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_pdf(**{"/Author": "Judge"}))))
    writer.root_object[NameObject("/AcroForm")] = DictionaryObject(
        {NameObject("/SigFlags"): NumberObject(3)})
    out = io.BytesIO()
    writer.write(out)
    clean = sanitize(out.getvalue(), max_bytes=LIMIT)
    assert clean.data == out.getvalue() and clean.removed == ()


def test_an_encrypted_pdf_is_kept_as_it_is(bare) -> None:
    """It cannot be rewritten without its password: kept, nothing reported as removed."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_pdf(**{"/Author": "Judge"}))))
    writer.encrypt(user_password="", owner_password="court-owner", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    clean = sanitize(out.getvalue(), max_bytes=LIMIT)
    assert (clean.kind, clean.data, clean.removed) == ("pdf", out.getvalue(), ())


CORE = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><cp:coreProperties xmlns:cp='
        b'"http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc='
        b'"http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>Intake of A.</dc:title>'
        b'<dc:creator>Jane Doe</dc:creator><cp:lastModifiedBy>John Roe</cp:lastModifiedBy>'
        b'<dcterms:created xsi:type="dcterms:W3CDTF">2026-03-04T05:06:07Z</dcterms:created>'
        b'</cp:coreProperties>')
APP = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Properties xmlns="http://'
       b'schemas.openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="http://'
       b'schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><Application>Microsoft '
       b'Office Word</Application><Company>Crisis Centre Almaty</Company><Pages>1</Pages>'
       b'</Properties>')
BODY = b'<w:document xmlns:w="urn:w"><w:body><w:p>Statement</w:p></w:body></w:document>'
TYPES = (b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
         b'content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.'
         b'openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')


def docx(core: bytes = CORE) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("[Content_Types].xml", (2026, 3, 4, 5, 6, 8)), TYPES)
        archive.writestr("word/document.xml", BODY)
        archive.writestr("docProps/core.xml", core)
        archive.writestr("docProps/app.xml", APP)
    return out.getvalue()


def test_docx_properties_are_emptied_and_its_text_kept(bare) -> None:
    clean = sanitize(docx(), max_bytes=LIMIT)
    assert clean.kind == "docx" and clean.extension == "docx"
    with zipfile.ZipFile(io.BytesIO(clean.data)) as archive:
        assert archive.read("word/document.xml") == BODY
        core, app = archive.read("docProps/core.xml"), archive.read("docProps/app.xml")
        assert {e.date_time for e in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    for needle in (b"Jane Doe", b"John Roe", b"2026-03-04", b"Intake of A."):
        assert needle not in core
    assert b"Crisis Centre" not in app and b"Microsoft" not in app and b"<Pages>1" in app
    assert {"author", "time", "title", "software"} <= set(clean.removed)


def odt() -> bytes:
    meta = (b'<?xml version="1.0" encoding="UTF-8"?><office:document-meta xmlns:office="urn:'
            b'oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:meta="urn:oasis:names:tc:'
            b'opendocument:xmlns:meta:1.0" office:version="1.3"><office:meta><meta:initial-'
            b'creator>Jane Doe</meta:initial-creator><meta:generator>LibreOffice/7.6</meta:'
            b'generator><meta:creation-date>2026-03-04T05:06:07</meta:creation-date></office:'
            b'meta></office:document-meta>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", b"application/vnd.oasis.opendocument.text",
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", b"<office:document-content/>",
                         compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("meta.xml", meta, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def test_odt_meta_is_emptied_with_mimetype_first_and_stored(bare) -> None:
    clean = sanitize(odt(), max_bytes=LIMIT)
    assert (clean.kind, clean.mime) == ("odt", "application/vnd.oasis.opendocument.text")
    with zipfile.ZipFile(io.BytesIO(clean.data)) as archive:
        first = archive.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        meta = archive.read("meta.xml")
    assert b"Jane Doe" not in meta and b"LibreOffice" not in meta and b'version="1.3"' in meta
    assert {"author", "software", "time"} <= set(clean.removed)


ELF = open("/bin/ls", "rb").read(4096)  # noqa: SIM115, PTH123 - a real executable's bytes


@pytest.mark.parametrize("data", [
    ELF,                                            # a renamed executable ("photo.jpg")
    b"MZ\x90\x00\x03" + bytes(200),                 # a Windows executable
    b"<html><script>alert(1)</script></html>",      # HTML
    b"plain text that says it is a PDF",
    zipfile.ZipFile.__name__.encode() * 3,
], ids=["elf", "exe", "html", "text", "junk"])
def test_anything_else_is_refused_by_its_content(bare, data: bytes) -> None:
    with pytest.raises(Refused, match="not accepted"):
        sanitize(data, max_bytes=LIMIT)


def test_a_zip_that_is_not_a_document_is_refused(bare) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.exe", ELF)
    with pytest.raises(Refused, match="not accepted"):
        sanitize(out.getvalue(), max_bytes=LIMIT)


@pytest.mark.parametrize("data", [
    b"\xff\xd8\xff\xe0" + bytes(300),                          # a JPEG header, no image
    b"\x89PNG\r\n\x1a\n" + bytes(300),
    b"%PDF-1.7\n" + b"garbage " * 50,
    docx()[:200],                                              # a document cut short
], ids=["jpeg", "png", "pdf", "docx"])
def test_a_file_whose_structure_does_not_hold_is_refused(bare, data: bytes) -> None:
    with pytest.raises(Refused, match="could not be read"):
        sanitize(data, max_bytes=LIMIT)


def test_empty_and_oversize_files_are_refused_in_the_users_language(bare) -> None:
    from flask_babel import force_locale

    with pytest.raises(Refused, match="empty"):
        sanitize(b"", max_bytes=LIMIT)
    with pytest.raises(Refused, match="limit of 1 MB"):
        sanitize(photo_with_gps() + bytes(2 << 20), max_bytes=1 << 20)
    with force_locale("ru"), pytest.raises(Refused) as refused:
        sanitize(ELF, max_bytes=LIMIT)
    assert refused.value.message.startswith("Файлы такого типа не принимаются")
