"""Request- and URL-level helpers every layer may use: safe redirect targets, the client's address, absolute
links for anything sent out. They know Flask, not the workshop."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from flask import current_app, request


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


def is_web_address(url: str | None) -> bool:
    """``url`` is a plain web address another site's page may be linked by (``https://example.org/~ada``): http or
    https, a host, no space or control character. Every link the portal makes from stored text (a homepage, a
    sponsor's link, a video) asks this, on the way in and again on the way out (``web_link``)."""
    if not url:
        return False
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return False
    parts = urlsplit(url)
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def web_link(url: str | None) -> str | None:
    """``url`` when it may be a link's ``href`` (``is_web_address``), else None: a ``javascript:`` or ``data:``
    address that reached the database another way (an old row, a content file) is shown as no link at all."""
    return url if url and is_web_address(url) else None


def client_ip() -> str:
    """The client's address (behind a configured proxy, ProxyFix has already put the real one here)."""
    return (request.remote_addr or "unknown")[:64]


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
