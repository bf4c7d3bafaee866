from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from portal import permissions, work
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
    Review,
    ReviewAssignment,
    ReviewState,
    Submission,
    Workshop,
)
from portal.review.blueprint import bp
from portal.review.forms import CommentForm, DeclineForm, ReviewForm
from portal.services import accounts, assignments, bidding, decisions, discussion, reviews, submissions
from portal.web import Check, form_page, get_submission, me, redirect_after, require_workshop, send_stored
from portal.work import Outcome

SUBMITTED = "Your review is submitted. You can now read the other reviews of this paper."
DRAFTED = "Your draft is saved. Submit it when it is ready."
REMOVED = (
    "A chair removed you from this paper's reviewers while you were writing, so your review was not saved. Your "
    "text is below: keep a copy if you need it."
)


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
    subs = bidding.biddable(ws, user) if ws.phase.value != "submission" else []
    if request.method == "GET":
        return _bids_page(ws, subs, now)
    if not ButtonForm().validate_on_submit():
        abort(400)
    outcome = work.attempt(lambda: bidding.place_bids(user, ws, _wanted(subs), now))
    back = url_for(".bids", q=request.args.get("q") or None, topic=request.args.get("topic") or None)
    return redirect_after(outcome, lambda changed: f"Your bids are saved ({changed} changed).", back)


def _wanted(subs: list[Submission]) -> dict[int, BidValue | None]:
    """The bids posted for the papers the reviewer may bid on (a value that is no bid: None, taking it back)."""
    wanted: dict[int, BidValue | None] = {}
    for sub in subs:
        raw = request.form.get(f"bid-{sub.id}")
        if raw is not None:
            wanted[sub.id] = BidValue(raw) if raw in BidValue._value2member_map_ else None
    return wanted


def _bids_page(ws: Workshop, subs: list[Submission], now: object) -> str:
    q = (request.args.get("q") or "").strip().lower()[:200]
    topic = request.args.get("topic", type=int)

    def matches(s: Submission) -> bool:
        in_topic = topic is None or topic == s.primary_topic_id or topic in {t.id for t in s.secondary_topics}
        return in_topic and (not q or q in f"{s.title}\n{s.abstract}\n{s.keywords}".lower())

    shown = [s for s in subs if matches(s)]
    mine = {b.submission_id: b.value for b in db.session.scalars(sa.select(Bid).where(Bid.reviewer_id == me().id))}
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


def _paper_page(number: int, comment_form: CommentForm, decline_form: DeclineForm | None = None) -> str:
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
        who=lambda person: discussion.display_name(person, sub, viewer=user) if person else "Someone",
        comment_form=comment_form,
        recommendations=RECOMMENDATIONS,
        confidences=CONFIDENCES,
        show_authors=not ws.double_blind or permissions.can_chair_paper(user, sub),
        managed=_managed_view(sub) if permissions.manages(user, sub) else None,
        button=ButtonForm(),
        decline_form=decline_form or DeclineForm(),
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
def review(number: int) -> str | Response | tuple[str, int]:
    ws = require_workshop()
    sub = _paper(number, permissions.can_review)
    assignment = permissions.assignment_for(me(), sub)
    if assignment is None:  # can_review says there is one; never trust an assert to keep it so
        abort(404)
    ordinal, assignment_id = assignment.ordinal, assignment.id  # (read now: a lost race expires them)
    existing = assignment.review
    form = ReviewForm.from_model(existing) if request.method == "GET" else ReviewForm()
    problems: list[str] = []
    if form.validate_on_submit():
        submit = request.form.get("action") == "submit"
        outcome = work.attempt(lambda: reviews.save_review(ws, assignment, **form.to_input(), submit=submit), show_deadline=True)
        if outcome.ok:
            flash(SUBMITTED if outcome.value.state == ReviewState.SUBMITTED else DRAFTED, "success")  # type: ignore[union-attr]
            return redirect(url_for(".paper", number=number))
        existing, problem = _refused(assignment_id, outcome)  # the text typed comes back in the form: none of it is lost
        problems.append(problem)
    open_ = reviews.reviewing_open(ws, utcnow())
    return form_page(
        "review/form.html", form=form, problems=problems, ws=ws, sub=sub, review=existing, ordinal=ordinal, open=open_
    )


def _refused(assignment_id: int, outcome: Outcome[Review]) -> tuple[Review | None, str]:
    """After a refused save: the review as it stands now, and what to say (also when a chair removed the
    assignment meanwhile)."""
    assignment = db.session.get(ReviewAssignment, assignment_id)
    if assignment is None and not isinstance(outcome.error, DeadlinePassed):
        return None, REMOVED
    return (assignment.review if assignment else None), outcome.problem


@bp.post("/papers/<int:number>/discussion")
def discuss(number: int) -> Response | tuple[str, int]:
    ws = require_workshop()
    sub = _paper(number)
    if not permissions.can_discuss(me(), sub):
        abort(403)  # a reviewer before their own review: they see the paper, not yet its discussion
    form = CommentForm()
    if not form.validate_on_submit():
        return _paper_page(number, form), 422  # the comment as typed, with its error linked from the summary
    outcome = work.attempt(lambda: discussion.post_comment(me(), ws, sub, form.body.data.strip()))
    if not outcome.ok:
        form.body.errors.append(outcome.problem)  # type: ignore[attr-defined]
        return _paper_page(number, form), 422
    flash("Your comment is posted; the other participants get a mail.", "success")
    return redirect(url_for(".paper", number=number, _anchor="discussion"))


@bp.post("/papers/<int:number>/decline")
def decline(number: int) -> Response | tuple[str, int]:
    """The reviewer gives the paper back (before submitting their review), with a reason for the chairs."""
    ws = require_workshop()
    sub = _paper(number, permissions.can_review)
    form = DeclineForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _paper_page(number, CommentForm(), form), 422
    outcome = work.attempt(lambda: assignments.decline_assignment(me(), ws, sub, form.reason.data or ""))
    if not outcome.ok:
        form.reason.errors.append(outcome.problem)  # type: ignore[attr-defined]
        return _paper_page(number, CommentForm(), form), 422
    flash(f"You no longer review #{sub.id}; the chairs are told.", "success")
    return redirect(url_for(".index"))


@bp.get("/papers/<int:number>/pdf")
def pdf(number: int) -> Response:
    ws = require_workshop()
    sub = _paper(number)
    revision = sub.paper
    if revision is None:
        abort(404)
    file = revision.file
    if permissions.gets_reviewers_copy_only(me(), sub):
        file = submissions.ensure_reviewers_copy(revision)  # made at upload; here only if the workshop became double-blind later
        work.commit_and_deliver()
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
    reviewer = accounts.user_by_email(address) if address else None

    def assign() -> int:
        if reviewer is None:
            raise DomainError("No reviewer has that address.")
        return assignments.assign_reviewer(me(), ws, sub, reviewer).ordinal

    outcome = work.attempt(assign)
    to = url_for(".paper", number=number, _anchor="manage")
    return redirect_after(outcome, lambda ordinal: f"{reviewer.name} reviews #{sub.id} as Reviewer {ordinal}.", to)  # type: ignore[union-attr]


@bp.post("/papers/<int:number>/manage/remove/<int:assignment_id>")
def manage_remove(number: int, assignment_id: int) -> Response | str:
    ButtonForm().validate_on_submit() or abort(400)
    sub = _managed(number)
    assignment = db.session.get(ReviewAssignment, assignment_id)
    if assignment is None or assignment.submission_id != sub.id:
        abort(404)
    draft = assignment.review is not None and assignment.review.state == ReviewState.DRAFT
    if draft and request.form.get("confirm") != "1":  # ask first, as the chairs' own remove does
        name = assignment.reviewer.name
        return render_template(
            "chair/confirm.html",
            nav=False,
            heading=f"Remove {name} from #{sub.id}",
            what=f"{name} (Reviewer {assignment.ordinal}) has a draft review of #{sub.id} “{sub.title}”. Removing them "
            "keeps the draft: the chairs read it on the paper's page, and it becomes theirs again if they are "
            "assigned again.",
            items=[],
            total=0,
            limit=0,
            yes=f"remove {name}",
            action=request.path,
            hidden={},
            note="",
            cancel=url_for(".paper", number=number, _anchor="manage"),
            empty_blocks=False,
        )
    done = f"{assignment.reviewer.name} no longer reviews #{sub.id}."  # (read before the row is gone)
    outcome = work.attempt(lambda: assignments.unassign_reviewer(me(), assignment))
    return redirect_after(outcome, done, url_for(".paper", number=number, _anchor="manage"))


@bp.post("/papers/<int:number>/manage/decide")
def manage_decide(number: int) -> Response:
    ButtonForm().validate_on_submit() or abort(400)
    ws = require_workshop()
    sub = _managed(number)
    decision = {d.value: d for d in Decision}.get(request.form.get("decision", ""))
    presentation = {p.value: p for p in Presentation}.get(request.form.get("presentation", ""))
    send = decision is not None and request.form.get("send") == "1"

    def decide() -> None:
        note, version = (request.form.get("note") or "").strip()[:5000], parse_id(request.form.get("version"))
        decisions.record_decision(me(), sub, decision=decision, presentation=presentation, note=note, version=version)
        if send:
            decisions.send_letter_of(me(), ws, sub)

    outcome = work.attempt(decide)
    done = f"#{number}: {decision.value if decision else 'no decision'}" + (
        " and the letter is on its way to the authors." if send else "."
    )
    return redirect_after(outcome, done, url_for(".paper", number=number, _anchor="manage"))
