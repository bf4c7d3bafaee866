"""Response headers that every page carries."""

from __future__ import annotations

from flask import Flask, Response, request, session
from flask_login import current_user

#: Areas whose pages are private to the signed-in person: never stored by a shared cache or proxy.
PRIVATE_BLUEPRINTS = {"auth", "account", "members", "submissions", "settings", "review", "chair"}

CSP = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_nul() -> tuple[str, int] | None:
        """A query string or form holding a NUL character is refused before any view reads it: nobody types
        one, and PostgreSQL cannot store one (SQLite would, so the two would differ; PostgreSQL would 500)."""
        fields = (values for source in (request.args, request.form) for values in source.listvalues())
        if any("\x00" in value for values in fields for value in values):
            from portal.errors import render_error

            return render_error(
                400,
                "The form held a NUL character (U+0000), which this site cannot store. "
                "Nothing was saved: remove it and send the form again.",
            )
        return None

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        # A page that starts a session (a form's CSRF token, for an anonymous visitor too) is that visitor's:
        # a shared cache keeping it would hand one session cookie to everyone.
        if request.blueprint in PRIVATE_BLUEPRINTS or current_user.is_authenticated or session.modified:
            response.headers["Cache-Control"] = "no-store"
            response.vary.add("Cookie")
        return response
