"""The public program: by day in the workshop's time zone (the visitor's own added by static/js/program.js), each
item's page, and iCalendar feeds (the whole program and each item) for attendees' calendars."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, render_template
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from portal.db import db
from portal.models import Decision, ItemKind, ProgramItem, ProgramPerson, ProgramPoster, Submission, SubmissionState, Workshop
from portal.public.blueprint import bp
from portal.services import program
from portal.web import require_workshop, send_stored


def _published() -> Workshop:
    ws = require_workshop()
    if not program.is_public(ws):
        abort(404)
    return ws


def _item(ws: Workshop, item_id: int) -> ProgramItem:
    """The item with its people, its paper and its posters' papers and authors: as many statements for a poster
    session of 500 papers as of 5."""
    item = db.session.scalar(
        sa.select(ProgramItem)
        .where(ProgramItem.id == item_id)
        .options(
            selectinload(ProgramItem.session),
            selectinload(ProgramItem.people).selectinload(ProgramPerson.person),
            selectinload(ProgramItem.submission).selectinload(Submission.authors),
            selectinload(ProgramItem.posters).selectinload(ProgramPoster.submission).selectinload(Submission.authors),
        )
    )
    if item is None or item.session.workshop_id != ws.id or not item.is_public:
        abort(404)
    return item


@bp.get("/program", endpoint="program")
def program_page() -> str:
    ws = _published()
    sessions = program.sessions(ws)
    return render_template("public/program/index.html", ws=ws, days=program.by_day(ws, sessions), ItemKind=ItemKind)


@bp.get("/program/<int:item_id>")
def program_item(item_id: int) -> str:
    ws = _published()
    item = _item(ws, item_id)
    return render_template("public/program/item.html", ws=ws, item=item, session=item.session, ItemKind=ItemKind)


def _calendar(ws: Workshop, items: list[ProgramItem], name: str) -> Response:
    body = program.calendar(ws, items)
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.ics"'
    return response


@bp.get("/program.ics")
def program_calendar() -> Response:
    """The whole program, one event per item (times in UTC, each with its session's room)."""
    ws = _published()
    items = [item for s in program.sessions(ws) for item in s.items if item.is_public]
    return _calendar(ws, items, f"{ws.short_name}{ws.edition}-program")


@bp.get("/program/<int:item_id>.ics")
def program_item_calendar(item_id: int) -> Response:
    ws = _published()
    return _calendar(ws, [_item(ws, item_id)], f"{ws.short_name}{ws.edition}-{item_id}")


@bp.get("/accepted-papers/<int:number>/<any(poster, slides):material>.pdf")
def paper_material(number: int, material: str) -> Response:
    """A published accepted paper's poster or slides, added by its authors after the decisions: public, an attachment."""
    ws = require_workshop()
    sub = db.session.get(Submission, number) if ws.accepted_published else None
    if sub is None or sub.workshop_id != ws.id or sub.decision != Decision.ACCEPTED or sub.state != SubmissionState.SUBMITTED:
        abort(404)
    stored = sub.poster_file if material == "poster" else sub.slides_file
    if stored is None:
        abort(404)
    return send_stored(stored, f"{ws.short_name}{ws.edition}-{sub.id}-{material}.pdf", public=True)


@bp.app_template_global()
def program_slots(ws: Workshop) -> dict[int, list[ProgramItem]]:
    """Paper number -> its items in the published program (a talk, a poster session), for the accepted papers' page."""
    return program.slots_of(ws) if program.is_public(ws) else {}
