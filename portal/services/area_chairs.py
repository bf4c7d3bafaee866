"""Area chairs (issue 21.2): a chair gives each paper one area chair, by hand; conflicts apply exactly as for
reviewers. One function per state change; each flushes, none commits."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from portal import emails, permissions
from portal.db import db, like_pattern, page_of, utcnow
from portal.domain import Conflicted, DomainError, InvalidTransition
from portal.models import (
    AreaChairAssignment,
    AreaChairExclusion,
    AuthorResponse,
    ExclusionReason,
    ExtraReviewRequest,
    MetaReview,
    PaperScore,
    Review,
    ReviewAssignment,
    ReviewState,
    Submission,
    SubmissionState,
    User,
    Workshop,
)
from portal.models.submission import submission_topic
from portal.models.user import user_topic
from portal.queries.conflicts import DECLARED_BY_AREA_CHAIR, conflict_map, conflict_reasons
from portal.services import audit, mail_templates
from portal.services.assignments import declare_conflict
from portal.urls import external_url

CANDIDATES_PER_PAGE = 25


def area_chair_of(sub: Submission) -> AreaChairAssignment | None:
    return db.session.scalar(sa.select(AreaChairAssignment).where(AreaChairAssignment.submission_id == sub.id))


def area_chairs_of(sub_ids: list[int]) -> dict[int, User]:
    """The area chair of each of these papers that has one, in one statement."""
    if not sub_ids:
        return {}
    rows = db.session.execute(
        sa.select(AreaChairAssignment.submission_id, User)
        .join(User, User.id == AreaChairAssignment.area_chair_id)
        .where(AreaChairAssignment.submission_id.in_(sub_ids))
    ).all()
    return {sid: user for sid, user in rows}


def check_area_chair(person: User, sub: Submission) -> None:
    """Refuse a person who may not oversee ``sub``: not an area chair, one of its authors, or conflicted (by the
    same rules as reviewers, the conflicts the authors declared and those a chair set)."""
    if not person.is_area_chair:
        raise DomainError(f"{person.name} is not an area chair; make them one on the members page first.")
    if sub.state != SubmissionState.SUBMITTED:
        raise DomainError(f"#{sub.id} is not a submitted paper.")
    reasons = conflict_reasons(person, sub)
    if (
        permissions.is_author(person, sub)
        or reasons
        or sub.id in set(db.session.scalars(permissions.chair_conflicted_ids(person)))
    ):
        raise Conflicted(f"{person.name} conflicts with #{sub.id}" + (f": {'; '.join(reasons)}." if reasons else "."))


def set_area_chair(actor: User, ws: Workshop, sub: Submission, person: User | None) -> AreaChairAssignment | None:
    """Make ``person`` the area chair of ``sub`` (replacing any other; None: nobody). The new area chair is told
    by mail."""
    row = area_chair_of(sub)
    if person is None:
        if row is None:
            raise DomainError(f"#{sub.id} has no area chair.")
        audit.record(
            actor, "paper.area_chair", f"#{sub.id} has no area chair any more (was {row.area_chair.name})", submission=sub
        )
        exclude(actor, sub.id, row.area_chair_id, ExclusionReason.REMOVED)  # (never proposed again for this paper)
        db.session.delete(row)
        db.session.flush()
        return None
    check_area_chair(person, sub)
    if row is not None and row.area_chair_id == person.id:
        raise DomainError(f"{person.name} is the area chair of #{sub.id} already.")
    lift_exclusion(sub.id, person.id)  # a chair who chooses the pair by hand wants it
    if row is None:
        row = AreaChairAssignment(submission_id=sub.id, area_chair_id=person.id, created_by_id=actor.id)
        db.session.add(row)
    else:
        exclude(actor, sub.id, row.area_chair_id, ExclusionReason.REMOVED)  # the one replaced
        row.area_chair_id, row.created_by_id = person.id, actor.id
    audit.record(actor, "paper.area_chair", f"Made {person.name} <{person.email}> the area chair of #{sub.id}", submission=sub)
    mail_templates.queue(
        ws,
        "area_chair_assigned",
        to=person.email,
        reply_to=ws.contact_email,
        subject=f"[{ws.label}] You are the area chair of #{sub.id}",
        ws=ws,
        sub=sub,
        person=person,
        url=external_url("review.paper", number=sub.id),
        home=external_url("review.area_chair_home"),
    )
    db.session.flush()
    return row


def decline_area_chair(person: User, ws: Workshop, sub: Submission, reason: str, *, conflict: bool = False) -> None:
    """The area chair gives the paper back before submitting its meta-review, with a reason the chairs read (issue
    21.5, as a reviewer declines: ``services.assignments.decline_assignment``). The paper has no area chair then;
    the chairs who handle it are told by mail, with a link to choose another, and later automatic runs leave the
    pair out. A draft meta-review stays with the paper, for the chairs and the next area chair (as when a chair
    replaces an area chair). ``conflict``: they declare a conflict of interest the portal missed; it is recorded as
    a conflict (``DECLARED_BY_AREA_CHAIR``), so they no longer see the paper anywhere, and the chairs see it on the
    conflicts page (and may lift it)."""
    row = area_chair_of(sub)
    if row is None or row.area_chair_id != person.id:
        raise InvalidTransition("You are not the area chair of this paper (any more).")
    # Conditional on the moment of the change, not on what was read: a meta-review submitted in between stays, and
    # so does the area chair who wrote it.
    submitted = sa.exists().where(MetaReview.submission_id == sub.id, MetaReview.submitted_at.is_not(None))
    gone = db.session.execute(
        sa.delete(AreaChairAssignment)
        .where(AreaChairAssignment.id == row.id, AreaChairAssignment.area_chair_id == person.id, ~submitted)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not gone:
        raise InvalidTransition("Your meta-review of this paper is submitted: ask the chairs to take you off it.")
    db.session.expunge(row)
    exclude(person, sub.id, person.id, ExclusionReason.DECLINED, note=reason)
    if conflict:
        declare_conflict(person, sub, reason, DECLARED_BY_AREA_CHAIR)
    what = "declared a conflict with" if conflict else "declined"
    audit.record(person, "paper.area_chair", f"{person.name} (area chair) {what} #{sub.id}", submission=sub)
    chairs = db.session.scalars(sa.select(User).where(User.is_chair).order_by(User.id)).all()
    for chair in chairs:
        if chair.id != person.id and permissions.can_chair_paper(chair, sub):
            emails.queue(
                kind="declined",
                to=chair.email,
                reply_to=person.email,
                template="area_chair_declined",
                subject=f"[{ws.label}] {person.name} {what} #{sub.id} as its area chair",
                ws=ws,
                sub=sub,
                person=person,
                reason=reason,
                conflict=conflict,
                picker=external_url("chair.pick_area_chair", number=sub.id),
            )
    db.session.flush()


def loads() -> Counter[int]:
    """How many papers each area chair oversees."""
    return Counter(
        dict(
            db.session.execute(
                sa.select(AreaChairAssignment.area_chair_id, sa.func.count()).group_by(AreaChairAssignment.area_chair_id)
            ).all()
        )
    )


@dataclass
class Candidate:
    user: User
    load: int
    common_topics: int
    conflict: list[str]
    current: bool
    excluded: AreaChairExclusion | None = None  # left out of automatic runs (a chair took them off, they declined)


@dataclass
class Picker:
    rows: list[Candidate]
    total: int
    page: int
    pages: int
    q: str
    conflicted: int  # conflicted area chairs matching the search, not listed unless asked
    show_conflicted: bool


def picker(sub: Submission, *, q: str = "", page: int = 1, show_conflicted: bool = False) -> Picker:
    """Every area chair for ``sub``, searched by name or address, best first: not conflicted, then by topics in
    common with the paper, then the fewest papers overseen; conflicted ones only when asked, never choosable."""
    stmt = sa.select(User.id, User.name).where(User.is_area_chair)
    if q:
        pattern = like_pattern(q)
        stmt = stmt.where(sa.or_(sa.func.lower(User.name).like(pattern, escape="\\"), User.email.like(pattern, escape="\\")))
    people = db.session.execute(stmt.order_by(User.id)).all()
    ids = [u.id for u in people]
    conflicts = {rid: why for (_, rid), why in conflict_map([sub.id], ids).items()} if ids else {}
    paper_topics = {
        sub.primary_topic_id,
        *db.session.scalars(sa.select(submission_topic.c.topic_id).where(submission_topic.c.submission_id == sub.id)),
    }
    common: Counter[int] = (
        Counter(
            uid
            for uid, tid in db.session.execute(
                sa.select(user_topic.c.user_id, user_topic.c.topic_id).where(user_topic.c.user_id.in_(ids))
            )
            if tid in paper_topics
        )
        if ids
        else Counter()
    )
    load = loads()
    current = area_chair_of(sub)
    hidden = sum(1 for u in people if u.id in conflicts)
    wanted = [u for u in people if show_conflicted or u.id not in conflicts]
    wanted.sort(key=lambda u: (u.id in conflicts, -common[u.id], load[u.id], u.name.lower(), u.id))
    total = len(wanted)
    page, pages = page_of(total, CANDIDATES_PER_PAGE, page)
    chosen = wanted[(page - 1) * CANDIDATES_PER_PAGE : page * CANDIDATES_PER_PAGE]
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_([u.id for u in chosen])))}
    left_out = {
        x.area_chair_id: x
        for x in db.session.scalars(
            sa.select(AreaChairExclusion).where(
                AreaChairExclusion.submission_id == sub.id, AreaChairExclusion.area_chair_id.in_(list(users))
            )
        )
    }
    rows = [
        Candidate(
            user=users[u.id],
            load=load[u.id],
            common_topics=common[u.id],
            conflict=conflicts.get(u.id, []),
            current=current is not None and current.area_chair_id == u.id,
            excluded=left_out.get(u.id),
        )
        for u in chosen
    ]
    return Picker(rows, total, page, pages, q, hidden, show_conflicted)


# --- the area chair's work ------------------------------------------------------------------------------


@dataclass
class Progress:
    """One paper an area chair oversees, as their home lists it."""

    sub: Submission
    assigned: int
    done: int
    late: int  # reviewers past the review deadline without a submitted review
    mean: float | None
    spread: int | None
    responded: bool
    extra_asked: bool  # an extra review asked for and not yet marked done
    meta: str = ""  # their meta-review: "submitted", "draft" or "" (none yet)


def my_papers(user: User, ws: Workshop, now: datetime) -> list[Progress]:
    """The papers ``user`` oversees (those they may still see: not withdrawn, not conflicted), with their reviews'
    progress, in a fixed number of statements."""
    subs = permissions.overseen(
        user,
        list(
            db.session.scalars(
                sa.select(Submission)
                .join(AreaChairAssignment, AreaChairAssignment.submission_id == Submission.id)
                .where(AreaChairAssignment.area_chair_id == user.id, Submission.workshop_id == ws.id)
                .order_by(Submission.id)
                .options(selectinload(Submission.authors))
            )
        ),
    )
    ids = [s.id for s in subs]
    if not ids:
        return []
    scores = {p.submission_id: p for p in db.session.scalars(sa.select(PaperScore).where(PaperScore.submission_id.in_(ids)))}
    late: Counter[int] = Counter()
    if ws.review_deadline is not None and now >= ws.review_deadline:
        late = Counter(
            db.session.scalars(
                sa.select(ReviewAssignment.submission_id)
                .outerjoin(Review, Review.assignment_id == ReviewAssignment.id)
                .where(
                    ReviewAssignment.submission_id.in_(ids),
                    ReviewAssignment.suspended_at.is_(None),
                    sa.or_(Review.id.is_(None), Review.state != ReviewState.SUBMITTED),
                )
            )
        )
    responded = set(db.session.scalars(sa.select(AuthorResponse.submission_id).where(AuthorResponse.submission_id.in_(ids))))
    asked = set(
        db.session.scalars(
            sa.select(ExtraReviewRequest.submission_id).where(
                ExtraReviewRequest.submission_id.in_(ids), ExtraReviewRequest.resolved_at.is_(None)
            )
        )
    )
    metas = {
        m.submission_id: ("submitted" if m.submitted_at is not None else "draft")
        for m in db.session.scalars(sa.select(MetaReview).where(MetaReview.submission_id.in_(ids)))
    }
    rows = []
    for s in subs:
        score = scores.get(s.id)
        rows.append(
            Progress(
                sub=s,
                assigned=score.assigned if score else 0,
                done=score.done if score else 0,
                late=late[s.id],
                mean=score.mean if score else None,
                spread=score.spread if score else None,
                responded=s.id in responded,
                extra_asked=s.id in asked,
                meta=metas.get(s.id, ""),
            )
        )
    return rows


def is_late(ws: Workshop, assignment: ReviewAssignment, now: datetime) -> bool:
    """Past the review deadline without a submitted review."""
    done = assignment.review is not None and assignment.review.state == ReviewState.SUBMITTED
    return not done and ws.review_deadline is not None and now >= ws.review_deadline


def remind_reviewer(actor: User, ws: Workshop, sub: Submission, assignment: ReviewAssignment) -> None:
    """The paper's area chair reminds one of its reviewers whose review is not in (one mail, from the portal,
    the area chair's address to reply to)."""
    if assignment.submission_id != sub.id or assignment.suspended_at is not None:
        raise DomainError("This reviewer does not review this paper.")
    if assignment.review is not None and assignment.review.state == ReviewState.SUBMITTED:
        raise DomainError(f"Reviewer {assignment.ordinal} has submitted their review already.")
    reviewer = assignment.reviewer
    mail_templates.queue(
        ws,
        "reminder",
        to=reviewer.email,
        reply_to=actor.email,
        subject=f"[{ws.label}] Reminder: your review of #{sub.id}",
        ws=ws,
        reviewer=reviewer,
        items=[assignment],
        home=external_url("review.index"),
        from_area_chair=actor.name,
    )
    audit.record(actor, "mail.reminders", f"The area chair reminded Reviewer {assignment.ordinal} of #{sub.id}", submission=sub)
    db.session.flush()


def request_extra_review(actor: User, sub: Submission, reason: str) -> ExtraReviewRequest:
    """The area chair asks the chairs for one more review of ``sub``; one open request a paper."""
    reason = reason.strip()
    if not reason:
        raise DomainError("Say why the paper needs another review (the chairs read it).")
    pending = db.session.scalar(
        sa.select(ExtraReviewRequest).where(ExtraReviewRequest.submission_id == sub.id, ExtraReviewRequest.resolved_at.is_(None))
    )
    if pending is not None:
        raise DomainError("You have asked for an extra review of this paper already; the chairs have not yet marked it done.")
    row = ExtraReviewRequest(submission_id=sub.id, requested_by_id=actor.id, reason=reason)
    db.session.add(row)
    audit.record(actor, "paper.extra_review", f"The area chair asked for an extra review of #{sub.id}", submission=sub)
    db.session.flush()
    return row


def open_requests(sub_ids: list[int] | None = None, hidden: sa.Select[tuple[int]] | None = None) -> list[ExtraReviewRequest]:
    """Extra reviews asked for and not yet done, oldest first: of these papers, or of every paper but ``hidden``."""
    stmt = sa.select(ExtraReviewRequest).where(ExtraReviewRequest.resolved_at.is_(None))
    if sub_ids is not None:
        stmt = stmt.where(ExtraReviewRequest.submission_id.in_(sub_ids))
    if hidden is not None:
        stmt = stmt.where(ExtraReviewRequest.submission_id.not_in(hidden))
    return list(db.session.scalars(stmt.order_by(ExtraReviewRequest.created_at, ExtraReviewRequest.id)))


def resolve_extra_review(actor: User, row: ExtraReviewRequest) -> None:
    if row.resolved_at is not None:
        raise DomainError("This request is marked done already.")
    row.resolved_at, row.resolved_by_id = utcnow(), actor.id
    audit.record(
        actor, "paper.extra_review", f"Marked the extra review asked for #{row.submission_id} done", submission=row.submission_id
    )
    db.session.flush()


# --- the chairs' view of the area chairs ------------------------------------------------------------------


@dataclass
class AreaChairProgress:
    user: User
    papers: list[int]  # the numbers of the papers they oversee (of those the viewing chair handles)
    assigned: int  # reviews assigned on those papers
    done: int  # reviews in
    meta_done: int  # meta-reviews submitted
    recommendations: Counter[str]  # the submitted meta-reviews' recommendations, by label


def progress(ws: Workshop, viewer: User, recommendation_labels: dict[int, str]) -> list[AreaChairProgress]:
    """Every area chair with the papers they oversee, the reviews in of those assigned, the meta-reviews written and
    their recommendations (``recommendation_labels``: by paper), leaving out the papers ``viewer`` may not handle;
    a fixed number of statements."""
    hidden = permissions.chair_conflicted_ids(viewer)
    people = list(db.session.scalars(sa.select(User).where(User.is_area_chair).order_by(sa.func.lower(User.name), User.id)))
    # Each overseen paper once, with its review counts, as plain rows: at conference size (21,575 papers) a score
    # object each took half a second, and lists of their ids in IN (...) run past SQLite's limit of parameters.
    overseen = (
        sa.select(AreaChairAssignment.area_chair_id, Submission.id, PaperScore.assigned, PaperScore.done)
        .join(Submission, Submission.id == AreaChairAssignment.submission_id)
        .outerjoin(PaperScore, PaperScore.submission_id == Submission.id)
        .where(
            Submission.workshop_id == ws.id,
            Submission.state == SubmissionState.SUBMITTED,
            Submission.id.not_in(hidden),
        )
    )
    pairs = db.session.execute(overseen.order_by(Submission.id)).all()
    metas = set(
        db.session.scalars(
            sa.select(MetaReview.submission_id).where(
                MetaReview.submission_id.in_(overseen.with_only_columns(Submission.id)), MetaReview.submitted_at.is_not(None)
            )
        )
    )
    rows = {u.id: AreaChairProgress(u, [], 0, 0, 0, Counter()) for u in people}
    for uid, sid, assigned, done in pairs:
        row = rows.get(uid)
        if row is None:  # (no longer an area chair: the paper shows on its page, not here)
            continue
        row.papers.append(sid)
        row.assigned += assigned or 0
        row.done += done or 0
        if sid in metas:
            row.meta_done += 1
            if sid in recommendation_labels:
                row.recommendations[recommendation_labels[sid]] += 1
    return list(rows.values())


def overseen_papers(ws: Workshop) -> sa.Select[tuple[int]]:
    """The papers of ``ws`` with an area chair, as a select of their numbers to use inside another statement (a list
    of 21,575 numbers in IN (...) nears SQLite's limit of parameters)."""
    return (
        sa.select(AreaChairAssignment.submission_id)
        .join(Submission, Submission.id == AreaChairAssignment.submission_id)
        .where(Submission.workshop_id == ws.id)
    )


# --- pairs the automatic assignment leaves out (issue 22.5) ---------------------------------------------------


def exclude(actor: User | None, sub_id: int, area_chair_id: int, reason: ExclusionReason, note: str = "") -> None:
    """Leave the paper and the area chair out of every later automatic run (kept once; the latest reason and note
    stand; ``note``: the area chair's reason for declining)."""
    row = db.session.scalar(
        sa.select(AreaChairExclusion).where(
            AreaChairExclusion.submission_id == sub_id, AreaChairExclusion.area_chair_id == area_chair_id
        )
    )
    if row is None:
        db.session.add(
            AreaChairExclusion(
                submission_id=sub_id,
                area_chair_id=area_chair_id,
                reason=reason,
                note=note[:500],
                created_by_id=actor.id if actor else None,
            )
        )
    else:
        row.reason, row.note = reason, note[:500]
    db.session.flush()


def lift_exclusion(sub_id: int, area_chair_id: int) -> bool:
    """Let the automatic runs consider the pair again; whether it was left out."""
    return bool(
        db.session.execute(
            sa.delete(AreaChairExclusion).where(
                AreaChairExclusion.submission_id == sub_id, AreaChairExclusion.area_chair_id == area_chair_id
            )
        ).rowcount
    )


def papers_without_area_chair(ws: Workshop, hidden: sa.Select | list[int]) -> int:
    """How many of the workshop's submitted papers have no area chair, leaving out ``hidden`` (the papers the chair
    asking may not handle): the area chairs page's and the API's figure."""
    return int(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Submission)
            .where(
                Submission.workshop_id == ws.id,
                Submission.state == SubmissionState.SUBMITTED,
                Submission.id.not_in(sa.select(AreaChairAssignment.submission_id)),
                Submission.id.not_in(hidden),
            )
        )
        or 0
    )
