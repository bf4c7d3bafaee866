"""The chairs' list of every submission (``submissions.all_submissions``): one page of 50, filtered by topic, state,
decision and a text search, sorted by a column, in a fixed number of statements at any size.

Unlike the console's table it lists every paper, the chair's own and conflicted ones too (their files and authors
are no secret to a chair); a decision, though, is one: the decision filter keeps to the papers the chair handles
(``chair_conflicted_ids``), so a filter never tells what the page would not show, and there is no sort by decision."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from portal.db import MAX_ID, db, like_pattern, page_of
from portal.models import Decision, Submission, SubmissionAuthor, SubmissionState, SubmissionType, Topic, User, Workshop
from portal.permissions import chair_conflicted_ids

PER_PAGE = 50
SORTS = {"number": "Number", "title": "Title", "topic": "Topic", "type": "Type", "state": "State"}
STATES = ("submitted", "abstract", "withdrawn")
DECISIONS = ("accepted", "rejected", "undecided")


@dataclass
class ListQuery:
    q: str = ""
    topic: int | None = None
    state: str | None = None
    decision: str | None = None
    sort: str = "number"
    descending: bool = False
    page: int = 1

    @classmethod
    def from_args(cls, args: Any) -> ListQuery:
        def pick(name: str, allowed: tuple[str, ...]) -> str | None:
            value = args.get(name)
            return value if value in allowed else None

        topic = _number(args.get("topic") or "")
        sort = args.get("sort", "number")
        return cls(
            q=(args.get("q") or "").strip()[:200],
            topic=topic,
            state=pick("state", STATES),
            decision=pick("decision", DECISIONS),
            sort=sort if sort in SORTS else "number",
            descending=args.get("dir") == "desc",
            page=_number(args.get("page") or "") or 1,
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query string of this view with some values changed (sort links, pages); defaults left out."""
        values = {
            "q": self.q or None,
            "topic": self.topic,
            "state": self.state,
            "decision": self.decision,
            "sort": self.sort if self.sort != "number" else None,
            "dir": "desc" if self.descending else None,
            "page": self.page if self.page > 1 else None,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v is not None}

    @property
    def filtered(self) -> bool:
        return bool(self.q or self.topic or self.state or self.decision)


@dataclass
class ListPage:
    rows: list[Submission]
    total: int  # matching the filters
    everything: int  # in the workshop
    page: int
    pages: int
    query: ListQuery


def submissions_page(ws: Workshop, viewer: User, query: ListQuery) -> ListPage:
    """One page in six statements: two counts, the page, and its authors, files, types and topics."""
    everything = db.session.scalar(sa.select(sa.func.count(Submission.id)).where(Submission.workshop_id == ws.id)) or 0
    stmt = sa.select(Submission).where(Submission.workshop_id == ws.id)
    if query.q:
        number = _number(query.q[1:] if query.q.startswith("#") else query.q)
        if query.q.startswith("#"):
            stmt = stmt.where(Submission.id == (number or 0))  # "#12" is the paper's number, nothing else
        else:
            pattern = like_pattern(query.q)
            matches = [
                sa.func.lower(Submission.title).like(pattern, escape="\\"),
                Submission.id.in_(
                    sa.select(SubmissionAuthor.submission_id).where(
                        sa.func.lower(SubmissionAuthor.name).like(pattern, escape="\\")
                    )
                ),
            ]
            if number:
                matches.append(Submission.id == number)
            stmt = stmt.where(sa.or_(*matches))
    if query.topic:
        stmt = stmt.where(Submission.primary_topic_id == query.topic)
    if query.state:
        stmt = stmt.where(Submission.state == SubmissionState(query.state))
    if query.decision:
        stmt = stmt.where(Submission.id.not_in(chair_conflicted_ids(viewer)))
        if query.decision == "undecided":
            stmt = stmt.where(Submission.decision.is_(None), Submission.state == SubmissionState.SUBMITTED)
        else:
            stmt = stmt.where(Submission.decision == Decision(query.decision))
    total = everything
    if query.filtered:
        total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.with_only_columns(Submission.id).subquery())) or 0
    page, pages = page_of(total, PER_PAGE, query.page)
    key: Any = {
        "number": Submission.id,
        "title": sa.func.lower(Submission.title),
        "topic": Topic.position,
        "type": SubmissionType.position,
        "state": Submission.state,
    }[query.sort]
    if query.sort == "topic":
        stmt = stmt.join(Topic, Topic.id == Submission.primary_topic_id)
    elif query.sort == "type":
        stmt = stmt.join(SubmissionType, SubmissionType.id == Submission.type_id)
    rows = db.session.scalars(
        stmt.order_by(key.desc() if query.descending else key.asc(), Submission.id)
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
        .options(
            selectinload(Submission.authors),
            selectinload(Submission.revisions),
            selectinload(Submission.type),
            selectinload(Submission.primary_topic),
        )
    ).all()
    query.page = page
    return ListPage(rows=list(rows), total=total, everything=everything, page=page, pages=pages, query=query)


def _number(text: str) -> int | None:
    """``text`` as a positive number within the id range (ASCII digits only), else None."""
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID else None
