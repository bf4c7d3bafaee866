"""The audit log: every chair action, searchable."""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template, request

from portal.chair import bp
from portal.db import db, like_pattern
from portal.models import AuditEvent
from portal.permissions import authored_ids
from portal.services.audit import ACTIONS
from portal.web import me, require_workshop

PER_PAGE = 50


@bp.get("/audit")
def audit() -> str:
    ws = require_workshop()
    q = (request.args.get("q") or "").strip()[:200]
    kind = request.args.get("kind") if request.args.get("kind") in ACTIONS else None
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10**6))
    # A chair who is an author of a paper does not see what happened to it (who was assigned, the decision).
    stmt = sa.select(AuditEvent).where(sa.or_(AuditEvent.submission_id.is_(None),
                                              AuditEvent.submission_id.not_in(authored_ids(me()))))  # fmt: skip
    if q:
        pattern = like_pattern(q)
        stmt = stmt.where(sa.or_(sa.func.lower(AuditEvent.summary).like(pattern, escape="\\"),
                                 sa.func.lower(AuditEvent.actor_name).like(pattern, escape="\\")))  # fmt: skip
    if kind:
        stmt = stmt.where(AuditEvent.action.like(f"{kind}.%"))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(page, pages)
    events = db.session.scalars(stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                                .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()  # fmt: skip
    return render_template("chair/audit.html", ws=ws, events=events, q=q, kind=kind, kinds=ACTIONS, page=page,
                           pages=pages, total=total)  # fmt: skip
