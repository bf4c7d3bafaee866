from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from portal import permissions, work
from portal.db import db, parse_id, utcnow
from portal.domain import DeadlinePassed, DomainError
from portal.forms import ButtonForm
from portal.models import (
    BidValue,
    Decision,
    DiscussionComment,
    Phase,
    Presentation,
    Review,
    ReviewAssignment,
    ReviewState,
    Submission,
    Workshop,
)
from portal.review.blueprint import bp
from portal.review.forms import AreaChairDeclineForm, CommentForm, DeclineForm, ExtraReviewForm, review_form_for
from portal.services import (
    accounts,
    area_chairs,
    assignments,
    bidding,
    decisions,
    discussion,
    meta_reviews,
    responses,
    review_form,
    reviews,
    submissions,
)
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
    visible = permissions.reviewable_assignments(user, list(mine))
    return render_template(
        "review/index.html", ws=ws, assignments=visible, now=utcnow(), bidding=permissions.can_bid(user, ws, utcnow())
    )


@bp.route("/bids", methods=["GET", "POST"])
def bids() -> str | Response:
    """The bid list, a page at a time; its form saves the bids of the page's papers and no others."""
    ws = require_workshop()
    user = me()
    if not permissions.is_reviewer(user):
        abort(403)
    where = _where()
    if request.method == "GET":
        return _bids_page(ws, user, where)
    if not ButtonForm().validate_on_submit():
        abort(400)
    outcome = work.attempt(lambda: bidding.place_bids(user, ws, _wanted(), utcnow()))
    placed = outcome.value if outcome.ok else None
    response = redirect_after(outcome, lambda p: f"Your bids are saved ({p.changed} changed).", url_for(".bids", **where))
    if placed is not None and placed.refused:
        flash(_not_biddable(placed.refused), "error")
    return response


def _not_biddable(numbers: list[int]) -> str:
    """What a post naming papers one may not bid on is told (the same whether such a paper exists or not)."""
    named = ", ".join(f"#{n}" for n in numbers[:10]) + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")
    return f"You may not bid on {named}: nothing was saved for {'it' if len(numbers) == 1 else 'them'}."


def _where() -> dict[str, Any]:
    """The bid list's filters, search, sort and page from the query string (None: the default, left out of links)."""
    args = request.args
    q = (args.get("q") or "").strip().lower()[:200]  # (the search ignores case; shown as searched)
    show, sort = args.get("show", ""), args.get("sort", "")
    page = parse_id(args.get("page")) or 1
    return {
        "q": q or None,
        "topic": parse_id(args.get("topic")),
        "show": show if show in bidding.SHOWS and show else None,
        "sort": sort if sort in bidding.SORTS and sort != "match" else None,
        "page": page if page > 1 else None,
    }


def _wanted() -> dict[int, BidValue | None]:
    """The bids posted, by paper number (a value that is no bid: None, taking it back)."""
    wanted: dict[int, BidValue | None] = {}
    for key, raw in request.form.items():
        number = parse_id(key.removeprefix("bid-")) if key.startswith("bid-") else None
        if number is not None:
            wanted[number] = BidValue(raw) if raw in BidValue._value2member_map_ else None
    return wanted


def _bids_page(ws: Workshop, user: Any, where: dict[str, Any]) -> str:
    listing = None
    if ws.phase != Phase.SUBMISSION:
        listing = bidding.bid_list(
            ws,
            user,
            q=where["q"] or "",
            topic=where["topic"],
            show=where["show"] or "",
            sort=where["sort"] or "match",
            page=where["page"] or 1,
        )
    return render_template(
        "review/bids.html",
        ws=ws,
        listing=listing,
        where=where,
        open=ws.bidding_open(utcnow()),
        values=list(BidValue),
    )


@bp.post("/bids/<int:number>")
def bid(number: int) -> Response | tuple[Response, int]:
    """One bid, as the bid list's script saves each change: JSON for the script, else back to the list."""
    ws = require_workshop()
    user = me()
    if not permissions.is_reviewer(user):
        abort(403)
    if not bidding.may_bid_on(ws, user, number):
        abort(404)  # (asked before the form: no answer tells a paper that exists from one that does not)
    raw = request.form.get("value")
    if raw is None or (raw and raw not in BidValue._value2member_map_):
        abort(400)
    value = BidValue(raw) if raw else None
    outcome = work.attempt(lambda: bidding.place_bid(user, ws, number, value, utcnow()))
    said = f"Saved: #{number} {value.label if value else 'no bid'}." if outcome.ok else outcome.problem
    if isinstance(outcome.error, bidding.NotBiddable):
        abort(404)  # (it stopped being one meanwhile)
    if request.accept_mimetypes.best == "application/json":
        body = jsonify(saved=outcome.ok, number=number, bid=raw, message=said)
        return (body, 200) if outcome.ok else (body, 409)
    flash(said, "success" if outcome.ok else "error")
    return redirect(url_for(".bids", _anchor=f"paper-{number}"))


@bp.get("/papers/<int:number>")
def paper(number: int) -> str:
    return _paper_page(number, CommentForm())


def paper_page(
    number: int, *, extra_form: ExtraReviewForm | None = None, ac_decline_form: AreaChairDeclineForm | None = None
) -> str:
    """The paper's page with one of the area chair's forms as posted (refused): the extra review, or declining."""
    return _paper_page(number, CommentForm(), extra_form=extra_form, ac_decline_form=ac_decline_form)


def _paper_page(
    number: int,
    comment_form: CommentForm,
    decline_form: DeclineForm | None = None,
    extra_form: ExtraReviewForm | None = None,
    ac_decline_form: AreaChairDeclineForm | None = None,
) -> str:
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
        fields=permissions.visible_fields(permissions.review_audience(user, sub), review_form.fields(ws, retired=True)),
        show_authors=not ws.double_blind or permissions.can_chair_paper(user, sub),
        managed=_managed_view(sub) if permissions.manages(user, sub) else None,
        overseen=_overseen_view(ws, sub) if permissions.oversees(user, sub) else None,
        meta=meta_reviews.shown(user, ws, sub),
        extra_form=extra_form or ExtraReviewForm(),
        button=ButtonForm(),
        decline_form=decline_form or DeclineForm(),
        ac_decline_form=ac_decline_form or AreaChairDeclineForm(prefix="ac"),
        response=responses.response_of(sub) if permissions.can_read_response(user, sub, utcnow()) else None,
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


def _overseen_view(ws: Workshop, sub: Submission) -> dict[str, object]:
    """What the area chair's panel shows: every reviewer by name with their review's state (late ones marked), and
    any extra review asked for and not yet done."""
    assigned = db.session.scalars(
        sa.select(ReviewAssignment)
        .where(ReviewAssignment.submission_id == sub.id)
        .order_by(ReviewAssignment.ordinal)
        .options(selectinload(ReviewAssignment.reviewer), selectinload(ReviewAssignment.review))
    ).all()
    now = utcnow()
    return {
        "assigned": assigned,
        "late": {a.id for a in assigned if area_chairs.is_late(ws, a, now)},
        "requests": area_chairs.open_requests([sub.id]),
    }


@bp.route("/papers/<int:number>/review", methods=["GET", "POST"])
def review(number: int) -> str | Response | tuple[str, int]:
    ws = require_workshop()
    sub = _paper(number, permissions.can_review)
    assignment = permissions.assignment_for(me(), sub)
    if assignment is None:  # can_review says there is one; never trust an assert to keep it so
        abort(404)
    ordinal, assignment_id = assignment.ordinal, assignment.id  # (read now: a lost race expires them)
    existing = assignment.review
    form_class = review_form_for(review_form.fields(ws))
    form = form_class.from_model(existing) if request.method == "GET" else form_class()
    form.keep_given(existing)
    problems: list[str] = []
    marked: dict[str, str] = {}
    if form.validate_on_submit():
        submit = request.form.get("action") == "submit"
        outcome = work.attempt(lambda: reviews.save_review(ws, assignment, **form.to_input(), submit=submit), show_deadline=True)
        if outcome.ok:
            flash(SUBMITTED if outcome.value.state == ReviewState.SUBMITTED else DRAFTED, "success")  # type: ignore[union-attr]
            return redirect(url_for(".paper", number=number))
        existing, problem = _refused(assignment_id, outcome)  # the text typed comes back in the form: none of it is lost
        problems.append(problem)
        if isinstance(outcome.error, review_form.AnswersRefused):  # each field's problem under it, linked from the top
            marked = outcome.error.problems
    open_ = reviews.reviewing_open(ws, utcnow())
    return form_page(
        "review/form.html",
        form=form,
        problems=problems,
        marked=marked,
        ws=ws,
        sub=sub,
        review=existing,
        ordinal=ordinal,
        open=open_,
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
    conflict = form.why.data == "conflict"
    outcome = work.attempt(lambda: assignments.decline_assignment(me(), ws, sub, form.reason.data or "", conflict=conflict))
    if not outcome.ok:
        form.reason.errors.append(outcome.problem)  # type: ignore[attr-defined]
        return _paper_page(number, CommentForm(), form), 422
    if conflict:
        flash(f"You no longer review #{sub.id}: your conflict is recorded and the chairs are told.", "success")
    else:
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
