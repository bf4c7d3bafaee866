from __future__ import annotations

from flask import abort, render_template
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from portal import queries
from portal.db import db
from portal.models import DateKind, FileKind, PersonRole, Submission, Workshop
from portal.public.blueprint import bp
from portal.web import require_workshop, send_stored


@bp.get("/")
def home() -> str:
    ws = require_workshop()
    return render_template(
        "public/home.html",
        ws=ws,
        deadline=ws.date_of(DateKind.PAPER_DEADLINE),
        speakers=ws.people_in(PersonRole.SPEAKER),
    )


@bp.get("/call-for-papers")
def cfp() -> str:
    return render_template("public/cfp.html", ws=require_workshop())


@bp.get("/speakers")
def speakers() -> str:
    ws = require_workshop()
    return render_template(
        "public/speakers.html",
        ws=ws,
        speakers=ws.people_in(PersonRole.SPEAKER),
        panelists=ws.people_in(PersonRole.PANELIST),
    )


@bp.get("/organizers")
def organizers() -> str:
    ws = require_workshop()
    return render_template(
        "public/organizers.html",
        ws=ws,
        organizers=ws.people_in(PersonRole.ORGANIZER),
        steering=ws.people_in(PersonRole.STEERING),
    )


def _accepted(ws: Workshop) -> list[Submission]:
    return list(
        db.session.scalars(queries.accepted(ws).options(selectinload(Submission.authors), selectinload(Submission.revisions)))
    )


@bp.get("/accepted-papers")
def accepted() -> str:
    ws = require_workshop()
    groups: list[tuple[str, list[Submission]]] = []
    if ws.accepted_published:
        subs = _accepted(ws)
        for topic in ws.topics:
            mine = [s for s in subs if s.primary_topic_id == topic.id]
            if mine:
                groups.append((topic.title, mine))
    return render_template("public/accepted.html", ws=ws, groups=groups, FileKind=FileKind)


@bp.get("/accepted-papers/<int:number>.pdf")
def accepted_pdf(number: int) -> Response:
    """The camera-ready PDF of a published, accepted paper: public, served as an attachment."""
    ws = require_workshop()
    sub = next((s for s in _accepted(ws) if s.id == number), None) if ws.accepted_published else None
    final = sub.latest(FileKind.CAMERA_READY) if sub else None
    if final is None:
        abort(404)
    return send_stored(final.file, f"{ws.short_name}{ws.edition}-{sub.id}.pdf", public=True)
