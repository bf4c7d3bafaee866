"""Chairs: decisions (one by one or in bulk), decision letters, publishing the accepted papers."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from portal import emails, once, permissions, work
from portal.chair import confirm
from portal.chair.blueprint import bp
from portal.chair.jobs import launch
from portal.db import db, parse_id
from portal.domain import NOTHING_SAVED, DomainError
from portal.forms import require_button
from portal.models import (
    Decision,
    Letter,
    Presentation,
    Submission,
    Workshop,
)
from portal.queries import accepted
from portal.services import calibration, decisions, meta_reviews
from portal.urls import safe_next
from portal.web import get_submission, me, redirect_after, require_workshop

#: A bulk decision that lost to another chair's decision at the same moment: none of it is kept.
BULK_COLLIDED = (
    "Another chair decided some of these papers at the same moment. Nothing was changed: reload the page "
    "to see their decisions, then decide again."
)


def _parse(value: str | None, enum_cls: type) -> object | None:
    return enum_cls(value) if value in enum_cls._value2member_map_ else None


@bp.get("/decisions", endpoint="decisions")
def decisions_page() -> str:
    ws = require_workshop()
    table = decisions.decisions_table(ws, me(), decisions.DecisionQuery.from_args(request.args))
    # Only papers the chair may decide are in the table; asked again here, per row, as every view asks.
    rows = [row for row in table.rows if permissions.can_chair_paper(me(), row.sub)]
    return render_template(
        "chair/decisions.html",
        ws=ws,
        table=table,
        rows=rows,
        t=table.query,
        sorts=decisions.DECISION_SORTS,
        calibration_explained=calibration.EXPLANATION,
        decisions=list(Decision),
        presentations=list(Presentation),
        back=url_for(".decisions", **table.query.args()),
        recommended=meta_reviews.recommendation_labels(ws, [row.sub.id for row in rows]),
    )


def _decision_input() -> dict[str, Any]:
    """The decision form of a paper as ``decisions.record_decision`` takes it."""
    return {
        "decision": _parse(request.form.get("decision"), Decision),
        "presentation": _parse(request.form.get("presentation"), Presentation),
        "note": (request.form.get("note") or "").strip()[:5000],
        "version": request.form.get("version", type=int),
    }


@bp.post("/decisions/<int:number>")
def decide(number: int) -> Response:
    require_button()
    sub = get_submission(number, permissions.can_chair_paper)
    outcome = work.attempt(lambda: decisions.record_decision(me(), sub, **_decision_input()))
    # The chair's paper view sends its own address; the decisions list is the default.
    back = safe_next(request.form.get("next")) or url_for(".decisions", _anchor=f"paper-{number}")
    return redirect_after(outcome, lambda _: f"#{sub.id}: {sub.decision.value if sub.decision else 'no decision'}.", back)


def _selected() -> dict[int, int]:
    """The ticked rows, each with the version of the paper the chair saw ("12:3": number, version); a number
    ticked twice counts by its first row."""
    seen: dict[int, int] = {}
    for value in request.form.getlist("selected"):
        number, _, version = value.partition(":")
        if (n := parse_id(number)) is not None:
            seen.setdefault(n, parse_id(version) or -1)
    return seen


@bp.post("/decisions/bulk")
def decide_bulk() -> Response:
    require_button()
    decision = _parse(request.form.get("decision"), Decision)
    seen = _selected()
    # The submissions table sends its own address, so the chair lands back on the same filter and page.
    back = safe_next(request.form.get("next")) or url_for(".decisions")
    if decision is None or not seen:
        flash("Select papers and a decision.", "error")
        return redirect(back)
    chosen = db.session.scalars(sa.select(Submission).where(Submission.id.in_(list(seen))))
    subs = [s for s in chosen if permissions.can_chair_paper(me(), s)]
    outcome = work.attempt(lambda: decisions.decide_many(me(), subs, decision, seen), collision=BULK_COLLIDED)  # type: ignore[arg-type]
    if not outcome.ok:  # (a decision of another chair committed while these were saved: none of them is)
        flash(outcome.problem, "error")
        return redirect(back)
    done, refused, changed = outcome.value  # type: ignore[misc]
    skipped = [f"#{n}" for n in sorted(set(seen) - {s.id for s in subs} | set(refused))]
    flash(f"{done} paper{'s' if done != 1 else ''} marked {decision}.", "success")
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
def letters() -> str | Response | tuple[str, int]:
    ws = require_workshop()
    if request.method == "GET":
        return _letters_page(ws)
    require_button()
    # Every template's field (a template whose field is not in the post is kept as it is).
    labels = {decisions.field_of(key): label for key, label in decisions.template_keys().items()}
    # and every subject's (issue 21.7; one left out of the post is kept as it is)
    subject_labels = {decisions.subject_field_of(key): f"{label}, subject" for key, label in decisions.template_keys().items()}
    typed = {name: request.form.get(name, "") for name in ("accept_letter", "reject_letter", "with_reviews")}
    typed |= {name: request.form[name] for name in labels if name in request.form and name not in typed}
    typed |= {name: request.form[name] for name in subject_labels if name in request.form}
    others = {key: typed[decisions.field_of(key)] for key in decisions.template_keys() if decisions.field_of(key) in typed}
    subjects = {
        key: typed[decisions.subject_field_of(key)]
        for key in decisions.template_keys()
        if decisions.subject_field_of(key) in typed
    }
    outcome = work.attempt(
        lambda: decisions.save_letter_templates(
            me(),
            ws,
            typed["accept_letter"],
            typed["reject_letter"],
            with_reviews=bool(typed["with_reviews"]),
            others={k: v for k, v in others.items() if k not in decisions.OWN_TEMPLATES},
            subjects=subjects,
        ),
        unsaved=NOTHING_SAVED,
    )
    if outcome.ok:
        count = outcome.value or 0
        flash(f"The templates are saved and {count} draft{'s' if count != 1 else ''} prepared.", "success")
        return redirect(url_for(".letters"))
    # Which of the templates is wrong, to mark and link it; else the refusal itself.
    field_errors = {name: str(wrong) for name in labels if name in typed and (wrong := _template_error(typed[name]))}
    field_errors |= {name: str(wrong) for name in subject_labels if name in typed and (wrong := _subject_error(typed[name]))}
    every = labels | subject_labels
    problems = [(f"#{n}", f"{every[n]}: {m}") for n, m in field_errors.items()] or [outcome.problem]
    return _letters_page(ws, typed, field_errors, problems), 422


def _template_error(source: str) -> DomainError | None:
    try:
        decisions.check_template(source)
    except DomainError as wrong:
        return wrong
    return None


def _subject_error(source: str) -> DomainError | None:
    if not source.strip():
        return None  # (empty: the portal's subject, or the decision's)
    try:
        decisions.check_subject(source.strip())
    except DomainError as wrong:
        return wrong
    return None


def _letters_page(
    ws: Workshop,
    typed: dict[str, str] | None = None,
    field_errors: dict[str, str] | None = None,
    problems: list[Any] | None = None,
) -> str:
    """The letters page; ``typed`` is what the chair sent, shown again when it was refused, with its ``problems``
    for the error summary (a text, or (the field's #id, text))."""
    table = decisions.letters_table(me(), decisions.LetterQuery.from_args(request.args))
    saved, subjects = decisions.saved_templates(ws), decisions.saved_subjects(ws)
    defaults = {"accepted": decisions.DEFAULT_ACCEPT, "rejected": decisions.DEFAULT_REJECT}
    templates = [
        (
            decisions.field_of(key),
            label,
            saved.get(key) or defaults.get(key, ""),
            "/" in key,
            decisions.subject_field_of(key),
            subjects.get(key) or ("" if "/" in key else decisions.default_subject(key)),
        )
        for key, label in decisions.template_keys().items()
    ]
    return render_template(
        "chair/letters.html",
        ws=ws,
        templates=templates,
        table=table,
        t=table.query,
        groups=decisions.letter_groups(),
        states=decisions.LETTER_STATES,
        back=url_for(".letters", **table.query.args()),
        placeholders=decisions.PLACEHOLDERS,
        typed=typed,
        field_errors=field_errors or {},
        problems=problems or [],
        worded=decisions.worded(ws),
        max_subject=decisions.MAX_SUBJECT,
        default_subjects={"accepted": decisions.DEFAULT_ACCEPT_SUBJECT, "rejected": decisions.DEFAULT_REJECT_SUBJECT},
    )


@bp.post("/letters/reset", endpoint="reset_letter_templates")
def reset_letter_templates() -> str | Response:
    """Every letter template and subject back to the portal's own, after a confirmation; the drafts are prepared
    again as saving the templates prepares them."""
    require_button()
    ws = require_workshop()
    back = url_for(".letters")
    if not confirm.confirmed():
        saved, subjects = decisions.saved_templates(ws), decisions.saved_subjects(ws)
        items = [
            label + (" (text" + (" and subject)" if subjects.get(key) else ")") if saved.get(key) else " (subject)")
            for key, label in decisions.template_keys().items()
            if saved.get(key) or subjects.get(key)
        ]
        return confirm.page(
            "Reset the decision letters",
            "Your wording of the letters below is deleted, texts and subjects: from now on each letter is written in "
            "the portal's own text and subject, shown on the letters page. The drafts are prepared again in it; a "
            "draft you edited by hand is kept as you wrote it, and a sent letter never changes. This cannot be undone.",
            items,
            "reset to the portal's text",
            cancel=back,
        )
    outcome = work.attempt(lambda: decisions.reset_letter_templates(me(), ws))
    if outcome.ok and outcome.value is None:
        flash("The letters already use the portal's own text and subjects.", "success")
        return redirect(back)
    count = outcome.value or 0
    done = (
        "The letters are reset to the portal's own text and subjects, and "
        f"{count} draft{'s' if count != 1 else ''} prepared again."
    )
    flash(done if outcome.ok else outcome.problem, "success" if outcome.ok else "error")
    return redirect(back)


def _letter(letter_id: int) -> Letter:
    letter = db.session.get(Letter, letter_id)
    if letter is None or not permissions.can_chair_paper(me(), letter.submission):
        abort(404)
    return letter


@bp.route("/letters/<int:letter_id>", methods=["GET", "POST"])
def letter(letter_id: int) -> str | Response:
    x = _letter(letter_id)
    if request.method == "GET":
        return render_template("chair/letter.html", ws=require_workshop(), letter=x)
    require_button()
    subject = (request.form.get("subject") or "").strip()[:500]
    body = (request.form.get("body") or "").replace("\r\n", "\n")
    outcome = work.attempt(lambda: decisions.edit_letter(me(), x, subject, body))
    done = "This letter is saved; preparing the drafts again will leave it as you wrote it."
    return redirect_after(outcome, done, url_for(".letter", letter_id=letter_id))


def _numbers(values: list[str]) -> list[int]:
    """Paper numbers as posted ("12", or a ticked row's "12:3"; the confirmation's "12,15,18"), in order, once each."""
    found: dict[int, None] = {}
    for value in values:
        for part in value.split(","):
            if (n := parse_id(part.partition(":")[0].strip())) is not None:
                found.setdefault(n)
    return list(found)


@bp.post("/letters/send")
def send_letters() -> Response | str | tuple[str, int]:
    """Send the drafts the chair chose (ticked papers, one decision or presentation, or all), after a confirmation
    that lists them. The confirmation carries the papers' numbers and a fingerprint of the letters; "Yes" sends
    those letters and no others, and refuses when any of them changed in between (sent by another chair,
    decided again, edited)."""
    require_button()
    ws = require_workshop()
    back = safe_next(request.form.get("next")) or url_for(".letters")
    if not confirm.confirmed():
        subset = request.form.get("subset", "")
        if subset == "ticked":
            numbers = _numbers(request.form.getlist("selected"))
            if not numbers:
                flash("Tick the papers whose letters to send.", "error")
                return redirect(back)
            return _confirm_letters(decisions.plan_letters(me(), papers=numbers), "the ticked papers", back)
        group = request.form.get("group", "")
        groups = decisions.letter_groups()
        if subset == "group" and group in groups:
            return _confirm_letters(decisions.plan_letters(me(), group=group), groups[group].lower(), back)
        return _confirm_letters(decisions.plan_letters(me()), "", back)
    if "papers" not in request.form:  # "Yes" without the list (a script of old): every draft ready, as before
        once.record(url_for(".letters"), "the letters were sent")
        return launch("letters", me(), workshop_id=ws.id)
    # Pressed twice: the second post is told what the first did (each draft is claimed too).
    once.record(url_for(".letters"), "the letters were sent")
    chosen = _numbers([request.form.get("papers", "")])
    plan = decisions.plan_letters(me(), papers=chosen)
    if not chosen or plan.left_out or plan.digest != request.form.get("digest"):
        db.session.rollback()  # (the one-time token stays free: the page below asks again)
        problem = (
            "Nothing was sent: these letters changed since you confirmed them (sent by another chair, decided again, "
            "edited or prepared again). Here they are as they are now; send again if this is what you want."
        )
        return _confirm_letters(
            decisions.plan_letters(me(), papers=chosen), "the papers you confirmed", back, problem=problem
        ), 409
    return launch("letters", me(), workshop_id=ws.id, papers=plan.papers)


def _confirm_letters(plan: decisions.LetterPlan, which: str, back: str, *, problem: str = "") -> str:
    """Which letters the send puts in the outbox, and to whom: exactly the drafts of ``plan``, whose numbers and
    fingerprint the "Yes" button posts back."""
    shown = plan.letters[: confirm.LIMIT]
    items = [f"#{x.submission_id} {x.subject} → {', '.join(plan.recipients(x))}" for x in shown]
    count = len(plan.letters)
    of = f" of {which}" if which else ""
    what = (
        f"{count} decision letter{'s' if count != 1 else ''}{of} will be put in the outbox and mailed to all the "
        f"authors of {'each' if count != 1 else 'the'} paper, and no other letter. A letter cannot be called back once sent."
        if count
        else f"There is no draft{of} to send: every letter is sent, stale, or for a paper you may not decide."
    )
    note = "Stale drafts (written for a decision since changed) and the letters of your own papers are left out."
    if plan.left_out:
        shown_out = ", ".join(f"#{n}" for n in plan.left_out[:50]) + (" …" if len(plan.left_out) > 50 else "")
        note += f" Left out, with no draft ready to send: {shown_out}."
    return confirm.page(
        "Send the decision letters",
        what,
        items,
        f"send {count} letter{'s' if count != 1 else ''}",
        hidden={once.FIELD: once.once_token(), "papers": ",".join(map(str, plan.papers)), "digest": plan.digest, "next": back},
        note=note,
        cancel=back,
        empty_blocks=True,
        total=count,
        problem=problem,
    )


@bp.post("/letters/<int:letter_id>/resend")
def resend_letter(letter_id: int) -> Response:
    require_button()
    x = _letter(letter_id)
    outcome = work.attempt(lambda: decisions.resend_letter(me(), x))
    if not outcome.ok:
        flash(outcome.problem, "error")
    else:
        flash(*_delivery(outcome.report))
    return redirect(url_for(".letters"))


def _delivery(report: emails.DeliveryReport | None) -> tuple[str, str]:
    """What became of a letter sent again: the flash and its category."""
    if report is not None and report.handed_over:
        return "The letter is on its way: a background worker is delivering it.", "success"
    if report is not None and report.sent:
        return "The letter is delivered.", "success"
    return "The letter could not be delivered; it stays queued.", "error"


def _accepted_titles(ws: Workshop) -> list[str]:
    """The papers the public list of accepted papers shows (as ``public.accepted`` selects them)."""
    return [f"#{s.id} {s.title}" for s in db.session.scalars(accepted(ws))]


@bp.post("/publish")
def publish() -> Response | str:
    require_button()
    ws = require_workshop()
    publishing = request.form.get("published") == "1"
    if not confirm.confirmed():
        papers = _accepted_titles(ws)
        if publishing:
            what = (
                f"Anyone, signed in or not, will see the list of the {len(papers)} accepted "
                f"paper{'s' if len(papers) != 1 else ''} below, with their authors and camera-ready PDFs. "
                "You can hide them again afterwards."
            )
            return confirm.page("Publish the accepted papers", what, papers, "publish them", hidden={"published": "1"})
        what = (
            f"The public list of the {len(papers)} accepted paper{'s' if len(papers) != 1 else ''} below will be "
            "hidden from everyone but the chairs. You can publish it again afterwards."
        )
        return confirm.page("Unpublish the accepted papers", what, papers, "unpublish them", hidden={"published": "0"})
    outcome = work.attempt(lambda: decisions.set_published(me(), ws, request.form.get("published") == "1"))
    shown = "The accepted papers are public." if ws.accepted_published else "The accepted papers are hidden again."
    return redirect_after(outcome, shown, url_for(".decisions"))
