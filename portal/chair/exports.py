"""Chairs: downloads of the submissions, reviews and decisions as CSV or JSON."""

from __future__ import annotations

from flask import render_template
from werkzeug.wrappers import Response

from portal.chair.blueprint import bp
from portal.services import exports
from portal.web import DOWNLOAD_CSP, me, require_workshop

MIMETYPES = {"csv": "text/csv", "json": "application/json"}  # Werkzeug adds "; charset=utf-8" to text/csv


@bp.get("/exports", endpoint="exports")
def exports_page() -> str:
    ws = require_workshop()
    return render_template(
        "chair/exports.html",
        ws=ws,
        exports=exports.EXPORTS,
        names={(k, f): exports.filename(ws, k, f) for k in exports.EXPORTS for f in MIMETYPES},
    )


@bp.get("/exports/<any(submissions, reviews, decisions):kind>.<any(csv, json):fmt>")
def export(kind: str, fmt: str) -> Response:
    ws = require_workshop()
    table = exports.build(me(), ws, kind)
    response = Response(exports.to_csv(table) if fmt == "csv" else exports.to_json(table), mimetype=MIMETYPES[fmt])
    response.headers.set("Content-Disposition", "attachment", filename=exports.filename(ws, kind, fmt))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    response.headers["Cache-Control"] = "no-store"
    return response
