"""The chair console's figures and its submissions table, in SQL aggregates: a fixed number of statements per
page whatever the number of submissions. Papers the viewing chair is an author of are left out everywhere
(an author-chair is conflicted on them: no scores, no reviewers)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from portal.db import day_in_zone, db, like_pattern, utcnow
from portal.models import (
    Decision,
    Review,
    ReviewAssignment,
    ReviewState,
    Submission,
    SubmissionAuthor,
    SubmissionState,
    Topic,
    User,
    Workshop,
)
from portal.permissions import authored_ids

#: Reviews whose recommendations differ by this much or more (on the 1 to 5 scale) need the chairs' attention.
DISAGREEMENT = 2
PER_PAGE = 50
DAYS_SHOWN = 21


def _visible(ws: Workshop, viewer: User) -> list[Any]:
    return [Submission.workshop_id == ws.id, Submission.id.not_in(authored_ids(viewer))]


# --- the console home -----------------------------------------------------------------------------------


@dataclass
class LateReviewer:
    id: int
    name: str
    unfinished: int


@dataclass
class Overview:
    by_state: dict[str, int]
    by_decision: dict[str, int]
    by_topic: list[tuple[Topic, int]]
    assigned: int
    submitted_reviews: int
    drafts: int
    recommendations: dict[int, int]
    per_day: list[tuple[str, int]]
    late: list[LateReviewer]
    late_total: int
    deadline_passed: bool
    missing_reviewers: int  # submitted papers with fewer reviewers than the workshop asks for
    hidden: int  # papers left out because the viewer is an author of them
    disagreement: int = field(default=0)

    @property
    def submitted(self) -> int:
        return self.by_state.get(SubmissionState.SUBMITTED.value, 0)

    @property
    def progress(self) -> float:
        return self.submitted_reviews / self.assigned if self.assigned else 0.0


def overview(ws: Workshop, viewer: User, now: datetime | None = None) -> Overview:
    now = now or utcnow()
    visible = _visible(ws, viewer)
    by_state = dict(db.session.execute(sa.select(Submission.state, sa.func.count()).where(*visible)
                                       .group_by(Submission.state)).all())  # fmt: skip
    submitted = [*visible, Submission.state == SubmissionState.SUBMITTED]
    by_decision = dict(db.session.execute(sa.select(Submission.decision, sa.func.count()).where(*submitted)
                                          .group_by(Submission.decision)).all())  # fmt: skip
    counts = dict(db.session.execute(sa.select(Submission.primary_topic_id, sa.func.count()).where(*submitted)
                                     .group_by(Submission.primary_topic_id)).all())  # fmt: skip
    by_topic = [(t, counts.get(t.id, 0)) for t in ws.topics]
    # One pass over the assignments of the visible submitted papers: per paper, how many assigned and submitted,
    # and the spread of the submitted recommendations.
    rec = sa.case((Review.state == ReviewState.SUBMITTED, Review.recommendation))
    per_paper = (
        sa.select(
            ReviewAssignment.submission_id.label("sid"), sa.func.count().label("n"),
            sa.func.count(Review.submitted_at).label("done"),
            sa.func.sum(sa.case((Review.state == ReviewState.DRAFT, 1), else_=0)).label("drafts"),
            (sa.func.max(rec) - sa.func.min(rec)).label("spread"),
        )
        .join(Submission, Submission.id == ReviewAssignment.submission_id)
        .outerjoin(Review, Review.assignment_id == ReviewAssignment.id).where(*submitted)
        .group_by(ReviewAssignment.submission_id)
    ).subquery()  # fmt: skip
    assigned, done, drafts, disagreement, well_staffed = db.session.execute(sa.select(
        sa.func.coalesce(sa.func.sum(per_paper.c.n), 0), sa.func.coalesce(sa.func.sum(per_paper.c.done), 0),
        sa.func.coalesce(sa.func.sum(per_paper.c.drafts), 0),
        sa.func.count().filter(per_paper.c.spread >= DISAGREEMENT),
        sa.func.count().filter(per_paper.c.n >= ws.reviews_per_paper),
    )).one()  # fmt: skip
    submitted_reviews = (
        sa.select(Review).join(ReviewAssignment).join(Submission, Submission.id == ReviewAssignment.submission_id)
        .where(*submitted, Review.state == ReviewState.SUBMITTED)
    )  # fmt: skip
    recs = dict(db.session.execute(submitted_reviews.with_only_columns(Review.recommendation, sa.func.count())
                                   .group_by(Review.recommendation)).all())  # fmt: skip
    offset = int((now.astimezone(ws.zone).utcoffset() or timedelta()).total_seconds() // 60)
    day = day_in_zone(Review.submitted_at, offset)
    first = (now - timedelta(days=DAYS_SHOWN - 1)).astimezone(ws.zone).date()
    daily = dict(db.session.execute(submitted_reviews.with_only_columns(day, sa.func.count()).group_by(day)).all())
    per_day = [(d.isoformat(), daily.get(d.isoformat(), 0)) for d in (first + timedelta(days=i) for i in range(DAYS_SHOWN))]
    # Late reviewers: unfinished reviews once the review deadline has passed (before it: who still owes reviews).
    unfinished = sa.func.count().label("unfinished")
    late_stmt = (
        sa.select(User.id, User.name, unfinished).select_from(ReviewAssignment)
        .join(User, User.id == ReviewAssignment.reviewer_id)
        .join(Submission, Submission.id == ReviewAssignment.submission_id)
        .outerjoin(Review, Review.assignment_id == ReviewAssignment.id)
        .where(*submitted, sa.or_(Review.id.is_(None), Review.state != ReviewState.SUBMITTED))
        .group_by(User.id, User.name)
    )  # fmt: skip
    late_rows = db.session.execute(late_stmt.order_by(unfinished.desc(), User.name).limit(15)).all()
    late_total = db.session.scalar(sa.select(sa.func.count()).select_from(late_stmt.subquery())) or 0
    hidden = db.session.scalar(sa.select(sa.func.count()).select_from(authored_ids(viewer).subquery())) or 0
    return Overview(
        by_state={str(k): v for k, v in by_state.items()},
        by_decision={(str(k) if k else "undecided"): v for k, v in by_decision.items()},
        by_topic=by_topic, assigned=int(assigned), submitted_reviews=int(done), drafts=int(drafts),
        recommendations={i: recs.get(i, 0) for i in range(1, 6)}, per_day=per_day,
        late=[LateReviewer(*row) for row in late_rows], late_total=late_total,
        deadline_passed=bool(ws.review_deadline and not now < ws.review_deadline),
        missing_reviewers=max(0, by_state.get(SubmissionState.SUBMITTED, 0) - int(well_staffed)),
        hidden=hidden, disagreement=int(disagreement),
    )  # fmt: skip


# --- the submissions table ------------------------------------------------------------------------------

SORTS = {
    "number": "Number", "title": "Title", "topic": "Topic", "reviews": "Reviews", "mean": "Mean",
    "weighted": "Weighted mean", "spread": "Spread", "decision": "Decision",
}  # fmt: skip
FILTER_STATES = ("submitted", "abstract", "withdrawn")
FILTER_DECISIONS = ("accepted", "rejected", "undecided")


@dataclass
class TableQuery:
    q: str = ""
    topic: int | None = None
    state: str | None = None
    decision: str | None = None
    attention: bool = False
    sort: str = "number"
    descending: bool = False
    page: int = 1

    @classmethod
    def from_args(cls, args: Any) -> TableQuery:
        def pick(name: str, allowed: tuple[str, ...]) -> str | None:
            value = args.get(name)
            return value if value in allowed else None

        sort = args.get("sort", "number")
        return cls(
            q=(args.get("q") or "").strip()[:200], topic=args.get("topic", type=int), state=pick("state", FILTER_STATES),
            decision=pick("decision", FILTER_DECISIONS), attention=args.get("attention") == "1",
            sort=sort if sort in SORTS else "number", descending=args.get("dir") == "desc",
            page=max(1, min(args.get("page", 1, type=int) or 1, 10**6)),
        )  # fmt: skip

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query string of this view with some values changed (for sort links and pages)."""
        values = {"q": self.q or None, "topic": self.topic, "state": self.state, "decision": self.decision,
                  "attention": "1" if self.attention else None, "sort": self.sort if self.sort != "number" else None,
                  "dir": "desc" if self.descending else None, "page": self.page if self.page > 1 else None}  # fmt: skip
        values.update(changes)
        return {k: v for k, v in values.items() if v is not None}


@dataclass
class ReviewCell:
    ordinal: int
    state: str
    recommendation: int | None
    confidence: int | None


@dataclass
class Row:
    sub: Submission
    assigned: int
    done: int
    mean: float | None
    weighted: float | None
    spread: int | None
    reviews: list[ReviewCell]
    wanted: int  # reviewers per paper the workshop asks for

    @property
    def needs_attention(self) -> list[str]:
        """Why the row is under "needs attention" (the same rules as the filter)."""
        reasons = []
        if self.sub.state == SubmissionState.SUBMITTED and self.done < self.assigned:
            reasons.append(f"{self.assigned - self.done} review{'s' if self.assigned - self.done != 1 else ''} missing")
        if self.sub.state == SubmissionState.SUBMITTED and self.assigned < self.wanted:
            reasons.append(f"{self.assigned} of {self.wanted} reviewers assigned")
        if self.spread is not None and self.spread >= DISAGREEMENT:
            reasons.append("reviewers disagree")
        return reasons


@dataclass
class Table:
    rows: list[Row]
    total: int
    page: int
    pages: int
    query: TableQuery


def _stats() -> Any:
    """Per submission: reviewers assigned, reviews submitted, mean, confidence-weighted mean, spread."""
    done = Review.state == ReviewState.SUBMITTED
    rec = sa.case((done, Review.recommendation))
    weight = sa.case((done, Review.confidence))
    return (
        sa.select(
            ReviewAssignment.submission_id.label("sid"), sa.func.count().label("assigned"),
            sa.func.count(rec).label("done"), sa.func.avg(sa.cast(rec, sa.Float)).label("mean"),
            (sa.cast(sa.func.sum(rec * weight), sa.Float) / sa.func.nullif(sa.func.sum(weight), 0)).label("weighted"),
            (sa.func.max(rec) - sa.func.min(rec)).label("spread"),
        )
        .outerjoin(Review, Review.assignment_id == ReviewAssignment.id)
        .group_by(ReviewAssignment.submission_id)
    ).subquery("stats")  # fmt: skip


def submissions_table(ws: Workshop, viewer: User, query: TableQuery) -> Table:
    stats = _stats()
    assigned = sa.func.coalesce(stats.c.assigned, 0)
    done = sa.func.coalesce(stats.c.done, 0)
    stmt = (
        sa.select(Submission, assigned, done, stats.c.mean, stats.c.weighted, stats.c.spread)
        .outerjoin(stats, stats.c.sid == Submission.id).join(Topic, Topic.id == Submission.primary_topic_id)
        .where(*_visible(ws, viewer))
    )  # fmt: skip
    if query.q.startswith("#") and query.q[1:].isdigit():
        stmt = stmt.where(Submission.id == int(query.q[1:]))  # "#12" is the paper's number, nothing else
    elif query.q:
        pattern = like_pattern(query.q)
        matches = [sa.func.lower(Submission.title).like(pattern, escape="\\"),
                   Submission.id.in_(sa.select(SubmissionAuthor.submission_id).where(sa.or_(
                       sa.func.lower(SubmissionAuthor.name).like(pattern, escape="\\"),
                       SubmissionAuthor.email.like(pattern, escape="\\"),
                       sa.func.lower(SubmissionAuthor.affiliation).like(pattern, escape="\\"))))]  # fmt: skip
        if query.q.isdigit():
            matches.append(Submission.id == int(query.q))
        stmt = stmt.where(sa.or_(*matches))
    if query.topic:
        stmt = stmt.where(Submission.primary_topic_id == query.topic)
    if query.state:
        stmt = stmt.where(Submission.state == SubmissionState(query.state))
    if query.decision == "undecided":
        stmt = stmt.where(Submission.decision.is_(None), Submission.state == SubmissionState.SUBMITTED)
    elif query.decision:
        stmt = stmt.where(Submission.decision == Decision(query.decision))
    if query.attention:
        stmt = stmt.where(Submission.state == SubmissionState.SUBMITTED,
                          sa.or_(done < assigned, assigned < ws.reviews_per_paper, stats.c.spread >= DISAGREEMENT))  # fmt: skip
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.with_only_columns(Submission.id).subquery())) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(query.page, pages)
    key = {
        "number": Submission.id, "title": sa.func.lower(Submission.title), "topic": Topic.position, "reviews": done,
        "mean": stats.c.mean, "weighted": stats.c.weighted, "spread": stats.c.spread, "decision": Submission.decision,
    }[query.sort]  # fmt: skip
    order = key.desc() if query.descending else key.asc()
    if query.sort in ("mean", "weighted", "spread", "decision"):
        order = order.nulls_last()
    result = db.session.execute(
        stmt.order_by(order, Submission.id).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
        .options(selectinload(Submission.authors), selectinload(Submission.primary_topic))
    ).all()  # fmt: skip
    ids = [r[0].id for r in result]
    cells: dict[int, list[ReviewCell]] = defaultdict(list)
    for sid, ordinal, state, rec, conf in db.session.execute(
        sa.select(ReviewAssignment.submission_id, ReviewAssignment.ordinal, Review.state, Review.recommendation,
                  Review.confidence)
        .outerjoin(Review, Review.assignment_id == ReviewAssignment.id)
        .where(ReviewAssignment.submission_id.in_(ids)).order_by(ReviewAssignment.ordinal)
    ):  # fmt: skip
        submitted = state == ReviewState.SUBMITTED
        cells[sid].append(ReviewCell(ordinal, str(state) if state else "not started", rec if submitted else None,
                                     conf if submitted else None))  # fmt: skip
    rows = [Row(sub, a, d, mean, weighted, spread, cells.get(sub.id, []), ws.reviews_per_paper)
            for sub, a, d, mean, weighted, spread in result]  # fmt: skip
    query.page = page
    return Table(rows=rows, total=total, page=page, pages=pages, query=query)
