"""The page budget of issue 20, as a test: every GET route of the URL map, asked by a visitor, an author, a
reviewer with a typical load and the chair, in the large demo at the decisions phase with a draft proposal
(``bench.crawl``). At 300 papers no HTML page may pass 300 KB and none may fail, and each page issues the same
number of SQL statements as at 60 papers, so a new page or a new list cannot slip past at size. ``make bench``
measures the same crawl at 2,000 and 21,575 papers, with times (``bench/bench_pages.py``)."""

from __future__ import annotations

from pathlib import Path

import flask_migrate
from flask import Flask

from bench.crawl import ROLES, build_world, crawl, growth, table
from tests.conftest import make_app

BUDGET_KB = 300


def test_every_page_at_300_papers_is_within_budget_fails_nowhere_and_issues_as_many_statements_as_at_60(
    empty_app: Flask, tmp_path: Path
) -> None:
    build_world(empty_app, papers=300, reviewers=150)
    large = crawl(empty_app, runs=0)

    assert [(p.role, p.url, p.status) for p in large if p.status >= 500] == []
    over = [p for p in large if p.is_html and p.kb > BUDGET_KB]
    assert over == [], "pages over the budget:\n" + table(over)
    # The crawl reached what each person uses.
    reached = {role: {p.endpoint for p in large if p.role == role and p.is_html} for role in ROLES}
    assert {"public.home", "public.cfp", "public.accepted"} <= reached["visitor"]
    assert {"submissions.index", "submissions.detail"} <= reached["author"]
    assert {"review.index", "review.paper", "review.bids"} <= reached["reviewer"]
    assert {
        "chair.home",
        "chair.submissions",
        "chair.assignments",
        "chair.pick_reviewer",
        "chair.reviewer_loads",
        "chair.conflicts",
        "chair.proposal",
        "chair.area_chairs_progress",
        "chair.area_chair_proposal",
        "chair.decisions",
        "chair.letters",
        "chair.audit",
        "submissions.all_submissions",
        "members.index",
    } <= reached["chair"]

    small_app = make_app(f"sqlite:///{tmp_path / 'small.sqlite3'}", UPLOAD_FOLDER=str(tmp_path / "small-uploads"))
    with small_app.app_context():
        flask_migrate.upgrade()
    build_world(small_app, papers=60, reviewers=30)
    small = crawl(small_app, runs=0)
    grew = [(g, a.role, a.url, b.url, a.statements, b.statements) for g, a, b in growth(small, large)]
    assert grew == [], "\n".join(map(str, grew))
