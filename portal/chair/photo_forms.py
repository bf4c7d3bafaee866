"""The form of a person's photo page in the content editor."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SubmitField

from portal.images import MAX_BYTES


class PhotoForm(FlaskForm):
    photo = FileField(
        "Photo",
        description=f"JPEG, PNG, WebP or GIF, up to {MAX_BYTES // (1024 * 1024)} MB. It is cropped to a centred "
        "square and kept at 96 and 192 pixels, re-encoded: its EXIF data (camera, GPS location) is not kept.",
    )
    upload = SubmitField("Upload the photo")
    remove = SubmitField("Remove the photo")
