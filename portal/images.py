"""Uploaded pictures (people's photos, sponsors' logos): checked as real images with Pillow, then re-encoded.

A file is read only if Pillow recognises one of the formats below from its bytes (its name and the browser's
content type count for nothing), and only up to ``MAX_PIXELS``: a decompression bomb (a small file that would
unpack to gigapixels) is refused before it is decoded. What is kept is never the upload: the pixels are drawn
again into a new WebP file, so EXIF (camera, GPS location), XMP, ICC profiles, comments and anything appended to
the file are gone. Pure: no Flask, no database.
"""

from __future__ import annotations

import io
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from portal.domain import DomainError

#: The formats an upload may be in (what cameras, phones and design tools write).
FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
#: Larger images are refused unread: 40 megapixels (7,700 x 5,200) is far more than any page shows.
MAX_PIXELS = 40_000_000
CONTENT_TYPE = "image/webp"


class ImageRefused(DomainError):
    """The upload is not an image the portal can use; the message says why, for the form."""


@dataclass(frozen=True)
class Picture:
    data: bytes
    width: int
    height: int
    content_type: str = CONTENT_TYPE


@contextmanager
def _damaged_exif_read_as_far_as_it_goes() -> Iterator[None]:
    """EXIF that Pillow cannot read whole (a tag pointing past the end of the file, a directory cut short: a phone's
    or an editor's bug) is read as far as it goes, without the warning Pillow's EXIF reader (``TiffImagePlugin``,
    for every format) gives for each such upload. The EXIF is never kept; what was read serves for the orientation
    only, an orientation it does not hold is no turn."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.TiffImagePlugin")
        yield


def _open(data: bytes, what: str) -> Image.Image:
    if not data:
        raise ImageRefused(f"The {what} is empty: choose a JPEG, PNG, WebP or GIF picture.")
    try:
        with _damaged_exif_read_as_far_as_it_goes():
            # Pillow warns past MAX_IMAGE_PIXELS and raises past twice that; both are refusals here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
            if image.width * image.height > MAX_PIXELS:
                raise ImageRefused(
                    f"The {what} is {image.width:,} x {image.height:,} pixels, more than the "
                    f"{MAX_PIXELS / 1_000_000:g} megapixels the portal takes: make it smaller and upload it again."
                )
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRefused(
            f"The {what} would unpack to more pixels than the portal takes ({MAX_PIXELS / 1_000_000:g} megapixels): "
            "upload a smaller picture."
        ) from exc
    except ImageRefused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageRefused(
            f"The {what} is not a picture the portal can read (JPEG, PNG, WebP or GIF), whatever its name says: "
            "choose another file."
        ) from exc
    return image


#: How a picture stands up from its EXIF orientation (1, or any other value: as it is stored).
_TURNS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _upright(image: Image.Image) -> Image.Image:
    """A phone's portrait photo stands up: the EXIF orientation is the one thing read from the EXIF, which is never
    kept. (``ImageOps.exif_transpose`` writes the rest of the EXIF back into the picture, and failed with a
    ``TypeError`` or ``struct.error`` on a damaged tag.) EXIF that cannot be read at all leaves it as stored."""
    try:
        with _damaged_exif_read_as_far_as_it_goes():
            orientation = image.getexif().get(ExifTags.Base.Orientation)
    except (SyntaxError, ValueError, TypeError, KeyError, IndexError, struct.error, OSError, EOFError):
        return image
    turn = _TURNS.get(orientation) if isinstance(orientation, int) else None
    return image.transpose(turn) if turn is not None else image


def _rgb(image: Image.Image, *, keep_alpha: bool) -> Image.Image:
    image = _upright(image)
    if getattr(image, "n_frames", 1) > 1:
        image.seek(0)  # an animated GIF: its first frame
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    if image.mode == "P" and has_alpha:
        # (a palette's transparency given per colour, as PNG's tRNS does, is read through RGBA: Pillow warns on
        # going from the palette straight to RGB; the pixels are the same)
        image = image.convert("RGBA")
    return image.convert("RGBA" if keep_alpha and has_alpha else "RGB")


def _webp(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "WEBP", quality=82, method=4)  # no exif=, icc_profile= or xmp=: none is written
    return out.getvalue()


def squares(data: bytes, sizes: tuple[int, ...], what: str = "photo") -> list[Picture]:
    """A photo as squares of ``sizes`` pixels (centred crop), WebP, in the order given."""
    image = _rgb(_open(data, what), keep_alpha=False)
    out = []
    for size in sizes:
        square = ImageOps.fit(image, (size, size), Image.Resampling.LANCZOS)
        out.append(Picture(_webp(square), size, size))
    return out


def fit(data: bytes, width: int, height: int, what: str = "logo") -> Picture:
    """A logo within ``width`` x ``height`` pixels, its proportions and transparency kept, never enlarged; WebP."""
    image = _rgb(_open(data, what), keep_alpha=True)
    image.thumbnail((width, height), Image.Resampling.LANCZOS)
    return Picture(_webp(image), image.width, image.height)


#: The largest upload read (a phone's photo is 2 to 6 MB); a larger one is refused with its size, unread.
MAX_BYTES = 8 * 1024 * 1024


def read_upload(stream: io.IOBase | None, what: str) -> bytes | None:
    """An uploaded file's bytes, read up to ``MAX_BYTES``; None when no file was chosen."""
    if stream is None:
        return None
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ImageRefused(f"The {what} is larger than {MAX_BYTES // (1024 * 1024)} MB: upload a smaller picture.")
    return data or None
