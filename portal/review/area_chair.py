"""Area chairs (issue 21.2): their papers with the reviews' progress, and on a paper they oversee: remind a late
reviewer, ask the chairs for an extra review. The paper page itself is the reviewers' (``views.paper``), which
shows an area chair every review and the discussion, and their panel."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from portal import permissions, work
from portal.db import db, utcnow
from portal.forms import require_button
from portal.models import ReviewAssignment
from portal.queries import letter_sent
from portal.review.blueprint import bp
from portal.review.forms import AreaChairDeclineForm, ExtraReviewForm, review_form_for
from portal.review.views import paper_page
from portal.services import area_chairs, meta_reviews, review_form
from portal.web import form_page, get_submission, me, redirect_after, require_workshop


@bp.get("/area-chair")
def area_chair_home() -> str:
    """The papers this area chair oversees: reviews in of those assigned, late reviewers, mean and spread of the
    recommendations, whether the authors responded and whether an extra review is asked for."""
    ws = require_workshop()
    if not permissions.is_area_chair(me()):
        abort(403)
    return render_template("review/area_chair.html", ws=ws, papers=area_chairs.my_papers(me(), ws, utcnow()))


@bp.post("/papers/<int:number>/remind/<int:assignment_id>")
def remind_reviewer(number: int, assignment_id: int) -> Response:
    require_button()
    ws = require_workshop()
    sub = get_submission(number, permissions.oversees)
    assignment = db.session.get(ReviewAssignment, assignment_id)
    if assignment is None or assignment.submission_id != sub.id:
        abort(404)
    ordinal = assignment.ordinal
    outcome = work.attempt(lambda: area_chairs.remind_reviewer(me(), ws, sub, assignment))
    back = url_for(".paper", number=sub.id, _anchor="oversee")
    return redirect_after(outcome, f"Reviewer {ordinal} is reminded by mail.", back)


@bp.post("/papers/<int:number>/extra-review")
def ask_extra_review(number: int) -> Response | tuple[str, int]:
    sub = get_submission(number, permissions.oversees)
    form = ExtraReviewForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return paper_page(sub.id, extra_form=form), 422
    outcome = work.attempt(lambda: area_chairs.request_extra_review(me(), sub, form.reason.data or ""))
    if not outcome.ok:
        flash(outcome.problem, "error")
        return redirect(url_for(".paper", number=sub.id, _anchor="oversee"))
    flash("The chairs see your request for an extra review on the paper's page and the console.", "success")
    return redirect(url_for(".paper", number=sub.id, _anchor="oversee"))


@bp.post("/papers/<int:number>/area-chair/decline")
def decline_area_chair(number: int) -> Response | tuple[str, int]:
    """The area chair gives the paper back (before submitting its meta-review), with a reason for the chairs, or
    declares a conflict the portal missed (issue 21.5, as a reviewer declines: ``views.decline``)."""
    ws = require_workshop()
    sub = get_submission(number, permissions.oversees)
    form = AreaChairDeclineForm(prefix="ac")
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return paper_page(sub.id, ac_decline_form=form), 422
    conflict = form.why.data == "conflict"
    outcome = work.attempt(lambda: area_chairs.decline_area_chair(me(), ws, sub, form.reason.data or "", conflict=conflict))
    if not outcome.ok:
        form.reason.errors.append(outcome.problem)  # type: ignore[attr-defined]
        return paper_page(sub.id, ac_decline_form=form), 422
    if conflict:
        flash(f"You no longer oversee #{sub.id}: your conflict is recorded and the chairs are told.", "success")
    else:
        flash(f"You no longer oversee #{sub.id}; the chairs are told.", "success")
    return redirect(url_for(".area_chair_home"))


@bp.route("/papers/<int:number>/meta-review", methods=["GET", "POST"])
def meta_review(number: int) -> str | Response | tuple[str, int]:
    """The paper's area chair writes its meta-review on the form the chairs set (a draft, then submitted; editable
    until the decision letter is sent)."""
    ws = require_workshop()
    sub = get_submission(number, permissions.oversees)
    existing = meta_reviews.meta_review_of(sub)
    form_class = review_form_for(meta_reviews.fields(ws))
    form = form_class.from_model(existing) if request.method == "GET" else form_class()  # type: ignore[arg-type]
    form.keep_given(existing)  # type: ignore[arg-type]
    problems: list[str] = []
    marked: dict[str, str] = {}
    if form.validate_on_submit():
        submit = request.form.get("action") == "submit"
        outcome = work.attempt(lambda: meta_reviews.save_meta_review(me(), ws, sub, **form.to_input(), submit=submit))
        if outcome.ok:
            flash(
                "Your meta-review is submitted: the chairs read it, and the fields for the authors go with the letter."
                if outcome.value.submitted  # type: ignore[union-attr]
                else "Your draft meta-review is saved. Submit it when it is ready.",
                "success",
            )
            return redirect(url_for(".paper", number=sub.id, _anchor="meta-review"))
        problems.append(outcome.problem)
        if isinstance(outcome.error, review_form.AnswersRefused):
            marked = outcome.error.problems
        existing = meta_reviews.meta_review_of(sub)
    return form_page(
        "review/meta_review.html",
        form=form,
        problems=problems,
        marked=marked,
        ws=ws,
        sub=sub,
        meta=existing,
        final=letter_sent(sub),
    )
