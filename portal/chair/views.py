from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from portal import once, permissions, work
from portal.assign.affinity import Weights
from portal.chair.blueprint import bp
from portal.chair.forms import ExternalReviewerForm, PairForm, ReviewSettingsForm
from portal.db import db, parse_id
from portal.domain import DomainError
from portal.forms import ButtonForm, require_button
from portal.models import (
    CONFIDENCES,
    RECOMMENDATIONS,
    AssignmentProposal,
    AuditEvent,
    Bid,
    Decision,
    DiscussionComment,
    Letter,
    Phase,
    Presentation,
    ProposalState,
    ReviewAssignment,
    ReviewState,
    Submission,
    User,
)
from portal.queries.conflicts import conflict_map, overrides_for
from portal.services import reviewing as svc
from portal.services.accounts import user_by_email
from portal.services.settings import parse_local
from portal.web import get_submission, me, require_workshop

# --- reviewing settings -------------------------------------------------------------------------------


@bp.route("/reviewing", methods=["GET", "POST"])
def reviewing() -> str | Response:
    ws = require_workshop()
    form = ReviewSettingsForm()
    people = svc.reviewers()
    problems: list[str] = []
    if request.method == "GET":
        form.phase.data = ws.phase.value
        for name in ("bidding_deadline", "review_deadline"):
            at = getattr(ws, name)
            getattr(form, name).data = at.astimezone(ws.zone).strftime("%Y-%m-%d %H:%M") if at else ""
        form.reviews_per_paper.data, form.default_max_load.data = ws.reviews_per_paper, ws.default_max_load
        form.weight_bid.data, form.weight_topics.data, form.weight_text.data = (ws.weight_bid, ws.weight_topics, ws.weight_text)
        form.discussion_before_review.data = ws.discussion_before_review
    elif form.validate_on_submit():
        loads: dict[int, int | None] = {}
        for u in people:
            raw = (request.form.get(f"load-{u.id}") or "").strip()
            loads[u.id] = parse_id(raw, 100)
            if raw and loads[u.id] is None:
                problems.append(f"The load of {u.name} must be a whole number from 0 to 100.")
        try:
            if problems:
                raise DomainError("Nothing was saved.")
            settings = svc.ReviewSettings(
                phase=Phase(form.phase.data),
                bidding_deadline=parse_local(form.bidding_deadline.data or "", ws.timezone),
                review_deadline=parse_local(form.review_deadline.data or "", ws.timezone),
                reviews_per_paper=form.reviews_per_paper.data,
                default_max_load=form.default_max_load.data,
                weights=Weights(float(form.weight_bid.data), float(form.weight_topics.data), float(form.weight_text.data)),
                loads=loads,
                discussion_before_review=bool(form.discussion_before_review.data),
            )
            svc.update_review_settings(me(), ws, settings)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            problems.append(str(exc))
        else:
            flash("The reviewing settings are saved.", "success")
            return redirect(url_for(".reviewing"))
    # Counted on the papers this chair handles only: a count would tell an author-chair who bids on or reviews
    # their own paper.
    hidden = permissions.chair_conflicted_ids(me())
    assigned = dict(
        db.session.execute(
            sa.select(ReviewAssignment.reviewer_id, sa.func.count())
            .where(ReviewAssignment.submission_id.not_in(hidden))
            .group_by(ReviewAssignment.reviewer_id)
        ).all()
    )
    bids = dict(
        db.session.execute(
            sa.select(Bid.reviewer_id, sa.func.count()).where(Bid.submission_id.not_in(hidden)).group_by(Bid.reviewer_id)
        ).all()
    )
    status = 422 if form.errors or problems else 200
    return render_template(
        "chair/reviewing.html", ws=ws, form=form, people=people, problems=problems, assigned=assigned, bids=bids
    ), status


# --- conflicts ----------------------------------------------------------------------------------------


@bp.route("/conflicts", methods=["GET", "POST"])
def conflicts() -> str | Response:
    ws = require_workshop()
    form = PairForm()
    if form.validate_on_submit():
        sub = db.session.get(Submission, form.number.data)
        reviewer = user_by_email(form.reviewer.data)
        if sub is not None and not permissions.can_chair_paper(me(), sub):
            abort(404)
        if sub is None or sub.workshop_id != ws.id or reviewer is None:
            flash("There is no such submission or no account with that address.", "error")
        else:
            try:
                svc.add_conflict_override(me(), sub, reviewer, True, form.note.data or "")
                db.session.commit()
                flash(f"{reviewer.name} now conflicts with #{sub.id}.", "success")
            except DomainError as exc:
                db.session.rollback()
                flash(str(exc), "error")
        return redirect(url_for(".conflicts"))
    subs = [s for s in svc.reviewable(ws) if permissions.can_chair_paper(me(), s)]
    people = svc.reviewers()
    overrides = [o for o in overrides_for() if o.submission_id in {s.id for s in subs}]
    found = conflict_map([s.id for s in subs], [u.id for u in people])
    lifted = [o for o in overrides if not o.conflicted]
    by_id = {u.id: u for u in people}
    rows = sorted(
        ((sub_id, by_id[rid], reasons) for (sub_id, rid), reasons in found.items() if rid in by_id),
        key=lambda r: (r[0], r[1].name),
    )
    titles = {s.id: s.title for s in subs}
    return render_template("chair/conflicts.html", ws=ws, rows=rows, titles=titles, form=form, lifted=lifted, button=ButtonForm())


@bp.post("/conflicts/<int:number>/<int:reviewer_id>/<any(lift, clear):action>")
def change_conflict(number: int, reviewer_id: int, action: str) -> Response:
    require_button()
    sub = get_submission(number, permissions.can_chair_paper)
    reviewer = db.session.get(User, reviewer_id) or abort(404)
    try:
        if action == "lift":
            svc.add_conflict_override(me(), sub, reviewer, False, "lifted by a chair")
            message = f"The conflict of {reviewer.name} with #{sub.id} is lifted."
        else:
            svc.clear_conflict_override(me(), sub, reviewer)
            message = f"The chairs' change to {reviewer.name} and #{sub.id} is undone."
        db.session.commit()
        flash(message, "success")
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for(".conflicts"))


# --- assignments --------------------------------------------------------------------------------------


@bp.get("/assignments")
def assignments() -> str:
    return _assignments_page(ExternalReviewerForm())


def _assignments_page(external: ExternalReviewerForm, problems: tuple[str, ...] = ()) -> str:
    """The assignments page; ``external`` is the external-reviewer form (a refused one keeps what was typed,
    with its errors and ``problems``)."""
    ws = require_workshop()
    subs = [s for s in svc.reviewable(ws) if permissions.can_chair_paper(me(), s)]
    rows = db.session.scalars(
        sa.select(ReviewAssignment).options(selectinload(ReviewAssignment.review), selectinload(ReviewAssignment.reviewer))
    ).all()
    by_paper: dict[int, list[ReviewAssignment]] = defaultdict(list)
    load: dict[int, int] = defaultdict(int)
    visible = {s.id for s in subs}
    for a in rows:  # a chair's own (conflicted) papers count nowhere: a load would tell who reviews them
        if a.submission_id in visible:
            by_paper[a.submission_id].append(a)
            load[a.reviewer_id] += 1
    people = svc.reviewers()
    conflicts = conflict_map(sorted(visible), [u.id for u in people])
    drafts = db.session.scalars(
        sa.select(AssignmentProposal)
        .where(AssignmentProposal.state == ProposalState.DRAFT)
        .order_by(AssignmentProposal.id.desc())
    ).all()
    return render_template(
        "chair/assignments.html",
        ws=ws,
        subs=subs,
        by_paper=by_paper,
        load=load,
        people=people,
        conflicts=conflicts,
        button=ButtonForm(),
        drafts=drafts,
        external=external,
        external_problems=problems,
        unfinished=svc.unfinished_by_reviewer(me()),
        load_of=lambda u: svc.load_of(ws, u),
    )


@bp.post("/assignments/add")
def add_assignment() -> Response:
    require_button()
    ws = require_workshop()
    sub = get_submission(parse_id(request.form.get("number")) or 0, permissions.can_chair_paper)
    reviewer = db.session.get(User, parse_id(request.form.get("reviewer")) or 0)
    if reviewer is None:
        flash("Choose a reviewer.", "error")
        return redirect(url_for(".assignments", _anchor=f"paper-{sub.id}"))
    try:
        assignment = svc.assign_reviewer(me(), ws, sub, reviewer)
        work.commit_and_deliver()
        flash(f"{reviewer.name} reviews #{sub.id} as Reviewer {assignment.ordinal}.", "success")
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for(".assignments", _anchor=f"paper-{sub.id}"))


@bp.post("/assignments/<int:assignment_id>/remove")
def remove_assignment(assignment_id: int) -> Response:
    require_button()
    assignment = db.session.get(ReviewAssignment, assignment_id) or abort(404)
    sub = get_submission(assignment.submission_id, permissions.can_chair_paper)
    try:
        name = assignment.reviewer.name
        svc.unassign_reviewer(me(), assignment)
        db.session.commit()
        flash(f"{name} no longer reviews #{sub.id}.", "success")
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for(".assignments", _anchor=f"paper-{sub.id}"))


@bp.post("/assignments/<int:assignment_id>/restore")
def restore_assignment(assignment_id: int) -> Response:
    require_button()
    assignment = db.session.get(ReviewAssignment, assignment_id) or abort(404)
    sub = get_submission(assignment.submission_id, permissions.can_chair_paper)
    try:
        svc.restore_assignment(me(), assignment)
        db.session.commit()
        flash(f"Reviewer {assignment.ordinal} of #{sub.id} is restored: they see the paper again.", "success")
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for(".home", _anchor="suspended"))


@bp.post("/papers/<int:number>/manager")
def set_manager(number: int) -> Response:
    """Name (or, with an empty address, clear) the manager of a paper: any chair may, also one conflicted with
    it (that is what a manager is for); the audit log keeps who did."""
    require_button()
    sub = db.session.get(Submission, number) or abort(404)
    if sub.workshop_id != require_workshop().id:
        abort(404)
    address = (request.form.get("email") or "").strip()
    try:
        if not address and sub.manager_id is None:
            raise DomainError("Give the email address of the program-committee member who will manage the paper.")
        person = user_by_email(address) if address else None
        if address and person is None:
            raise DomainError(f"No account uses {address[:320]}.")
        svc.set_manager(me(), sub, person)
        db.session.commit()
        flash(f"{person.name} now manages #{sub.id}." if person else f"#{sub.id} has no manager any more.", "success")
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for(".home"))


@bp.post("/assignments/run")
def run_assignment() -> Response:
    require_button()
    from portal.chair.jobs import launch

    return launch("assignment", me(), workshop_id=require_workshop().id)


@bp.post("/assignments/remind")
def remind() -> Response:
    require_button()
    count = svc.remind_reviewers(me(), require_workshop())
    # "Remind" pressed twice reminds once.
    once.record(url_for(".assignments"), f"reminders went to {count} reviewer{'s' if count != 1 else ''}")
    work.commit_and_deliver()
    flash(f"Reminders sent to {count} reviewer{'s' if count != 1 else ''} with unfinished reviews.", "success")
    return redirect(url_for(".assignments"))


@bp.post("/assignments/external")
def external() -> Response | tuple[str, int]:
    ws = require_workshop()
    form = ExternalReviewerForm()
    if not form.validate_on_submit():
        return _assignments_page(form), 422  # what the chair typed, each error linked from the summary
    sub = get_submission(form.number.data, permissions.can_chair_paper)
    try:
        message = svc.invite_external(me(), ws, sub, form.name.data, form.email.data)
    except DomainError as exc:
        db.session.rollback()
        return _assignments_page(form, (f"{exc} Nothing was sent.",)), 422
    work.commit_and_deliver()
    flash(message, "success")
    return redirect(url_for(".assignments", _anchor=f"paper-{sub.id}"))


def _proposal(proposal_id: int) -> AssignmentProposal:
    return db.session.get(AssignmentProposal, proposal_id) or abort(404)


@bp.get("/proposals/<int:proposal_id>")
def proposal(proposal_id: int) -> str:
    ws = require_workshop()
    p = _proposal(proposal_id)
    # A chair who is an author of a paper does not see (or pick) who reviews it.
    subs = {s.id: s for s in svc.reviewable(ws) if permissions.can_chair_paper(me(), s)}
    people = {u.id: u for u in svc.reviewers()}
    by_paper: dict[int, list[int]] = defaultdict(list)
    load: dict[int, int] = defaultdict(int)
    existing: dict[int, list[ReviewAssignment]] = defaultdict(list)
    # Loads count only the papers this chair handles: a load would tell an author-chair who reviews their paper.
    for a in svc.current_assignments():
        if a.submission_id in subs:
            load[a.reviewer_id] += 1
            existing[a.submission_id].append(a)
    for paper, reviewer in p.result["pairs"]:
        if paper in subs:
            by_paper[paper].append(reviewer)
            load[reviewer] += 1
    # A chair conflicted with any paper sees the figures of the papers they handle only (always so worded, so
    # that the wording itself tells nothing about this proposal).
    partial = bool(db.session.scalar(sa.select(permissions.chair_conflicted_ids(me()).exists())))
    return render_template(
        "chair/proposal.html",
        ws=ws,
        p=p,
        subs=subs,
        people=people,
        by_paper=by_paper,
        load=load,
        existing=existing,
        button=ButtonForm(),
        partial=partial,
        visible_pairs=sum(len(v) for v in by_paper.values()),
        load_of=lambda u: svc.load_of(ws, u),
    )


@bp.post("/proposals/<int:proposal_id>/<any(apply, discard, remove, add):action>")
def change_proposal(proposal_id: int, action: str) -> Response:
    require_button()
    ws = require_workshop()
    p = _proposal(proposal_id)
    try:
        if action == "apply":
            count = svc.apply_proposal(me(), ws, p)
            once.record(url_for(".assignments"), f"proposal {p.id} was applied")
            work.commit_and_deliver()
            flash(
                f"{count} assignment{'s' if count != 1 else ''} applied; each reviewer got a mail listing their papers.",
                "success",
            )
            return redirect(url_for(".assignments"))
        if action == "discard":
            svc.discard_proposal(me(), p)
            db.session.commit()
            flash("The proposal is discarded.", "success")
            return redirect(url_for(".assignments"))
        sub = get_submission(parse_id(request.form.get("number")) or 0, permissions.can_chair_paper)
        pair = (sub.id, parse_id(request.form.get("reviewer")) or 0)
        svc.edit_proposal(p, **{action: pair})
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for(".proposal", proposal_id=proposal_id, _anchor=f"paper-{request.form.get('number', '')}"))


# --- the chair's view of a paper ------------------------------------------------------------------------


@bp.get("/papers/<int:number>")
def paper(number: int) -> str:
    ws = require_workshop()
    sub = get_submission(number, permissions.can_chair_paper)
    assigned = db.session.scalars(
        sa.select(ReviewAssignment)
        .where(ReviewAssignment.submission_id == sub.id)
        .order_by(ReviewAssignment.ordinal)
        .options(selectinload(ReviewAssignment.review), selectinload(ReviewAssignment.reviewer))
    ).all()
    comments = db.session.scalars(
        sa.select(DiscussionComment).where(DiscussionComment.submission_id == sub.id).order_by(DiscussionComment.id)
    ).all()
    people = {u.id: u for u in svc.reviewers()}
    found = conflict_map([sub.id], list(people))
    history = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.submission_id == sub.id).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    ).all()
    letter = db.session.scalar(sa.select(Letter).where(Letter.submission_id == sub.id))
    submitted = [a.review.recommendation for a in assigned if a.review and a.review.state == ReviewState.SUBMITTED]
    return render_template(
        "chair/paper.html",
        ws=ws,
        sub=sub,
        assigned=assigned,
        comments=comments,
        ReviewState=ReviewState,
        conflicts=[(people[rid], reasons) for (_, rid), reasons in found.items()],
        recommendations=RECOMMENDATIONS,
        confidences=CONFIDENCES,
        history=history,
        letter=letter,
        mean=sum(submitted) / len(submitted) if submitted else None,
        decisions=list(Decision),
        presentations=list(Presentation),
    )
