"""Validators and fields shared by every area's forms."""

from __future__ import annotations

from typing import Any

from wtforms import Field, Form
from wtforms.validators import ValidationError


def strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def unix_newlines(value: Any) -> Any:
    """Browsers send textarea line breaks as CRLF; store plain LF."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


def single_line(form: Form, field: Field) -> None:
    """Refuse CR, LF and other control characters in fields that may reach a mail header."""
    if isinstance(field.data, str) and any(ord(c) < 32 or c in "\x7f\u2028\u2029\x85" for c in field.data):
        raise ValidationError("Use a single line, without line breaks or control characters.")
