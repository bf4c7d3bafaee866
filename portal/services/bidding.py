"""Bidding: the papers a reviewer may bid on (every reviewable one they do not conflict with), the reviewer's bid
list (filtered, searched, sorted by how well each paper matches them, one page at a time) and their bids.
The caller commits.

The bid list is built for conference size: a fixed number of statements read plain rows (no ORM object per
paper), and the match of every paper is one TF-IDF product, so a page costs the same statements at 300 papers
as at 21,575, and only the page's rows reach the template."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import numpy as np
import sqlalchemy as sa

from portal.assign import text as texts
from portal.db import MAX_ID, db, like_pattern, page_of, utcnow
from portal.domain import DeadlinePassed, DomainError
from portal.models import (
    Bid,
    BidValue,
    Submission,
    SubmissionState,
    Topic,
    User,
    UserPaper,
    Workshop,
)
from portal.models.submission import submission_topic
from portal.models.user import user_topic
from portal.queries import reviewable
from portal.queries.conflicts import conflict_map, conflicted_pairs, gather, papers_that_may_conflict
from portal.services.assignments import paper_text, reviewer_text

PER_PAGE = 50
#: How the list can be sorted: by match (best first, the default), number, title, or one's own bid (eager first).
SORTS = ("match", "number", "title", "bid")
#: Which papers to show besides the topic and the search: all, those without a bid, those with one, or one value.
SHOWS = ("", "none", "bid", *(v.value for v in BidValue))
BID_ORDER = {v: i for i, v in enumerate(BidValue)}


class NotBiddable(DomainError):
    """The paper is not one this reviewer may bid on (or does not exist): the view answers 404."""


def _live(ws: Workshop) -> sa.ColumnElement[bool]:
    return sa.and_(Submission.workshop_id == ws.id, Submission.state == SubmissionState.SUBMITTED)


def biddable_ids(ws: Workshop, reviewer: User, reviewable_ids: list[int] | None = None) -> list[int]:
    """The numbers of every reviewable submission (``reviewable_ids`` when the caller has read them already) this
    reviewer does not conflict with, in order. Their own papers are among the conflicts (they are its author).

    The conflict rules (``conflict_map``) are asked only about the papers that share a key with this reviewer
    (``conflicts.papers_that_may_conflict``): the rest cannot conflict with them, and at conference size reading
    every paper's facts for one reviewer cost seconds."""
    if reviewable_ids is None:
        reviewable_ids = list(db.session.scalars(sa.select(Submission.id).where(_live(ws)).order_by(Submission.id)))
    candidates = papers_that_may_conflict(reviewer.id, reviewable_ids)
    # (the pairs without their reasons: the rules' array joins, as the automatic assignment asks them)
    conflicts = set(conflicted_pairs(gather(candidates, [reviewer.id], reasons=False)).paper.tolist()) if candidates else set()
    return [n for n in reviewable_ids if n not in conflicts]


def may_bid_on(ws: Workshop, reviewer: User, number: int) -> bool:
    """``number`` is a reviewable submission this reviewer does not conflict with."""
    if not 0 < number <= MAX_ID:
        return False
    live = db.session.scalar(sa.select(Submission.id).where(_live(ws), Submission.id == number))
    return live is not None and (live, reviewer.id) not in conflict_map([live], [reviewer.id])


def biddable(ws: Workshop, reviewer: User) -> list[Submission]:
    """Every reviewable submission this reviewer does not conflict with (as objects, for the demo and tests)."""
    allowed = set(biddable_ids(ws, reviewer))
    return [s for s in reviewable(ws) if s.id in allowed]


@dataclass(frozen=True)
class BidRow:
    """One paper of the bid list: what a reviewer may read of it (never its authors) and their bid."""

    number: int
    title: str
    abstract: str
    keywords: str
    topics: list[str]  # the primary topic first
    match: float  # the chair's weights x (topics in common, text similarity); the bid is left out
    common: int  # topics in common with the reviewer
    paper_topics: int
    text: float  # text similarity with the reviewer's statement and own papers (0 to 1)
    bid: BidValue | None


@dataclass
class BidList:
    rows: list[BidRow]  # the page's rows
    total: int  # the papers the reviewer may bid on
    matching: int  # of which the filters and search keep
    page: int
    pages: int
    bids: int  # bids placed on papers the reviewer may bid on
    best: float  # the highest match of the papers one may bid on (the scale of the figures)
    topics: list[Topic] = field(default_factory=list)
    first: int = 0  # the position of the page's first row among ``matching`` (1-based; 0 when none)


def bid_list(
    ws: Workshop,
    reviewer: User,
    *,
    q: str = "",
    topic: int | None = None,
    show: str = "",
    sort: str = "match",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> BidList:
    """One page of the papers ``reviewer`` may bid on: those in ``topic`` (primary or secondary), whose title,
    abstract or keywords hold ``q`` (any case), with the bids ``show`` names; sorted by ``sort`` (ties by number).
    A page past the end is the last one."""
    read = db.session.connection().execute  # plain rows: no ORM object per paper
    topics = list(db.session.scalars(sa.select(Topic).where(Topic.workshop_id == ws.id).order_by(Topic.position)))
    # The number and topics of every paper, whether the search finds it, and its title to sort by it; the
    # texts themselves only where needed (the similarity's vectors when the papers changed, the page's rows): the
    # abstracts of 20,000 papers are 25 MB to read.
    needle = q.strip()
    found = sa.or_(*(sa.func.lower(c).like(like_pattern(needle), escape="\\") for c in _SEARCHED)) if needle else sa.true()
    papers = read(
        sa.select(
            Submission.id,
            Submission.primary_topic_id,
            found.label("found"),
            (Submission.title if sort == "title" else sa.literal("")).label("title"),
        )
        .where(_live(ws))
        .order_by(Submission.id)
    ).all()
    allowed = set(biddable_ids(ws, reviewer, [p.id for p in papers]))
    # The text similarity of every paper to the reviewer's statement and own papers: the TF-IDF cosine, the
    # papers' vectors made once for the same texts (reading them is quick, splitting them into words is not).
    mine_text = reviewer_text(reviewer.expertise_statement or "", own_papers(reviewer))
    similarity = dict(zip((p.id for p in papers), _similarity(ws, papers, mine_text), strict=True))
    papers = [p for p in papers if p.id in allowed]
    secondary: dict[int, list[int]] = {}
    for sub_id, topic_id in read(
        sa.select(submission_topic.c.submission_id, submission_topic.c.topic_id)
        .join(Submission, Submission.id == submission_topic.c.submission_id)
        .join(Topic, Topic.id == submission_topic.c.topic_id)
        .where(_live(ws))
        .order_by(submission_topic.c.submission_id, Topic.position)
    ):
        secondary.setdefault(sub_id, []).append(topic_id)
    mine = set(read(sa.select(user_topic.c.topic_id).where(user_topic.c.user_id == reviewer.id)).scalars())
    bids = {
        sub_id: BidValue(value)
        for sub_id, value in read(sa.select(Bid.submission_id, Bid.value).where(Bid.reviewer_id == reviewer.id))
        if sub_id in allowed
    }

    # The match of every paper: topics in common over the paper's topics, plus the text similarity, with the
    # chair's weights. A paper's topics are the bits of one number (a set a paper made 20,000 objects for the
    # garbage collector to walk, and it walked them for a third of the page's time).
    bit: dict[int, int] = {}

    def mask_of(topic_ids: Any) -> int:
        return sum(1 << bit.setdefault(t, len(bit)) for t in set(topic_ids))

    masks = [mask_of((p.primary_topic_id, *secondary.get(p.id, ()))) for p in papers]
    similarity = [similarity[p.id] for p in papers]
    mine_mask = mask_of(mine)
    by_topics, by_text = ws.weight_topics, ws.weight_text
    match = [
        by_topics * (m & mine_mask).bit_count() / max(m.bit_count(), 1) + by_text * sim
        for m, sim in zip(masks, similarity, strict=True)
    ]
    wanted = 0 if topic is None else 1 << bit.get(topic, len(bit))
    shown = [
        i
        for i, (p, m) in enumerate(zip(papers, masks, strict=True))
        if (not wanted or m & wanted) and p.found and (not show or _shows(show, bids.get(p.id)))
    ]
    numbers = [p.id for p in papers]
    keys = {
        "number": lambda i: numbers[i],
        "title": lambda i: (papers[i].title.casefold(), numbers[i]),
        "bid": lambda i: (BID_ORDER.get(bids.get(numbers[i]), len(BID_ORDER)), -match[i], numbers[i]),
    }
    shown.sort(key=keys.get(sort, lambda i: (-match[i], numbers[i])))
    page, pages = page_of(len(shown), per_page, page)
    start = (page - 1) * per_page
    titles = {t.id: t.title for t in topics}
    chosen = shown[start : start + per_page]
    text_of = {n: Text(*text) for n, *text in read(_texts(ws).where(Submission.id.in_([numbers[i] for i in chosen])))}
    rows = [
        BidRow(
            number=numbers[i],
            title=text_of[numbers[i]].title,
            abstract=text_of[numbers[i]].abstract,
            keywords=text_of[numbers[i]].keywords or "",
            topics=[titles.get(t, "") for t in [papers[i].primary_topic_id, *secondary.get(numbers[i], ())]],
            match=match[i],
            common=(masks[i] & mine_mask).bit_count(),
            paper_topics=masks[i].bit_count(),
            text=similarity[i],
            bid=bids.get(numbers[i]),
        )
        for i in chosen
    ]
    return BidList(
        rows=rows,
        total=len(papers),
        matching=len(shown),
        page=page,
        pages=pages,
        bids=len(bids),
        best=max(match, default=0.0),
        topics=topics,
        first=start + 1 if rows else 0,
    )


def own_papers(reviewer: User) -> list[str]:
    """The reviewer's own papers as they are matched ("title\nabstract"), in their order."""
    stmt = sa.select(UserPaper.title, UserPaper.abstract).where(UserPaper.user_id == reviewer.id).order_by(UserPaper.position)
    return [f"{title}\n{abstract}" for title, abstract in db.session.connection().execute(stmt)]


@dataclass(frozen=True)
class _Vectors:
    """The TF-IDF rows of some papers' texts (scikit-learn's, as ``text.tfidf`` makes them) with the columns of
    their words and each word's idf, to turn another text into a row of the same columns."""

    matrix: Any  # scipy.sparse.csr_matrix, one row a paper
    column: dict[str, int]
    idf: np.ndarray


class Text(NamedTuple):
    title: str
    abstract: str
    keywords: str | None


def _texts(ws: Workshop) -> sa.Select[Any]:
    """The number, title, abstract and keywords of every paper one may bid on, by number."""
    return (
        sa.select(Submission.id, Submission.title, Submission.abstract, Submission.keywords)
        .where(_live(ws))
        .order_by(Submission.id)
    )


#: The papers' vectors by what they were made of: the workshop, and the count, the numbers, the versions and the
#: latest change of its papers one may bid on (every change to a paper through the portal raises its version), so
#: a changed, added or withdrawn paper is another key and the texts are read again only then. (Each process keeps the last two:
#: about 10 MB for 21,575 papers.)
_VECTORS: dict[tuple[int | str, ...], _Vectors] = {}

#: What a search of the bid list looks in (``paper_text``'s parts).
_SEARCHED = (Submission.title, Submission.abstract, Submission.keywords)


def _vectors(ws: Workshop, papers: list[Any]) -> _Vectors:
    # The papers' count, numbers and versions, and the latest change (two databases, or one emptied and filled
    # again as the tests do, can hold papers with the same numbers and versions, never made at the same moment).
    count, numbers, versions, latest = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(Submission.id), 0),
            sa.func.coalesce(sa.func.sum(Submission.version), 0),
            sa.func.max(Submission.updated_at),
        ).where(_live(ws))
    ).one()
    key = (ws.id, int(count), int(numbers), int(versions), str(latest))
    found = _VECTORS.get(key)
    if found is None:
        paper_texts = [paper_text(Text(*text)) for _, *text in db.session.connection().execute(_texts(ws))]
        counted = texts.Words()
        counted.add(paper_texts)
        matrix = counted.tfidf()
        vocabulary = sorted(w for w in counted.number if len(w) > 1 and w not in texts.ENGLISH_STOP_WORDS)
        df = np.bincount(matrix.indices, minlength=matrix.shape[1]).astype(np.float32)
        idf = np.log(np.float32(len(paper_texts) + 1) / (df + np.float32(1.0))) + np.float32(1.0)
        found = _Vectors(matrix, {w: i for i, w in enumerate(vocabulary)}, idf)
        while len(_VECTORS) >= 2:
            _VECTORS.pop(next(iter(_VECTORS)))
        if matrix.shape[0] == len(papers):  # (else a paper came or went between the two reads: not kept)
            _VECTORS[key] = found
    return found


def _similarity(ws: Workshop, papers: list[Any], text: str) -> list[float]:
    """The cosine of each paper's TF-IDF row and ``text``'s in the papers' columns (scikit-learn's ``transform``:
    words no paper has are left out), for the papers one may bid on (rows with their number, by
    number); 0 when ``text`` has none of their words."""
    if not papers:
        return []
    vectors = _vectors(ws, papers)
    counts = Counter(w for w in texts.words(text) if w in vectors.column)
    if not counts or vectors.matrix.shape[0] != len(papers):
        return [0.0] * len(papers)
    columns = np.array([vectors.column[w] for w in counts], dtype=np.int64)
    weights = (np.float32(1.0) + np.log(np.array(list(counts.values()), dtype=np.float32))) * vectors.idf[columns]
    weights /= np.float32(np.sqrt(np.sum(weights.astype(np.float64) ** 2)))
    return np.asarray(vectors.matrix[:, columns] @ weights).ravel().tolist()


def _shows(show: str, bid: BidValue | None) -> bool:
    if show == "none":
        return bid is None
    if show == "bid":
        return bid is not None
    if show in BidValue._value2member_map_:
        return bid is not None and bid.value == show
    return True


@dataclass(frozen=True)
class Placed:
    changed: int  # bids set, changed or taken back
    refused: list[int]  # numbers posted that name no paper this reviewer may bid on: nothing changed for them


def place_bids(reviewer: User, ws: Workshop, bids: dict[int, BidValue | None], now: datetime | None = None) -> Placed:
    """Set (or with None, clear) the reviewer's bids on the papers named, and only those: bids on other papers
    stay as they are. A number that is not a paper this reviewer may bid on changes nothing and is listed in
    ``refused``."""
    now = now or utcnow()
    if not ws.bidding_open(now):
        raise DeadlinePassed("Bidding is closed.", ws.bidding_deadline)
    allowed = set(biddable_ids(ws, reviewer))
    changed = _place(reviewer, {n: v for n, v in bids.items() if n in allowed}, now)
    return Placed(changed, sorted(n for n in bids if n not in allowed))


def place_bid(reviewer: User, ws: Workshop, number: int, value: BidValue | None, now: datetime | None = None) -> bool:
    """Set (or with None, clear) the reviewer's bid on one paper; whether it changed. ``NotBiddable`` (asked
    first, so that no other answer tells a paper that exists from one that does not) for a paper this reviewer may
    not bid on; ``DeadlinePassed`` outside the bidding window."""
    now = now or utcnow()
    if not may_bid_on(ws, reviewer, number):
        raise NotBiddable("You may not bid on that paper.")
    if not ws.bidding_open(now):
        raise DeadlinePassed("Bidding is closed.", ws.bidding_deadline)
    return _place(reviewer, {number: value}, now) == 1


def _place(reviewer: User, wanted: dict[int, BidValue | None], now: datetime) -> int:
    """Write the bids ``wanted`` (papers the reviewer may bid on); how many changed."""
    existing = {
        b.submission_id: b
        for b in db.session.scalars(sa.select(Bid).where(Bid.reviewer_id == reviewer.id, Bid.submission_id.in_(list(wanted))))
    }
    changed = 0
    for sub_id, value in wanted.items():
        row = existing.get(sub_id)
        if value is None:
            if row is not None:
                db.session.delete(row)
                changed += 1
        elif row is None:
            db.session.add(Bid(submission_id=sub_id, reviewer_id=reviewer.id, value=value, updated_at=now))
            changed += 1
        elif row.value != value:
            row.value, row.updated_at = value, now
            changed += 1
    db.session.flush()
    return changed
