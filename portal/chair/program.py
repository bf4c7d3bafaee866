"""Chairs: the workshop's program. Sessions (a day, clock times in the workshop's zone, a room) and their items
(opening, keynotes, contributed talks, poster sessions, panels, breaks, closing), edited with forms; the rules
(overlaps, oral papers without a talk, posters without a board, items outside their session) are warned about on
the overview, never refused."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from portal import work
from portal.chair.blueprint import bp
from portal.chair.program_forms import ItemForm, SessionForm
from portal.db import db, parse_id
from portal.forms import require_button
from portal.models import ItemKind, ProgramItem, ProgramSession, Workshop
from portal.services import program
from portal.web import form_page, me, redirect_after, require_workshop

RACE = "Someone changed the program at the same moment; nothing was saved. Reload the page and try again."


def _session(ws: Workshop, session_id: int) -> ProgramSession:
    s = db.session.get(ProgramSession, session_id)
    if s is None or s.workshop_id != ws.id:
        abort(404)
    return s


def _item(ws: Workshop, item_id: int) -> ProgramItem:
    item = db.session.get(ProgramItem, item_id)
    if item is None or item.session.workshop_id != ws.id:
        abort(404)
    return item


def _back(anchor: str | None = None) -> str:
    return url_for("chair.program_overview", _anchor=anchor)


@bp.get("/program", endpoint="program_overview")
def program_overview() -> str:
    ws = require_workshop()
    sessions = program.sessions(ws)
    return render_template(
        "chair/program/index.html",
        ws=ws,
        days=program.by_day(ws, sessions),
        warnings=program.warnings(ws, sessions),
        kinds=list(ItemKind),
        count=len(sessions),
    )


@bp.post("/program/publish")
def program_publish() -> Response:
    require_button()
    ws = require_workshop()
    publish = request.form.get("publish") == "1"
    outcome = work.attempt(lambda: program.set_published(me(), ws, publish), collision=RACE)
    return redirect_after(
        outcome,
        lambda _: "The program is on the public site." if publish else "The program is off the public site.",
        _back(),
    )


def _session_form(ws: Workshop, s: ProgramSession | None) -> str | Response | tuple[str, int]:
    form = SessionForm.from_model(s, ws) if s is not None and request.method == "GET" else SessionForm()
    problems: list[str] = []
    if form.validate_on_submit():
        data = form.to_input()
        if s is None:
            outcome = work.attempt(lambda: program.add_session(me(), ws, data), collision=RACE)
        else:
            outcome = work.attempt(lambda: program.update_session(me(), s, data) or s, collision=RACE)
        if outcome.ok:
            flash(f"The session “{outcome.value.title}” is saved.", "success")
            return redirect(_back(f"session-{outcome.value.id}"))
        problems.append(outcome.problem)
    return form_page("chair/program/session.html", form=form, problems=problems, ws=ws, session=s)


@bp.route("/program/sessions/new", methods=["GET", "POST"])
def program_session_new() -> str | Response | tuple[str, int]:
    return _session_form(require_workshop(), None)


@bp.route("/program/sessions/<int:session_id>", methods=["GET", "POST"])
def program_session(session_id: int) -> str | Response | tuple[str, int]:
    ws = require_workshop()
    return _session_form(ws, _session(ws, session_id))


@bp.route("/program/sessions/<int:session_id>/remove", methods=["GET", "POST"])
def program_session_remove(session_id: int) -> str | Response | tuple[str, int]:
    ws = require_workshop()
    s = _session(ws, session_id)
    if request.method == "POST":
        require_button()
        title = s.title
        outcome = work.attempt(lambda: program.remove_session(me(), s), collision=RACE)
        return redirect_after(outcome, lambda _: f"The session “{title}” and its items are removed.", _back())
    return render_template("chair/program/remove.html", ws=ws, session=s, item=None)


def _item_form(ws: Workshop, s: ProgramSession, item: ProgramItem | None, kind: ItemKind) -> str | Response | tuple[str, int]:
    form = ItemForm.from_model(item, ws) if item is not None and request.method == "GET" else ItemForm()
    form.fill_choices(program.people_choices(ws), program.accepted_papers(ws), item.submission_id if item else None)
    problems: list[str] = []
    if form.validate_on_submit():
        data = form.to_input(kind, program.unplaced_posters(ws))
        if item is None:
            outcome = work.attempt(lambda: program.add_item(me(), s, data), collision=RACE)
        else:
            outcome = work.attempt(lambda: program.update_item(me(), item, data) or item, collision=RACE)
        if outcome.ok:
            flash(f"“{outcome.value.display_title}” is saved.", "success")
            return redirect(_back(f"item-{outcome.value.id}"))
        problems.append(outcome.problem)
    shown = ItemForm.KIND_FIELDS[kind]
    return form_page("chair/program/item.html", form=form, problems=problems, ws=ws, session=s, item=item, kind=kind, shown=shown)


@bp.route("/program/sessions/<int:session_id>/new/<item_kind>", methods=["GET", "POST"])
def program_item_new(session_id: int, item_kind: str) -> str | Response | tuple[str, int]:
    ws = require_workshop()
    s = _session(ws, session_id)
    if item_kind not in ItemKind._value2member_map_:
        abort(404)
    return _item_form(ws, s, None, ItemKind(item_kind))


@bp.route("/program/items/<int:item_id>", methods=["GET", "POST"])
def program_item(item_id: int) -> str | Response | tuple[str, int]:
    ws = require_workshop()
    item = _item(ws, item_id)
    return _item_form(ws, item.session, item, item.kind)


@bp.route("/program/items/<int:item_id>/remove", methods=["GET", "POST"])
def program_item_remove(item_id: int) -> str | Response | tuple[str, int]:
    ws = require_workshop()
    item = _item(ws, item_id)
    if request.method == "POST":
        require_button()
        title, session_id = item.display_title, item.session_id
        outcome = work.attempt(lambda: program.remove_item(me(), item), collision=RACE)
        return redirect_after(outcome, lambda _: f"“{title}” is removed.", _back(f"session-{session_id}"))
    return render_template("chair/program/remove.html", ws=ws, session=item.session, item=item)


@bp.post("/program/sessions/<int:session_id>/order")
def program_session_order(session_id: int) -> Response:
    """The session's items in a new order, as static/js/program-order.js posts it after a drag (``order``: the
    items' ids, comma-separated); without JavaScript the Move buttons do the same one step at a time."""
    require_button()
    ws = require_workshop()
    s = _session(ws, session_id)
    given = [parse_id(x.strip()) for x in request.form.get("order", "").split(",")]
    order = [x for x in given if x is not None]
    if not order or len(order) != len(given):
        abort(400)
    outcome = work.attempt(lambda: program.reorder_items(me(), s, order), collision=RACE)
    return redirect_after(
        outcome, lambda moved: "The new order is saved." if moved else "Nothing moved.", _back(f"session-{session_id}")
    )


@bp.post("/program/items/<int:item_id>/move")
def program_item_move(item_id: int) -> Response:
    require_button()
    ws = require_workshop()
    item = _item(ws, item_id)
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        abort(400)
    outcome = work.attempt(lambda: program.move_item(me(), item, direction), collision=RACE)  # type: ignore[arg-type]
    if not outcome.ok:
        flash(outcome.problem, "error")
    return redirect(_back(f"item-{item_id}"))
