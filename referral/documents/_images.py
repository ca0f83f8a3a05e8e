"""Photos and scans re-encoded from their pixels, so that no metadata survives.

Pillow decodes the image (which proves it is one), turns it upright by its EXIF orientation,
converts a colour profile to sRGB and drops it, and encodes the pixels again with an empty
``info``: EXIF (GPS position, camera, serial numbers, times), XMP, IPTC, JPEG comments and PNG
text chunks are not written. HEIC (phones' default) is stored as JPEG, which every browser shows.
What was found is reported by code (sanitize.REMOVED_LABELS).
"""

from __future__ import annotations

import io
import warnings

from flask_babel import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from referral.documents._refusals import Refused, damaged

MAX_PIXELS = 80_000_000  # a 12,000 x 6,600 scan; larger is a decompression bomb, not a photo
THUMBNAIL = (320, 320)
GPS_IFD, EXIF_IFD = 0x8825, 0x8769
# EXIF tags by what they tell (TIFF/EXIF 2.32 tag numbers).
TAGS = {
    0x010E: "comments", 0x010F: "device", 0x0110: "device", 0x0131: "software",
    0x0132: "time", 0x013B: "author", 0x8298: "author", 0x9C9B: "title", 0x9C9C: "comments",
    0x9C9D: "author", 0x9C9E: "comments", 0x9C9F: "comments",
    0x9003: "time", 0x9004: "time", 0x9010: "time", 0x9011: "time", 0x9012: "time",
    0x9286: "comments", 0x927C: "device", 0xA430: "author", 0xA431: "device",
    0xA433: "device", 0xA434: "device", 0xA435: "device",
}
XMP_HINTS = {b"GPS": "gps", b"tiff:Make": "device", b"tiff:Model": "device",
             b"CreateDate": "time", b"DateTimeOriginal": "time", b"ModifyDate": "time",
             b"CreatorTool": "software", b"dc:creator": "author", b"dc:title": "title",
             b"dc:description": "comments"}
PNG_TEXT = {"author": "author", "software": "software", "creation time": "time",
            "title": "title", "comment": "comments", "description": "comments",
            "copyright": "author", "source": "device"}
_heif_ready = False


def _open(data: bytes, kind: str) -> Image.Image:
    global _heif_ready
    if kind == "heic" and not _heif_ready:
        import pillow_heif

        pillow_heif.register_heif_opener()
        _heif_ready = True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise Refused(_("The image is too large: scan or photograph it at a lower "
                                "resolution."))
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError,
            Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise damaged() from None
    return image


def found_metadata(image: Image.Image) -> set[str]:
    """Codes of what the image's metadata tells (before it is dropped)."""
    found: set[str] = set()
    exif = image.getexif()
    tags = dict(exif)
    if exif.get_ifd(GPS_IFD) or GPS_IFD in tags:
        found.add("gps")
    tags.update(exif.get_ifd(EXIF_IFD))
    found.update(TAGS[tag] for tag in tags if tag in TAGS)
    xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
    if xmp:
        raw = xmp if isinstance(xmp, bytes) else str(xmp).encode()
        found.add("xmp")
        found.update(code for hint, code in XMP_HINTS.items() if hint in raw)
    if image.info.get("comment"):
        found.add("comments")
    if image.info.get("photoshop"):  # IPTC: captions, bylines, places
        found.add("other")
    if image.format == "PNG":  # text chunks (tEXt, iTXt, zTXt) are the string values
        found.update(PNG_TEXT.get(name.lower(), "other") for name, value in image.info.items()
                     if isinstance(value, str) and not name.startswith("XML:"))
    return found


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """Pixels in sRGB, without the profile (whose text may name the device)."""
    if image.mode not in ("RGB", "RGBA", "CMYK", "L", "LA", "P", "1"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    if icc and image.mode in ("RGB", "RGBA", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            mode = "RGBA" if image.mode == "RGBA" else "RGB"
            converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"),
                                                  outputMode=mode)
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # an unreadable profile: the pixels as they are, which every viewer shows
    if image.mode == "CMYK":
        return image.convert("RGB")
    return image


def _encode(image: Image.Image, kind: str) -> bytes:
    transparency = image.info.get("transparency")
    image.info = {}  # Pillow writes some of info back (PNG's profile, JPEG's comment)
    out = io.BytesIO()
    if kind == "png":
        extra = {} if transparency is None else {"transparency": transparency}
        image.save(out, format="PNG", optimize=False, **extra)
    else:
        if image.mode not in ("RGB", "L"):
            image = _flatten(image)
        image.save(out, format="JPEG", quality=90, optimize=True)
    return out.getvalue()


def _flatten(image: Image.Image) -> Image.Image:
    """RGB for JPEG: transparent parts on white."""
    if image.mode in ("RGBA", "LA", "P", "PA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def thumbnail(clean: bytes) -> bytes:
    """A small JPEG for the list, made from the stripped copy."""
    with Image.open(io.BytesIO(clean)) as image:
        image.thumbnail(THUMBNAIL)
        small = _flatten(image) if image.mode != "RGB" else image.copy()
    small.info = {}
    out = io.BytesIO()
    small.save(out, format="JPEG", quality=80)
    return out.getvalue()


def reencode(data: bytes, kind: str) -> tuple[str, bytes, set[str], bytes]:
    """(stored kind, clean bytes, removed codes, thumbnail); HEIC becomes JPEG."""
    image = _open(data, kind)
    removed = found_metadata(image)
    stored = "png" if kind == "png" else "jpeg"
    upright = ImageOps.exif_transpose(image) or image
    clean = _encode(_to_srgb(upright, image.info.get("icc_profile")), stored)
    return stored, clean, removed, thumbnail(clean)
