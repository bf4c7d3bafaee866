"""The chair console's figures and its submissions table, in SQL aggregates: a fixed number of statements per
page whatever the number of submissions. Papers the viewing chair is an author of are left out everywhere
(an author-chair is conflicted on them: no scores, no reviewers)."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from portal.db import MAX_ID, db, like_pattern, page_of, quarter_of, utcnow
from portal.models import (
    Decision,
    PaperFieldScore,
    PaperScore,
    Review,
    ReviewAssignment,
    ReviewField,
    ReviewState,
    Submission,
    SubmissionAuthor,
    SubmissionState,
    Topic,
    User,
    Workshop,
)
from portal.permissions import chair_conflicted_ids

#: Reviews whose recommendations differ by this much or more (on the 1 to 5 scale) need the chairs' attention.
DISAGREEMENT = 2
PER_PAGE = 50
DAYS_SHOWN = 21


def _visible(ws: Workshop, viewer: User) -> list[Any]:
    return [Submission.workshop_id == ws.id, Submission.id.not_in(chair_conflicted_ids(viewer))]


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
    hidden: int  # papers left out because the viewer is conflicted with them (an author, a declared conflict)
    disagreement: int = field(default=0)
    # (assignment id, paper, ordinal, reviewer's name, when, why, whether a review is in) of each suspension
    suspended: list[Any] = field(default_factory=list)
    unhandled: list[Any] = field(default_factory=list)  # (id, title) of the papers every chair conflicts with

    @property
    def submitted(self) -> int:
        return self.by_state.get(SubmissionState.SUBMITTED.value, 0)

    @property
    def progress(self) -> float:
        return self.submitted_reviews / self.assigned if self.assigned else 0.0


def overview(ws: Workshop, viewer: User, now: datetime | None = None) -> Overview:
    """The console's figures in six statements, each one pass over its table: at 20,000 papers the page costs
    what a few scans of the submissions and the reviews cost."""
    now = now or utcnow()
    visible = _visible(ws, viewer)
    by_state: dict[str, int] = defaultdict(int)
    by_decision: dict[str, int] = defaultdict(int)
    counts: dict[int, int] = defaultdict(int)
    for state, decision, topic_id, n in db.session.execute(
        sa.select(Submission.state, Submission.decision, Submission.primary_topic_id, sa.func.count())
        .where(*visible)
        .group_by(Submission.state, Submission.decision, Submission.primary_topic_id)
    ):
        by_state[str(state)] += n
        if state == SubmissionState.SUBMITTED:
            by_decision[str(decision) if decision else "undecided"] += n
            counts[topic_id] += n
    by_topic = [(t, counts.get(t.id, 0)) for t in ws.topics]
    submitted = [*visible, Submission.state == SubmissionState.SUBMITTED]
    # The kept per-paper scores of the visible submitted papers: how many assigned, submitted and drafted,
    # the disagreements, the papers with enough reviewers and the histogram, in one pass.
    score = PaperScore
    totals = db.session.execute(
        sa.select(
            *(sa.func.coalesce(sa.func.sum(c), 0) for c in (score.assigned, score.done, score.drafts)),
            sa.func.count().filter(score.spread >= DISAGREEMENT),
            sa.func.count().filter(score.assigned >= ws.reviews_per_paper),
            *(sa.func.coalesce(sa.func.sum(getattr(score, f"r{i}")), 0) for i in range(1, 6)),
        )
        .select_from(score)
        .join(Submission, Submission.id == score.submission_id)
        .where(*submitted)
    ).one()
    assigned, submitted_reviews, drafts, disagreement, well_staffed = (int(x) for x in totals[:5])
    done = Review.state == ReviewState.SUBMITTED
    # Reviews per day in the workshop's zone over the last weeks: SQL counts per quarter hour, Python puts each
    # quarter hour on its local day (right across daylight-saving changes). Every submitted review is counted
    # from the index on (state, submitted_quarter); those of papers the viewer does not see here (withdrawn,
    # drafts, another workshop's, the viewer's own), few, are counted through their papers and taken off.
    first = (now - timedelta(days=DAYS_SHOWN - 1)).astimezone(ws.zone).date()
    since = quarter_of(datetime.combine(first, datetime.min.time(), tzinfo=ws.zone))
    quarter = Review.submitted_quarter
    recent = [done, quarter >= since]
    daily: dict[str, int] = defaultdict(int)
    unseen = sa.select(Submission.id).where(
        sa.or_(
            Submission.workshop_id != ws.id,
            Submission.state != SubmissionState.SUBMITTED,
            Submission.id.in_(chair_conflicted_ids(viewer)),
        )
    )
    for sign, stmt in (
        (1, sa.select(quarter, sa.func.count()).where(*recent).group_by(quarter)),
        (
            -1,
            sa.select(quarter, sa.func.count())
            .select_from(ReviewAssignment)
            .join(Review, Review.assignment_id == ReviewAssignment.id)
            .where(ReviewAssignment.submission_id.in_(unseen), *recent)
            .group_by(quarter),
        ),
    ):
        for q, n in db.session.execute(stmt):
            daily[datetime.fromtimestamp(q * 900, UTC).astimezone(ws.zone).date().isoformat()] += sign * n
    per_day = [(d.isoformat(), daily.get(d.isoformat(), 0)) for d in (first + timedelta(days=i) for i in range(DAYS_SHOWN))]
    # Late reviewers: unfinished reviews once the review deadline has passed (before it: who still owes reviews),
    # the fifteen who owe most, and how many there are in all (a window count, in the same statement).
    unfinished = sa.func.count().label("unfinished")
    late_rows = db.session.execute(
        sa.select(User.id, User.name, unfinished, sa.func.count().over().label("total"))
        .select_from(ReviewAssignment)
        .join(User, User.id == ReviewAssignment.reviewer_id)
        .join(Submission, Submission.id == ReviewAssignment.submission_id)
        .outerjoin(Review, Review.assignment_id == ReviewAssignment.id)
        .where(
            *submitted,
            sa.or_(Review.id.is_(None), Review.state != ReviewState.SUBMITTED),
            ReviewAssignment.suspended_at.is_(None),
            # only papers still owed a review: few once most reviews are in
            ReviewAssignment.submission_id.in_(sa.select(PaperScore.submission_id).where(PaperScore.done < PaperScore.assigned)),
        )
        .group_by(User.id, User.name)
        .order_by(unfinished.desc(), User.name)
        .limit(15)
    ).all()
    hidden = (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Submission)
            .where(Submission.workshop_id == ws.id, Submission.id.in_(chair_conflicted_ids(viewer)))
        )
        or 0
    )
    # Assignments a later conflict suspended, on the papers this chair handles, for the chair to resolve.
    suspended = db.session.execute(
        sa.select(
            ReviewAssignment.id,
            ReviewAssignment.submission_id,
            ReviewAssignment.ordinal,
            User.name,
            ReviewAssignment.suspended_at,
            ReviewAssignment.suspended_reason,
            sa.exists()
            .where(Review.assignment_id == ReviewAssignment.id, Review.state == ReviewState.SUBMITTED)
            .label("reviewed"),
        )
        .join(User, User.id == ReviewAssignment.reviewer_id)
        .join(Submission, Submission.id == ReviewAssignment.submission_id)
        .where(ReviewAssignment.suspended_at.is_not(None), *visible)
        .order_by(ReviewAssignment.suspended_at, ReviewAssignment.id)
    ).all()
    # Papers no chair may handle (each chair an author or declared conflicted) and without a manager.
    chairs = db.session.scalars(sa.select(User).where(User.is_chair)).all()
    unhandled_ids = sa.select(Submission.id).where(
        Submission.workshop_id == ws.id, Submission.manager_id.is_(None), Submission.state != SubmissionState.WITHDRAWN
    )
    for chair in chairs:
        unhandled_ids = unhandled_ids.where(Submission.id.in_(chair_conflicted_ids(chair)))
    unhandled = (
        db.session.execute(
            sa.select(Submission.id, Submission.title).where(Submission.id.in_(unhandled_ids)).order_by(Submission.id)
        ).all()
        if chairs
        else []
    )
    return Overview(
        by_state=dict(by_state),
        by_decision=dict(by_decision),
        by_topic=by_topic,
        assigned=assigned,
        submitted_reviews=submitted_reviews,
        drafts=drafts,
        recommendations={i: int(totals[4 + i]) for i in range(1, 6)},
        per_day=per_day,
        late=[LateReviewer(r.id, r.name, r.unfinished) for r in late_rows],
        late_total=late_rows[0].total if late_rows else 0,
        deadline_passed=bool(ws.review_deadline and not now < ws.review_deadline),
        missing_reviewers=max(0, by_state.get(SubmissionState.SUBMITTED.value, 0) - well_staffed),
        hidden=hidden,
        disagreement=disagreement,
        suspended=suspended,
        unhandled=unhandled,
    )


# --- the submissions table ------------------------------------------------------------------------------

SORTS = {
    "number": "Number",
    "title": "Title",
    "topic": "Topic",
    "reviews": "Reviews",
    "mean": "Mean",
    "weighted": "Weighted mean",
    "spread": "Spread",
    "decision": "Decision",
}
FILTER_STATES = ("submitted", "abstract", "withdrawn")
FILTER_DECISIONS = ("accepted", "rejected", "undecided")


#: The figures of a score shown as a console column (``PaperFieldScore``) a chair sorts by: "<key>:mean".
FIELD_FIGURES = ("mean", "weighted", "spread")


def _bound(args: Any, name: str) -> float | None:
    """A filter's bound: a finite number, else no bound."""
    try:
        value = float(args.get(name) or "")
    except ValueError:
        return None
    return value if math.isfinite(value) and abs(value) < 1e6 else None


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
    # A console column's score (its field's key) filtered by its mean: at least ``low``, at most ``high``.
    score: str | None = None
    low: float | None = None
    high: float | None = None

    @classmethod
    def from_args(cls, args: Any, columns: tuple[str, ...] = ()) -> TableQuery:
        """The query from the URL; ``columns``: the keys of the score fields shown as console columns."""

        def pick(name: str, allowed: tuple[str, ...]) -> str | None:
            value = args.get(name)
            return value if value in allowed else None

        sort = args.get("sort", "number")
        topic = args.get("topic", type=int)
        score = pick("score", columns)
        field_sorts = tuple(f"{key}:{figure}" for key in columns for figure in FIELD_FIGURES)
        return cls(
            q=(args.get("q") or "").strip()[:200],
            topic=topic if topic and 0 < topic <= MAX_ID else None,
            state=pick("state", FILTER_STATES),
            decision=pick("decision", FILTER_DECISIONS),
            attention=args.get("attention") == "1",
            sort=sort if sort in SORTS or sort in field_sorts else "number",
            descending=args.get("dir") == "desc",
            page=max(1, min(args.get("page", 1, type=int) or 1, 10**6)),
            score=score,
            low=_bound(args, "min") if score else None,
            high=_bound(args, "max") if score else None,
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query string of this view with some values changed (for sort links and pages)."""
        values = {
            "q": self.q or None,
            "topic": self.topic,
            "state": self.state,
            "decision": self.decision,
            "attention": "1" if self.attention else None,
            "sort": self.sort if self.sort != "number" else None,
            "dir": "desc" if self.descending else None,
            "page": self.page if self.page > 1 else None,
            "score": self.score,
            "min": _shown(self.low),
            "max": _shown(self.high),
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v is not None}


def _shown(bound: float | None) -> str | None:
    return None if bound is None else (str(int(bound)) if bound == int(bound) else str(bound))


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
    fields: dict[str, PaperFieldScore] = field(default_factory=dict)  # each console column's figures, by key

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
    columns: list[ReviewField] = field(default_factory=list)  # the score fields shown as columns


def submissions_table(ws: Workshop, viewer: User, query: TableQuery, columns: list[ReviewField] | None = None) -> Table:
    """One page of the table in five statements (six with console columns: ``columns``, the score fields shown as
    columns, ``scores.console_fields()``). The kept scores (``PaperScore``, ``PaperFieldScore``) are joined only
    when the page is sorted or filtered by them; the figures shown are computed from the page's own reviews, the
    console columns' read for the page's papers."""
    columns = columns or []
    by_key = {f.key: f for f in columns}
    stats = PaperScore
    assigned = sa.func.coalesce(stats.assigned, 0)
    done = sa.func.coalesce(stats.done, 0)
    stmt = sa.select(Submission).join(Topic, Topic.id == Submission.primary_topic_id).where(*_visible(ws, viewer))
    if query.attention or query.sort in ("reviews", "mean", "weighted", "spread"):
        stmt = stmt.outerjoin(stats, stats.submission_id == Submission.id)
    number = _number(query.q[1:]) if query.q.startswith("#") else None
    if query.q.startswith("#") and query.q[1:].isdigit():
        stmt = stmt.where(Submission.id == (number or 0))  # "#12" is the paper's number, nothing else
    elif query.q:
        pattern = like_pattern(query.q)
        matches = [
            sa.func.lower(Submission.title).like(pattern, escape="\\"),
            Submission.id.in_(
                sa.select(SubmissionAuthor.submission_id).where(
                    sa.or_(
                        sa.func.lower(SubmissionAuthor.name).like(pattern, escape="\\"),
                        SubmissionAuthor.email.like(pattern, escape="\\"),
                        sa.func.lower(SubmissionAuthor.affiliation).like(pattern, escape="\\"),
                    )
                )
            ),
        ]
        if _number(query.q):
            matches.append(Submission.id == _number(query.q))
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
        stmt = stmt.where(
            Submission.state == SubmissionState.SUBMITTED,
            sa.or_(done < assigned, assigned < ws.reviews_per_paper, stats.spread >= DISAGREEMENT),
        )
    if query.score in by_key and (query.low is not None or query.high is not None):
        kept = aliased(PaperFieldScore)
        stmt = stmt.join(kept, sa.and_(kept.submission_id == Submission.id, kept.field_id == by_key[query.score].id))
        if query.low is not None:
            stmt = stmt.where(kept.mean >= query.low)
        if query.high is not None:
            stmt = stmt.where(kept.mean <= query.high)
    sort_key, _, figure = query.sort.partition(":")
    by_figure = None
    if figure and sort_key in by_key:
        sorted_by = aliased(PaperFieldScore)
        stmt = stmt.outerjoin(
            sorted_by, sa.and_(sorted_by.submission_id == Submission.id, sorted_by.field_id == by_key[sort_key].id)
        )
        by_figure = getattr(sorted_by, figure)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.with_only_columns(Submission.id).subquery())) or 0
    page, pages = page_of(total, PER_PAGE, query.page)
    key = (
        by_figure
        if by_figure is not None
        else {
            "number": Submission.id,
            "title": sa.func.lower(Submission.title),
            "topic": Topic.position,
            "reviews": done,
            "mean": stats.mean,
            "weighted": stats.weighted,
            "spread": stats.spread,
            "decision": Submission.decision,
        }[query.sort]
    )
    order = key.desc() if query.descending else key.asc()
    if query.sort in ("mean", "weighted", "spread", "decision") or by_figure is not None:
        order = order.nulls_last()
    subs = db.session.scalars(
        stmt.order_by(order, Submission.id)
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
        .options(selectinload(Submission.authors), selectinload(Submission.primary_topic))
    ).all()
    cells: dict[int, list[ReviewCell]] = defaultdict(list)
    for sid, ordinal, state, rec, conf in db.session.execute(
        sa.select(
            ReviewAssignment.submission_id, ReviewAssignment.ordinal, Review.state, Review.recommendation, Review.confidence
        )
        .outerjoin(Review, Review.assignment_id == ReviewAssignment.id)
        .where(ReviewAssignment.submission_id.in_([s.id for s in subs]))
        .order_by(ReviewAssignment.ordinal)
    ):
        submitted = state == ReviewState.SUBMITTED
        cells[sid].append(
            ReviewCell(ordinal, str(state) if state else "not started", rec if submitted else None, conf if submitted else None)
        )
    figures: dict[int, dict[str, PaperFieldScore]] = defaultdict(dict)
    if columns and subs:
        keys = {f.id: f.key for f in columns}
        for kept_row in db.session.scalars(
            sa.select(PaperFieldScore).where(
                PaperFieldScore.submission_id.in_([s.id for s in subs]), PaperFieldScore.field_id.in_(list(keys))
            )
        ):
            figures[kept_row.submission_id][keys[kept_row.field_id]] = kept_row
    query.page = page
    rows = [_row(sub, cells.get(sub.id, []), ws.reviews_per_paper) for sub in subs]
    for row in rows:
        row.fields = figures.get(row.sub.id, {})
    return Table(rows=rows, total=total, page=page, pages=pages, query=query, columns=columns)


def _number(text: str) -> int | None:
    """``text`` as a paper number (ASCII digits, within the id range), else None."""
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID else None


def _row(sub: Submission, cells: list[ReviewCell], wanted: int) -> Row:
    """The row's figures from its reviews, by the same rules as ``services.scores.aggregate`` (submitted reviews only)."""
    scored = [(c.recommendation, c.confidence or 0) for c in cells if c.recommendation is not None]
    recs = [r for r, _ in scored]
    weights = sum(w for _, w in scored)
    return Row(
        sub,
        assigned=len(cells),
        done=len(scored),
        mean=sum(recs) / len(recs) if recs else None,
        weighted=sum(r * w for r, w in scored) / weights if weights else None,
        spread=max(recs) - min(recs) if recs else None,
        reviews=cells,
        wanted=wanted,
    )
