"""Chairs: decisions (one by one or in bulk), decision letters, publishing the accepted papers."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from portal import once, permissions, work
from portal.chair.blueprint import bp
from portal.db import db, parse_id
from portal.domain import DomainError
from portal.forms import require_button
from portal.models import Decision, Letter, Presentation, Review, ReviewAssignment, ReviewState, Submission
from portal.services import decisions as svc
from portal.services.reviewing import reviewable
from portal.urls import safe_next
from portal.web import get_submission, me, require_workshop


def _parse(value: str | None, enum_cls: type) -> object | None:
    return enum_cls(value) if value in enum_cls._value2member_map_ else None


@bp.get("/decisions")
def decisions() -> str:
    ws = require_workshop()
    subs = [s for s in reviewable(ws) if permissions.can_chair_paper(me(), s)]
    scores: dict[int, list[int]] = defaultdict(list)
    for sub_id, rec in db.session.execute(
        sa.select(ReviewAssignment.submission_id, Review.recommendation).join(Review).where(Review.state == ReviewState.SUBMITTED)
    ):
        scores[sub_id].append(rec)
    sent = {x.submission_id for x in db.session.scalars(sa.select(Letter).where(Letter.email_id.is_not(None)))}
    return render_template(
        "chair/decisions.html",
        ws=ws,
        subs=subs,
        scores=scores,
        sent=sent,
        decisions=list(Decision),
        presentations=list(Presentation),
    )


@bp.post("/decisions/<int:number>")
def decide(number: int) -> Response:
    require_button()
    sub = get_submission(number, permissions.can_chair_paper)
    version = request.form.get("version", type=int)
    try:
        svc.record_decision(
            me(),
            sub,
            decision=_parse(request.form.get("decision"), Decision),  # type: ignore[arg-type]
            presentation=_parse(request.form.get("presentation"), Presentation),  # type: ignore[arg-type]
            note=(request.form.get("note") or "").strip()[:5000],
            version=version,
        )
        db.session.commit()
        flash(f"#{sub.id}: {sub.decision.value if sub.decision else 'no decision'}.", "success")
    except (DomainError, StaleDataError) as exc:
        db.session.rollback()
        flash(once.message_of(exc), "error")
    # The chair's paper view sends its own address; the decisions list is the default.
    return redirect(safe_next(request.form.get("next")) or url_for(".decisions", _anchor=f"paper-{number}"))


@bp.post("/decisions/bulk")
def decide_bulk() -> Response:
    require_button()
    decision = _parse(request.form.get("decision"), Decision)
    # Each ticked row says which version of the paper the chair saw: "12:3" (number, version).
    seen: dict[int, int] = {}
    for value in request.form.getlist("selected"):
        number, _, version = value.partition(":")
        if parse_id(number) is not None:  # (a number ticked twice: its first row counts)
            seen.setdefault(parse_id(number), parse_id(version) or -1)  # type: ignore[arg-type]
    numbers = list(seen)
    # The submissions table sends its own address, so the chair lands back on the same filter and page.
    back = safe_next(request.form.get("next")) or url_for(".decisions")
    if decision is None or not numbers:
        flash("Select papers and a decision.", "error")
        return redirect(back)
    subs = [
        s
        for s in db.session.scalars(sa.select(Submission).where(Submission.id.in_(numbers)))
        if permissions.can_chair_paper(me(), s)
    ]
    try:
        done, refused, changed = svc.decide_many(me(), subs, decision, seen)  # type: ignore[arg-type]
        db.session.commit()
    except StaleDataError:  # another chair's decision committed while these were saved: none of them is
        db.session.rollback()
        flash(
            "Another chair decided some of these papers at the same moment. Nothing was changed: reload the page "
            "to see their decisions, then decide again.",
            "error",
        )
        return redirect(back)
    skipped = [f"#{n}" for n in sorted(set(numbers) - {s.id for s in subs} | set(refused))]
    flash(f"{done} paper{'s' if done != 1 else ''} marked {decision}.", "success")  # type: ignore[union-attr]
    if changed:
        flash(
            f"Not changed, because another chair changed {'them' if len(changed) > 1 else 'it'} after you loaded "
            f"this page: {', '.join(f'#{n}' for n in sorted(changed))}. Reload to see what they decided.",
            "error",
        )
    if skipped:
        flash(f"Not changed (letter sent, withdrawn or not yours to decide): {', '.join(skipped)}.", "error")
    return redirect(back)


@bp.route("/letters", methods=["GET", "POST"])
def letters() -> str | Response:
    ws = require_workshop()
    typed: dict[str, str] | None = None  # what the chair sent, shown again when it was refused
    field_errors: dict[str, str] = {}
    problems: list[str | tuple[str, str]] = []  # for the error summary: a text, or (the field's #id, text)
    if request.method == "POST":
        require_button()
        typed = {name: request.form.get(name, "") for name in ("accept_letter", "reject_letter", "with_reviews")}
        try:
            count = svc.save_letter_templates(
                me(), ws, typed["accept_letter"], typed["reject_letter"], with_reviews=bool(typed["with_reviews"])
            )
        except DomainError as exc:
            db.session.rollback()
            for name in ("accept_letter", "reject_letter"):  # which of the two is wrong, to mark and link it
                try:
                    svc.check_template(typed[name])
                except DomainError as wrong:
                    field_errors[name] = str(wrong)
            labels = {"accept_letter": "Acceptance letter", "reject_letter": "Rejection letter"}
            problems = [(f"#{n}", f"{labels[n]}: {m}") for n, m in field_errors.items()] or [f"{exc} Nothing was saved."]
        else:
            db.session.commit()
            flash(f"The templates are saved and {count} draft{'s' if count != 1 else ''} prepared.", "success")
            return redirect(url_for(".letters"))
    rows = [
        x
        for x in db.session.scalars(sa.select(Letter).order_by(Letter.submission_id))
        if permissions.can_chair_paper(me(), x.submission)
    ]
    page = render_template(
        "chair/letters.html",
        ws=ws,
        letters=rows,
        default_accept=svc.DEFAULT_ACCEPT,
        default_reject=svc.DEFAULT_REJECT,
        placeholders=svc.PLACEHOLDERS,
        typed=typed,
        field_errors=field_errors,
        problems=problems,
    )
    return page if typed is None else (page, 422)  # type: ignore[return-value]


def _letter(letter_id: int) -> Letter:
    letter = db.session.get(Letter, letter_id)
    if letter is None or not permissions.can_chair_paper(me(), letter.submission):
        abort(404)
    return letter


@bp.route("/letters/<int:letter_id>", methods=["GET", "POST"])
def letter(letter_id: int) -> str | Response:
    x = _letter(letter_id)
    if request.method == "POST":
        require_button()
        try:
            svc.edit_letter(
                me(), x, (request.form.get("subject") or "").strip()[:500], (request.form.get("body") or "").replace("\r\n", "\n")
            )
            db.session.commit()
            flash("This letter is saved; preparing the drafts again will leave it as you wrote it.", "success")
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        return redirect(url_for(".letter", letter_id=letter_id))
    return render_template("chair/letter.html", ws=require_workshop(), letter=x)


@bp.post("/letters/send")
def send_letters() -> Response:
    require_button()
    from portal.chair.jobs import launch

    once.record(url_for(".letters"), "the letters were sent")  # pressed twice: sent once (each draft is claimed too)
    return launch("letters", me(), workshop_id=require_workshop().id)


@bp.post("/letters/<int:letter_id>/resend")
def resend_letter(letter_id: int) -> Response:
    require_button()
    x = _letter(letter_id)
    try:
        svc.resend_letter(me(), x)
        report = work.commit_and_deliver()
        if report.handed_over:
            flash("The letter is on its way: a background worker is delivering it.", "success")
        else:
            flash(
                "The letter is delivered." if report.sent else "The letter could not be delivered; it stays queued.",
                "success" if report.sent else "error",
            )
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for(".letters"))


@bp.post("/publish")
def publish() -> Response:
    require_button()
    ws = require_workshop()
    svc.set_published(me(), ws, request.form.get("published") == "1")
    db.session.commit()
    flash("The accepted papers are public." if ws.accepted_published else "The accepted papers are hidden again.", "success")
    return redirect(url_for(".decisions"))
