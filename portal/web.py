"""Small helpers shared by the views of every blueprint."""

from __future__ import annotations

from flask import abort

from portal.models import Workshop
from portal.templating import workshop


def require_workshop() -> Workshop:
    """The workshop, or the 503 page on a database that has no content yet."""
    ws = workshop()
    if ws is None:
        abort(503)
    return ws
