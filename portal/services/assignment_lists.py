"""What the chair's assignment screens show at any size, in a fixed number of statements: the papers (paged,
searched, filtered by how many reviewers they have), the reviewers' loads (paged, searched, filtered), and the
reviewer picker of one paper (every reviewer with their bid, affinity, load against capacity, conflict or
exclusion, best first).

Read-only: the changes (assign, remove, exclude) are in ``services.assignments``. Every figure counts only the
papers the viewing chair handles (``permissions.chair_conflicted_ids``): a load that counted a chair's own paper
would tell them who reviews it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from portal.assign.affinity import PairArrays, PaperInfo, ReviewerInfo, Weights, score_edges
from portal.db import MAX_ID, db, like_pattern, page_of
from portal.models import (
    AssignmentExclusion,
    Bid,
    Review,
    ReviewAssignment,
    ReviewState,
    Submission,
    SubmissionState,
    User,
    UserPaper,
    Workshop,
)
from portal.models.submission import submission_topic
from portal.models.user import user_topic
from portal.permissions import chair_conflicted_ids
from portal.queries.conflicts import IN_COMMITTEE, conflict_map, reviewer_conflict_pairs, reviewers_that_may_conflict
from portal.services.assignments import paper_text, reviewer_text

PAPERS_PER_PAGE = 25
REVIEWERS_PER_PAGE = 50
CANDIDATES_PER_PAGE = 25
SHOW_PAPERS = {"all": "All papers", "short": "Short of reviewers", "full": "With enough reviewers", "none": "No reviewer yet"}
SHOW_REVIEWERS = {
    "all": "All reviewers",
    "idle": "No paper yet",
    "below": "Below their minimum",
    "full": "At or over their maximum",
    "unfinished": "With unfinished reviews",
}
SORT_REVIEWERS = {"name": "Name", "load": "Load (most first)", "room": "Room left (most first)"}


def _page(value: Any) -> int:
    return max(1, min(value or 1, 10**6))


def _number(text: str) -> int | None:
    text = text.removeprefix("#")
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID else None


def _handled(ws: Workshop, viewer: User) -> list[Any]:
    """The papers in reviewing that ``viewer`` handles."""
    return [
        Submission.workshop_id == ws.id,
        Submission.state == SubmissionState.SUBMITTED,
        Submission.id.not_in(chair_conflicted_ids(viewer)),
    ]


def handled_ids(ws: Workshop, viewer: User) -> set[int]:
    """The ids of the papers in reviewing that ``viewer`` handles."""
    return set(db.session.scalars(sa.select(Submission.id).where(*_handled(ws, viewer))))


def _assigned_counts() -> sa.Subquery:
    return (
        sa.select(ReviewAssignment.submission_id.label("sid"), sa.func.count().label("n"))
        .group_by(ReviewAssignment.submission_id)
        .subquery()
    )


# --- papers ------------------------------------------------------------------------------------------------


@dataclass
class PaperQuery:
    q: str = ""
    topic: int | None = None
    show: str = "all"
    page: int = 1

    @classmethod
    def from_args(cls, args: Any) -> PaperQuery:
        topic = args.get("topic", type=int)
        show = args.get("show", "all")
        return cls(
            q=(args.get("q") or "").strip()[:200],
            topic=topic if topic and 0 < topic <= MAX_ID else None,
            show=show if show in SHOW_PAPERS else "all",
            page=_page(args.get("page", 1, type=int)),
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        values = {
            "q": self.q or None,
            "topic": self.topic,
            "show": self.show if self.show != "all" else None,
            "page": self.page if self.page > 1 else None,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v is not None}


@dataclass
class PaperRow:
    sub: Submission
    assignments: list[ReviewAssignment]

    @property
    def count(self) -> int:
        return len(self.assignments)


@dataclass
class PaperPage:
    rows: list[PaperRow]
    total: int  # papers matching the query
    page: int
    pages: int
    query: PaperQuery
    papers: int  # papers this chair handles, in all
    short: int  # of which with fewer reviewers than the workshop asks for


def paper_page(ws: Workshop, viewer: User, query: PaperQuery) -> PaperPage:
    counts = _assigned_counts()
    assigned = sa.func.coalesce(counts.c.n, 0)
    base = (
        sa.select(Submission.id, assigned.label("assigned"))
        .outerjoin(counts, counts.c.sid == Submission.id)
        .where(*_handled(ws, viewer))
    )
    every = base.subquery()
    papers, short = db.session.execute(
        sa.select(sa.func.count(), sa.func.count().filter(every.c.assigned < ws.reviews_per_paper))
    ).one()
    stmt = base
    if (number := _number(query.q)) is not None and query.q.lstrip("#").isdigit():
        stmt = stmt.where(Submission.id == number)
    elif query.q:
        stmt = stmt.where(sa.func.lower(Submission.title).like(like_pattern(query.q), escape="\\"))
    if query.topic:
        in_topic = sa.select(submission_topic.c.submission_id).where(submission_topic.c.topic_id == query.topic)
        stmt = stmt.where(sa.or_(Submission.primary_topic_id == query.topic, Submission.id.in_(in_topic)))
    if query.show == "short":
        stmt = stmt.where(assigned < ws.reviews_per_paper)
    elif query.show == "full":
        stmt = stmt.where(assigned >= ws.reviews_per_paper)
    elif query.show == "none":
        stmt = stmt.where(assigned == 0)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    page, pages = page_of(total, PAPERS_PER_PAGE, query.page)
    query.page = page
    ids = list(
        db.session.scalars(
            stmt.with_only_columns(Submission.id)
            .order_by(Submission.id)
            .limit(PAPERS_PER_PAGE)
            .offset((page - 1) * PAPERS_PER_PAGE)
        )
    )
    subs = db.session.scalars(
        sa.select(Submission)
        .where(Submission.id.in_(ids))
        .order_by(Submission.id)
        .options(selectinload(Submission.primary_topic))
    ).all()
    by_paper: dict[int, list[ReviewAssignment]] = defaultdict(list)
    for a in db.session.scalars(
        sa.select(ReviewAssignment)
        .where(ReviewAssignment.submission_id.in_(ids))
        .order_by(ReviewAssignment.ordinal)
        .options(selectinload(ReviewAssignment.review), selectinload(ReviewAssignment.reviewer))
    ):
        by_paper[a.submission_id].append(a)
    rows = [PaperRow(s, by_paper.get(s.id, [])) for s in subs]
    return PaperPage(rows, total, page, pages, query, papers, short)


# --- loads -------------------------------------------------------------------------------------------------


def loads(ws: Workshop, viewer: User, reviewer_ids: list[int] | None = None) -> dict[int, int]:
    """Each reviewer's number of papers, among the papers ``viewer`` handles."""
    stmt = (
        sa.select(ReviewAssignment.reviewer_id, sa.func.count())
        .join(Submission, Submission.id == ReviewAssignment.submission_id)
        .where(*_handled(ws, viewer))
        .group_by(ReviewAssignment.reviewer_id)
    )
    if reviewer_ids is not None:
        stmt = stmt.where(ReviewAssignment.reviewer_id.in_(reviewer_ids))
    return {rid: n for rid, n in db.session.execute(stmt)}


def unfinished_counts(ws: Workshop, viewer: User, reviewer_ids: list[int] | None = None) -> dict[int, int]:
    """Each reviewer's assignments without a submitted review (not suspended), among the papers ``viewer``
    handles: the same rule as ``reviews.unfinished_by_reviewer``, counted by the database."""
    stmt = (
        sa.select(ReviewAssignment.reviewer_id, sa.func.count())
        .join(Submission, Submission.id == ReviewAssignment.submission_id)
        .outerjoin(Review, Review.assignment_id == ReviewAssignment.id)
        .where(
            *_handled(ws, viewer),
            ReviewAssignment.suspended_at.is_(None),
            sa.or_(Review.id.is_(None), Review.state != ReviewState.SUBMITTED),
        )
        .group_by(ReviewAssignment.reviewer_id)
    )
    if reviewer_ids is not None:
        stmt = stmt.where(ReviewAssignment.reviewer_id.in_(reviewer_ids))
    return {rid: n for rid, n in db.session.execute(stmt)}


@dataclass
class ReviewerQuery:
    q: str = ""
    show: str = "all"
    sort: str = "name"
    page: int = 1

    @classmethod
    def from_args(cls, args: Any) -> ReviewerQuery:
        show, sort = args.get("show", "all"), args.get("sort", "name")
        return cls(
            q=(args.get("q") or "").strip()[:200],
            show=show if show in SHOW_REVIEWERS else "all",
            sort=sort if sort in SORT_REVIEWERS else "name",
            page=_page(args.get("page", 1, type=int)),
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        values = {
            "q": self.q or None,
            "show": self.show if self.show != "all" else None,
            "sort": self.sort if self.sort != "name" else None,
            "page": self.page if self.page > 1 else None,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v is not None}


@dataclass
class LoadRow:
    user: User
    load: int
    most: int
    least: int
    unfinished: int
    reviews: int = 0  # submitted reviews (of the papers the viewer handles)
    mean: float | None = None  # their mean recommendation
    against_others: float | None = None  # their recommendation minus the others' mean on the same papers, averaged
    spread: float | None = None  # the standard deviation of their recommendations (how much of the scale they use)
    others_spread: float | None = None  # the same of the other reviewers' recommendations on the same papers


Habits = tuple[int, float | None, float | None, float | None, float | None]


def _deviation(values: list[int]) -> float | None:
    if not values:
        return None
    mean = sum(values) / len(values)
    return (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5


def reviewer_habits(ws: Workshop, viewer: User, reviewer_ids: list[int]) -> dict[int, Habits]:
    """For each of ``reviewer_ids``: how many reviews they submitted, their mean recommendation, how far their
    recommendations sit from the other reviewers' of the same papers (their score minus the mean of the others'
    on that paper, averaged over the papers where someone else reviewed too: positive is more generous), and the
    spread (standard deviation) of their recommendations beside that of the others' on the same papers. Counted
    on the papers ``viewer`` handles; four statements whatever the number of reviewers."""
    # Four lookups by index: the reviewers' papers, those the viewer handles, every assignment on them, and their
    # submitted reviews. (One join of them all had SQLite walk every paper of the workshop, or every submitted
    # review by the state's index: a quarter of a second at conference size.)
    theirs = set(
        db.session.scalars(sa.select(ReviewAssignment.submission_id).where(ReviewAssignment.reviewer_id.in_(reviewer_ids)))
    )
    handled = (
        list(db.session.scalars(sa.select(Submission.id).where(Submission.id.in_(theirs), *_handled(ws, viewer))))
        if theirs
        else []
    )
    assigned = (
        db.session.execute(
            sa.select(ReviewAssignment.id, ReviewAssignment.submission_id, ReviewAssignment.reviewer_id).where(
                ReviewAssignment.submission_id.in_(handled)
            )
        ).all()
        if handled
        else []
    )
    recommendation = (
        dict(
            db.session.execute(
                sa.select(Review.assignment_id, Review.recommendation).where(
                    Review.assignment_id.in_([a for a, _, _ in assigned]),
                    Review.state == ReviewState.SUBMITTED,
                    Review.recommendation.is_not(None),
                )
            ).all()
        )
        if assigned
        else {}
    )
    wanted = set(reviewer_ids)
    own = [(p, r, recommendation[a]) for a, p, r in assigned if a in recommendation and r in wanted]
    by_paper: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for a, p, r in assigned:
        if a in recommendation:
            by_paper[p].append((r, recommendation[a]))
    out: dict[int, Habits] = {}
    mine: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for p, r, rec in own:
        mine[r].append((p, rec))
    for r, rows in mine.items():
        recs = [rec for _, rec in rows]
        gaps, theirs = [], []
        for p, rec in rows:
            others = [x for who, x in by_paper[p] if who != r]
            theirs += others
            if others:
                gaps.append(rec - sum(others) / len(others))
        mean, against = sum(recs) / len(recs), sum(gaps) / len(gaps) if gaps else None
        out[r] = (len(recs), mean, against, _deviation(recs), _deviation(theirs))
    return out


@dataclass
class LoadPage:
    rows: list[LoadRow]
    total: int
    page: int
    pages: int
    query: ReviewerQuery
    reviewers: int
    idle: int
    histogram: list[tuple[int, int]] = field(default_factory=list)  # (load, reviewers with it)


def load_page(ws: Workshop, viewer: User, query: ReviewerQuery) -> LoadPage:
    """One page of the reviewers with their loads (among the papers ``viewer`` handles)."""
    handled = sa.select(Submission.id).where(*_handled(ws, viewer))
    counted = (
        sa.select(ReviewAssignment.reviewer_id.label("rid"), sa.func.count().label("n"))
        .where(ReviewAssignment.submission_id.in_(handled))
        .group_by(ReviewAssignment.reviewer_id)
        .subquery()
    )
    open_ = (
        sa.select(ReviewAssignment.reviewer_id.label("rid"), sa.func.count().label("n"))
        .outerjoin(Review, Review.assignment_id == ReviewAssignment.id)
        .where(
            ReviewAssignment.submission_id.in_(handled),
            ReviewAssignment.suspended_at.is_(None),
            sa.or_(Review.id.is_(None), Review.state != ReviewState.SUBMITTED),
        )
        .group_by(ReviewAssignment.reviewer_id)
        .subquery()
    )
    load = sa.func.coalesce(counted.c.n, 0)
    unfinished = sa.func.coalesce(open_.c.n, 0)
    most = sa.func.coalesce(User.max_load, ws.default_max_load)
    least = sa.func.coalesce(User.min_load, ws.default_min_load)
    base = (
        sa.select(User.id, load.label("load"), unfinished.label("unfinished"))
        .outerjoin(counted, counted.c.rid == User.id)
        .outerjoin(open_, open_.c.rid == User.id)
        .where(User.is_reviewer)
    )
    histogram = db.session.execute(
        sa.select(base.subquery().c.load, sa.func.count()).group_by(sa.literal_column("1")).order_by(sa.literal_column("1"))
    ).all()
    stmt = base
    if query.q:
        pattern = like_pattern(query.q)
        stmt = stmt.where(
            sa.or_(
                sa.func.lower(User.name).like(pattern, escape="\\"),
                User.email.like(pattern, escape="\\"),
                sa.func.lower(User.affiliation).like(pattern, escape="\\"),
            )
        )
    if query.show == "idle":
        stmt = stmt.where(load == 0)
    elif query.show == "below":
        stmt = stmt.where(load < least, load < most)
    elif query.show == "full":
        stmt = stmt.where(load >= most)
    elif query.show == "unfinished":
        stmt = stmt.where(unfinished > 0)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    page, pages = page_of(total, REVIEWERS_PER_PAGE, query.page)
    query.page = page
    order = {
        "name": (sa.func.lower(User.name), User.id),
        "load": (load.desc(), sa.func.lower(User.name), User.id),
        "room": ((most - load).desc(), sa.func.lower(User.name), User.id),
    }[query.sort]
    found = db.session.execute(stmt.order_by(*order).limit(REVIEWERS_PER_PAGE).offset((page - 1) * REVIEWERS_PER_PAGE)).all()
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_([r.id for r in found])))}
    habits = reviewer_habits(ws, viewer, [r.id for r in found])
    rows = []
    for r in found:
        u = users[r.id]
        top = u.max_load if u.max_load is not None else ws.default_max_load
        low = min(u.min_load if u.min_load is not None else ws.default_min_load, top)
        rows.append(LoadRow(u, r.load, top, low, r.unfinished, *habits.get(u.id, (0, None, None, None, None))))
    reviewers = sum(n for _, n in histogram)
    idle = next((n for value, n in histogram if value == 0), 0)
    return LoadPage(rows, total, page, pages, query, reviewers, idle, [(v, n) for v, n in histogram])


# --- the reviewer picker of one paper ----------------------------------------------------------------------


@dataclass
class Candidate:
    user: User
    affinity: float
    common_topics: int
    paper_topics: int
    text_similarity: float
    bid: str | None
    load: int
    most: int
    conflict: list[str]  # the reasons, empty when none
    excluded: AssignmentExclusion | None
    assigned: bool

    @property
    def room(self) -> int:
        return self.most - self.load

    @property
    def can_assign(self) -> bool:
        return not self.conflict and not self.assigned


@dataclass
class Picker:
    rows: list[Candidate]
    total: int
    page: int
    pages: int
    q: str
    show_conflicted: bool
    conflicted: int  # reviewers left out of the list because they conflict


def picker(ws: Workshop, viewer: User, sub: Submission, *, q: str = "", page: int = 1, show_conflicted: bool = False) -> Picker:
    """Every reviewer for ``sub``, best first: not conflicted, not yet assigned and with room left (below their
    maximum) before the rest, then by affinity (bid, topics and expertise text, weighted as in the automatic
    assignment; the text part is computed against the reviewers alone, so it can differ a little from a run's),
    then by room left."""
    read = db.session.connection().execute
    people = read(
        sa.select(User.id, User.name, User.expertise_statement, User.max_load).where(User.is_reviewer).order_by(User.id)
    ).all()
    ids = [u.id for u in people]
    topics: dict[int, set[int]] = defaultdict(set)
    for uid, tid in read(
        sa.select(user_topic.c.user_id, user_topic.c.topic_id).join(User, User.id == user_topic.c.user_id).where(User.is_reviewer)
    ):
        topics[uid].add(tid)
    own: dict[int, list[str]] = defaultdict(list)
    for uid, text in read(
        sa.select(UserPaper.user_id, UserPaper.title + "\n" + UserPaper.abstract)
        .join(User, User.id == UserPaper.user_id)
        .where(User.is_reviewer)
        .order_by(UserPaper.user_id, UserPaper.position)
    ):
        own[uid].append(text)
    paper_topics = {
        sub.primary_topic_id,
        *read(sa.select(submission_topic.c.topic_id).where(submission_topic.c.submission_id == sub.id)).scalars(),
    }
    bids = {rid: str(value) for rid, value in read(sa.select(Bid.reviewer_id, Bid.value).where(Bid.submission_id == sub.id))}
    # (asked only about the reviewers who share a key with the paper: the rules over all 10,000 took half a second)
    sharing = reviewers_that_may_conflict([sub.id])
    conflicts = {rid: why for (_, rid), why in conflict_map([sub.id], [i for i in ids if i in sharing]).items()}
    excluded = {
        x.reviewer_id: x
        for x in db.session.scalars(sa.select(AssignmentExclusion).where(AssignmentExclusion.submission_id == sub.id))
    }
    assigned = set(read(sa.select(ReviewAssignment.reviewer_id).where(ReviewAssignment.submission_id == sub.id)).scalars())
    load = loads(ws, viewer)

    edges = score_edges(
        [PaperInfo(sub.id, paper_text(sub), paper_topics)],
        [ReviewerInfo(u.id, reviewer_text(u.expertise_statement, own.get(u.id, [])), topics.get(u.id, set())) for u in people],
        PairArrays.of({(sub.id, rid): v for rid, v in bids.items()}),
        PairArrays(np.zeros(0, np.int64), np.zeros(0, np.int64)),
        Weights(ws.weight_bid, ws.weight_topics, ws.weight_text),
        top_k=None,
    )
    # The affinity of every reviewer (for the order) as plain numbers at once; the reasons of the page's only.
    affinity = dict(zip(edges.reviewer.tolist(), edges.affinity.tolist(), strict=True))
    names = {u.id: u.name for u in people}
    wanted = [u for u in people if not q or q.lower() in u.name.lower()]
    hidden = sum(1 for u in wanted if u.id in conflicts)
    if not show_conflicted:
        wanted = [u for u in wanted if u.id not in conflicts]

    def most_of(u: Any) -> int:
        return u.max_load if u.max_load is not None else ws.default_max_load

    def key(u: Any) -> tuple[Any, ...]:
        room = most_of(u) - load.get(u.id, 0)
        return (u.id in conflicts, u.id in assigned, room <= 0, -affinity.get(u.id, 0.0), -room, names[u.id])

    wanted.sort(key=key)
    total = len(wanted)
    page, pages = page_of(total, CANDIDATES_PER_PAGE, page)
    chosen = wanted[(page - 1) * CANDIDATES_PER_PAGE : page * CANDIDATES_PER_PAGE]
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_([u.id for u in chosen])))}
    reason_of = {rid: why for (_, rid), why in edges.reasons_for([(sub.id, u.id) for u in chosen]).items()}
    rows = []
    for u in chosen:
        why = reason_of.get(u.id)
        rows.append(
            Candidate(
                user=users[u.id],
                affinity=round(why.affinity, 3) if why else 0.0,
                common_topics=why.common_topics if why else 0,
                paper_topics=why.paper_topics if why else len(paper_topics),
                text_similarity=round(why.text_similarity, 3) if why else 0.0,
                bid=bids.get(u.id),
                load=load.get(u.id, 0),
                most=most_of(u),
                conflict=conflicts.get(u.id, []),
                excluded=excluded.get(u.id),
                assigned=u.id in assigned,
            )
        )
    return Picker(rows, total, page, pages, q, show_conflicted, hidden if not show_conflicted else 0)


# --- the conflicts page -------------------------------------------------------------------------------------
#
# At conference size the conflicted pairs run into the millions (every reviewer of an institution against every
# paper with an author there), and finding them all takes seconds. So the page never finds them all: it pages the
# papers (those matching the paper search), 10 a page, and works out the conflicts of the page's papers only,
# at most 20 listed for a paper with a link to all of that paper's (one paper: its conflicts 50 a page); or,
# searching by reviewer, the conflicts of the first 20 matching reviewers with every paper, paged by pair.

CONFLICT_PAPERS_PER_PAGE = 10
CONFLICTS_A_PAPER = 20  # listed under a paper in the papers' view (all of them when that paper alone is shown)
CONFLICTS_PER_PAGE = 50  # pairs a page when searching by reviewer
REVIEWERS_SEARCHED = 20


@dataclass
class ConflictRow:
    number: int
    title: str
    reviewer: User
    reasons: list[str]

    @property
    def authored(self) -> bool:
        return "is an author of the submission" in self.reasons


@dataclass
class ConflictPage:
    rows: list[ConflictRow]
    page: int
    pages: int
    q: str  # the paper search (#12 or words of the title)
    who: str  # the reviewer search (name, address, affiliation)
    papers: int  # papers matching the paper search (the papers' view)
    more: dict[int, int] = field(default_factory=dict)  # paper -> conflicts not listed under it
    groups: list[tuple[int, list[ConflictRow]]] = field(default_factory=list)  # the papers' view: (paper, its rows)
    total: int = 0  # pairs found (the reviewers' view; the papers' view: the pairs on this page)
    reviewers: int = 0  # reviewers matching the reviewer search


def conflict_page(ws: Workshop, viewer: User, *, q: str = "", who: str = "", page: int = 1) -> ConflictPage:
    """One page of the conflicted pairs of the papers ``viewer`` handles: by paper (the papers matching ``q``),
    or, with ``who``, the conflicts of the reviewers matching it, by reviewer name and paper."""
    handled = sa.select(Submission.id).where(*_handled(ws, viewer))
    if who:
        return _conflicts_of_reviewers(ws, viewer, handled, q, who, page)
    papers = sa.select(Submission.id).where(*_handled(ws, viewer))
    number = _number(q) if q.lstrip("#").isdigit() else None
    if number is not None:
        papers = papers.where(Submission.id == number)
    elif q:
        papers = papers.where(sa.func.lower(Submission.title).like(like_pattern(q), escape="\\"))
    count = db.session.scalar(sa.select(sa.func.count()).select_from(papers.subquery())) or 0
    # The conflicted pairs without reasons, every reviewer's name (one read: a list of the thousands conflicted
    # cost more to send), and the reasons of the pairs the page shows only.
    names = dict(db.session.execute(sa.select(User.id, User.name).where(IN_COMMITTEE)).all())
    if number is not None:  # one paper: all its conflicts, 50 a page
        paper_ids = list(db.session.scalars(papers)) if count else []
        found = reviewer_conflict_pairs(paper_ids) if paper_ids else set()
        ordered = sorted(found, key=lambda pair: (names.get(pair[1], "").lower(), pair[1]))
        page, pages = page_of(len(ordered), CONFLICTS_PER_PAGE, page)
        chosen = ordered[(page - 1) * CONFLICTS_PER_PAGE : page * CONFLICTS_PER_PAGE]
        reasons = conflict_map(paper_ids, sorted({r for _, r in chosen})) if chosen else {}
        return ConflictPage(_conflict_rows(chosen, reasons), page, pages, q, who, count, total=len(ordered))
    page, pages = page_of(count, CONFLICT_PAPERS_PER_PAGE, page)
    ids = list(
        db.session.scalars(
            papers.order_by(Submission.id).limit(CONFLICT_PAPERS_PER_PAGE).offset((page - 1) * CONFLICT_PAPERS_PER_PAGE)
        )
    )
    found = reviewer_conflict_pairs(ids) if ids else set()
    per_paper: dict[int, list[int]] = defaultdict(list)
    for p, r in found:
        per_paper[p].append(r)
    chosen, more = [], {}
    for p in ids:
        reviewers = sorted(per_paper.get(p, []), key=lambda r: (names.get(r, "").lower(), r))
        shown = reviewers[:CONFLICTS_A_PAPER]
        if len(reviewers) > len(shown):
            more[p] = len(reviewers) - len(shown)
        chosen += [(p, r) for r in shown]
    reasons = conflict_map(ids, sorted({r for _, r in chosen})) if chosen else {}
    rows = _conflict_rows(chosen, reasons)
    groups = [(p, [row for row in rows if row.number == p]) for p in ids if per_paper.get(p)]
    return ConflictPage(rows, page, pages, q, who, count, more, groups, total=len(found))


def _conflicts_of_reviewers(ws: Workshop, viewer: User, handled: sa.Select[Any], q: str, who: str, page: int) -> ConflictPage:
    pattern = like_pattern(who)
    matching = sa.select(User.id).where(
        IN_COMMITTEE,
        sa.or_(
            sa.func.lower(User.name).like(pattern, escape="\\"),
            User.email.like(pattern, escape="\\"),
            sa.func.lower(User.affiliation).like(pattern, escape="\\"),
        ),
    )
    reviewers = db.session.scalar(sa.select(sa.func.count()).select_from(matching.subquery())) or 0
    ids = list(db.session.scalars(matching.order_by(sa.func.lower(User.name), User.id).limit(REVIEWERS_SEARCHED)))
    papers = handled
    number = _number(q) if q.lstrip("#").isdigit() else None
    if number is not None:
        papers = papers.where(Submission.id == number)
    elif q:
        papers = papers.where(sa.func.lower(Submission.title).like(like_pattern(q), escape="\\"))
    found = conflict_map(papers, ids) if ids else {}
    rank = {r: i for i, r in enumerate(ids)}
    ordered = sorted(found, key=lambda pair: (rank[pair[1]], pair[0]))
    page, pages = page_of(len(ordered), CONFLICTS_PER_PAGE, page)
    chosen = ordered[(page - 1) * CONFLICTS_PER_PAGE : page * CONFLICTS_PER_PAGE]
    return ConflictPage(_conflict_rows(chosen, found), page, pages, q, who, 0, total=len(ordered), reviewers=reviewers)


def _conflict_rows(chosen: list[tuple[int, int]], reasons: dict[tuple[int, int], list[str]]) -> list[ConflictRow]:
    titles = dict(
        db.session.execute(sa.select(Submission.id, Submission.title).where(Submission.id.in_({p for p, _ in chosen}))).all()
    )
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_({r for _, r in chosen})))}
    return [ConflictRow(p, titles.get(p, ""), users[r], reasons.get((p, r), [])) for p, r in chosen]
