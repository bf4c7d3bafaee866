"""Unbound extension singletons; ``create_app`` binds each one with ``init_app``."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import flask_limiter
from flask import Flask
from flask.wrappers import Response
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

log = logging.getLogger(__name__)

#: Storage URIs that are one Redis server, whose client takes the socket timeouts below.
_REDIS_SCHEMES = ("redis://", "rediss://", "redis+unix://")


def redis_address(url: str) -> str:
    """Where a Redis URL points, for a log line: its host and port (or its socket), never its password."""
    parts = urlsplit(url)
    if parts.hostname:
        return f"{parts.hostname}:{parts.port or 6379}"
    return parts.path or parts.scheme


class Limiter(flask_limiter.Limiter):
    """Flask-Limiter's limiter with Redis as a helper, not a single point of failure: when its storage cannot be
    reached, the limits are counted in each process's memory (Flask-Limiter's in-memory fallback: the same limits,
    per process) and the request goes on; Flask-Limiter asks the storage again after 1, 2, 4 ... 32 seconds and goes
    back to it. The operator reads one line when the storage goes and one when it is back, from each process."""

    def init_app(self, app: Flask) -> None:
        uri = app.config.get("RATELIMIT_STORAGE_URI") or ""
        if uri.startswith(_REDIS_SCHEMES):
            # A Redis that does not answer (a host gone, a firewall dropping packets) holds no request for long.
            timeout = app.config.get("REDIS_TIMEOUT", 2.0)
            app.config["RATELIMIT_STORAGE_OPTIONS"] = {
                "socket_connect_timeout": timeout,
                "socket_timeout": timeout,
                **app.config.get("RATELIMIT_STORAGE_OPTIONS", {}),
            }
        first = self not in app.extensions.get("limiter", set())
        super().init_app(app)
        # One Limiter serves every app the process creates (the tests create many): a new app starts on its own
        # storage, not in the fallback a former app's outage left it in.
        self._storage_dead = False
        self._reported_down = False
        scheme = uri.split("://")[0]
        self._storage_name = f"Redis at {redis_address(uri)}" if uri.startswith(_REDIS_SCHEMES) else f"{scheme} storage"
        if first:
            app.after_request(self._report_storage)

    def _report_storage(self, response: Response) -> Response:
        """After each request: say so when the limits have moved to this process's memory, or back."""
        if not (self.enabled and self.initialized):
            return response
        down = self.limiter.storage is not self.storage  # Flask-Limiter counts in its fallback storage
        if down != self._reported_down:
            self._reported_down = down
            if down:
                log.error(
                    "Rate limits: %s cannot be reached; until it answers, each process counts them on its own.",
                    self._storage_name,
                )
            else:
                log.warning("Rate limits: %s answers again; the limits are counted there.", self._storage_name)
        return response


csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see this page."
login_manager.login_message_category = "info"
mail = Mail()
migrate = Migrate()
# Limits are declared per route; storage comes from RATELIMIT_STORAGE_URI (memory:// or redis://...). Said here,
# not in the config: the one Limiter keeps the first app's choice of these for every app created after it.
limiter = Limiter(key_func=get_remote_address, in_memory_fallback_enabled=True, swallow_errors=True)
