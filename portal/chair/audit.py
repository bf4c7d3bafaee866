"""The audit log: every chair action, searchable."""

from __future__ import annotations

from flask import render_template, request

from portal.chair.blueprint import bp
from portal.services import audit
from portal.web import me, require_workshop


@bp.get("/audit", endpoint="audit")
def audit_log() -> str:
    ws = require_workshop()
    q = (request.args.get("q") or "").strip()[:200]
    kind = request.args.get("kind") if request.args.get("kind") in audit.ACTIONS else None
    found = audit.events(me(), q=q, kind=kind, page=min(request.args.get("page", 1, type=int) or 1, 10**6))
    return render_template(
        "chair/audit.html",
        ws=ws,
        events=found.events,
        q=q,
        kind=kind,
        kinds=audit.ACTIONS,
        page=found.page,
        pages=found.pages,
        total=found.total,
        summary=lambda e: audit.summary_for(e, me(), found.redact),
    )
