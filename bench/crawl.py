"""The page crawl of issue 20: every GET route of the URL map, as each kind of person, with bytes, time, statements.

``crawl(app, roles)`` signs each person in (a route the crawl adds to the app; the demo people have passwords, but
a crawl should not depend on them), fills each route's arguments from the database as that person would reach them
(their own paper, a paper they review, any paper for the chair, the newest job, proposal and letter, every choice of
an ``any(...)`` part), asks each URL once to warm the caches, then ``runs`` more times, and counts the SQL statements
of the last request. Only HTML answers count: exports, PDFs and JSON status files are downloads, not pages.

Used by ``bench/bench_pages.py`` (figures at 2,000 and 21,575 papers) and by ``tests/views/test_page_budget.py``
(every page at 300 papers within the byte budget).
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask
from werkzeug.routing import Rule

ROLES = ("visitor", "author", "reviewer", "chair")
#: Routes that need a signed link (a token sent by mail): nothing a crawl can reach by following pages.
SIGNED = {"auth.confirm", "auth.reset", "auth.invitation", "account.confirm_email_change"}


@dataclass(frozen=True)
class Page:
    role: str
    endpoint: str
    url: str
    status: int
    kind: str  # the answer's content type, without parameters
    kb: float
    ms: float
    statements: int

    @property
    def is_html(self) -> bool:
        return self.status == 200 and self.kind == "text/html"


def people(app: Flask) -> dict[str, int | None]:
    """The person of each role: the demo's chair, ``reviewer1`` and ``author1`` (the large demo gives them a
    typical load and papers), or, in a world without them, the first of each kind."""
    from portal.db import db
    from portal.models import ReviewAssignment, SubmissionAuthor, User

    def by_address(address: str) -> int | None:
        return db.session.scalar(sa.select(User.id).where(User.email == address))

    with app.app_context():
        chair = by_address("chair@example.org") or db.session.scalar(sa.select(User.id).where(User.is_chair))
        reviewer = by_address("reviewer1@example.org") or db.session.scalar(
            sa.select(ReviewAssignment.reviewer_id).order_by(ReviewAssignment.id).limit(1)
        )
        author = by_address("author1@example.org") or db.session.scalar(
            sa.select(SubmissionAuthor.user_id).where(SubmissionAuthor.user_id.is_not(None)).limit(1)
        )
    return {"visitor": None, "author": author, "reviewer": reviewer, "chair": chair}


def _arguments(app: Flask, role: str, user_id: int | None) -> dict[str, list[Any]]:
    """The values each route argument takes for this person: the first object of each kind they can reach."""
    from portal.db import db
    from portal.models import (
        AreaChairProposal,
        AssignmentProposal,
        ImportantDate,
        Job,
        Letter,
        Person,
        ProgramItem,
        Question,
        ReviewAssignment,
        Revision,
        SponsorInquiry,
        SponsorOption,
        Submission,
        SubmissionAuthor,
        Topic,
    )

    def first(statement: sa.Select[Any]) -> list[Any]:
        value = db.session.scalar(statement.limit(1))
        return [] if value is None else [value]

    with app.app_context():
        if role == "author":
            numbers = first(
                sa.select(Submission.id)
                .join(SubmissionAuthor, SubmissionAuthor.submission_id == Submission.id)
                .where(SubmissionAuthor.user_id == user_id)
                .order_by(Submission.id)
            )
        elif role == "reviewer":
            numbers = first(
                sa.select(Submission.id)
                .join(ReviewAssignment, ReviewAssignment.submission_id == Submission.id)
                .where(ReviewAssignment.reviewer_id == user_id)
                .order_by(Submission.id)
            )
        elif role == "chair":
            numbers = first(sa.select(Submission.id).order_by(Submission.id))
        else:
            numbers = first(sa.select(Submission.id).where(Submission.decision.is_not(None)).order_by(Submission.id))
        revisions = (
            first(
                sa.select(Revision.id)
                .join(Submission, Submission.id == Revision.submission_id)
                .where(Submission.id == numbers[0])
                .order_by(Revision.id.desc())
            )
            if numbers
            else []
        )
        items = {
            "topics": first(sa.select(Topic.id).order_by(Topic.id)),
            "questions": first(sa.select(Question.id).order_by(Question.id)),
            "dates": first(sa.select(ImportantDate.id).order_by(ImportantDate.id)),
            "sponsors": first(sa.select(SponsorOption.id).order_by(SponsorOption.id)),
            "people": first(sa.select(Person.id).order_by(Person.id)),
            "program": first(sa.select(ProgramItem.id).order_by(ProgramItem.id)),
        }
        return {
            "number": numbers,
            "revision_id": revisions,
            "job_id": first(sa.select(Job.id).order_by(Job.id.desc())),
            "proposal_id": first(sa.select(AssignmentProposal.id).order_by(AssignmentProposal.id.desc())),
            "ac_proposal_id": first(sa.select(AreaChairProposal.id).order_by(AreaChairProposal.id.desc())),
            "letter_id": first(sa.select(Letter.id).order_by(Letter.id.desc())),
            "key": ["recommendation"],  # a field of the review form (the default form has it)
            "inquiry_id": first(sa.select(SponsorInquiry.id).order_by(SponsorInquiry.id)),
            "sponsor_id": first(sa.select(SponsorInquiry.id).order_by(SponsorInquiry.id)),
            "person_id": first(sa.select(Person.id).order_by(Person.id)),
            "size": [96],
            "page": [1],
            "_items": [items],
        }


def _choices(rule: Rule, name: str) -> list[str]:
    regex = rule._converters[name].regex  # the choices of an any() part
    return regex.removeprefix("(?:").removesuffix(")").split("|")


def urls(app: Flask, role: str, user_id: int | None) -> Iterator[tuple[str, str]]:
    """``(endpoint, url)`` for every GET route this person can be sent to, filled from the database. The URLs are
    built before the first is yielded: a request context held open across the caller's requests would make them
    share its ``g`` (an API request's anonymous user would then sign the crawl out of every later page)."""
    yield from _urls(app, role, user_id)


def _urls(app: Flask, role: str, user_id: int | None) -> list[tuple[str, str]]:
    values = _arguments(app, role, user_id)
    items = values.pop("_items")[0]
    found_urls: list[tuple[str, str]] = []
    with app.test_request_context():
        from flask import url_for

        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if "GET" not in (rule.methods or ()) or rule.endpoint == "static" or rule.endpoint in SIGNED:
                continue
            combos: list[dict[str, Any]] = [{}]
            for name in sorted(rule.arguments):
                if name in ("kind", "role", "fmt"):
                    options: list[Any] = _choices(rule, name)
                elif name == "item_id":
                    options = ["<item>"]
                else:
                    options = values.get(name, [])
                combos = [c | {name: option} for c in combos for option in options]
            for combo in combos:
                if combo.get("item_id") == "<item>":
                    # A person (/content/people/<role>/<id>), a content item (/content/<kind>/<id>), else a program item.
                    found = items["people" if "role" in combo else combo.get("kind", "program")]
                    if not found:
                        continue
                    combo["item_id"] = found[0]
                found_urls.append((rule.endpoint, url_for(rule.endpoint, **combo)))
    return found_urls


def build_world(app: Flask, papers: int, reviewers: int) -> None:
    """The large demo at the decisions phase (``flask demo --papers``) in ``app``'s empty, migrated database, and
    a draft assignment proposal that gives new reviewers to every third paper (their assignments and reviews
    taken away first), and a draft proposal of an area chair for every third paper (its area chair taken away
    first): every kind of page then has something to show."""
    from portal.db import db
    from portal.models import (
        AreaChairAssignment,
        AssignmentProposal,
        Review,
        ReviewAssignment,
        ReviewRevision,
        User,
        Workshop,
    )
    from portal.services import area_chair_assignment, assignments

    result = app.test_cli_runner().invoke(
        args=["demo", "--phase", "decisions", "--papers", str(papers), "--reviewers", str(reviewers)]
    )
    if result.exit_code != 0:
        raise RuntimeError(result.output)
    with app.app_context():
        every_third = ReviewAssignment.submission_id % 3 == 0
        gone = sa.select(ReviewAssignment.id).where(every_third)
        reviews = sa.select(Review.id).where(Review.assignment_id.in_(gone))
        db.session.execute(sa.delete(ReviewRevision).where(ReviewRevision.review_id.in_(reviews)))
        db.session.execute(sa.delete(Review).where(Review.assignment_id.in_(gone)))
        db.session.execute(sa.delete(ReviewAssignment).where(every_third))
        chair = db.session.scalar(sa.select(User).where(User.email == "chair@example.org"))
        ws = db.session.scalars(sa.select(Workshop)).one()
        assignments.propose_assignment(chair, ws)
        db.session.execute(sa.delete(AreaChairAssignment).where(AreaChairAssignment.submission_id % 3 == 0))
        area_chair_assignment.propose(chair, ws)
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AssignmentProposal)) == 1


def add_sign_in(app: Flask) -> None:
    """``POST /crawl-sign-in/<id>`` signs that person in: the crawl needs no password or CSRF token."""
    from flask_login import login_user

    from portal.db import db
    from portal.models import User

    if "crawl_sign_in" in app.view_functions:
        return

    @app.post("/crawl-sign-in/<int:user_id>")
    def crawl_sign_in(user_id: int) -> str:
        login_user(db.session.get(User, user_id))
        return "ok"

    app.config["WTF_CSRF_ENABLED"] = False  # the sign-in route above is the crawl's own


def crawl(app: Flask, roles: Iterable[str] = ROLES, runs: int = 1) -> list[Page]:
    """Every page as each person: bytes, median server time of ``runs`` requests after one warm-up, statements."""
    from portal.db import db

    add_sign_in(app)
    who = people(app)
    with app.app_context():
        engine = db.engine
    statements = 0

    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    pages = []
    for role in roles:
        client = app.test_client()
        user_id = who[role]
        if role != "visitor":
            if user_id is None:
                continue
            client.post(f"/crawl-sign-in/{user_id}")
        for endpoint, url in urls(app, role, user_id):
            client.get(url)  # warm: templates, statement cache, page cache
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - start) * 1000)
            statements = 0
            sa.event.listen(engine, "before_cursor_execute", count)
            response = client.get(url)
            sa.event.remove(engine, "before_cursor_execute", count)
            pages.append(
                Page(
                    role,
                    endpoint,
                    url,
                    response.status_code,
                    response.mimetype or "",
                    len(response.get_data()) / 1024,
                    statistics.median(times) if times else 0.0,  # (runs=0: bytes and statements only)
                    statements,
                )
            )
    return pages


def shape(page: Page) -> tuple[str, str, str]:
    """What a page is, whatever the size of the world: its role, endpoint and URL with the numbers taken out
    (paper 12 at one size is paper 1,205 at the other)."""
    return page.role, page.endpoint, re.sub(r"\d+", "N", page.url)


def growth(small: list[Page], large: list[Page]) -> list[tuple[int, Page, Page]]:
    """List pages whose SQL statements differ between two sizes: (statements at ``large`` minus at ``small``, the
    small page, the large page), largest difference first, pages matched by ``shape``. Pages about one object (a
    number in the URL) are left out: paper 1 of one world is not paper 1 of the other (a paper without reviews
    needs no query for them), so only a list, whose length is what grows, says whether statements grow."""
    before = {shape(p): p for p in small if p.is_html and not re.search(r"\d", p.url)}
    pairs = [(p.statements - before[shape(p)].statements, before[shape(p)], p) for p in large if p.is_html and shape(p) in before]
    return sorted((g for g in pairs if g[0] != 0), key=lambda g: -abs(g[0]))


def table(pages: list[Page], worst: int | None = None, key: str = "kb") -> str:
    rows = sorted((p for p in pages if p.is_html), key=lambda p: getattr(p, key), reverse=True)[:worst]
    lines = [f"{'role':<9} {'url':<58} {'KB':>7} {'ms':>7} {'SQL':>4}"]
    lines += [f"{p.role:<9} {p.url[:58]:<58} {p.kb:7.1f} {p.ms:7.1f} {p.statements:4d}" for p in rows]
    return "\n".join(lines)
