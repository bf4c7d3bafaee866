"""Small helpers shared by the views of every blueprint."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import sqlalchemy as sa
from flask import abort, current_app, request, send_file
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.db import db
from portal.models import StoredFile, User, Workshop
from portal.templating import workshop


def require_workshop() -> Workshop:
    """The workshop, or the 503 page on a database that has no content yet."""
    ws = workshop()
    if ws is None:
        # workshop() says None on a database error too: a database out of reach raises here, for its own 503 page
        db.session.execute(sa.select(1))
        abort(503)
    return ws


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site (``/account``), else None: no open redirect."""
    if not target:
        return None
    target = target.strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def client_ip() -> str:
    """The client's address (behind a configured proxy, ProxyFix has already put the real one here)."""
    return (request.remote_addr or "unknown")[:64]


def me() -> User:
    """The signed-in user as a model object (not Flask-Login's proxy), to hand to services."""
    return current_user._get_current_object()  # type: ignore[no-any-return, attr-defined]


ANCHOR_SAFE = "%!#$&'()*+,/:;=?@"  # the characters url_for leaves unquoted in an _anchor


def external_url(endpoint: str, **values: object) -> str:
    """An absolute link for anything sent out (mail, mostly): always under BASE_URL, never from the request,
    whose Host header the client chooses. Built without a request context, so it is the same in a view, a
    worker or a command; ``_anchor`` is the fragment. create_app makes sure BASE_URL is set."""
    base = urlsplit(current_app.config["BASE_URL"])
    anchor = values.pop("_anchor", None)
    current_app.inject_url_defaults(endpoint, values)
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    url = adapter.build(endpoint, values, force_external=True)
    return f"{url}#{quote(str(anchor), safe=ANCHOR_SAFE)}" if anchor is not None else url


DOWNLOAD_CSP = "default-src 'none'; sandbox"


def send_stored(file: StoredFile, name: str, *, public: bool = False) -> Response:
    """A stored file as an attachment under ``name`` (never the uploader's), sandboxed; private unless public."""
    from portal.storage import storage

    response = send_file(
        storage().open(file.storage_key),
        mimetype=file.content_type,
        as_attachment=True,
        download_name=name.lower(),
        etag=file.sha256,
        max_age=3600 if public else 0,
    )
    response.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    if not public:
        response.headers["Cache-Control"] = "private, no-store"
    return response
