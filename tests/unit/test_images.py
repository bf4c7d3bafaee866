"""Uploaded pictures are read only when they are images, never past the pixel limit, and kept re-encoded: the
EXIF (GPS location included) and anything hidden in the file are gone, the sizes are the pages'."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from portal import images
from portal.images import ImageRefused


def jpeg_with_location(width: int = 640, height: int = 480) -> bytes:
    """A camera-like JPEG: EXIF with the camera's make and a GPS position (Lisbon)."""
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    gps = {1: "N", 2: (38.0, 42.0, 0.0), 3: "W", 4: (9.0, 8.0, 0.0)}
    exif[0x8825] = gps  # GPSInfo
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def png_of(width: int, height: int, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height)).save(out, "PNG")
    return out.getvalue()


def bomb_png(width: int = 30_000, height: int = 30_000) -> bytes:
    """A PNG that says it is 900 megapixels, in a few bytes: its header alone, and one tiny compressed row."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b"")


def test_a_photo_is_kept_as_two_webp_squares_without_its_exif_or_location() -> None:
    original = jpeg_with_location()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the upload has a GPS position
    small, large = images.squares(original, (96, 192))
    for picture, size in ((small, 96), (large, 192)):
        kept = Image.open(io.BytesIO(picture.data))
        assert (kept.format, kept.size, picture.content_type) == ("WEBP", (size, size), "image/webp")
        assert dict(kept.getexif()) == {}
        assert "exif" not in kept.info and "xmp" not in kept.info and "icc_profile" not in kept.info
        assert b"SpyCam" not in picture.data and b"GPS" not in picture.data


def jpeg_with_exif(*entries: tuple[int, int, int, bytes], tail: bytes = b"", declared: int | None = None) -> bytes:
    """A 64 x 48 JPEG whose EXIF is written by hand: one directory of ``entries`` (tag, type, count, 4 bytes of value
    or offset; ``declared`` of them, said its count), little-endian, then ``tail``: damaged as a test wants it."""
    body = b"II*\0" + struct.pack("<IH", 8, len(entries) if declared is None else declared)
    body += b"".join(struct.pack("<HHI", tag, kind, count) + value for tag, kind, count, value in entries)
    body += struct.pack("<I", 0) + tail
    app1 = b"Exif\0\0" + body
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
    plain = out.getvalue()
    return plain[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + plain[2:]


TURNED = (0x0112, 3, 1, struct.pack("<HH", 6, 0))  # Orientation: turned a quarter (a phone held upright)
DAMAGED_EXIF = {
    # Pillow warned "Tag data larger than file. Skipping tag 271" (UserWarning)
    "a tag past the end": jpeg_with_exif(TURNED, (0x010F, 2, 100, struct.pack("<I", 500))),
    # Pillow warned "Corrupt EXIF data.  Expecting to read 12 bytes but only got 4." (UserWarning)
    "a directory cut short": jpeg_with_exif(TURNED, declared=9),
    # StripByteCounts as text: ImageOps.exif_transpose wrote the EXIF back after the turn and raised struct.error
    "a tag of the wrong type": jpeg_with_exif(TURNED, (279, 2, 8, struct.pack("<I", 38)), tail=b"SpyCam\0\0"),
}


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("damage", DAMAGED_EXIF)
def test_a_photo_with_damaged_exif_is_kept_upright_without_it_and_warns_nothing(damage: str) -> None:
    upload = DAMAGED_EXIF[damage]
    small, large = images.squares(upload, (96, 192))
    logo = images.fit(upload, 200, 200)
    assert (logo.width, logo.height) == (48, 64)  # (64 x 48 as stored, turned upright by what the EXIF could tell)
    for picture in (small, large, logo):
        kept = Image.open(io.BytesIO(picture.data))
        assert kept.format == "WEBP" and dict(kept.getexif()) == {} and "exif" not in kept.info
        assert b"SpyCam" not in picture.data


@pytest.mark.filterwarnings("error")
def test_a_palette_picture_with_a_transparency_per_colour_is_kept_and_warns_nothing() -> None:
    """A PNG whose palette gives each colour its own transparency (tRNS): Pillow warned on turning it into the
    photo's RGB ("Palette images with Transparency expressed in bytes should be converted to RGBA images")."""
    palette = Image.new("P", (50, 40), 1)
    palette.putpalette([0, 0, 0, 200, 30, 30] + [0] * 762)
    palette.paste(0, (0, 0, 10, 10))  # a transparent corner
    out = io.BytesIO()
    palette.save(out, "PNG", transparency=bytes([0, 255] + [255] * 254))
    (photo,) = images.squares(out.getvalue(), (96,))
    shown = Image.open(io.BytesIO(photo.data)).convert("RGB").getpixel((48, 48))
    assert max(abs(a - b) for a, b in zip(shown, (200, 30, 30), strict=True)) <= 3  # (the colour, as WebP keeps it)
    logo = images.fit(out.getvalue(), 200, 200)
    assert Image.open(io.BytesIO(logo.data)).getpixel((0, 0))[3] == 0  # (the logo keeps its transparency)


def test_bytes_appended_to_an_image_are_not_kept() -> None:
    hidden = png_of(300, 300) + b"<?php system($_GET['c']); ?>"
    (picture,) = images.squares(hidden, (96,))
    assert b"php" not in picture.data


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n",  # a PDF named photo.jpg
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",  # SVG: scripts, never taken
        b"\xff\xd8\xff\xe0" + b"\0" * 64,  # a JPEG's first bytes and nothing of a picture after them
        b"GIF89a" + b"\xff" * 10,
        b"",
    ],
    ids=["pdf", "svg", "truncated-jpeg", "broken-gif", "empty"],
)
def test_a_file_that_is_no_image_is_refused_whatever_its_name(data: bytes) -> None:
    with pytest.raises(ImageRefused) as refused:
        images.squares(data, (96,))
    assert "JPEG, PNG, WebP or GIF" in str(refused.value)


def test_a_decompression_bomb_is_refused_unread() -> None:
    data = bomb_png()
    assert len(data) < 200
    with pytest.raises(ImageRefused) as refused:
        images.squares(data, (96,))
    assert "megapixels" in str(refused.value)


def test_an_image_over_the_pixel_limit_is_refused_with_its_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(images, "MAX_PIXELS", 100 * 100)
    with pytest.raises(ImageRefused) as refused:
        images.squares(png_of(120, 100), (96,))
    assert str(refused.value) == (
        "The photo is 120 x 100 pixels, more than the 0.01 megapixels the portal takes: make it smaller and upload it again."
    )


def test_a_logo_keeps_its_proportions_and_transparency_and_is_never_enlarged() -> None:
    wide = images.fit(png_of(1200, 300, "RGBA"), 320, 160)
    assert (wide.width, wide.height) == (320, 80)
    assert Image.open(io.BytesIO(wide.data)).mode == "RGBA"
    small = images.fit(png_of(100, 50), 320, 160)
    assert (small.width, small.height) == (100, 50)
