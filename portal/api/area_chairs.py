"""Area chairs (issues 21.2 and 22.5): for the chairs, the area chairs with their papers and loads, a paper's area
chair chosen or taken away, the automatic area-chair assignment (a job to poll) and its proposal, read and applied;
for an area chair, the papers they oversee and their meta-reviews (the form the chairs set, a draft then
submitted, ``If-Match`` once it exists); and a paper's meta-review as each reader may read it (the chairs who
handle it, its area chair, its reviewers and, once the letter is sent, its authors: the fields their audience
reads, never who wrote it). The same services and permissions as the pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from flask import Response, abort
from pydantic import Field

from portal import jobs, permissions, work
from portal.api.chairs import JobOut, _chair, _on_page, _page, _started
from portal.api.core import (
    Answer,
    Paging,
    ProblemItem,
    Strict,
    answer,
    decode_cursor,
    if_match,
    operation,
    page,
    refuse,
    refused_outcome,
)
from portal.api.reviews import FieldOut, FormOut, _field_out
from portal.db import db, page_of, utcnow
from portal.domain import DomainError
from portal.models import (
    AreaChairProposal,
    ExtraReviewRequest,
    ReviewAssignment,
    Submission,
    User,
)
from portal.services import area_chair_assignment, area_chairs, assignment_lists, meta_reviews
from portal.web import get_submission, me, require_workshop

TAG = "Area chairs"
PER_PAGE = 50  # area chairs a page, as on the area chairs page


# --- the chairs: area chairs and their loads ----------------------------------------------------------------


class AreaChairsQuery(Strict):
    q: str = Field("", max_length=200, description="words of the name, or the address")
    cursor: str | None = Field(None, max_length=200)


class AreaChairOut(Answer):
    id: int
    name: str
    email: str
    papers: list[int] = Field(description="the numbers of the papers they oversee (of those you handle)")
    reviews_assigned: int
    reviews_done: int
    meta_reviews_done: int
    recommendations: dict[str, int] = Field(description="their submitted meta-reviews' recommendations, by label")
    max_load: int = Field(description="the most papers they oversee: their own maximum, else the default")
    min_load: int
    own_max_load: int | None = Field(description="their own maximum (null: the default)")
    own_min_load: int | None


class AreaChairList(Answer):
    items: list[AreaChairOut]
    total: int
    default_max_load: int | None = Field(description="null: the even share of the submitted papers")
    default_min_load: int
    even_share: int
    without: int = Field(description="submitted papers you handle that have no area chair")
    next_cursor: str | None


@operation("/area-chairs", tag=TAG, response=AreaChairList, query=AreaChairsQuery)
def area_chair_list(query: AreaChairsQuery) -> Response:
    """The area chairs by name, as on the area chairs page (its search): the papers each oversees, the reviews in,
    the meta-reviews written and their recommendations, and their loads, 50 a page."""
    require_workshop()
    _chair()
    return _area_chairs(query)


def _area_chairs(query: AreaChairsQuery) -> Response:
    ws = require_workshop()
    labels = meta_reviews.recommendation_labels(ws, area_chairs.overseen_papers(ws))
    rows = area_chairs.progress(ws, me(), labels)
    wanted = query.q.casefold()
    found = [r for r in rows if not wanted or wanted in r.user.name.casefold() or wanted in r.user.email]
    asked = _page(query.cursor)
    current, pages = page_of(len(found), PER_PAGE, asked)
    shown, following = _on_page(asked, current, pages, found[(current - 1) * PER_PAGE : current * PER_PAGE])
    share = area_chair_assignment.even_share(ws)
    without = area_chairs.papers_without_area_chair(ws, permissions.chair_conflicted_ids(me()))
    items = [
        AreaChairOut(
            id=r.user.id,
            name=r.user.name,
            email=r.user.email,
            papers=r.papers,
            reviews_assigned=r.assigned,
            reviews_done=r.done,
            meta_reviews_done=r.meta_done,
            recommendations=dict(r.recommendations),
            max_load=area_chair_assignment.max_load_of(ws, r.user, share),
            min_load=area_chair_assignment.min_load_of(ws, r.user, share),
            own_max_load=r.user.ac_max_load,
            own_min_load=r.user.ac_min_load,
        )
        for r in shown
    ]
    return answer(
        AreaChairList(
            items=items,
            total=len(found),
            default_max_load=ws.ac_default_max_load,
            default_min_load=ws.ac_default_min_load or 0,
            even_share=share,
            without=without,
            next_cursor=following,
        )
    )


class OwnLoad(Strict):
    id: int = Field(ge=1, description="an area chair's id")
    max_load: int | None = Field(ge=0, le=10_000, description="null: the default")
    min_load: int | None = Field(ge=0, le=10_000, description="null: the default")


class LoadsIn(Strict):
    default_max_load: int | None = Field(ge=1, le=10_000, description="null: the even share of the submitted papers")
    default_min_load: int = Field(0, ge=0, le=10_000)
    people: list[OwnLoad] = Field(
        default_factory=list, max_length=5_000, description="area chairs' own loads; one not named keeps theirs"
    )


@operation("/area-chairs/loads", "PUT", tag=TAG, response=AreaChairList, body=LoadsIn, errors=(409,))
def set_area_chair_loads(body: LoadsIn) -> Response:
    """Set the area chairs' default loads and each named one's own, as the loads form of the area chairs page (a
    minimum above a maximum is refused, in words); answers with the first page of the area chairs."""
    ws = require_workshop()
    _chair()
    ids = [p.id for p in body.people]
    known = set(db.session.scalars(sa.select(User.id).where(User.is_area_chair, User.id.in_(ids))))
    wrong = [
        ProblemItem(detail="Not an area chair.", pointer=f"/people/{i}/id")
        for i, p in enumerate(body.people)
        if p.id not in known
    ]
    if wrong or len(set(ids)) != len(ids):
        refuse(422, "Name each area chair once, by the id GET /area-chairs gives.", wrong or None)
    loads = area_chair_assignment.AreaChairLoads(
        body.default_max_load,
        body.default_min_load,
        {p.id: p.max_load for p in body.people},
        {p.id: p.min_load for p in body.people},
    )
    outcome = work.attempt(lambda: area_chair_assignment.update_loads(me(), ws, loads))
    if not outcome.ok:
        refused_outcome(outcome)
    return _area_chairs(AreaChairsQuery())


# --- the chairs: a paper's area chair -----------------------------------------------------------------------


class PaperAreaChairIn(Strict):
    area_chair_id: int = Field(ge=1)


class PaperAreaChairOut(Answer):
    number: int
    area_chair_id: int
    name: str


@operation(
    "/submissions/<int:number>/area-chair",
    "PUT",
    tag=TAG,
    response=PaperAreaChairOut,
    body=PaperAreaChairIn,
    errors=(409,),
)
def set_paper_area_chair(number: int, body: PaperAreaChairIn) -> Response:
    """Make an area chair the paper's (replacing any other, who is never proposed for it again); they are mailed.
    Refused for a conflict, in words."""
    ws = require_workshop()
    _chair()
    sub = get_submission(number, permissions.can_chair_paper)
    person = db.session.get(User, body.area_chair_id)
    if person is None or not person.is_area_chair:
        refuse(409, "That person is not an area chair; make them one on the members page first.")
    outcome = work.attempt(lambda: area_chairs.set_area_chair(me(), ws, sub, person))
    if not outcome.ok:
        refused_outcome(outcome)
    return answer(PaperAreaChairOut(number=sub.id, area_chair_id=person.id, name=person.name))


@operation("/submissions/<int:number>/area-chair", "DELETE", tag=TAG, response=None, status=204, errors=(409,))
def clear_paper_area_chair(number: int) -> Response:
    """Take the paper's area chair away (they are never proposed for it again)."""
    ws = require_workshop()
    _chair()
    sub = get_submission(number, permissions.can_chair_paper)
    outcome = work.attempt(lambda: area_chairs.set_area_chair(me(), ws, sub, None))
    if not outcome.ok:
        refused_outcome(outcome)
    return Response(status=204)


# --- the chairs: the automatic area-chair assignment --------------------------------------------------------


class AreaChairRunIn(Strict):
    mode: Literal["best", "fair"] = "best"
    balanced: bool = False


@operation("/area-chair-runs", "POST", tag=TAG, response=JobOut, status=202, body=AreaChairRunIn, errors=(409,))
def run_area_chair_assignment(body: AreaChairRunIn) -> Response:
    """Propose an area chair for every paper you handle without one, by the assignment's solver: a job to poll at
    ``/jobs/{job_id}``; when done, its ``proposal_id`` names the area-chair proposal to read and apply."""
    ws = require_workshop()
    _chair()
    if jobs.under_way("area_chairs") is not None:
        refuse(409, "An automatic area-chair assignment is running already; poll that job.")
    try:
        area_chair_assignment.check_runnable(me(), ws)
    except DomainError as refused:
        refuse(409, str(refused))
    return _started(jobs.start("area_chairs", me(), workshop_id=ws.id, fair=body.mode == "fair", balanced=body.balanced))


class AreaChairPair(Answer):
    number: int
    area_chair_id: int


class AreaChairProposalOut(Answer):
    id: int
    state: str
    created_at: datetime
    pairs: list[AreaChairPair] = Field(description="the area chair proposed for each paper you handle that gets one")
    without: list[int] = Field(description="papers you handle the proposal leaves without an area chair")


def _ac_proposal(ac_proposal_id: int) -> AreaChairProposal:
    require_workshop()
    _chair()
    return db.session.get(AreaChairProposal, ac_proposal_id) or abort(404)


@operation("/area-chair-proposals/<int:ac_proposal_id>", tag=TAG, response=AreaChairProposalOut)
def area_chair_proposal(ac_proposal_id: int) -> Response:
    """An area-chair proposal: the area chair it gives each paper you handle, by paper number, and the papers it
    leaves without one."""
    return _ac_proposal_out(_ac_proposal(ac_proposal_id))


def _ac_proposal_out(p: AreaChairProposal) -> Response:
    handled = assignment_lists.handled_ids(require_workshop(), me())
    by_paper: dict[int, int] = {}
    for paper, person in p.result.get("pairs", []):
        if paper in handled:
            by_paper[int(paper)] = int(person)
    missing = sorted({int(k) for k in p.result.get("shortfall", {})} & handled)
    return answer(
        AreaChairProposalOut(
            id=p.id,
            state=p.state.value,
            created_at=p.created_at,
            pairs=[AreaChairPair(number=n, area_chair_id=by_paper[n]) for n in sorted(by_paper)],
            without=missing,
        )
    )


class AreaChairsApplied(Answer):
    assigned: int = Field(description="papers that got an area chair")


@operation("/area-chair-proposals/<int:ac_proposal_id>/apply", "POST", tag=TAG, response=AreaChairsApplied, errors=(409,))
def apply_area_chair_proposal(ac_proposal_id: int) -> Response:
    """Apply a draft area-chair proposal: each area chair gets one mail listing their new papers. Refused, in words,
    when the area chairs changed since it was computed."""
    p = _ac_proposal(ac_proposal_id)
    outcome = work.attempt(lambda: area_chair_assignment.apply(me(), require_workshop(), p))
    if not outcome.ok:
        refused_outcome(outcome)
    return answer(AreaChairsApplied(assigned=int(outcome.value or 0)))


# --- an area chair's papers ---------------------------------------------------------------------------------


class OverseenOut(Answer):
    number: int
    title: str
    reviews_assigned: int
    reviews_done: int
    late: int = Field(description="reviewers past the review deadline without a submitted review")
    mean: float | None
    spread: int | None
    responded: bool = Field(description="the authors wrote a response")
    extra_review_asked: bool = Field(description="you asked for an extra review, not yet marked done")
    meta_review: Literal["", "draft", "submitted"]


class OverseenList(Answer):
    items: list[OverseenOut]
    next_cursor: str | None


@operation("/area-chair/papers", tag=TAG, response=OverseenList, query=Paging)
def overseen_papers(query: Paging) -> Response:
    """The papers you oversee as an area chair, by number, as on your area-chair page: the reviews' progress, the
    late reviewers, the authors' response and your meta-review."""
    ws = require_workshop()
    if not permissions.is_area_chair(me()):
        refuse(403, "This is for the area chairs.")
    after = decode_cursor(query.cursor)
    rows = [r for r in area_chairs.my_papers(me(), ws, utcnow()) if after is None or r.sub.id > int(after[0])]
    shown, following = page(rows[: query.limit + 1], query.limit, lambda r: (r.sub.id,))
    items = [
        OverseenOut(
            number=r.sub.id,
            title=r.sub.title,
            reviews_assigned=r.assigned,
            reviews_done=r.done,
            late=r.late,
            mean=r.mean,
            spread=r.spread,
            responded=r.responded,
            extra_review_asked=r.extra_asked,
            meta_review=r.meta,  # type: ignore[arg-type]
        )
        for r in shown
    ]
    return answer(OverseenList(items=items, next_cursor=following))


# --- meta-reviews -------------------------------------------------------------------------------------------


@operation("/meta-review-form", tag=TAG, response=FormOut)
def meta_review_form() -> Response:
    """The meta-review form's fields in order (for area chairs and chairs): the keys a meta-review's ``answers``
    use."""
    ws = require_workshop()
    if not (permissions.is_area_chair(me()) or permissions.is_chair(me())):
        refuse(403, "The meta-review form is for area chairs and chairs.")
    fields: list[FieldOut] = [_field_out(f) for f in meta_reviews.fields(ws)]
    return answer(FormOut(fields=fields))


class MetaReviewOut(Answer):
    number: int
    state: Literal["draft", "submitted"]
    submitted_at: datetime | None
    answers: dict[str, Any] = Field(description="by field key: only the fields you may read")
    version: int = Field(description="its ETag, for If-Match on PUT (the area chair's)")


def _meta_out(ws: Any, sub: Submission) -> Response:
    row, fields = meta_reviews.shown(me(), ws, sub)
    if row is None or not fields:
        abort(404)
    out = MetaReviewOut(
        number=sub.id,
        state="submitted" if row.submitted else "draft",
        submitted_at=row.submitted_at,
        answers={f.key: row.answer(f.key) for f in fields},
        version=row.version,
    )
    return answer(out, etag=row.version)


def _may_read_meta(user: Any, sub: Submission) -> bool:
    return permissions.can_see_paper_as_reviewer(user, sub) or permissions.is_author(user, sub)


@operation("/submissions/<int:number>/meta-review", tag=TAG, response=MetaReviewOut, etag=True)
def meta_review(number: int) -> Response:
    """The paper's meta-review as its page shows it to you: the chairs who handle it and its area chair read every
    field (the area chair also a draft); its reviewers, once their review is in, the fields for reviewers; its
    authors, once the decision letter is sent, the fields for the authors. 404 when there is none you may read."""
    ws = require_workshop()
    return _meta_out(ws, get_submission(number, _may_read_meta))


class MetaReviewIn(Strict):
    answers: dict[str, Any] = Field(description="by field key (GET /meta-review-form); a field left out is left empty")
    submit: bool = Field(False, description="submit (a required field must be answered); false: a draft")


@operation(
    "/submissions/<int:number>/meta-review",
    "PUT",
    tag=TAG,
    response=MetaReviewOut,
    body=MetaReviewIn,
    etag=True,
    errors=(409, 412, 428),
)
def save_meta_review(number: int, body: MetaReviewIn) -> Response:
    """Save the meta-review of a paper you oversee as a draft or submit it (editable until the decision letter is
    sent), with the form's checks and the page's sentences. Once it exists, send ``If-Match`` with its ETag (412
    when it changed since, 428 without)."""
    ws = require_workshop()
    sub = get_submission(number, permissions.oversees)
    existing = meta_reviews.meta_review_of(sub)
    version = if_match() if existing is not None else None
    outcome = work.attempt(
        lambda: meta_reviews.save_meta_review(me(), ws, sub, body.answers, submit=body.submit, version=version)
    )
    if not outcome.ok:
        refused_outcome(outcome)
    return _meta_out(ws, get_submission(number, permissions.oversees))


# --- an area chair's other actions on a paper they oversee -------------------------------------------------


class AreaChairDeclineIn(Strict):
    reason: str = Field("", max_length=500, description="why, for the chairs (for a conflict: what it is)")
    conflict: bool = Field(False, description="a conflict of interest the portal did not catch: recorded as one")


@operation(
    "/submissions/<int:number>/area-chair/decline",
    "POST",
    tag=TAG,
    response=None,
    status=204,
    body=AreaChairDeclineIn,
    errors=(409,),
)
def decline_area_chair(number: int, body: AreaChairDeclineIn) -> Response:
    """Give a paper you oversee back before its meta-review is submitted, with a reason the chairs read; they are
    mailed and later automatic runs leave the pair out."""
    ws = require_workshop()
    sub = get_submission(number, permissions.oversees)
    outcome = work.attempt(lambda: area_chairs.decline_area_chair(me(), ws, sub, body.reason, conflict=body.conflict))
    if not outcome.ok:
        refused_outcome(outcome)
    return Response(status=204)


@operation("/submissions/<int:number>/reviewers/<int:ordinal>/remind", "POST", tag=TAG, response=None, status=204, errors=(409,))
def remind_reviewer(number: int, ordinal: int) -> Response:
    """Remind Reviewer N of a paper you oversee, whose review is not in, by mail (your address to reply to)."""
    ws = require_workshop()
    sub = get_submission(number, permissions.oversees)
    assignment = db.session.scalar(
        sa.select(ReviewAssignment).where(
            ReviewAssignment.submission_id == sub.id,
            ReviewAssignment.ordinal == ordinal,
            ReviewAssignment.suspended_at.is_(None),
        )
    )
    if assignment is None:
        abort(404)
    outcome = work.attempt(lambda: area_chairs.remind_reviewer(me(), ws, sub, assignment))
    if not outcome.ok:
        refused_outcome(outcome)
    return Response(status=204)


class ExtraReviewIn(Strict):
    reason: str = Field(min_length=1, max_length=2_000, description="what expertise is missing (the chairs read it)")


class ExtraReviewOut(Answer):
    id: int
    number: int
    reason: str
    requested_by_id: int | None = Field(description="the area chair who asked")
    created_at: datetime
    done: bool


def _extra_out(row: ExtraReviewRequest) -> ExtraReviewOut:
    return ExtraReviewOut(
        id=row.id,
        number=row.submission_id,
        reason=row.reason,
        requested_by_id=row.requested_by_id,
        created_at=row.created_at,
        done=row.resolved_at is not None,
    )


@operation(
    "/submissions/<int:number>/extra-review-requests",
    "POST",
    tag=TAG,
    response=ExtraReviewOut,
    status=201,
    body=ExtraReviewIn,
    errors=(409,),
)
def ask_extra_review(number: int, body: ExtraReviewIn) -> Response:
    """Ask the chairs for one more review of a paper you oversee (one open request a paper); they see it on the
    paper's page and the console."""
    sub = get_submission(number, permissions.oversees)
    outcome = work.attempt(lambda: area_chairs.request_extra_review(me(), sub, body.reason))
    if not outcome.ok:
        refused_outcome(outcome)
    return answer(_extra_out(outcome.value), 201)  # type: ignore[arg-type]


class ExtraReviewList(Answer):
    items: list[ExtraReviewOut]
    next_cursor: str | None


@operation("/extra-review-requests", tag=TAG, response=ExtraReviewList, query=Paging)
def extra_review_list(query: Paging) -> Response:
    """The area chairs' open requests for an extra review of the papers you handle (chairs), oldest first, as on the
    console."""
    require_workshop()
    _chair()
    after = decode_cursor(query.cursor)
    rows = area_chairs.open_requests(hidden=permissions.chair_conflicted_ids(me()))
    if after is not None:
        rows = rows[next((i + 1 for i, r in enumerate(rows) if r.id == int(after[0])), len(rows)) :]
    shown, following = page(rows[: query.limit + 1], query.limit, lambda r: (r.id,))
    return answer(ExtraReviewList(items=[_extra_out(r) for r in shown], next_cursor=following))


@operation("/extra-review-requests/<int:request_id>/done", "POST", tag=TAG, response=ExtraReviewOut, errors=(409,))
def resolve_extra_review(request_id: int) -> Response:
    """Mark an area chair's request for an extra review done (a reviewer was added, or you decided not to)."""
    require_workshop()
    _chair()
    row = db.session.get(ExtraReviewRequest, request_id)
    if row is None:
        abort(404)
    get_submission(row.submission_id, permissions.can_chair_paper)
    outcome = work.attempt(lambda: area_chairs.resolve_extra_review(me(), row))
    if not outcome.ok:
        refused_outcome(outcome)
    return answer(_extra_out(db.session.get(ExtraReviewRequest, request_id)))  # type: ignore[arg-type]


@operation("/area-chair-proposals/<int:ac_proposal_id>/discard", "POST", tag=TAG, response=AreaChairProposalOut, errors=(409,))
def discard_area_chair_proposal(ac_proposal_id: int) -> Response:
    """Discard a draft area-chair proposal: nothing changes."""
    p = _ac_proposal(ac_proposal_id)
    outcome = work.attempt(lambda: area_chair_assignment.discard(me(), p))
    if not outcome.ok:
        refused_outcome(outcome)
    return _ac_proposal_out(_ac_proposal(ac_proposal_id))
