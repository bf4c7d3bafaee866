from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from portal import once, permissions, work
from portal.db import db, parse_id, utcnow
from portal.domain import DeadlinePassed, DomainError
from portal.forms import ButtonForm
from portal.models import (
    CONFIDENCES,
    RECOMMENDATIONS,
    Bid,
    BidValue,
    Decision,
    DiscussionComment,
    Presentation,
    ReviewAssignment,
    ReviewState,
    Submission,
)
from portal.review.blueprint import bp
from portal.review.forms import CommentForm, ReviewForm
from portal.services import decisions
from portal.services import reviewing as svc
from portal.services.accounts import user_by_email
from portal.services.submissions import ensure_reviewers_copy
from portal.templating import format_datetime
from portal.web import Check, get_submission, me, require_workshop, send_stored


def _paper(number: int, check: Check = permissions.can_see_paper_as_reviewer) -> Submission:
    return get_submission(number, check)


@bp.get("/")
def index() -> str:
    ws = require_workshop()
    user = me()
    mine = db.session.scalars(
        sa.select(ReviewAssignment)
        .where(ReviewAssignment.reviewer_id == user.id)
        .order_by(ReviewAssignment.submission_id)
        .options(selectinload(ReviewAssignment.review), selectinload(ReviewAssignment.submission))
    ).all()
    visible = [a for a in mine if permissions.can_review(user, a.submission)]
    return render_template(
        "review/index.html", ws=ws, assignments=visible, now=utcnow(), bidding=permissions.can_bid(user, ws, utcnow())
    )


@bp.route("/bids", methods=["GET", "POST"])
def bids() -> str | Response:
    ws = require_workshop()
    user = me()
    if not permissions.is_reviewer(user):
        abort(403)
    now = utcnow()
    subs = svc.biddable(ws, user) if ws.phase.value != "submission" else []
    if request.method == "POST":
        if not ButtonForm().validate_on_submit():
            abort(400)
        wanted: dict[int, BidValue | None] = {}
        for sub in subs:
            raw = request.form.get(f"bid-{sub.id}")
            if raw is None:
                continue
            wanted[sub.id] = BidValue(raw) if raw in BidValue._value2member_map_ else None
        try:
            changed = svc.place_bids(user, ws, wanted, now)
        except DeadlinePassed as exc:
            db.session.rollback()
            flash(f"{exc} Nothing was saved.", "error")
        else:
            db.session.commit()
            flash(f"Your bids are saved ({changed} changed).", "success")
        return redirect(url_for(".bids", q=request.args.get("q") or None, topic=request.args.get("topic") or None))
    q = (request.args.get("q") or "").strip().lower()[:200]
    topic = request.args.get("topic", type=int)

    def matches(s: Submission) -> bool:
        in_topic = topic is None or topic == s.primary_topic_id or topic in {t.id for t in s.secondary_topics}
        return in_topic and (not q or q in f"{s.title}\n{s.abstract}\n{s.keywords}".lower())

    shown = [s for s in subs if matches(s)]
    mine = {b.submission_id: b.value for b in db.session.scalars(sa.select(Bid).where(Bid.reviewer_id == user.id))}
    return render_template(
        "review/bids.html",
        ws=ws,
        subs=shown,
        total=len(subs),
        bids=mine,
        q=q,
        topic=topic,
        open=ws.bidding_open(now),
        values=list(BidValue),
    )


@bp.get("/papers/<int:number>")
def paper(number: int) -> str:
    return _paper_page(number, CommentForm())


def _paper_page(number: int, comment_form: CommentForm) -> str:
    """The paper's page; ``comment_form`` is the discussion's form (a refused one keeps its text and errors)."""
    ws = require_workshop()
    sub = _paper(number)
    user = me()
    assignment = permissions.assignment_for(user, sub)
    others = []
    if permissions.can_see_reviews(user, sub):
        others = db.session.scalars(
            sa.select(ReviewAssignment)
            .where(ReviewAssignment.submission_id == sub.id)
            .order_by(ReviewAssignment.ordinal)
            .options(selectinload(ReviewAssignment.review))
        ).all()
        others = [
            a for a in others if a.review is not None and a.review.state == ReviewState.SUBMITTED and a.suspended_at is None
        ]  # (a suspended reviewer's review waits for the chairs)
    comments = (
        db.session.scalars(
            sa.select(DiscussionComment).where(DiscussionComment.submission_id == sub.id).order_by(DiscussionComment.id)
        ).all()
        if permissions.can_discuss(user, sub)
        else []
    )
    return render_template(
        "review/paper.html",
        ws=ws,
        sub=sub,
        assignment=assignment,
        others=others,
        comments=comments,
        who=lambda person: svc.display_name(person, sub, viewer=user) if person else "Someone",
        comment_form=comment_form,
        recommendations=RECOMMENDATIONS,
        confidences=CONFIDENCES,
        show_authors=not ws.double_blind or permissions.can_chair_paper(user, sub),
        managed=_managed_view(sub) if permissions.manages(user, sub) else None,
        button=ButtonForm(),
    )


def _managed_view(sub: Submission) -> dict[str, object]:
    """What the manager's panel shows: every assignment with its reviewer's name, and the decision."""
    assigned = db.session.scalars(
        sa.select(ReviewAssignment)
        .where(ReviewAssignment.submission_id == sub.id)
        .order_by(ReviewAssignment.ordinal)
        .options(selectinload(ReviewAssignment.reviewer), selectinload(ReviewAssignment.review))
    ).all()
    return {"assigned": assigned, "decisions": list(Decision), "presentations": list(Presentation)}


@bp.route("/papers/<int:number>/review", methods=["GET", "POST"])
def review(number: int) -> str | Response:
    ws = require_workshop()
    sub = _paper(number, permissions.can_review)
    assignment = permissions.assignment_for(me(), sub)
    if assignment is None:  # can_review says there is one; never trust an assert to keep it so
        abort(404)
    ordinal, assignment_id = assignment.ordinal, assignment.id  # (read now: a lost race expires them)
    existing = assignment.review
    form = ReviewForm(obj=existing) if request.method == "GET" else ReviewForm()
    if request.method == "GET":
        form.version.data = str(existing.version) if existing else ""
    problems: list[str] = []
    if form.validate_on_submit():
        data = {k: getattr(form, k).data for k in svc.REVIEW_FIELDS}
        submit = request.form.get("action") == "submit"
        version = parse_id(form.version.data)
        try:
            saved = svc.save_review(ws, assignment, data, submit=submit, version=version)
            db.session.commit()
        except DeadlinePassed as exc:
            db.session.rollback()
            when = f" It was {format_datetime(exc.deadline)}." if exc.deadline else ""
            problems.append(f"{exc}{when} Nothing was saved.")
        except (DomainError, StaleDataError, sa.exc.IntegrityError) as exc:
            db.session.rollback()  # the text typed comes back in the form below: nothing of it is lost
            if db.session.get(ReviewAssignment, assignment_id) is None:  # a chair removed the assignment meanwhile
                existing = None
                problems.append(
                    "A chair removed you from this paper's reviewers while you were writing, so your "
                    "review was not saved. Your text is below: keep a copy if you need it."
                )
            else:
                existing = db.session.get(ReviewAssignment, assignment_id).review
                problems.append(once.message_of(exc))
        else:
            if saved.state == ReviewState.SUBMITTED:
                flash("Your review is submitted. You can now read the other reviews of this paper.", "success")
            else:
                flash("Your draft is saved. Submit it when it is ready.", "success")
            return redirect(url_for(".paper", number=number))
    status = 422 if form.errors or problems else 200
    page = render_template(
        "review/form.html",
        ws=ws,
        sub=sub,
        form=form,
        review=existing,
        problems=problems,
        ordinal=ordinal,
        open=svc.reviewing_open(ws, utcnow()),
    )
    return page, status


@bp.post("/papers/<int:number>/discussion")
def discuss(number: int) -> Response | tuple[str, int]:
    ws = require_workshop()
    sub = _paper(number)
    if not permissions.can_discuss(me(), sub):
        abort(403)  # a reviewer before their own review: they see the paper, not yet its discussion
    form = CommentForm()
    if not form.validate_on_submit():
        return _paper_page(number, form), 422  # the comment as typed, with its error linked from the summary
    svc.post_comment(me(), ws, sub, form.body.data.strip())
    work.commit_and_deliver()
    flash("Your comment is posted; the other participants get a mail.", "success")
    return redirect(url_for(".paper", number=number, _anchor="discussion"))


@bp.get("/papers/<int:number>/pdf")
def pdf(number: int) -> Response:
    ws = require_workshop()
    sub = _paper(number)
    revision = sub.paper
    if revision is None:
        abort(404)
    file = revision.file
    if permissions.gets_reviewers_copy_only(me(), sub):
        file = ensure_reviewers_copy(revision)  # made at upload; here only if the workshop became double-blind later
        db.session.commit()
    if file is None:
        abort(404)
    return send_stored(file, f"{ws.label}-{sub.id}.pdf".replace(" ", ""))


# --- a paper's manager (a program-committee member a chair named to handle one paper alone) ---------------


def _managed(number: int) -> Submission:
    return get_submission(number, permissions.manages)


@bp.post("/papers/<int:number>/manage/assign")
def manage_assign(number: int) -> Response:
    ButtonForm().validate_on_submit() or abort(400)
    ws = require_workshop()
    sub = _managed(number)
    address = (request.form.get("email") or "").strip()
    reviewer = user_by_email(address) if address else None
    try:
        if reviewer is None:
            raise DomainError("No reviewer has that address.")
        assignment = svc.assign_reviewer(me(), ws, sub, reviewer)
        work.commit_and_deliver()
        flash(f"{reviewer.name} reviews #{sub.id} as Reviewer {assignment.ordinal}.", "success")
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for(".paper", number=number, _anchor="manage"))


@bp.post("/papers/<int:number>/manage/remove/<int:assignment_id>")
def manage_remove(number: int, assignment_id: int) -> Response:
    ButtonForm().validate_on_submit() or abort(400)
    sub = _managed(number)
    assignment = db.session.get(ReviewAssignment, assignment_id)
    if assignment is None or assignment.submission_id != sub.id:
        abort(404)
    try:
        name = assignment.reviewer.name
        svc.unassign_reviewer(me(), assignment)
        db.session.commit()
        flash(f"{name} no longer reviews #{sub.id}.", "success")
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for(".paper", number=number, _anchor="manage"))


@bp.post("/papers/<int:number>/manage/decide")
def manage_decide(number: int) -> Response:
    ButtonForm().validate_on_submit() or abort(400)
    ws = require_workshop()
    sub = _managed(number)
    decision = {d.value: d for d in Decision}.get(request.form.get("decision", ""))
    presentation = {p.value: p for p in Presentation}.get(request.form.get("presentation", ""))
    try:
        decisions.record_decision(
            me(),
            sub,
            decision=decision,
            presentation=presentation,
            note=(request.form.get("note") or "").strip()[:5000],
            version=parse_id(request.form.get("version")),
        )
        if decision is not None and request.form.get("send") == "1":
            decisions.send_letter_of(me(), ws, sub)
        work.commit_and_deliver()
        flash(
            f"#{sub.id}: {decision.value if decision else 'no decision'}"
            + (" and the letter is on its way to the authors." if decision and request.form.get("send") == "1" else "."),
            "success",
        )
    except (DomainError, StaleDataError) as exc:
        db.session.rollback()
        flash(once.message_of(exc), "error")
    return redirect(url_for(".paper", number=number, _anchor="manage"))
