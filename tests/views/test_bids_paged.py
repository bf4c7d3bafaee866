"""The bid list at conference size (issue 20, 4): a dense table of 50 papers a page, sorted by how well each paper
matches the reviewer (their topics, then their statement's words), filtered by topic and bid and searched by
title and abstract, with links that keep all of it; each page's form saves that page's bids and never another's;
one bid at a time for the page's script (``POST /review/bids/<n>``); a paper one may not bid on (conflicted, one's
own, withdrawn, or none at all) changes nothing and is refused alike; closed bidding is read-only; no author's
name, address or affiliation anywhere; the same statements and a small page at 30 and at 300 papers."""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from portal.db import db, utcnow
from portal.models import (
    Bid,
    BidValue,
    Phase,
    Submission,
    SubmissionAuthor,
    SubmissionState,
    SubmissionType,
    Topic,
    User,
    Workshop,
)
from portal.models.submission import submission_topic
from tests.conftest import CSRF_INPUT_RE, Worlds, sql_statements, text_of
from tests.factories import login, make_user

RITA = "rita@example.org"
RITA_SAYS = "Ring attention and sequence parallelism across many devices."
SECRET_LAB = "Secret Lab of Quiet Things"  # every author's affiliation: never on a reviewer's page
MISSING = 987_654


def code(i: int) -> str:
    """A word of letters only, different for each paper (so titles differ without numbers in them)."""
    letters = ""
    for _ in range(3):
        i, r = divmod(i, 26)
        letters = "abcdefghijklmnopqrstuvwxyz"[r] + letters
    return letters


@dataclass
class World:
    app: Flask
    numbers: list[int]  # every paper Rita may bid on, by number
    titles: dict[int, str]
    topic_of: dict[int, set[int]]  # primary and secondary topics
    mine: int  # Rita's topic
    ring: set[int]  # the papers about ring attention (her statement's words)
    conflicted: int  # an author shares Rita's institution
    own: int  # Rita is an author
    withdrawn: int
    authors: list[str]  # every name, address and affiliation of an author


def build(app: Flask, count: int) -> World:
    """``count`` papers: every 5th about ring attention, the topics in turn, some others also in Rita's topic; one
    conflicted with Rita, one hers, one withdrawn. Bidding is open for a week."""
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        ws.phase, ws.bidding_deadline = Phase.BIDDING, utcnow() + timedelta(days=7)
        topics = [t.id for t in db.session.scalars(sa.select(Topic).where(Topic.workshop_id == ws.id).order_by(Topic.position))]
        rita = make_user(RITA, name="Rita Reviewer", affiliation="Rita Research Centre", roles=("reviewer",))
        rita.expertise_statement = RITA_SAYS
        rita.topics = [db.session.get(Topic, topics[0])]
        make_user("otto@example.org", name="Otto Outsider", affiliation="Elsewhere")
        now = utcnow()
        type_id = db.session.scalar(sa.select(SubmissionType.id))
        rows = []
        for i in range(count):
            ring = i % 5 == 0
            title = f"Ring attention {code(i)}" if ring else f"{'memory' if i % 13 == 0 else 'Memory'} for documents {code(i)}"
            abstract = (
                "Sequence parallelism spreads ring attention over devices." if ring else "Retrieval and caches for long inputs."
            )
            rows.append(
                {
                    "workshop_id": ws.id,
                    "type_id": type_id,
                    "primary_topic_id": topics[i % len(topics)],
                    "title": title,
                    "abstract": abstract,
                    "keywords": "",
                    "state": SubmissionState.WITHDRAWN if i == 4 else SubmissionState.SUBMITTED,
                    "withdrawn_at": now if i == 4 else None,
                    "submitted_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        ids = list(db.session.scalars(sa.insert(Submission).returning(Submission.id, sort_by_parameter_order=True), rows))
        authors = [
            {
                "submission_id": sid,
                "position": 1,
                "name": f"Hidden Author {code(i).title()}",
                "email": f"hidden.{code(i)}@quiet-things.example",
                "affiliation": "Rita Research Centre" if i == 2 else SECRET_LAB,
                "user_id": None,
            }
            for i, sid in enumerate(ids)
        ]
        authors[3].update(name="Rita Reviewer", email=RITA, affiliation="Rita Research Centre", user_id=rita.id)
        db.session.execute(sa.insert(SubmissionAuthor), authors)
        secondary = [(sid, topics[0]) for i, sid in enumerate(ids) if i % 11 == 1 and i % len(topics) != 0 and i % 5 != 0]
        db.session.execute(sa.insert(submission_topic), [{"submission_id": s, "topic_id": t} for s, t in secondary])
        db.session.commit()
        topic_of = {sid: {row["primary_topic_id"]} for sid, row in zip(ids, rows, strict=True)}
        for sid, t in secondary:
            topic_of[sid].add(t)
        gone = {ids[2], ids[3], ids[4]}
        return World(
            app=app,
            numbers=[n for n in ids if n not in gone],
            titles={sid: row["title"] for sid, row in zip(ids, rows, strict=True)},
            topic_of=topic_of,
            mine=topics[0],
            ring={sid for i, sid in enumerate(ids) if i % 5 == 0 and sid not in gone},
            conflicted=ids[2],
            own=ids[3],
            withdrawn=ids[4],
            authors=[a["name"] for a in authors if a["user_id"] is None]
            + [a["email"] for a in authors if a["user_id"] is None]
            + [SECRET_LAB],
        )


@pytest.fixture
def world(app: Flask, worlds: Worlds) -> World:
    return worlds.get(app, build, 300)  # type: ignore[no-any-return]


def signed_in(app: Flask, email: str = RITA) -> FlaskClient:
    client = app.test_client()
    login(client, email)
    return client


def numbers(response: TestResponse) -> list[int]:
    """The paper numbers of the table's rows, in order."""
    assert response.status_code == 200, response.status_code
    return [int(n) for n in re.findall(r'<tr id="paper-(\d+)">', response.get_data(as_text=True))]


def checked(response: TestResponse) -> dict[int, str]:
    """Paper number -> the bid checked in its row ("" for no bid)."""
    html = response.get_data(as_text=True)
    return {int(n): v for n, v in re.findall(r'name="bid-(\d+)" value="([a-z_]*)" checked>', html)}  # (none disabled)


def pager_links(response: TestResponse) -> list[str]:
    found = re.search(r'(?s)<nav aria-label="Pages">(.*?)</nav>', response.get_data(as_text=True))
    return [html_lib.unescape(h) for h in re.findall(r'href="([^"]+)"', found.group(1))] if found else []


def flashes(response: TestResponse) -> list[str]:
    found = re.findall(r'<p class="flash flash-\w+">(.*?)</p>', response.get_data(as_text=True), re.S)
    return [html_lib.unescape(f) for f in found]


def page_form(response: TestResponse) -> dict[str, str]:
    """What the page's bid form posts as it stands: its token and every row's checked bid."""
    token = re.search(r'<form method="post" id="bids".*?name="csrf_token" value="([^"]+)"', response.get_data(as_text=True), re.S)
    assert token is not None
    return {"csrf_token": token.group(1), **{f"bid-{n}": v for n, v in checked(response).items()}}


def bids_of(app: Flask, email: str = RITA) -> dict[int, str]:
    with app.app_context():
        rows = db.session.execute(sa.select(Bid.submission_id, Bid.value).join(User).where(User.email == email))
        return {n: v.value for n, v in rows}


def token_of(client: FlaskClient) -> str:
    """The session's CSRF token, from the sign-out form every page carries."""
    match = CSRF_INPUT_RE.search(client.get("/account/").get_data(as_text=True))
    assert match is not None
    return match.group(1)


def bid_json(client: FlaskClient, number: int, value: str | None, token: str | None = None) -> TestResponse:
    data = {} if value is None else {"value": value}
    if token is not None:
        data["csrf_token"] = token
    return client.post(f"/review/bids/{number}", data=data, headers={"Accept": "application/json"})


def add_bids(app: Flask, bids: dict[int, str], email: str = RITA) -> None:
    with app.app_context():
        uid = db.session.scalar(sa.select(User.id).where(User.email == email))
        db.session.execute(
            sa.insert(Bid),
            [{"submission_id": n, "reviewer_id": uid, "value": BidValue(v), "updated_at": utcnow()} for n, v in bids.items()],
        )
        db.session.commit()


# --- paging, sorting, filtering ---------------------------------------------------------------------------


def test_bid_list_shows_fifty_a_page_best_match_first_and_the_pager_keeps_the_filters(world: World) -> None:
    rita = signed_in(world.app)

    first = rita.get("/review/bids")

    shown = numbers(first)
    assert len(shown) == 50
    assert "297 of 297 papers shown; you have bid on 0. This page: 1\N{EN DASH}50." in text_of(first)
    # Her topic and her words first, then her topic alone (by number), then the rest.
    both = sorted(n for n in world.numbers if world.mine in world.topic_of[n] and n in world.ring and len(world.topic_of[n]) == 1)
    topic_only = [n for n in world.numbers if world.topic_of[n] == {world.mine} and n not in world.ring]
    assert sorted(shown[: len(both)]) == both
    assert shown[len(both) : len(both) + len(topic_only)] == topic_only
    assert pager_links(first) == ["/review/bids?page=2", "/review/bids?page=6"]  # Next, Last
    everything = [n for page in range(1, 7) for n in numbers(rita.get(f"/review/bids?page={page}"))]
    assert sorted(everything) == world.numbers  # every paper once, the conflicted, her own and the withdrawn never
    assert numbers(rita.get("/review/bids?page=99")) == numbers(rita.get("/review/bids?page=6"))

    topic = next(t for t in {t for ts in world.topic_of.values() for t in ts} if t != world.mine)
    filtered = f"/review/bids?q=ring&topic={topic}&show=none&sort=title"
    assert pager_links(rita.get(filtered)) == []  # one page
    wide = rita.get("/review/bids?show=none&sort=number")
    assert pager_links(wide)[0] == "/review/bids?show=none&sort=number&page=2"
    assert numbers(rita.get(pager_links(wide)[0])) == world.numbers[50:100]


def test_filters_search_and_sorts_give_the_right_rows(world: World) -> None:
    add_bids(world.app, {world.numbers[0]: "eager", world.numbers[7]: "not_willing", world.numbers[9]: "willing"})
    rita = signed_in(world.app)
    other = next(t for ts in world.topic_of.values() for t in ts if t != world.mine)

    in_topic = [n for p in (1, 2) for n in numbers(rita.get(f"/review/bids?topic={world.mine}&sort=number&page={p}"))]
    assert in_topic == [n for n in world.numbers if world.mine in world.topic_of[n]]  # secondary topics too
    assert numbers(rita.get(f"/review/bids?topic={other}&sort=number&q=RING")) == sorted(
        n for n in world.ring if other in world.topic_of[n]
    )
    assert (
        numbers(rita.get("/review/bids?q=caches+for+long&sort=number"))[:3]
        == [n for n in world.numbers if n not in world.ring][:3]
    )
    assert numbers(rita.get("/review/bids?q=Hidden+Author")) == []  # authors are not searched
    assert numbers(rita.get("/review/bids?show=bid&sort=number")) == [world.numbers[0], world.numbers[7], world.numbers[9]]
    assert numbers(rita.get("/review/bids?show=willing")) == [world.numbers[9]]
    assert numbers(rita.get("/review/bids?show=none&sort=number"))[:3] == [world.numbers[i] for i in (1, 2, 3)]
    assert numbers(rita.get("/review/bids?sort=bid"))[:3] == [world.numbers[0], world.numbers[9], world.numbers[7]]
    by_title = sorted(world.numbers, key=lambda n: (world.titles[n].casefold(), n))
    assert numbers(rita.get("/review/bids?sort=title&page=2")) == by_title[50:100]
    assert numbers(rita.get("/review/bids?sort=nonsense&topic=x&show=y&page=z")) == numbers(rita.get("/review/bids"))
    assert "No paper matches. Show every paper." in text_of(rita.get("/review/bids?q=nothing+like+this"))


# --- saving -----------------------------------------------------------------------------------------------


def test_saving_a_page_keeps_the_bids_on_other_pages_and_returns_to_the_same_page(world: World) -> None:
    rita = signed_in(world.app)
    first = rita.get("/review/bids?sort=number")
    one, two = numbers(first)[:2]
    assert (
        rita.post(
            "/review/bids?sort=number", data=page_form(first) | {f"bid-{one}": "eager", f"bid-{two}": "willing"}
        ).status_code
        == 302
    )

    url = "/review/bids?show=none&sort=number&page=2"
    second = rita.get(url)
    three = numbers(second)[0]
    response = rita.post(url, data=page_form(second) | {f"bid-{three}": "in_a_pinch"})

    assert response.headers["Location"] == url
    back = rita.get(url)
    assert flashes(back) == ["Your bids are saved (1 changed)."]
    assert bids_of(world.app) == {one: "eager", two: "willing", three: "in_a_pinch"}
    # Taking a bid back on one page leaves the others alone.
    first = rita.get("/review/bids?sort=number")
    assert checked(first)[one] == "eager"
    rita.post("/review/bids?sort=number", data=page_form(first) | {f"bid-{one}": ""})
    assert bids_of(world.app) == {two: "willing", three: "in_a_pinch"}
    assert "you have bid on 2." in text_of(rita.get("/review/bids"))


def test_one_bid_saves_as_json_without_touching_the_others(world: World) -> None:
    add_bids(world.app, {world.numbers[1]: "willing"})
    rita = signed_in(world.app)
    token = token_of(rita)
    n = world.numbers[0]

    saved = bid_json(rita, n, "eager", token)
    assert (saved.status_code, saved.json) == (
        200,
        {"saved": True, "number": n, "bid": "eager", "message": f"Saved: #{n} Eager."},
    )
    assert bids_of(world.app) == {n: "eager", world.numbers[1]: "willing"}
    cleared = bid_json(rita, n, "", token)
    assert cleared.json == {"saved": True, "number": n, "bid": "", "message": f"Saved: #{n} no bid."}
    assert bids_of(world.app) == {world.numbers[1]: "willing"}
    assert bid_json(rita, n, "keen", token).status_code == 400
    assert bid_json(rita, n, None, token).status_code == 400
    assert bid_json(rita, n, "eager").status_code == 400  # no CSRF token
    # Without the script's Accept header (a plain form): back to the list, saying so.
    plain = rita.post(f"/review/bids/{n}", data={"value": "willing", "csrf_token": token})
    assert plain.headers["Location"] == f"/review/bids#paper-{n}"
    assert flashes(rita.get("/review/bids")) == [f"Saved: #{n} Willing."]
    assert bids_of(world.app) == {n: "willing", world.numbers[1]: "willing"}


def test_a_paper_one_may_not_bid_on_changes_nothing_and_is_refused_alike(world: World) -> None:
    rita = signed_in(world.app)
    token = token_of(rita)
    forbidden = [world.conflicted, world.own, world.withdrawn, MISSING]

    answers = [bid_json(rita, n, "eager", token) for n in forbidden]
    page = rita.get("/review/bids?sort=number")
    posted = rita.post("/review/bids?sort=number", data=page_form(page) | {f"bid-{n}": "eager" for n in forbidden})

    assert [a.status_code for a in answers] == [404] * 4
    # A paper that exists and one that does not: the same answer, but for the header's CSRF token, which is signed
    # with the second it was made in (two requests either side of a second differ there and nowhere else).
    assert len({CSRF_INPUT_RE.sub("", a.get_data(as_text=True)) for a in answers}) == 1
    assert flashes(rita.get(posted.headers["Location"])) == [
        f"You may not bid on #{world.conflicted}, #{world.own}, #{world.withdrawn}, #{MISSING}: nothing was saved for them.",
        "Your bids are saved (0 changed).",
    ]
    assert bids_of(world.app) == {}
    assert bid_json(rita, 2**40, "eager", token).status_code == 404


def test_bidding_closed_is_read_only_and_refuses_every_save(world: World) -> None:
    rita = signed_in(world.app)
    token = token_of(rita)
    add_bids(world.app, {world.numbers[0]: "eager"})
    page = rita.get("/review/bids?sort=number")
    with world.app.app_context():
        db.session.scalar(sa.select(Workshop)).bidding_deadline = utcnow() - timedelta(minutes=1)
        db.session.commit()

    closed = rita.get("/review/bids?sort=number")
    one = bid_json(rita, world.numbers[1], "eager", token)
    posted = rita.post("/review/bids", data=page_form(page) | {f"bid-{world.numbers[1]}": "eager"})

    assert "Bidding is closed." in text_of(closed)
    assert "Save the bids" not in text_of(closed)
    assert checked(closed) == {}  # every choice disabled (her bid still shows, disabled)
    assert f'name="bid-{world.numbers[0]}" value="eager" checked disabled' in closed.get_data(as_text=True)
    assert (one.status_code, one.json["saved"], one.json["message"]) == (409, False, "Bidding is closed. Nothing was saved.")
    assert flashes(rita.get(posted.headers["Location"])) == ["Bidding is closed. Nothing was saved."]
    assert bids_of(world.app) == {world.numbers[0]: "eager"}


def test_only_reviewers_bid_and_nothing_tells_an_author_who_wrote_a_paper(world: World) -> None:
    otto = signed_in(world.app, "otto@example.org")
    assert otto.get("/review/bids").status_code == 403
    assert otto.post(f"/review/bids/{world.numbers[0]}", data={"value": "eager", "csrf_token": token_of(otto)}).status_code == 403
    rita = signed_in(world.app)
    pages = [rita.get(f"/review/bids?page={p}") for p in range(1, 7)] + [rita.get("/review/bids?sort=title&show=none")]
    seen = b"".join(p.get_data() for p in pages)
    assert [a for a in world.authors if a.encode() in seen or html_lib.escape(a).encode() in seen] == []
    assert world.titles[world.conflicted].encode() not in seen and world.titles[world.own].encode() not in seen


def test_submission_phase_has_no_list_yet(world: World) -> None:
    with world.app.app_context():
        db.session.scalar(sa.select(Workshop)).phase = Phase.SUBMISSION
        db.session.commit()
    page = signed_in(world.app).get("/review/bids")
    assert "Bidding opens when the submission period ends." in text_of(page)
    assert numbers(page) == []


# --- size ---------------------------------------------------------------------------------------------------


def statements(app: Flask, client: FlaskClient, url: str) -> tuple[int, int]:
    """How many SQL statements one request issues, and its bytes."""
    with sql_statements(app) as seen:
        response = client.get(url)
    assert response.status_code == 200
    return len(seen), len(response.get_data())


def test_a_page_is_small_and_costs_the_same_statements_at_30_and_at_300_papers(app: Flask) -> None:
    small = build(app, 30)
    rita = signed_in(app)
    rita.get("/review/bids")  # (the first request of a client loads what later ones reuse)
    at_30 = statements(app, rita, "/review/bids")
    with app.app_context():  # 270 more papers, and bids on some of them
        ws = db.session.scalar(sa.select(Workshop))
        first = db.session.scalar(sa.select(Submission).where(Submission.id == small.numbers[0]))
        now = utcnow()
        ids = db.session.scalars(
            sa.insert(Submission).returning(Submission.id, sort_by_parameter_order=True),
            [
                {
                    "workshop_id": ws.id,
                    "type_id": first.type_id,
                    "primary_topic_id": first.primary_topic_id,
                    "title": f"More papers {code(i)}",
                    "abstract": "Ring attention, again. " * 40,
                    "keywords": "",
                    "state": SubmissionState.SUBMITTED,
                    "submitted_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(270)
            ],
        ).all()
        db.session.commit()
    add_bids(app, {n: "willing" for n in ids[::3]})
    # The first request after the papers changed reads their texts once more (for the similarity's vectors, kept
    # until the papers change again); the steady state is what must not grow.
    rita.get("/review/bids")
    at_300 = statements(app, rita, "/review/bids")
    sorted_by_bid = statements(app, rita, "/review/bids?sort=bid&show=bid&q=ring&page=2")

    assert at_30[0] == at_300[0] == sorted_by_bid[0]
    assert at_300[1] < 120_000  # 50 rows with their abstracts: one screen-dense table, not 300 cards


def test_a_paper_whose_text_changes_is_matched_on_the_new_text_at_once(world: World) -> None:
    rita = signed_in(world.app)
    plain = [n for n in world.numbers if world.topic_of[n] == {world.mine} and n not in world.ring][-1]  # her topic alone
    first = numbers(rita.get("/review/bids"))
    with world.app.app_context():  # as an author's edit leaves it: her statement's words, nothing else changed
        db.session.get(Submission, plain).abstract = RITA_SAYS
        db.session.commit()

    again = numbers(rita.get("/review/bids"))

    # Her topic and now her words: among the papers that have both, ahead of every paper that has her topic alone.
    both = [n for n in world.numbers if world.topic_of[n] == {world.mine} and n in world.ring]
    assert first.index(plain) > len(both) + 20  # the last of the papers with her topic alone
    assert again.index(plain) <= len(both)
