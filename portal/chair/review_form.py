"""Chairs: the review form (issue 21.1). The fields in order with who reads each; add one, change one, move one
up or down, retire one (its answers are kept) or put it back."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from portal import work
from portal.chair.blueprint import bp
from portal.chair.review_form_forms import ReviewFieldForm
from portal.forms import ButtonForm, require_button
from portal.models import ReviewField, Workshop
from portal.services import review_form
from portal.web import form_page, me, redirect_after, require_workshop


def _form() -> str:
    """Which form the page edits: the review form, or with ``?form=meta`` the meta-review form (issue 21.2)."""
    return review_form.META if request.args.get("form") == review_form.META else review_form.FORM


def _meta() -> str | None:
    """The ``form`` argument of the addresses the page links to."""
    return review_form.META if _form() == review_form.META else None


def _field(ws: Workshop, key: str) -> ReviewField:
    row = next((f for f in review_form.fields(ws, retired=True, form=_form()) if f.key == key), None)
    if row is None:
        abort(404)
    return row


def _page(ws: Workshop, form: ReviewFieldForm, problems: list[str]) -> tuple[str, int]:
    rows = review_form.fields(ws, retired=True, form=_form())
    return form_page(
        "chair/review_form.html",
        meta=_meta(),
        form=form,
        problems=problems,
        ws=ws,
        rows=[r for r in rows if r.active],
        retired=[r for r in rows if not r.active],
        button=ButtonForm(),
    )


@bp.get("/review-form", endpoint="review_form")
def review_form_page() -> tuple[str, int]:
    return _page(require_workshop(), ReviewFieldForm(), [])


@bp.post("/review-form")
def add_review_field() -> Response | tuple[str, int]:
    ws = require_workshop()
    form = ReviewFieldForm()
    problems: list[str] = []
    if form.validate_on_submit():
        outcome = work.attempt(lambda: review_form.add_field(me(), ws, form.to_input(), _form()))
        if outcome.ok:
            which = "meta-review form" if _meta() else "review form"
            flash(f"“{outcome.value.label}” is on the {which}.", "success")  # type: ignore[union-attr]
            return redirect(url_for(".review_form", form=_meta(), _anchor="fields"))
        problems.append(outcome.problem)
    return _page(ws, form, problems)


@bp.route("/review-form/<key>", methods=["GET", "POST"])
def review_field(key: str) -> str | Response | tuple[str, int]:
    ws = require_workshop()
    row = _field(ws, key)
    form = ReviewFieldForm.from_model(row) if request.method == "GET" else ReviewFieldForm()
    del form.kind  # (fixed once the field exists)
    problems: list[str] = []
    if form.validate_on_submit():
        outcome = work.attempt(lambda: review_form.update_field(me(), ws, _saved(ws, key), form.to_input(row.kind)))
        if outcome.ok:
            flash(f"“{outcome.value.label}” is saved.", "success")  # type: ignore[union-attr]
            return redirect(url_for(".review_form", form=_meta(), _anchor="fields"))
        problems.append(outcome.problem)
    return form_page("chair/review_field.html", form=form, problems=problems, ws=ws, row=row, meta=_meta())


def _saved(ws: Workshop, key: str) -> ReviewField:
    """The field as a saved row (the default form is saved on its first change)."""
    row = next((f for f in review_form.saved_fields(ws, _form()) if f.key == key), None)
    if row is None:
        abort(404)
    return row


@bp.post("/review-form/<key>/<any(up, down):direction>")
def move_review_field(key: str, direction: str) -> Response:
    require_button()
    ws = require_workshop()
    row = _field(ws, key)
    outcome = work.attempt(lambda: review_form.move_field(me(), ws, key, -1 if direction == "up" else 1, _form()))
    return redirect_after(outcome, f"“{row.label}” moved {direction}.", url_for(".review_form", form=_meta(), _anchor="fields"))


@bp.post("/review-form/<key>/retire")
def retire_review_field(key: str) -> Response:
    require_button()
    ws = require_workshop()
    row = _field(ws, key)
    done = f"“{row.label}” is off the form; the answers already given are kept (history, exports)."
    outcome = work.attempt(lambda: review_form.retire_field(me(), ws, key, form=_form()))
    return redirect_after(outcome, done, url_for(".review_form", form=_meta(), _anchor="retired"))


@bp.post("/review-form/<key>/restore")
def restore_review_field(key: str) -> Response:
    require_button()
    ws = require_workshop()
    row = _field(ws, key)
    outcome = work.attempt(lambda: review_form.restore_field(me(), ws, key, _form()))
    done = f"“{row.label}” is back on the form, last."
    return redirect_after(outcome, done, url_for(".review_form", form=_meta(), _anchor="fields"))
