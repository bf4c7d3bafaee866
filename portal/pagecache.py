"""The public pages for anonymous visitors, served from memory.

A WSGI middleware in front of Flask: a GET of a public page (the ``public`` blueprint's pages without
arguments, and without a query string: home, call for papers, speakers, organizers, accepted papers) from a
visitor without a session or remember-me cookie is answered from a copy at most ``PUBLIC_CACHE_SECONDS``
old, without a request context, a session or a database query. Only a 200 answer that sets no cookie and
is not ``no-store`` is kept, so nothing personal can be stored. Any commit in this process drops every
copy (a chair's content edit shows at once here); other processes see it within ``PUBLIC_CACHE_SECONDS``.
Signed-in people always get live pages. At most ``MAX_ENTRIES`` copies are kept (one per host and page).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

_caches: weakref.WeakSet[PageCache] = weakref.WeakSet()
MAX_ENTRIES = 64


class PageCache:
    def __init__(self, app: Flask, wsgi_app: Callable[..., Iterable[bytes]], seconds: float) -> None:
        self.app, self.wsgi_app, self.seconds = app, wsgi_app, seconds
        self.cookies = tuple(
            f"{name}=" for name in (app.config["SESSION_COOKIE_NAME"], app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))
        )
        self.entries: dict[tuple[str, ...], tuple[float, str, list[tuple[str, str]], bytes]] = {}
        self._paths: frozenset[str] | None = None
        self._lock = threading.Lock()
        self.generation = 0  # moves on at each clear(): a page rendered before an edit is not kept after it

    @property
    def paths(self) -> frozenset[str]:
        if self._paths is None:
            self._paths = frozenset(
                rule.rule
                for rule in self.app.url_map.iter_rules()
                if rule.endpoint.startswith("public.") and not rule.arguments and "GET" in (rule.methods or ())
            )
        return self._paths

    def clear(self) -> None:
        with self._lock:
            self.entries.clear()
            self.generation += 1

    def _key(self, environ: dict[str, Any]) -> tuple[str, ...] | None:
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("PATH_INFO") not in self.paths or environ.get("QUERY_STRING"):
            return None
        cookie = environ.get("HTTP_COOKIE", "")
        if cookie and any(name in cookie for name in self.cookies):
            return None
        where = ("wsgi.url_scheme", "HTTP_HOST", "SCRIPT_NAME", "PATH_INFO")
        return tuple(environ.get(name, "") for name in where)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        key = self._key(environ)
        if key is None:
            return self.wsgi_app(environ, start_response)
        now, generation = time.monotonic(), self.generation
        entry = self.entries.get(key)
        if entry is not None and now - entry[0] < self.seconds:
            _, status, headers, body = entry
            start_response(status, headers)
            return [body]
        captured: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], Any]:
            captured[:] = [status, headers]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        result = self.wsgi_app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        status, headers = captured
        names = {name.lower(): value for name, value in headers}
        if status.startswith("200 ") and "set-cookie" not in names and "no-store" not in names.get("cache-control", ""):
            with self._lock:
                if generation == self.generation:
                    if len(self.entries) >= MAX_ENTRIES:  # hosts a client made up: start afresh, never grow
                        self.entries.clear()
                    self.entries[key] = (now, status, headers, body)
        return [body]


def init_app(app: Flask) -> None:
    seconds = float(app.config.get("PUBLIC_CACHE_SECONDS") or 0)
    if seconds <= 0:
        return
    cache = PageCache(app, app.wsgi_app, seconds)
    app.wsgi_app = cache  # type: ignore[method-assign]
    app.extensions["portal.pagecache"] = cache
    _caches.add(cache)


@event.listens_for(Session, "after_commit")
def _drop_copies(_session: Session) -> None:
    for cache in list(_caches):
        cache.clear()
