"""Chairs: a paper's area chair (issue 21.2), chosen from a search of the area chairs with their conflicts."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, render_template, request, url_for
from werkzeug.wrappers import Response

from portal import permissions, work
from portal.chair import confirm
from portal.chair.blueprint import bp
from portal.db import db, parse_id
from portal.domain import DomainError
from portal.forms import ButtonForm, require_button
from portal.models import AreaChairAssignment, ExtraReviewRequest, Submission, SubmissionState, User
from portal.services import area_chairs, meta_reviews
from portal.web import get_submission, me, redirect_after, require_workshop


@bp.get("/assignments/papers/<int:number>/area-chair")
def pick_area_chair(number: int) -> str:
    """The area-chair picker of one paper: the area chairs searched by name or address, with their load, the
    paper's topics they share and any conflict, best first."""
    ws = require_workshop()
    sub = get_submission(number, permissions.can_chair_paper)
    if sub.state != SubmissionState.SUBMITTED:
        abort(404)
    found = area_chairs.picker(
        sub,
        q=(request.args.get("q") or "").strip()[:200],
        page=request.args.get("page", 1, type=int) or 1,
        show_conflicted=request.args.get("conflicted") == "1",
    )
    row = area_chairs.area_chair_of(sub)
    return render_template(
        "chair/pick_area_chair.html", ws=ws, sub=sub, found=found, current=row.area_chair if row else None, button=ButtonForm()
    )


def _back(number: int) -> str:
    if request.form.get("from") == "paper":
        return url_for(".paper", number=number, _anchor="area-chair")
    return url_for(".pick_area_chair", number=number)


@bp.post("/papers/<int:number>/area-chair")
def set_area_chair(number: int) -> Response:
    """Make the area chair chosen the paper's (``person``), or, with ``clear``, take its area chair away."""
    require_button()
    ws = require_workshop()
    sub = get_submission(number, permissions.can_chair_paper)
    clear = request.form.get("clear") == "1"
    person = None if clear else db.session.get(User, parse_id(request.form.get("person")) or 0)

    def choose() -> None:
        if person is None and not clear:
            raise DomainError("Choose an area chair from the list.")
        area_chairs.set_area_chair(me(), ws, sub, person)

    outcome = work.attempt(choose)
    done = f"{person.name} is the area chair of #{sub.id}." if person else f"#{sub.id} has no area chair any more."
    return redirect_after(outcome, done, _back(number))


@bp.post("/papers/<int:number>/extra-reviews/<int:request_id>/done")
def resolve_extra_review(number: int, request_id: int) -> Response:
    """Mark an area chair's request for an extra review done (a reviewer was added, or the chairs decided not to)."""
    require_button()
    sub = get_submission(number, permissions.can_chair_paper)
    row = db.session.get(ExtraReviewRequest, request_id)
    if row is None or row.submission_id != sub.id:
        abort(404)
    outcome = work.attempt(lambda: area_chairs.resolve_extra_review(me(), row))
    return redirect_after(outcome, f"The extra review asked for #{sub.id} is marked done.", url_for(".paper", number=sub.id))


@bp.get("/area-chairs")
def area_chairs_progress() -> str:
    """Every area chair: the papers they oversee, the reviews in, the meta-reviews written and what they recommend."""
    ws = require_workshop()
    labels = meta_reviews.recommendation_labels(ws, area_chairs.area_chair_paper_ids(ws))
    rows = area_chairs.progress(ws, me(), labels)
    without = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Submission)
        .where(
            Submission.workshop_id == ws.id,
            Submission.state == SubmissionState.SUBMITTED,
            Submission.id.not_in(sa.select(AreaChairAssignment.submission_id)),
            Submission.id.not_in(permissions.chair_conflicted_ids(me())),
        )
    )
    return render_template("chair/area_chairs.html", ws=ws, rows=rows, without=without)


@bp.post("/area-chairs/auto")
def auto_area_chairs() -> Response | str:
    """Give an area chair to every paper without one, by the assignment's solver (after a confirmation page: each
    area chair gets a mail)."""
    require_button()
    ws = require_workshop()
    back = url_for(".area_chairs_progress")
    if not confirm.confirmed():
        return confirm.page(
            "Choose the missing area chairs automatically",
            "Every submitted paper you handle that has no area chair gets one, chosen by the assignment's solver: the "
            "area chairs' topics, expertise statements and papers against the paper, never a conflicted one, loads as "
            "even as the conflicts allow. Each area chair gets one mail listing their new papers. You can change any "
            "paper's area chair afterwards.",
            [],
            "choose the area chairs",
            cancel=back,
        )
    outcome = work.attempt(lambda: area_chairs.auto_assign(me(), ws))

    def done(r: area_chairs.AutoResult) -> str:
        given = sum(len(p) for p in r.made.values())
        text = f"{given} paper{'s' if given != 1 else ''} got an area chair; the most any area chair oversees is {r.most}."
        if r.short:
            listed = ", ".join(f"#{n}" for n in r.short[:20])
            text += f" {len(r.short)} could not (every area chair conflicted or full): {listed}."
        return text

    return redirect_after(outcome, done, back)
