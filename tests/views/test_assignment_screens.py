"""The chair's assignment screens at size (issue 20.3 and 20.5), as a chair uses them: the assignments page paged
and filtered, the reviewer picker of one paper with the facts beside each candidate, the reviewer loads page, the
conflicts page paged and searched, and the reviewing settings saving only the reviewers they list.

The world is tests/views/test_assignment_controls.py's (three papers, two reviews each; Ivan conflicts with p1 by
institution, Una with p2 by the authors' declaration; Carla is an author of p3; Cleo chairs). The page sizes are
made small here so that three papers and four reviewers fill several pages."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from portal.chair import reviewing as reviewing_views
from portal.services import assignment_lists, calibration
from tests.conftest import SMTPRecorder, Worlds, text_of
from tests.views.test_assignment_controls import BIDS, World, bid, build_world, proposed, run, sign_in, stored_loads
from tests.views.test_reviewing import flashes, follow, form_with, post, text_of_html


@pytest.fixture
def w(app: Flask, worlds: Worlds) -> World:
    return worlds.get(app, build_world)


def paper_rows(page: TestResponse) -> list[str]:
    """The papers the assignments page lists, as "#<n> <badge>"."""
    html = page.get_data(as_text=True)
    return [
        f"#{n} {badge}"
        for n, badge in re.findall(r'<tr id="paper-(\d+)">.*?<span class="badge[^"]*">(\d+/\d+)</span>', html, re.S)
    ]


def body_rows(page: TestResponse) -> list[list[str]]:
    """The cells of each row of the first table body on the page."""
    body = re.search(r"(?s)<tbody>(.*?)</tbody>", page.get_data(as_text=True))
    assert body is not None, text_of(page)
    return [
        [text_of_html(c) for c in re.findall(r"(?s)<t[hd]\b[^>]*>(.*?)</t[hd]>", row)]
        for row in re.findall(r"(?s)<tr>(.*?)</tr>", body.group(1))
    ]


def assign(chair: FlaskClient, w: World, paper: str, reviewer: str) -> TestResponse:
    return post(chair, "/chair/assignments/add", {"number": w.n(paper), "reviewer": w.uid(reviewer)}, "/chair/assignments")


def test_the_assignments_page_pages_searches_and_filters_by_reviewers_short(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(assignment_lists, "PAPERS_PER_PAGE", 2)
    chair = sign_in(w, "cleo")
    p1, p2, p3 = w.n("p1"), w.n("p2"), w.n("p3")

    first = chair.get("/chair/assignments")
    assert paper_rows(first) == [f"#{p1} 0/2", f"#{p2} 0/2"]
    assert "3 papers in reviewing (3 short of reviewers)" in text_of(first)
    assert "3 papers; page 1 of 2." in text_of(first)
    assert paper_rows(chair.get("/chair/assignments?page=2")) == [f"#{p3} 0/2"]
    assert paper_rows(chair.get("/chair/assignments?page=99")) == [f"#{p3} 0/2"]  # past the end: the last page

    for reviewer in ("rita", "rex"):
        assert flashes(follow(chair, assign(chair, w, "p1", reviewer)))[0].endswith(
            f"reviews #{p1} as Reviewer {1 + (reviewer == 'rex')}."
        )
    assign(chair, w, "p2", "rita")

    assert paper_rows(chair.get("/chair/assignments?show=short")) == [f"#{p2} 1/2", f"#{p3} 0/2"]
    assert paper_rows(chair.get("/chair/assignments?show=full")) == [f"#{p1} 2/2"]
    assert paper_rows(chair.get("/chair/assignments?show=none")) == [f"#{p3} 0/2"]
    assert paper_rows(chair.get(f"/chair/assignments?q=%23{p2}")) == [f"#{p2} 1/2"]
    assert paper_rows(chair.get("/chair/assignments?q=memory+tokens")) == [f"#{p2} 1/2"]
    assert paper_rows(chair.get("/chair/assignments?q=MEMORY")) == [f"#{p2} 1/2"]  # any case
    assert paper_rows(chair.get("/chair/assignments?q=100%25")) == []  # "%" is a character, not a wildcard
    nothing = chair.get("/chair/assignments?q=zebra")
    assert "0 papers match." in text_of(nothing) and "No paper matches." in text_of(nothing)
    # The pager keeps the filter: the two papers short of reviewers, one a page, make two pages.
    short = chair.get("/chair/assignments?show=short")
    assert "2 papers match." in text_of(short)
    monkeypatch.setattr(assignment_lists, "PAPERS_PER_PAGE", 1)
    html = chair.get("/chair/assignments?show=short").get_data(as_text=True)
    assert 'href="/chair/assignments?show=short&amp;page=2#papers"' in html
    assert paper_rows(chair.get("/chair/assignments?show=short&page=2")) == [f"#{p3} 0/2"]


def test_a_chair_who_is_an_author_sees_no_row_of_their_paper_and_no_picker_for_it(w: World) -> None:
    carla = sign_in(w, "carla")
    p3 = w.n("p3")
    assert f"#{p3} " not in " ".join(paper_rows(carla.get("/chair/assignments")))
    assert "2 papers in reviewing" in text_of(carla.get("/chair/assignments"))
    assert carla.get(f"/chair/assignments/papers/{p3}").status_code == 404
    assert carla.get(f"/chair/assignments?q=%23{p3}").status_code == 200
    assert paper_rows(carla.get(f"/chair/assignments?q=%23{p3}")) == []


def test_the_picker_lists_every_candidate_best_first_with_bid_affinity_load_and_conflict(w: World, smtp: SMTPRecorder) -> None:
    bid(w, BIDS | {("p1", "una"): "in_a_pinch"})
    chair = sign_in(w, "cleo")
    p1 = w.n("p1")
    picker = f"/chair/assignments/papers/{p1}"

    rows = body_rows(chair.get(picker))
    # Reviewer, bid, affinity, topics in common, text, load, note, action. Rex and Rita bid eager (affinity 1) and
    # have the same room left, so the tie goes by name; Una is "in a pinch". Ivan (the authors' institute)
    # conflicts and is left out unless asked for.
    assert [r[:3] for r in rows] == [
        ["Rex Reader Reader University", "eager", "1.00"],
        ["Rita Reviewer Rita Research Centre", "eager", "1.00"],
        ["Una Unassigned Una Polytechnic", "in a pinch", "-0.50"],
    ]
    assert "1 conflicted reviewer is not listed" in text_of(chair.get(picker))
    assert [r[5] for r in rows] == ["0/6", "0/6", "0/6"]
    assert all(r[7].startswith("Assign") for r in rows)

    added = post(chair, "/chair/assignments/add", {"number": p1, "reviewer": w.uid("rita"), "from": "picker"}, picker)
    assert added.headers["Location"] == picker  # back to the picker it came from
    after = follow(chair, added)
    assert flashes(after) == [f"Rita Reviewer reviews #{p1} as Reviewer 1."]
    rita = next(r for r in body_rows(after) if r[0].startswith("Rita"))
    assert rita[5:7] == ["1/6", "Already reviews it"]
    assert rita[7] == ""  # no Assign button
    assert "Reviewer 1: Rita Reviewer" in text_of(after)

    # Removed by hand: she is left out of automatic runs, and the picker says so (assigning allows her again).
    removal = re.search(r'action="(/chair/assignments/\d+/remove)"', after.get_data(as_text=True))
    assert removal is not None
    removed = post(chair, removal.group(1), {"from": "picker"}, picker)
    assert removed.headers["Location"] == picker
    rita = next(r for r in body_rows(follow(chair, removed)) if r[0].startswith("Rita"))
    assert rita[6] == "Left out of automatic runs (removed by a chair); assigning by hand allows the pair again"
    assert rita[7].startswith("Assign")

    with_conflicts = body_rows(chair.get(picker + "?conflicted=1"))
    ivan = next(r for r in with_conflicts if r[0].startswith("Ivan"))
    assert ivan[6].startswith("Conflict: shares the institution Alpha Institute") and ivan[7] == ""
    assert with_conflicts[-1][0].startswith("Ivan")  # conflicted ones come last
    assert [r[0] for r in body_rows(chair.get(picker + "?q=rex"))] == ["Rex Reader Reader University"]


def test_the_picker_pages_its_candidates(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(assignment_lists, "CANDIDATES_PER_PAGE", 2)
    chair = sign_in(w, "cleo")
    picker = f"/chair/assignments/papers/{w.n('p1')}"
    first, second = body_rows(chair.get(picker)), body_rows(chair.get(picker + "?page=2"))
    assert [r[0].split()[0] for r in first + second] == ["Rex", "Rita", "Una"]
    assert "3 reviewers, best first" in text_of(chair.get(picker)) and "page 1 of 2" in text_of(chair.get(picker))


def test_the_loads_page_filters_sorts_and_pages_the_reviewers(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    chair = sign_in(w, "cleo")
    assign(chair, w, "p1", "rita")
    assign(chair, w, "p2", "rita")
    assign(chair, w, "p1", "rex")
    loads = "/chair/assignments/reviewers"

    def names(url: str) -> list[str]:
        return [r[0] for r in body_rows(chair.get(url))]

    assert names(loads) == ["Ivan Insider", "Rex Reader", "Rita Reviewer", "Una Unassigned"]
    assert names(loads + "?sort=load") == ["Rita Reviewer", "Rex Reader", "Ivan Insider", "Una Unassigned"]
    assert names(loads + "?show=idle") == ["Ivan Insider", "Una Unassigned"]
    assert names(loads + "?show=unfinished") == ["Rex Reader", "Rita Reviewer"]
    assert names(loads + "?q=university") == ["Rex Reader"]  # by affiliation
    assert "4 reviewers, 2 without a paper" in text_of(chair.get(loads))
    # Rita's maximum set to 2: she is full.
    form = form_with(chair.get("/chair/reviewing"), "reviews_per_paper")
    chair.post("/chair/reviewing", data=form | {f"load-{w.uid('rita')}": "2"})
    assert names(loads + "?show=full") == ["Rita Reviewer"]
    assert body_rows(chair.get(loads + "?show=full"))[0][1] == "2 full"

    monkeypatch.setattr(assignment_lists, "REVIEWERS_PER_PAGE", 2)
    assert names(loads + "?page=2") == ["Rita Reviewer", "Una Unassigned"]
    assert "4 reviewers; page 1 of 2." in text_of(chair.get(loads))


def test_the_conflicts_page_pages_by_paper_and_searches_by_paper_or_reviewer(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    chair = sign_in(w, "cleo")
    p1, p2 = w.n("p1"), w.n("p2")

    def pairs(url: str) -> list[tuple[str, str]]:
        return [(r[0], r[2]) for r in body_rows(chair.get(url))]

    every = body_rows(chair.get("/chair/conflicts"))
    assert [(r[0], r[2]) for r in every] == [(str(p1), "Ivan Insider"), (str(p2), "Una Unassigned")]
    assert every[0][3] == "shares the institution Alpha Institute with author Ada Author (Alpha Institute)"
    assert every[0][4].startswith("Lift")
    assert "3 papers, 10 a page: 2 conflicted pairs on them." in text_of(chair.get("/chair/conflicts"))

    # By paper: words of the title, or its number (all of that paper's conflicts).
    assert pairs("/chair/conflicts?q=endless") == [(str(p2), "Una Unassigned")]
    assert pairs(f"/chair/conflicts?q=%23{p1}") == [(str(p1), "Ivan Insider")]
    assert f"1 conflicted pair of #{p1}." in text_of(chair.get(f"/chair/conflicts?q=%23{p1}"))
    # By reviewer: name, address or affiliation.
    assert pairs("/chair/conflicts?who=una") == [(str(p2), "Una Unassigned")]
    assert pairs("/chair/conflicts?who=alpha") == [(str(p1), "Ivan Insider")]  # Ivan's affiliation
    assert "1 conflicted pair of 1 reviewer matching “una”." in text_of(chair.get("/chair/conflicts?who=una"))

    # Ten papers a page: two here; a paper with more conflicts than are listed links to all of them.
    monkeypatch.setattr(assignment_lists, "CONFLICT_PAPERS_PER_PAGE", 1)
    assert pairs("/chair/conflicts?page=2") == [(str(p2), "Una Unassigned")]
    assert "No conflicts on this page." in text_of(chair.get("/chair/conflicts?page=3"))  # p3 has none
    monkeypatch.setattr(assignment_lists, "CONFLICT_PAPERS_PER_PAGE", 10)
    monkeypatch.setattr(assignment_lists, "CONFLICTS_A_PAPER", 0)
    page = chair.get("/chair/conflicts")
    assert "1 more conflict of #" in text_of(page) and f'href="/chair/conflicts?q=%23{p1}"' in page.get_data(as_text=True)
    assert pairs(f"/chair/conflicts?q=%23{p1}") == [(str(p1), "Ivan Insider")]  # the paper alone: all of them


def test_the_reviewing_settings_save_the_loads_of_the_reviewers_they_list_and_no_others(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    chair = sign_in(w, "cleo")
    rita, una = w.uid("rita"), w.uid("una")
    form = form_with(chair.get("/chair/reviewing"), "reviews_per_paper")
    chair.post("/chair/reviewing", data=form | {f"load-{una}": "4", f"min-{una}": "1"})
    assert stored_loads(w)[1]["una@example.org"] == (1, 4)

    monkeypatch.setattr(assignment_lists, "REVIEWERS_PER_PAGE", 2)
    page = chair.get("/chair/reviewing?q=rita")
    assert "1 reviewer match “rita”." in text_of(page)
    shown = form_with(page, "reviews_per_paper")
    assert f"load-{rita}" in shown and f"load-{una}" not in shown
    saved = chair.post("/chair/reviewing?q=rita", data=shown | {f"load-{rita}": "3"})
    assert saved.headers["Location"] == "/chair/reviewing?q=rita"
    assert flashes(follow(chair, saved)) == ["The reviewing settings are saved."]
    loads = stored_loads(w)[1]
    assert loads["rita@example.org"] == (None, 3)
    assert loads["una@example.org"] == (1, 4)  # not on the page: kept, not reset to the defaults


def test_a_proposal_shows_the_papers_that_change_by_default_all_on_request_paged_and_searched(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    bid(w, BIDS)
    chair = sign_in(w, "cleo")
    p1, p2, p3 = w.n("p1"), w.n("p2"), w.n("p3")
    assign(chair, w, "p1", "rita")
    assign(chair, w, "p1", "rex")  # p1 is full: a run gives it nobody new
    number, page = run(chair)
    url = f"/chair/proposals/{number}"

    assert sorted(proposed(page)) == [p2, p3]
    assert "2 papers. A paper's reviewers already assigned are kept." in text_of(page)
    every = proposed(chair.get(url + "?show=all"))
    assert sorted(every) == [p1, p2, p3]
    assert every[p1] == ["Rita Reviewer", "Rex Reader"]
    assert "— already assigned (kept)" in text_of(chair.get(url + "?show=all"))
    assert sorted(proposed(chair.get(url + "?q=endless"))) == [p2]
    assert sorted(proposed(chair.get(url + f"?q=%23{p3}"))) == [p3]
    assert "No paper matches “zebra”." in text_of(chair.get(url + "?q=zebra"))

    # Loads: the reviewers whose load changes come first.
    loads = [row[0] for row in body_rows_after(chair.get(url), "Loads before and after")]
    changing = {name for names in proposed(page).values() for name in names}
    assert set(loads[: len(changing)]) == changing and len(loads) == 4

    # Add by hand, by address (the field), and the page says so.
    added = post(chair, f"{url}/add", {"number": p3, "reviewer": "una@example.org"}, url)
    assert "Una Unassigned" in proposed(follow(chair, added))[p3]
    conflicted = post(chair, f"{url}/add", {"number": p2, "reviewer": "una@example.org"}, url)
    assert flashes(follow(chair, conflicted))[0].startswith(f"Una Unassigned conflicts with #{p2}")
    unknown = post(chair, f"{url}/add", {"number": p2, "reviewer": "nobody@example.org"}, url)
    assert flashes(follow(chair, unknown)) == ["Choose a submission and a reviewer."]

    monkeypatch.setattr(reviewing_views, "PROPOSAL_PAPERS_PER_PAGE", 1)
    assert sorted(proposed(chair.get(url + "?page=2"))) == [p3]
    assert "2 papers; page 1 of 2." in text_of(chair.get(url))


def body_rows_after(page: TestResponse, heading: str) -> list[list[str]]:
    html = page.get_data(as_text=True)
    at = html.find(f">{heading}</h2>")
    assert at >= 0, heading
    return body_rows_of(html[at:])


def body_rows_of(html: str) -> list[list[str]]:
    body = re.search(r"(?s)<tbody>(.*?)</tbody>", html)
    assert body is not None
    return [
        [text_of_html(c) for c in re.findall(r"(?s)<t[hd]\b[^>]*>(.*?)</t[hd]>", row)]
        for row in re.findall(r"(?s)<tr>(.*?)</tr>", body.group(1))
    ]


def test_the_picker_puts_reviewers_at_their_maximum_after_those_with_room(w: World) -> None:
    bid(w, BIDS | {("p1", "una"): "in_a_pinch"})
    chair = sign_in(w, "cleo")
    form = form_with(chair.get("/chair/reviewing"), "reviews_per_paper")
    chair.post("/chair/reviewing", data=form | {f"load-{w.uid('rex')}": "1"})
    assign(chair, w, "p2", "rex")  # Rex is now full (1 of 1)
    rows = body_rows(chair.get(f"/chair/assignments/papers/{w.n('p1')}"))
    assert [(r[0].split()[0], r[1], r[5]) for r in rows] == [
        ("Rita", "eager", "0/6"),
        ("Una", "in a pinch", "0/6"),
        ("Rex", "eager", "1/1 full"),  # the best bid, but no room: last
    ]


def test_a_reviewer_declares_a_conflict_the_portal_missed_and_the_chair_finds_a_replacement(w: World, smtp: SMTPRecorder) -> None:
    bid(w, BIDS)
    chair, rex = sign_in(w, "cleo"), sign_in(w, "rex")
    p1 = w.n("p1")
    assign(chair, w, "p1", "rex")
    smtp.wait_for(1)
    smtp.clear()
    why = "One of the authors was my PhD student until last year."

    declared = post(rex, f"/review/papers/{p1}/decline", {"why": "conflict", "reason": why}, f"/review/papers/{p1}")

    assert flashes(follow(rex, declared)) == [f"You no longer review #{p1}: your conflict is recorded and the chairs are told."]
    assert rex.get(f"/review/papers/{p1}").status_code == 404
    assert f"#{p1} " not in text_of(rex.get("/review/bids?sort=number"))  # a conflict: not even to bid on
    # The chairs are told, with a link to the paper's picker.
    messages = smtp.wait_for(2)  # both chairs handle p1
    assert sorted(str(m["To"]) for m in messages) == ["carla@example.org", "cleo@example.org"]
    message = messages[0]
    assert message["Subject"] == f"[LongLLM 2024] Rex Reader declared a conflict with #{p1}"
    body = message.get_content() if not message.is_multipart() else message.get_body(("plain",)).get_content()
    assert f"Rex Reader declared a conflict of interest with #{p1}" in body
    assert f"Their reason: {why}" in body
    assert f"http://localhost/chair/assignments/papers/{p1}" in body
    # The conflicts page shows it in the reviewer's words; the picker lists Rex among the conflicted, no button.
    rows = body_rows(chair.get("/chair/conflicts?who=rex"))
    assert [(r[0], r[2], r[3]) for r in rows] == [(str(p1), "Rex Reader", f"declared by the reviewer: {why}")]
    rex_row = next(r for r in body_rows(chair.get(f"/chair/assignments/papers/{p1}?conflicted=1")) if r[0].startswith("Rex"))
    assert rex_row[6] == f"Conflict: declared by the reviewer: {why}" and rex_row[7] == ""
    # A replacement from the picker: the best candidate left is Rita (eager).
    best = body_rows(chair.get(f"/chair/assignments/papers/{p1}"))[0]
    assert best[0].startswith("Rita") and best[7].startswith("Assign")


def test_declining_without_saying_why_is_no_conflict(w: World, smtp: SMTPRecorder) -> None:
    chair, rex = sign_in(w, "cleo"), sign_in(w, "rex")
    p1 = w.n("p1")
    assign(chair, w, "p1", "rex")
    post(rex, f"/review/papers/{p1}/decline", {"reason": "No time."}, f"/review/papers/{p1}")
    assert body_rows(chair.get("/chair/conflicts?who=rex"))[0] == ["No conflict matches."]
    rex_row = next(r for r in body_rows(chair.get(f"/chair/assignments/papers/{p1}")) if r[0].startswith("Rex"))
    assert rex_row[6].startswith("Left out of automatic runs (declined")


def test_a_kept_draft_is_discarded_only_after_the_chair_confirms(w: World) -> None:
    chair, rex = sign_in(w, "cleo"), sign_in(w, "rex")
    p1 = w.n("p1")
    assign(chair, w, "p1", "rex")
    post(
        rex,
        f"/review/papers/{p1}/review",
        {"summary": "Half a thought.", "action": "draft", "version": ""},
        f"/review/papers/{p1}",
    )
    post(rex, f"/review/papers/{p1}/decline", {"reason": "No time."}, f"/review/papers/{p1}")
    page = chair.get(f"/chair/papers/{p1}").get_data(as_text=True)
    found = re.search(r'action="(/chair/papers/\d+/kept-drafts/\d+/discard)"', page)
    assert found is not None and "Half a thought." in page

    asked = post(chair, found.group(1), {}, f"/chair/papers/{p1}")
    assert asked.status_code == 200
    assert f"Discard the draft Rex Reader left on #{p1}" in text_of(asked)
    assert "Half a thought." in text_of(chair.get(f"/chair/papers/{p1}"))  # nothing happened yet

    done = post(chair, found.group(1), {"confirm": "1"}, f"/chair/papers/{p1}")
    after = follow(chair, done)
    assert flashes(after) == [f"The draft Rex Reader left on #{p1} is discarded."]
    assert "Half a thought." not in text_of(after) and "Drafts kept from removed reviewers" not in text_of(after)
    assert f"Discarded the draft Rex Reader left on #{p1}" in text_of(chair.get("/chair/audit"))
    assert post(chair, found.group(1), {"confirm": "1"}, f"/chair/papers/{p1}").status_code == 404  # gone


def test_the_loads_page_says_how_each_reviewer_scores_against_the_others_of_the_same_papers(w: World) -> None:
    chair = sign_in(w, "cleo")
    for paper, reviewer in (("p1", "rita"), ("p1", "rex"), ("p2", "rita"), ("p2", "ivan")):
        assign(chair, w, paper, reviewer)
    scores = {("p1", "rita"): "5", ("p1", "rex"): "2", ("p2", "rita"): "4", ("p2", "ivan"): "3"}
    for (paper, reviewer), rec in scores.items():
        n = w.n(paper)
        client = sign_in(w, reviewer)
        review = {"recommendation": rec, "confidence": "3", "summary": "A view.", "action": "submit", "version": ""}
        post(client, f"/review/papers/{n}/review", review, f"/review/papers/{n}")
    rows = {r[0]: r[5:9] for r in body_rows(chair.get("/chair/assignments/reviewers"))}
    # Rita: 5 against Rex's 2 (+3), 4 against Ivan's 3 (+1): on average two points more generous.
    # Spread: Rita's 5 and 4 spread 0.50 about their mean; the others on her papers gave 2 and 3 (0.50 too).
    assert rows == {
        "Ivan Insider": ["1", "3.00", "-1.00", "0.00 (0.00)"],
        "Rex Reader": ["1", "2.00", "-3.00", "0.00 (0.00)"],
        "Rita Reviewer": ["2", "4.50", "+2.00", "0.50 (0.50)"],
        "Una Unassigned": ["0", "—", "—", "—"],
    }
    # The calibration model says the same of them (Rita generous, Rex the most severe), and lifts p1 (5 and 2).
    people = {"rita": 1, "rex": 2, "ivan": 3}
    fitted = calibration.fit([(int(p[1]), people[r], float(v)) for (p, r), v in scores.items()])
    assert fitted.habit[1] > 0 > fitted.habit[3] > fitted.habit[2]
    # A paper's page gives its calibrated score beside the mean: p1 (5 and 2) drew generous Rita and severe Rex.
    page = text_of(chair.get(f"/chair/papers/{w.n('p1')}"))
    assert f"2 of 2 reviews in; mean recommendation 3.50; calibrated {fitted.score[1]:.2f}." in page


def test_a_papers_page_lists_its_first_conflicts_and_links_to_all_of_them(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from portal.chair import paper as paper_views

    chair = sign_in(w, "cleo")
    p1 = w.n("p1")
    page = text_of(chair.get(f"/chair/papers/{p1}"))
    assert "Ivan Insider: shares the institution Alpha Institute with author Ada Author (Alpha Institute)" in page
    assert "more: all" not in page
    # Hundreds of conflicts at conference size: the page lists the first ones by name and links to the rest.
    monkeypatch.setattr(paper_views, "CONFLICTS_A_PAPER", 0)
    page = chair.get(f"/chair/papers/{p1}")
    assert "Ivan Insider:" not in text_of(page)
    assert f"And 1 more: all 1 conflicts of #{p1} on the conflicts page." in text_of(page)
    assert f'href="/chair/conflicts?q=%23{p1}"' in page.get_data(as_text=True)
