"""What the chairs do: decisions and letters, people and roles, reviewer invitations, the audit log, assignments,
the automatic assignment (a job to poll) and its proposals. Every route is for chairs (403 for anyone else, as the
chairs' pages); a paper a chair may not handle (an author of it, conflicted) is left out of lists and is a 404,
as on the pages. Lists that the pages show a page at a time come from the same service with the same filters and
order; their cursor is the next page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

import sqlalchemy as sa
from flask import Response, abort, current_app, url_for
from pydantic import AwareDatetime, Field

from portal import jobs, permissions, work
from portal.api.core import (
    Answer,
    ProblemItem,
    Strict,
    answer,
    decode_cursor,
    encode_cursor,
    if_match,
    operation,
    refuse,
    refused_outcome,
)
from portal.assign.affinity import Weights
from portal.db import db, like_pattern, page_of
from portal.models import (
    AssignmentProposal,
    AuditEvent,
    Decision,
    Invitation,
    InvitationState,
    Job,
    Phase,
    Presentation,
    ReviewAssignment,
    User,
    Workshop,
)
from portal.services import (
    accounts,
    area_chairs,
    assignment_lists,
    assignments,
    audit,
    console,
    decisions,
    meta_reviews,
    responses,
    review_settings,
    reviews,
)
from portal.templating import workshop
from portal.web import get_submission, me, require_workshop

TAG_DECISIONS, TAG_PEOPLE, TAG_AUDIT, TAG_ASSIGN = "Decisions", "People", "Audit log", "Assignments"
T = TypeVar("T")
M = TypeVar("M")


def _chair() -> None:
    if not permissions.is_chair(me()):
        refuse(403, "This is for the chairs.")


# The lists the pages show a page at a time: the cursor is the page number. A service given a page past the last
# answers the last (as the pages do); the API answers an empty page then, so a stale cursor never repeats rows.


def _page(cursor: str | None) -> int:
    after = decode_cursor(cursor)
    return int(after[0]) if after else 1


def _on_page(wanted: int, page: int, pages: int, rows: Sequence[T]) -> tuple[list[T], str | None]:
    """The rows of the page ``wanted`` (none when the service answered another ``page``) and the next cursor."""
    shown = list(rows) if page == wanted else []
    return shown, (encode_cursor(page + 1) if shown and page < pages else None)


def _paged(stmt: sa.Select[tuple[M]], order: tuple[Any, ...], cursor: str | None) -> tuple[list[M], int, str | None]:
    """A page of ``stmt`` in ``order`` as the members and invitations pages page it (``MEMBERS_PER_PAGE``): its
    rows, how many there are in all, and the next cursor."""
    per_page = current_app.config["MEMBERS_PER_PAGE"]
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    wanted = _page(cursor)
    page, pages = page_of(total, per_page, wanted)
    rows = db.session.scalars(stmt.order_by(*order).limit(per_page).offset((page - 1) * per_page)).all() if page == wanted else []
    shown, following = _on_page(wanted, page, pages, rows)
    return shown, total, following


# --- the console's submissions table --------------------------------------------------------------------------


class PapersQuery(Strict):
    q: str = Field("", max_length=200, description="words of the title or of an author's name, address or affiliation; #12")
    topic: int | None = Field(None, ge=1, description="the primary topic")
    state: Literal["submitted", "abstract", "withdrawn"] | None = None
    decision: Literal["accepted", "rejected", "undecided"] | None = None
    attention: bool = Field(False, description="reviews missing, reviewers short, or reviewers who disagree")
    sort: Literal["number", "title", "topic", "reviews", "mean", "weighted", "spread", "decision"] = "number"
    descending: bool = False
    cursor: str | None = Field(None, max_length=200)


class ReviewCellOut(Answer):
    ordinal: int
    state: str
    recommendation: int | None
    confidence: int | None


class PaperOut(Answer):
    number: int
    title: str
    state: str
    topic: str
    assigned: int
    done: int
    mean: float | None
    weighted: float | None
    spread: int | None
    decision: Decision | None
    presentation: Presentation | None
    reviews: list[ReviewCellOut]
    needs_attention: list[str]


class PaperList(Answer):
    items: list[PaperOut]
    total: int
    next_cursor: str | None


@operation("/papers", tag=TAG_DECISIONS, response=PaperList, query=PapersQuery)
def paper_list(query: PapersQuery) -> Response:
    """The console's submissions table: every paper you handle with its reviews' figures (its search, filters and
    sorts), 50 a page."""
    ws = require_workshop()
    _chair()
    wanted = _page(query.cursor)
    q = console.TableQuery(
        q=query.q,
        topic=query.topic,
        state=query.state,
        decision=query.decision,
        attention=query.attention,
        sort=query.sort,
        descending=query.descending,
        page=wanted,
    )
    table = console.submissions_table(ws, me(), q)
    rows, following = _on_page(wanted, table.page, table.pages, table.rows)
    items = [
        PaperOut(
            number=r.sub.id,
            title=r.sub.title,
            state=r.sub.state.value,
            topic=r.sub.primary_topic.title,
            assigned=r.assigned,
            done=r.done,
            mean=r.mean,
            weighted=r.weighted,
            spread=r.spread,
            decision=r.sub.decision,
            presentation=r.sub.presentation,
            reviews=[ReviewCellOut(**vars(c)) for c in r.reviews],
            needs_attention=r.needs_attention,
        )
        for r in rows
    ]
    return answer(PaperList(items=items, total=table.total, next_cursor=following))


# --- decisions ---------------------------------------------------------------------------------------------


class DecisionsQuery(Strict):
    q: str = Field("", max_length=200, description="words of the title, or #12 for paper 12")
    decision: Literal["none", "accepted", "rejected"] | None = None
    presentation: Presentation | None = None
    topic: int | None = Field(None, ge=1)
    missing: bool = Field(False, description="only papers with reviews missing")
    sort: Literal["number", "mean", "weighted", "spread", "reviews", "decision"] = "number"
    descending: bool = False
    cursor: str | None = Field(None, max_length=200)


class DecisionOut(Answer):
    number: int
    title: str
    decision: Decision | None
    presentation: Presentation | None
    note: str
    recommendations: list[int] = Field(description="the submitted reviews' recommendations, by reviewer number")
    reviews_missing: int
    mean: float | None
    letter_sent: bool
    area_chair_recommendation: str | None = Field(description="its submitted meta-review's recommendation, by label")
    version: int = Field(description="the paper's ETag, for If-Match on PUT .../decision")


class DecisionList(Answer):
    items: list[DecisionOut]
    total: int
    counts: dict[str, int] = Field(description="your papers by decision (none and each decision), whatever the filters")
    next_cursor: str | None


class DecisionIn(Strict):
    decision: Decision | None = Field(description="null: no decision")
    presentation: Presentation | None = None
    note: str = Field("", max_length=5000)


@operation("/decisions", tag=TAG_DECISIONS, response=DecisionList, query=DecisionsQuery)
def decision_list(query: DecisionsQuery) -> Response:
    """The decisions table: the submitted papers you may decide, with their reviews' recommendations, 50 a page."""
    ws = require_workshop()
    _chair()
    wanted = _page(query.cursor)
    q = decisions.DecisionQuery(
        q=query.q,
        decision=query.decision,
        presentation=query.presentation.value if query.presentation else None,
        topic=query.topic,
        missing=query.missing,
        sort=query.sort,
        descending=query.descending,
        page=wanted,
    )
    table = decisions.decisions_table(ws, me(), q)
    shown, following = _on_page(wanted, table.page, table.pages, table.rows)
    rows = [r for r in shown if permissions.can_chair_paper(me(), r.sub)]
    recommended = meta_reviews.recommendation_labels(ws, [r.sub.id for r in rows])
    items = [
        DecisionOut(
            number=r.sub.id,
            title=r.sub.title,
            decision=r.sub.decision,
            presentation=r.sub.presentation,
            note=r.sub.decision_note,
            recommendations=r.recommendations,
            reviews_missing=r.missing,
            mean=r.score.mean if r.score else None,
            letter_sent=r.sent,
            area_chair_recommendation=recommended.get(r.sub.id),
            version=r.sub.version,
        )
        for r in rows
    ]
    return answer(DecisionList(items=items, total=table.total, counts=table.counts, next_cursor=following))


@operation(
    "/submissions/<int:number>/decision",
    "PUT",
    tag=TAG_DECISIONS,
    response=DecisionOut,
    body=DecisionIn,
    if_match=True,
    etag=True,
    errors=(409,),
)
def decide(number: int, body: DecisionIn) -> Response:
    """Record a paper's decision (until its letter is sent), with ``If-Match`` set to the paper's version you read."""
    require_workshop()
    _chair()
    sub = get_submission(number, permissions.can_chair_paper)
    version = if_match()
    outcome = work.attempt(
        lambda: decisions.record_decision(
            me(), sub, decision=body.decision, presentation=body.presentation, note=body.note, version=version
        )
    )
    if not outcome.ok:
        refused_outcome(outcome)
    sub = get_submission(number, permissions.can_chair_paper)
    out = DecisionOut(
        number=sub.id,
        title=sub.title,
        decision=sub.decision,
        presentation=sub.presentation,
        note=sub.decision_note,
        recommendations=[],
        reviews_missing=0,
        mean=None,
        letter_sent=False,
        area_chair_recommendation=None,
        version=sub.version,
    )
    return answer(out, etag=sub.version)


class JobOut(Answer):
    id: int
    kind: str
    state: str
    phase: str
    percent: int
    message: str | None = Field(description="when done: what it did")
    proposal_id: int | None = Field(
        description="when done, the proposal it made: a reviewers' proposal (kind assignment, /proposals/{id}) or an "
        "area chairs' one (kind area_chairs, /area-chair-proposals/{id})"
    )
    error: str | None
    created_at: datetime
    finished_at: datetime | None


def _job_out(row: Job) -> JobOut:
    result = row.result or {}
    url = str(result.get("url") or "")
    made = row.kind in ("assignment", "area_chairs") and url.rsplit("/", 1)[-1].isdigit()
    proposal = int(url.rsplit("/", 1)[1]) if made else None
    return JobOut(
        id=row.id,
        kind=row.kind,
        state=row.state.value,
        phase=row.phase,
        percent=row.percent,
        message=result.get("message"),
        proposal_id=proposal,
        error=row.error or None,
        created_at=row.created_at,
        finished_at=row.finished_at,
    )


def _started(row: Job) -> Response:
    work.commit_and_deliver()
    jobs.dispatch(row)
    db.session.refresh(row)
    return answer(_job_out(row), 202, location=url_for("api.job", job_id=row.id))


class LettersQuery(Strict):
    group: str | None = Field(None, max_length=40, description="accepted, rejected, accepted/oral, accepted/poster")
    state: Literal["draft", "stale", "queued", "sent", "failed"] | None = None
    cursor: str | None = Field(None, max_length=200)


class LetterOut(Answer):
    id: int
    number: int
    subject: str
    body: str
    decision: Decision | None
    presentation: Presentation | None
    state: str = Field(description="draft, stale (written for a decision since changed), or the mail's state")


class LetterList(Answer):
    items: list[LetterOut]
    total: int
    ready: dict[str, int] = Field(description="drafts ready to send, per group and all")
    next_cursor: str | None


@operation("/letters", tag=TAG_DECISIONS, response=LetterList, query=LettersQuery)
def letter_list(query: LettersQuery) -> Response:
    """The decision letters of the papers you may decide, as on the letters page (its group and state filters)."""
    require_workshop()
    _chair()
    if query.group is not None and query.group not in decisions.letter_groups():
        refuse(422, "No such group of letters.", [ProblemItem(detail="Not a group of letters.", parameter="group")])
    wanted = _page(query.cursor)
    table = decisions.letters_table(me(), decisions.LetterQuery(group=query.group, state=query.state, page=wanted))
    letters, following = _on_page(wanted, table.page, table.pages, table.letters)
    stale = set(table.stale)
    items = [
        LetterOut(
            id=letter.id,
            number=letter.submission_id,
            subject=letter.subject,
            body=letter.body,
            decision=letter.decision,
            presentation=letter.presentation,
            state=letter.email.state.value
            if letter.email is not None
            else ("stale" if letter.submission_id in stale else "draft"),
        )
        for letter in letters
    ]
    return answer(LetterList(items=items, total=table.total, ready=table.ready, next_cursor=following))


class LettersIn(Strict):
    numbers: list[int] | None = Field(
        None, max_length=25_000, description="the papers whose drafts to send; null: every draft ready"
    )


@operation("/letters/send", "POST", tag=TAG_DECISIONS, response=JobOut, status=202, body=LettersIn, errors=(409,))
def send_letters(body: LettersIn) -> Response:
    """Prepare the letters of the decided papers and send the drafts (of ``numbers``, or all): a job to poll at
    ``/jobs/{job_id}``. Letters already sent are never sent again."""
    ws = require_workshop()
    _chair()
    if jobs.under_way("letters") is not None:
        refuse(409, "Letters are being sent already; poll that job.")
    outcome = work.attempt(lambda: decisions.prepare_letters(ws, actor=me()))
    if not outcome.ok:
        refused_outcome(outcome)
    plan = decisions.plan_letters(me(), papers=body.numbers) if body.numbers is not None else decisions.plan_letters(me())
    return _started(jobs.start("letters", me(), workshop_id=ws.id, papers=plan.papers))


@operation("/jobs/<int:job_id>", tag=TAG_ASSIGN, response=JobOut)
def job(job_id: int) -> Response:
    """A job you started (an automatic assignment of reviewers or area chairs, letters): its state and, when done, what it did."""
    require_workshop()
    _chair()
    row = db.session.get(Job, job_id)
    if row is None or row.created_by_id != me().id:
        abort(404)
    return answer(_job_out(row))


# --- people, roles, invitations --------------------------------------------------------------------------------


class UsersQuery(Strict):
    q: str = Field("", max_length=200, description="words of the name, address or affiliation")
    role: Literal["reviewer", "chair"] | None = None
    cursor: str | None = Field(None, max_length=200)


class UserOut(Answer):
    id: int
    name: str
    email: str
    affiliation: str
    roles: list[str]


class UserList(Answer):
    items: list[UserOut]
    total: int
    next_cursor: str | None


def _user_out(u: User) -> UserOut:
    return UserOut(id=u.id, name=u.name, email=u.email, affiliation=u.affiliation, roles=u.roles)


@operation("/users", tag=TAG_PEOPLE, response=UserList, query=UsersQuery)
def user_list(query: UsersQuery) -> Response:
    """Everyone with an account, by name, as on the members page (its search and role filter)."""
    require_workshop()
    _chair()
    stmt = sa.select(User)
    if query.q:
        pattern = like_pattern(query.q)
        stmt = stmt.where(
            sa.or_(
                sa.func.lower(User.name).like(pattern, escape="\\"),
                User.email.like(pattern, escape="\\"),
                sa.func.lower(User.affiliation).like(pattern, escape="\\"),
            )
        )
    if query.role:
        stmt = stmt.where(getattr(User, f"is_{query.role}"))
    rows, total, following = _paged(stmt, (sa.func.lower(User.name), User.id), query.cursor)
    return answer(UserList(items=[_user_out(u) for u in rows], total=total, next_cursor=following))


@operation("/users/<int:user_id>/roles/<any(reviewer, chair):role>", "PUT", tag=TAG_PEOPLE, response=UserOut, errors=(409,))
def grant_role(user_id: int, role: str) -> Response:
    """Make someone a reviewer or a chair (they are told by mail, as from the members page)."""
    return _set_role(user_id, role, True)


@operation("/users/<int:user_id>/roles/<any(reviewer, chair):role>", "DELETE", tag=TAG_PEOPLE, response=UserOut, errors=(409,))
def revoke_role(user_id: int, role: str) -> Response:
    """Take a role away (and with it every API token of that person)."""
    return _set_role(user_id, role, False)


def _set_role(user_id: int, role: str, grant: bool) -> Response:
    require_workshop()
    _chair()
    target = db.session.get(User, user_id) or abort(404)
    outcome = work.attempt(lambda: accounts.set_role(me(), target, role, grant, tell=True))
    if not outcome.ok:
        refused_outcome(outcome)
    return answer(_user_out(db.session.get(User, user_id)))  # type: ignore[arg-type]


class InvitationsQuery(Strict):
    q: str = Field("", max_length=200, description="words of the name or address")
    state: InvitationState | None = None
    cursor: str | None = Field(None, max_length=200)


class InvitationOut(Answer):
    id: int
    name: str
    email: str
    state: InvitationState
    sent_at: datetime
    times_sent: int
    responded_at: datetime | None


class InvitationList(Answer):
    items: list[InvitationOut]
    total: int
    counts: dict[str, int]
    next_cursor: str | None


def _invitation_out(i: Invitation) -> InvitationOut:
    return InvitationOut(
        id=i.id,
        name=i.name,
        email=i.email,
        state=i.state,
        sent_at=i.sent_at,
        times_sent=i.times_sent,
        responded_at=i.responded_at,
    )


@operation("/invitations", tag=TAG_PEOPLE, response=InvitationList, query=InvitationsQuery)
def invitation_list(query: InvitationsQuery) -> Response:
    """The reviewer invitations sent, newest first, as on the invitations page (its search and state filter)."""
    require_workshop()
    _chair()
    stmt = sa.select(Invitation)
    if query.q:
        pattern = like_pattern(query.q.lower())
        stmt = stmt.where(
            sa.or_(sa.func.lower(Invitation.name).like(pattern, escape="\\"), Invitation.email.like(pattern, escape="\\"))
        )
    if query.state:
        stmt = stmt.where(Invitation.state == query.state)
    rows, total, following = _paged(stmt, (Invitation.created_at.desc(), Invitation.id.desc()), query.cursor)
    counts = dict(db.session.execute(sa.select(Invitation.state, sa.func.count()).group_by(Invitation.state)).all())
    return answer(
        InvitationList(
            items=[_invitation_out(i) for i in rows],
            total=total,
            counts={s.value: counts.get(s, 0) for s in InvitationState},
            next_cursor=following,
        )
    )


class Invitee(Strict):
    name: str = Field("", max_length=200)
    email: str = Field(min_length=3, max_length=320)


class InvitationsIn(Strict):
    people: list[Invitee] = Field(min_length=1, max_length=500)
    message: str = Field("", max_length=5000, description="your words, in each mail")


class Skipped(Answer):
    email: str
    problem: str


class InvitationsMade(Answer):
    invited: list[InvitationOut]
    skipped: list[Skipped]


@operation("/invitations", "POST", tag=TAG_PEOPLE, response=InvitationsMade, status=201, body=InvitationsIn, endpoint="invite")
def invite(body: InvitationsIn) -> Response:
    """Invite reviewers (at most 500 at once): each gets the invitation mail; those already reviewers, already
    invited or with a bad address are skipped, with the reason."""
    require_workshop()
    _chair()
    lines = accounts.parse_invitation_lines("\n".join(f"{p.name} <{p.email}>" if p.name else p.email for p in body.people))
    outcome = work.attempt(lambda: accounts.invite_reviewers(me(), workshop(), lines, message=body.message))
    if not outcome.ok:
        refused_outcome(outcome)
    made, skipped = outcome.value  # type: ignore[misc]
    return answer(
        InvitationsMade(
            invited=[_invitation_out(i) for i in made],
            skipped=[Skipped(email=s.email or s.line, problem=s.problem or "") for s in skipped],
        ),
        201,
    )


def _invitation(invitation_id: int) -> Invitation:
    require_workshop()
    _chair()
    return db.session.get(Invitation, invitation_id) or abort(404)


@operation("/invitations/<int:invitation_id>/resend", "POST", tag=TAG_PEOPLE, response=InvitationOut, errors=(409,))
def resend_invitation(invitation_id: int) -> Response:
    """Send a pending invitation again, with a new link (the old one stops working)."""
    invitation = _invitation(invitation_id)
    outcome = work.attempt(lambda: accounts.resend_invitation(me(), workshop(), invitation))
    if not outcome.ok:
        refused_outcome(outcome)
    return answer(_invitation_out(_invitation(invitation_id)))


@operation("/invitations/<int:invitation_id>", "DELETE", tag=TAG_PEOPLE, response=InvitationOut, errors=(409,))
def revoke_invitation(invitation_id: int) -> Response:
    """Withdraw a pending invitation: its link no longer works."""
    invitation = _invitation(invitation_id)
    outcome = work.attempt(lambda: accounts.revoke_invitation(me(), invitation))
    if not outcome.ok:
        refused_outcome(outcome)
    return answer(_invitation_out(_invitation(invitation_id)))


# --- the audit log ---------------------------------------------------------------------------------------------


class AuditQuery(Strict):
    q: str = Field("", max_length=200, description="words of the summary or the actor's name")
    kind: Literal[tuple(audit.ACTIONS)] | None = None  # type: ignore[valid-type]
    cursor: str | None = Field(None, max_length=200)


class AuditOut(Answer):
    id: int
    at: datetime
    actor: str
    action: str
    summary: str
    number: int | None


class AuditList(Answer):
    items: list[AuditOut]
    total: int
    next_cursor: str | None


@operation("/audit", tag=TAG_AUDIT, response=AuditList, query=AuditQuery)
def audit_log(query: AuditQuery) -> Response:
    """The audit log, newest first, 50 a page, as on its page: a chair who is an author of a paper reads nothing of
    what happened to it."""
    require_workshop()
    _chair()
    wanted = _page(query.cursor)
    found = audit.events(me(), q=query.q, kind=query.kind, page=wanted)
    rows: list[AuditEvent]
    rows, following = _on_page(wanted, found.page, found.pages, found.events)
    items = [
        AuditOut(
            id=e.id,
            at=e.at,
            actor=e.actor_name,
            action=e.action,
            summary=audit.summary_for(e, me(), found.redact),
            number=e.submission_id,
        )
        for e in rows
    ]
    return answer(AuditList(items=items, total=found.total, next_cursor=following))


# --- assignments ----------------------------------------------------------------------------------------------


class AssignmentOut(Answer):
    id: int
    number: int
    reviewer_id: int
    ordinal: int
    suspended: bool


class AssignmentsQuery(Strict):
    q: str = Field("", max_length=200, description="words of the title, or #12 for paper 12")
    topic: int | None = Field(None, ge=1)
    show: Literal["all", "short", "full", "none"] = Field("all", description="papers short of reviewers, full, without")
    cursor: str | None = Field(None, max_length=200)


class PaperAssignments(Answer):
    number: int
    title: str
    area_chair_id: int | None = Field(description="its area chair (null: none)")
    assignments: list[AssignmentOut]


class AssignmentList(Answer):
    items: list[PaperAssignments]
    total: int
    short: int = Field(description="papers you handle with fewer reviewers than the workshop asks for")
    next_cursor: str | None


def _assignment_out(a: ReviewAssignment) -> AssignmentOut:
    return AssignmentOut(
        id=a.id, number=a.submission_id, reviewer_id=a.reviewer_id, ordinal=a.ordinal, suspended=a.suspended_at is not None
    )


@operation("/assignments", tag=TAG_ASSIGN, response=AssignmentList, query=AssignmentsQuery)
def assignment_list(query: AssignmentsQuery) -> Response:
    """The papers you handle with their reviewers, as on the assignments page (its search and filters), by number."""
    ws = require_workshop()
    _chair()
    wanted = _page(query.cursor)
    found = assignment_lists.paper_page(
        ws, me(), assignment_lists.PaperQuery(q=query.q, topic=query.topic, show=query.show, page=wanted)
    )
    rows, following = _on_page(wanted, found.page, found.pages, found.rows)
    overseers = area_chairs.area_chairs_of([r.sub.id for r in rows])
    items = [
        PaperAssignments(
            number=r.sub.id,
            title=r.sub.title,
            area_chair_id=overseers[r.sub.id].id if r.sub.id in overseers else None,
            assignments=[_assignment_out(a) for a in r.assignments],
        )
        for r in rows  # (only papers the chair handles: the service leaves the others out, in SQL)
    ]
    return answer(AssignmentList(items=items, total=found.total, short=found.short, next_cursor=following))


class AssignmentIn(Strict):
    number: int = Field(ge=1)
    reviewer_id: int = Field(ge=1)


@operation("/assignments", "POST", tag=TAG_ASSIGN, response=AssignmentOut, status=201, body=AssignmentIn, errors=(409,))
def assign(body: AssignmentIn) -> Response:
    """Assign a reviewer to a paper you handle (they are mailed); refused for a conflict or a full load, in words."""
    ws = require_workshop()
    _chair()
    sub = get_submission(body.number, permissions.can_chair_paper)
    reviewer = db.session.get(User, body.reviewer_id) or abort(404)
    outcome = work.attempt(lambda: assignments.assign_reviewer(me(), ws, sub, reviewer))
    if not outcome.ok:
        refused_outcome(outcome)
    return answer(_assignment_out(outcome.value), 201)  # type: ignore[arg-type]


@operation("/assignments/<int:assignment_id>", "DELETE", tag=TAG_ASSIGN, response=None, status=204, errors=(409,))
def unassign(assignment_id: int) -> Response:
    """Take a reviewer off a paper you handle."""
    require_workshop()
    _chair()
    a = db.session.get(ReviewAssignment, assignment_id)
    if a is None or not permissions.can_chair_paper(me(), a.submission):
        abort(404)
    outcome = work.attempt(lambda: assignments.unassign_reviewer(me(), a))
    if not outcome.ok:
        refused_outcome(outcome)
    return Response(status=204)


@operation("/assignments/<int:assignment_id>/restore", "POST", tag=TAG_ASSIGN, response=AssignmentOut, errors=(409,))
def restore_assignment(assignment_id: int) -> Response:
    """Restore a suspended assignment (one suspended by a conflict that appeared later, which a chair lifted): the
    reviewer sees the paper again."""
    require_workshop()
    _chair()
    a = db.session.get(ReviewAssignment, assignment_id)
    if a is None or not permissions.can_chair_paper(me(), a.submission):
        abort(404)
    outcome = work.attempt(lambda: assignments.restore_assignment(me(), a))
    if not outcome.ok:
        refused_outcome(outcome)
    return answer(_assignment_out(db.session.get(ReviewAssignment, assignment_id)))  # type: ignore[arg-type]


class Reminded(Answer):
    reminded: int = Field(description="reviewers mailed")


@operation("/reminders", "POST", tag=TAG_ASSIGN, response=Reminded, errors=(409,))
def remind_reviewers() -> Response:
    """Remind every reviewer with unfinished reviews of the papers you handle: one mail each, listing their own
    unfinished reviews, as the assignments page's Remind button. Each call mails them again."""
    ws = require_workshop()
    _chair()
    outcome = work.attempt(lambda: reviews.remind_reviewers(me(), ws))
    if not outcome.ok:
        refused_outcome(outcome)
    return answer(Reminded(reminded=int(outcome.value or 0)))


class WeightsOut(Answer):
    bid: float
    topics: float
    text: float


class ReviewingSettingsOut(Answer):
    phase: Phase
    bidding_deadline: datetime | None
    review_deadline: datetime | None
    reviews_per_paper: int
    default_max_load: int = Field(description="papers per reviewer unless their own maximum says otherwise")
    default_min_load: int
    weights: WeightsOut = Field(description="of the automatic assignment")
    discussion_before_review: bool
    response_opens_at: datetime | None = Field(description="the reviews released to the authors (null: no response)")
    response_deadline: datetime | None
    response_words: int


class WeightsIn(Strict):
    bid: float = Field(ge=0, le=10)
    topics: float = Field(ge=0, le=10)
    text: float = Field(ge=0, le=10)


class ReviewingSettingsIn(Strict):
    """The settings to change; those left out keep their value (a date sent as null: none)."""

    phase: Phase | None = None
    bidding_deadline: AwareDatetime | None = None
    review_deadline: AwareDatetime | None = None
    reviews_per_paper: int | None = Field(None, ge=1, le=10)
    default_max_load: int | None = Field(None, ge=1, le=100)
    default_min_load: int | None = Field(None, ge=0, le=100)
    weights: WeightsIn | None = None
    discussion_before_review: bool | None = None
    response_opens_at: AwareDatetime | None = None
    response_deadline: AwareDatetime | None = None
    response_words: int | None = Field(None, ge=10, le=5000)


def _settings_out(ws: Workshop) -> ReviewingSettingsOut:
    return ReviewingSettingsOut(
        phase=ws.phase,
        bidding_deadline=ws.bidding_deadline,
        review_deadline=ws.review_deadline,
        reviews_per_paper=ws.reviews_per_paper,
        default_max_load=ws.default_max_load,
        default_min_load=ws.default_min_load,
        weights=WeightsOut(bid=ws.weight_bid, topics=ws.weight_topics, text=ws.weight_text),
        discussion_before_review=ws.discussion_before_review,
        response_opens_at=ws.response_opens_at,
        response_deadline=ws.response_deadline,
        response_words=ws.response_words,
    )


@operation("/reviewing-settings", tag="Reviews", response=ReviewingSettingsOut)
def reviewing_settings() -> Response:
    """The reviewing settings, as on their page: the phase, the bidding and review deadlines, reviews per paper, the
    reviewers' default loads, the automatic assignment's weights, the discussion, the author response's window."""
    ws = require_workshop()
    _chair()
    return answer(_settings_out(ws))


@operation("/reviewing-settings", "PATCH", tag="Reviews", response=ReviewingSettingsOut, body=ReviewingSettingsIn, errors=(409,))
def change_reviewing_settings(body: ReviewingSettingsIn) -> Response:
    """Change the reviewing settings sent (the others keep theirs), with the page's checks and sentences (bidding
    and reviewing open after the submission deadline; a phase needs its deadline; the response needs both dates).
    The reviewers' own loads are on the reviewing settings page."""
    ws = require_workshop()
    _chair()
    sent = body.model_fields_set
    current = _settings_out(ws)

    def pick(name: str) -> Any:
        value = getattr(body, name)
        if name not in sent or (value is None and name not in _DATES):
            return getattr(current, name)
        return value.astimezone(UTC) if isinstance(value, datetime) else value

    weights = body.weights if body.weights is not None else current.weights
    settings = review_settings.ReviewSettings(
        phase=pick("phase"),
        bidding_deadline=pick("bidding_deadline"),
        review_deadline=pick("review_deadline"),
        reviews_per_paper=pick("reviews_per_paper"),
        default_max_load=pick("default_max_load"),
        weights=Weights(weights.bid, weights.topics, weights.text),
        loads={},
        discussion_before_review=pick("discussion_before_review"),
        default_min_load=pick("default_min_load"),
        minimums={},
        response_opens_at=pick("response_opens_at"),
        response_deadline=pick("response_deadline"),
        response_words=pick("response_words"),
    )
    outcome = work.attempt(lambda: review_settings.update_review_settings(me(), ws, settings))
    if not outcome.ok:
        refused_outcome(outcome)
    return answer(_settings_out(require_workshop()))


_DATES = {"bidding_deadline", "review_deadline", "response_opens_at", "response_deadline"}


class Told(Answer):
    told: int = Field(description="reviewers mailed")


@operation("/responses/tell", "POST", tag="Reviews", response=Told, errors=(409,))
def tell_reviewers_responses() -> Response:
    """Once the response deadline has passed: mail each reviewer of a paper with an authors' response, listing those
    papers, to read it and update their review if it changes their view (as the reviewing settings page's button).
    Each call mails them again."""
    ws = require_workshop()
    _chair()
    outcome = work.attempt(lambda: responses.tell_reviewers(me(), ws))
    if not outcome.ok:
        refused_outcome(outcome)
    return answer(Told(told=int(outcome.value or 0)))


class RunIn(Strict):
    mode: Literal["best", "fair"] = "best"
    balanced: bool = False


@operation("/assignment-runs", "POST", tag=TAG_ASSIGN, response=JobOut, status=202, body=RunIn, errors=(409,))
def run_assignment(body: RunIn) -> Response:
    """Run the automatic assignment: a job to poll at ``/jobs/{job_id}``; when done, ``proposal_id`` names the
    proposal to read and apply."""
    ws = require_workshop()
    _chair()
    if jobs.under_way("assignment") is not None:
        refuse(409, "An automatic assignment is running already; poll that job.")
    return _started(jobs.start("assignment", me(), workshop_id=ws.id, fair=body.mode == "fair", balanced=body.balanced))


class Pair(Answer):
    number: int
    reviewer_id: int


class ProposalOut(Answer):
    id: int
    state: str
    created_at: datetime
    pairs: list[Pair] = Field(description="the new reviewers of the papers you handle")


@operation("/proposals/<int:proposal_id>", tag=TAG_ASSIGN, response=ProposalOut, etag=False)
def proposal(proposal_id: int) -> Response:
    """A proposal of the automatic assignment: the pairs it adds, for the papers you handle."""
    ws = require_workshop()
    _chair()
    p = db.session.get(AssignmentProposal, proposal_id) or abort(404)
    handled = assignment_lists.handled_ids(ws, me())
    by_paper: dict[int, list[int]] = defaultdict(list)
    for paper, reviewer in p.result.get("pairs", []):
        if paper in handled:
            by_paper[paper].append(reviewer)
    pairs = [Pair(number=n, reviewer_id=r) for n in sorted(by_paper) for r in by_paper[n]]
    return answer(ProposalOut(id=p.id, state=p.state.value, created_at=p.created_at, pairs=pairs))


class Applied(Answer):
    assigned: int


@operation("/proposals/<int:proposal_id>/apply", "POST", tag=TAG_ASSIGN, response=Applied, errors=(409,))
def apply_proposal(proposal_id: int) -> Response:
    """Apply a draft proposal: its reviewers are assigned and each mailed once."""
    ws = require_workshop()
    _chair()
    p = db.session.get(AssignmentProposal, proposal_id) or abort(404)
    outcome = work.attempt(lambda: assignments.apply_proposal(me(), ws, p))
    if not outcome.ok:
        refused_outcome(outcome)
    return answer(Applied(assigned=int(outcome.value or 0)))
