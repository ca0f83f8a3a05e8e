"""Small real files of every accepted type, for the documents domain tests (made here, so
that these tests do not depend on the sanitising tests' helpers)."""

from __future__ import annotations

import io
import zipfile

from PIL import Image

GPS = {1: "N", 2: (43.0, 15.0, 30.5), 3: "E", 4: (76.0, 55.0, 12.25)}
EXECUTABLE = open("/bin/ls", "rb").read(8192)  # noqa: SIM115, PTH123 - a real executable


def _exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Apple"
    exif[0x0110] = "iPhone 15 Pro"
    exif.get_ifd(0x8825).update(GPS)
    return exif


def jpeg(color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A photo carrying a GPS position and the camera in its EXIF."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, format="JPEG", exif=_exif().tobytes())
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 40), (10, 10, 200)).save(out, format="PNG")
    return out.getvalue()


def heic() -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 120, 10)).save(out, format="HEIF", exif=_exif().tobytes(),
                                                    quality=80)
    return out.getvalue()


def pdf(author: str = "Officer Serikbayev") -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Author": author, "/Producer": "ScanSuite 9"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx() -> bytes:
    types = (b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
             b'content-types"><Override PartName="/word/document.xml" ContentType="application/'
             b'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
    core = (b'<?xml version="1.0" encoding="UTF-8"?><cp:coreProperties xmlns:cp="http://schemas.'
            b'openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/'
            b'dc/elements/1.1/"><dc:creator>Jane Doe</dc:creator></cp:coreProperties>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("word/document.xml", b'<w:document xmlns:w="urn:w"><w:body><w:p>'
                         b'Statement</w:p></w:body></w:document>')
        archive.writestr("docProps/core.xml", core)
    return out.getvalue()


def odt() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", b"application/vnd.oasis.opendocument.text",
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", b"<office:document-content/>",
                         compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("meta.xml", b'<?xml version="1.0"?><office:document-meta xmlns:office='
                         b'"urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>')
    return out.getvalue()


# name → (file name, bytes, the kind it is stored as)
ALL = {
    "pdf": ("report.pdf", pdf, "pdf"),
    "jpeg": ("injuries.jpg", jpeg, "jpeg"),
    "png": ("scan.png", png, "png"),
    "heic": ("IMG_0001.HEIC", heic, "jpeg"),
    "docx": ("intake.docx", docx, "docx"),
    "odt": ("outcome.odt", odt, "odt"),
}
