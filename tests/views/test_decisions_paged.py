"""The decisions page at size (issue 20.3 and 20.7): paged, sorted by number, mean, weighted mean, spread, reviews
and decision, filtered by decision, presentation, topic, reviews missing and title; the pager and every form keep
the view; bulk decisions save exactly the ticked papers; a chair who is an author of a paper sees nothing of it;
the statements a page takes do not grow with the papers."""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from portal.db import db, utcnow
from portal.models import (
    AssignmentOrigin,
    Decision,
    PaperScore,
    Presentation,
    Review,
    ReviewAssignment,
    ReviewState,
    Submission,
    SubmissionAuthor,
    User,
    Workshop,
)
from portal.services import calibration, decisions
from portal.services.scores import refresh_scores
from tests.conftest import sql_statements, text_of
from tests.factories import login, make_user
from tests.views.test_console import add_many_papers

COUNT = 60  # papers: two pages of 50


@dataclass
class World:
    app: Flask
    ids: list[int]  # every paper, by number
    mine: int  # the paper the chair Chris is a co-author of
    missing: list[int]  # papers with a review not in
    topics: dict[int, int]  # paper -> primary topic


def build(app: Flask, count: int = COUNT) -> World:
    with app.app_context():
        carla = make_user("carla@example.org", name="Carla Chair", roles=("chair",))
        chris = make_user("chris@example.org", name="Chris Chair", roles=("chair",))
        reviewers = [make_user(roles=("reviewer",)).id for _ in range(3)]
        ids = add_many_papers(count, reviewers)
        # Chris co-authored one paper; three papers have a fourth reviewer whose review is not in.
        mine = ids[7]
        db.session.add(SubmissionAuthor(submission_id=mine, position=2, name=chris.name, email=chris.email))
        missing = [ids[2], ids[30], ids[55]]
        late = make_user(roles=("reviewer",))
        for sid in missing:
            db.session.add(
                ReviewAssignment(
                    submission_id=sid, reviewer_id=late.id, ordinal=4, origin=AssignmentOrigin.MANUAL, created_at=utcnow()
                )
            )
        refresh_scores(missing)
        # Decisions: every third paper accepted (alternately oral and poster), every fifth rejected.
        for i, sid in enumerate(ids):
            sub = db.session.get(Submission, sid)
            if i % 3 == 0:
                presentation = Presentation.ORAL if i % 2 == 0 else Presentation.POSTER
                decisions.record_decision(
                    carla, sub, decision=Decision.ACCEPTED, presentation=presentation, note="", version=None
                )
            elif i % 5 == 0:
                decisions.record_decision(carla, sub, decision=Decision.REJECTED, presentation=None, note="", version=None)
        topics = dict(db.session.execute(sa.select(Submission.id, Submission.primary_topic_id)).all())
        db.session.commit()
        return World(app, ids, mine, missing, topics)


@pytest.fixture
def world(app: Flask) -> World:
    return build(app)


def client_for(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    login(client, email)
    return client


def rows(page: TestResponse) -> list[int]:
    """The paper numbers of the table's rows, top to bottom."""
    return [int(n) for n in re.findall(r'<tr id="paper-(\d+)">', page.get_data(as_text=True))]


def next_link(page: TestResponse) -> str:
    return html_lib.unescape(re.search(r'<a href="([^"]+)" rel="next">', page.get_data(as_text=True)).group(1))


def all_rows(client: FlaskClient, url: str) -> list[int]:
    """Every row of a view, page after page, following the pager's own links."""
    page, found = client.get(url), []
    while True:
        found += rows(page)
        if 'rel="next"' not in page.get_data(as_text=True):
            return found
        page = client.get(next_link(page))


def token(client: FlaskClient) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/chair/decisions").get_data(as_text=True)).group(1)


def scores(app: Flask) -> dict[int, PaperScore]:
    with app.app_context():
        found = {s.submission_id: s for s in db.session.scalars(sa.select(PaperScore))}
        db.session.expunge_all()
        return found


def test_the_page_shows_fifty_papers_and_the_pager_keeps_the_view(world: World) -> None:
    carla = client_for(world.app, "carla@example.org")
    first = carla.get("/chair/decisions")
    assert f"{COUNT} papers; page 1 of 2, 50 shown. Sorted by number." in text_of(first)
    assert rows(first) == world.ids[:50]
    assert rows(carla.get(next_link(first))) == world.ids[50:]
    # Sorted and filtered, page 2 keeps the sort and the filters.
    url = "/chair/decisions?decision=none&sort=mean&dir=desc"
    seen = all_rows(carla, url)
    undecided = [sid for i, sid in enumerate(world.ids) if i % 3 and i % 5]
    assert sorted(seen) == undecided
    link = next_link(carla.get("/chair/decisions?sort=spread&dir=desc"))
    assert dict(re.findall(r"(\w+)=([^&]+)", link)) == {"sort": "spread", "dir": "desc", "page": "2"}


@pytest.mark.parametrize("key", ["mean", "weighted", "spread", "reviews"])
@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
def test_sorting_by_a_score_orders_every_page(world: World, key: str, descending: bool) -> None:
    carla = client_for(world.app, "carla@example.org")
    kept = scores(world.app)

    def value(sid: int) -> float:
        s = kept[sid]
        return {"mean": s.mean, "weighted": s.weighted, "spread": s.spread, "reviews": s.done}[key]

    expected = sorted(world.ids, key=lambda sid: (-value(sid) if descending else value(sid), sid))
    assert all_rows(carla, f"/chair/decisions?sort={key}" + ("&dir=desc" if descending else "")) == expected


def test_sorting_by_decision_puts_the_undecided_last(world: World) -> None:
    carla = client_for(world.app, "carla@example.org")
    order = {"accepted": 0, "rejected": 1, None: 2}
    with world.app.app_context():
        decided = dict(db.session.execute(sa.select(Submission.id, Submission.decision)).all())
    expected = sorted(world.ids, key=lambda sid: (order[decided[sid].value if decided[sid] else None], sid))
    assert all_rows(carla, "/chair/decisions?sort=decision") == expected


def test_the_weighted_mean_weighs_each_recommendation_by_its_confidence(world: World) -> None:
    """Paper ids[4]: recommendation (sid + r) % 5 + 1 and confidence (sid * r) % 5 + 1 for reviewers r = 1, 2, 3."""
    carla = client_for(world.app, "carla@example.org")
    sid = world.ids[4]
    recs = [(sid + r) % 5 + 1 for r in (1, 2, 3)]
    confs = [(sid * r) % 5 + 1 for r in (1, 2, 3)]
    weighted = sum(a * b for a, b in zip(recs, confs, strict=True)) / sum(confs)
    page = carla.get(f"/chair/decisions?q=%23{sid}")
    row = re.search(rf'(?s)<tr id="paper-{sid}">(.*?)</tr>', page.get_data(as_text=True)).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r'(?s)<td class="num">(.*?)</td>', row)]
    assert cells == [
        str(sid),
        "3/3",
        ", ".join(map(str, recs)),
        f"{sum(recs) / 3:.2f}",
        f"{weighted:.2f}",
        f"{calibrated(world.app)[sid]:.2f}",
        str(max(recs) - min(recs)),
    ]


def calibrated(app: Flask) -> dict[int, float]:
    """The calibrated scores Carla's view shows."""
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        carla = db.session.scalar(sa.select(User).where(User.email == "carla@example.org"))
        return calibration.calibration(ws, carla).score


def test_sorting_by_the_calibrated_score_orders_every_page_and_explains_it(world: World) -> None:
    """The model over the three reviewers' recommendations ((sid + r) % 5 + 1): each paper's calibrated score is
    its mean with the reviewers' habits taken out, and the table sorts on it (papers without reviews last)."""
    carla = client_for(world.app, "carla@example.org")
    with world.app.app_context():
        ws, chair = (
            db.session.scalar(sa.select(Workshop)),
            db.session.scalar(sa.select(User).where(User.email == "carla@example.org")),
        )
        fitted = calibration.calibration(ws, chair)
        recommendations = db.session.execute(
            sa.select(ReviewAssignment.submission_id, ReviewAssignment.reviewer_id, Review.recommendation)
            .join(Review, Review.assignment_id == ReviewAssignment.id)
            .where(Review.state == ReviewState.SUBMITTED)
        ).all()
        chris = db.session.scalar(sa.select(User).where(User.email == "chris@example.org"))
        his = calibration.calibration(ws, chris)
    assert fitted.score == pytest.approx(calibration.fit([(p, r, float(v)) for p, r, v in recommendations]).score, abs=1e-9)
    # Chris co-authored a paper: his model leaves its reviews out, as his pages do.
    assert world.mine in fitted.score and sorted(his.score) == sorted(set(world.ids) - {world.mine})
    for descending in (False, True):
        sign = -1 if descending else 1
        expected = sorted(world.ids, key=lambda sid: (sid not in fitted.score, sign * fitted.score.get(sid, 0), sid))
        assert all_rows(carla, "/chair/decisions?sort=calibrated" + ("&dir=desc" if descending else "")) == expected
    page = carla.get("/chair/decisions?sort=calibrated")
    assert "Sorted by calibrated." in text_of(page)
    assert "Calibrated: the mean recommendation with each reviewer's habit taken out" in text_of(page)


def test_filters_choose_exactly_the_matching_papers(world: World) -> None:
    carla = client_for(world.app, "carla@example.org")
    by_index = dict(enumerate(world.ids))
    accepted = [sid for i, sid in by_index.items() if i % 3 == 0]
    assert all_rows(carla, "/chair/decisions?decision=accepted") == accepted
    assert all_rows(carla, "/chair/decisions?decision=rejected") == [sid for i, sid in by_index.items() if i % 3 and i % 5 == 0]
    assert all_rows(carla, "/chair/decisions?presentation=oral") == [sid for i, sid in by_index.items() if i % 6 == 0]
    assert all_rows(carla, "/chair/decisions?presentation=poster&decision=accepted") == [
        sid for i, sid in by_index.items() if i % 6 == 3
    ]
    assert all_rows(carla, "/chair/decisions?missing=1") == world.missing
    topic = world.topics[world.ids[0]]
    assert all_rows(carla, f"/chair/decisions?topic={topic}") == [sid for sid in world.ids if world.topics[sid] == topic]
    sid = world.ids[41]
    assert all_rows(carla, f"/chair/decisions?q=Bulk+paper+{sid}") == [sid]
    assert all_rows(carla, f"/chair/decisions?q=%23{sid}") == [sid]
    assert "No paper matches." in text_of(carla.get("/chair/decisions?q=nothing+like+this"))
    # Filters combine, and "Clear the filters" keeps the sort.
    page = carla.get("/chair/decisions?missing=1&decision=accepted&sort=mean")
    assert rows(page) == [s for s in world.missing if world.ids.index(s) % 3 == 0]
    assert '<a href="/chair/decisions?sort=mean">Clear the filters</a>' in page.get_data(as_text=True)


def test_bulk_decide_saves_exactly_the_ticked_papers_and_returns_to_the_view(world: World) -> None:
    carla = client_for(world.app, "carla@example.org")
    view = "/chair/decisions?sort=mean&page=2"
    page = carla.get(view)
    html = page.get_data(as_text=True)
    back = html_lib.unescape(re.search(r'<input type="hidden" name="next" value="([^"]+)">', html).group(1))
    assert back == "/chair/decisions?sort=mean&page=2"
    with world.app.app_context():
        before = dict(db.session.execute(sa.select(Submission.id, Submission.decision)).all())
    shown = re.findall(r'name="selected" value="(\d+):(\d+)" form="bulk"', html)
    ticks = [f"{n}:{v}" for n, v in shown if before[int(n)] != Decision.REJECTED][:3]
    saved = carla.post(
        "/chair/decisions/bulk", data={"csrf_token": token(carla), "decision": "rejected", "selected": ticks, "next": back}
    )
    assert saved.headers["Location"] == back
    assert "3 papers marked rejected." in text_of(carla.get(back))
    ticked = {int(t.split(":")[0]) for t in ticks}
    with world.app.app_context():
        after = dict(db.session.execute(sa.select(Submission.id, Submission.decision)).all())
    assert {sid for sid in after if after[sid] != before[sid]} == ticked
    assert {after[sid] for sid in ticked} == {Decision.REJECTED}


def test_deciding_one_row_returns_to_the_same_view_at_that_row(world: World) -> None:
    carla = client_for(world.app, "carla@example.org")
    view = "/chair/decisions?topic=2&sort=weighted&dir=desc"
    html = carla.get(view).get_data(as_text=True)
    sid = rows(carla.get(view))[0]
    form = re.search(rf'(?s)<form method="post" action="/chair/decisions/{sid}" class="decision">(.*?)</form>', html).group(1)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form))
    fields = {k: html_lib.unescape(v) for k, v in fields.items()}
    assert fields["next"] == f"/chair/decisions?topic=2&sort=weighted&dir=desc#paper-{sid}"
    saved = carla.post(
        f"/chair/decisions/{sid}", data=fields | {"decision": "accepted", "presentation": "poster", "note": "Good."}
    )
    assert saved.headers["Location"] == fields["next"]
    with world.app.app_context():
        sub = db.session.get(Submission, sid)
        assert (sub.decision, sub.presentation, sub.decision_note) == (Decision.ACCEPTED, Presentation.POSTER, "Good.")


def test_a_chair_who_is_an_author_sees_nothing_of_that_paper(world: World) -> None:
    chris = client_for(world.app, "chris@example.org")
    title = f"Bulk paper {world.mine}"
    views = [
        "/chair/decisions",
        *(f"/chair/decisions?sort={key}&dir=desc" for key in ("mean", "weighted", "spread", "reviews", "decision")),
        f"/chair/decisions?q=%23{world.mine}",
        f"/chair/decisions?q={title.replace(' ', '+')}",
        f"/chair/decisions?topic={world.topics[world.mine]}",
        "/chair/decisions?decision=none",
    ]
    for url in views:
        seen = all_rows(chris, url)
        assert world.mine not in seen, url
    page = chris.get("/chair/decisions")
    assert f"{COUNT - 1} papers; page 1 of 2" in text_of(page)
    assert title not in text_of(page)
    assert all_rows(chris, "/chair/decisions") == [sid for sid in world.ids if sid != world.mine]
    assert "No paper matches." in text_of(chris.get(f"/chair/decisions?q=%23{world.mine}"))
    # The counts by decision leave it out too (it has no decision: 1 fewer "without a decision" than Carla sees).
    carla = client_for(world.app, "carla@example.org")
    count = re.compile(r"(\d+) without a decision")
    assert int(count.search(text_of(chris.get("/chair/decisions"))).group(1)) == (
        int(count.search(text_of(carla.get("/chair/decisions"))).group(1)) - 1
    )
    # And it cannot be decided, alone or ticked among others.
    with world.app.app_context():
        version = db.session.get(Submission, world.mine).version
    assert (
        chris.post(f"/chair/decisions/{world.mine}", data={"csrf_token": token(chris), "decision": "accepted"}).status_code == 404
    )
    chris.post(
        "/chair/decisions/bulk",
        data={"csrf_token": token(chris), "decision": "accepted", "selected": [f"{world.mine}:{version}"]},
    )
    with world.app.app_context():
        assert db.session.get(Submission, world.mine).decision is None


def statements_of(app: Flask, client: FlaskClient, url: str) -> tuple[int, int]:
    """The SQL statements a page took, and its size in bytes (the request holds its own app context)."""
    client.get(url)  # (the first request after the reviews changed fits the calibration once; the steady state counts)
    with sql_statements(app) as seen:
        page = client.get(url)
    assert page.status_code == 200
    return len(seen), len(page.data)


def test_a_page_takes_as_many_statements_for_120_papers_as_for_60_and_stays_small(world: World) -> None:
    carla = client_for(world.app, "carla@example.org")
    urls = ["/chair/decisions", "/chair/decisions?sort=weighted&dir=desc&page=2", "/chair/decisions?missing=1&decision=accepted"]
    before = [statements_of(world.app, carla, url) for url in urls]
    with world.app.app_context():
        add_many_papers(COUNT, [])
        db.session.commit()
    after = [statements_of(world.app, carla, url) for url in urls]
    assert [n for n, _ in before] == [n for n, _ in after]
    assert max(size for _, size in after) < 300_000


def test_values_that_name_nothing_are_no_filter(world: World) -> None:
    """A value that names nothing is no filter: the page shows everything, sorted by number."""
    carla = client_for(world.app, "carla@example.org")
    page = carla.get("/chair/decisions?decision=maybe&presentation=x&topic=abc&sort=title&page=-3&missing=yes")
    assert page.status_code == 200
    assert rows(page) == world.ids[:50]
    assert f"{COUNT} papers; page 1 of 2, 50 shown. Sorted by number." in text_of(page)
