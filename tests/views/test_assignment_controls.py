"""Assignment a chair controls (issue 22), through the pages as a chair and a reviewer use them: minimum loads on
the reviewing settings, the run form (best total or fairest, balanced loads), pairs left out of later runs (removed,
"never assign", declined) until assigned by hand, a reviewer declining a paper, and each proposal's quality report
and two proposals side by side, double-blind for a chair who is an author.

The world is tests/views/test_reviewing.py's, the reviewing phase just opened (three papers, two reviews each;
Carla the chair is an author of p3; Ivan conflicts with p1 and Una with p2), with a second chair, Cleo, who is
an author of nothing, and no reviewer knowing a topic: a pair's affinity is its bid alone (eager 1, willing 0.5,
none 0, in a pinch -0.5), so each test's bids decide what a run proposes."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from portal.db import db
from portal.models import AssignmentProposal, Bid, BidValue, Job, Phase, User, Workshop
from portal.queries import assignment_of
from tests.conftest import SMTPRecorder, Worlds, text_of
from tests.factories import login, make_user
from tests.views.test_reviewing import (
    PAPERS,
    PEOPLE,
    World,
    build,
    content,
    flashes,
    follow,
    form_with,
    mails_by_recipient,
    post,
    sections,
    subject,
    text_of_html,
    update,
)

CLEO = {"email": "cleo@example.org", "name": "Cleo Cochair", "affiliation": "Cochair Institute", "roles": ("chair",)}
EMAILS = {**{key: p["email"] for key, p in PEOPLE.items()}, "cleo": CLEO["email"]}


def build_world(app: Flask) -> World:
    base = build(app, Phase.REVIEWING, assigned=False)
    with app.app_context():
        cleo = make_user(**CLEO)
        for user in db.session.scalars(sa.select(User).where(User.is_reviewer)):
            user.topics = []  # the affinity is the bid alone
        db.session.commit()
        return World(app, {**base.users, "cleo": cleo.id}, base.papers)


@pytest.fixture
def w(app: Flask, worlds: Worlds) -> World:
    return worlds.get(app, build_world)


# --- helpers ------------------------------------------------------------------------------------------


def sign_in(w: World, key: str) -> FlaskClient:
    client = w.app.test_client()
    response = login(client, EMAILS[key])
    assert response.status_code == 302, text_of(response)
    return client


def bid(w: World, bids: dict[tuple[str, str], str]) -> None:
    """(paper, reviewer) -> bid value, as the reviewers left them in the bidding phase."""
    with w.app.app_context():
        for (paper, reviewer), value in bids.items():
            db.session.add(Bid(submission_id=w.n(paper), reviewer_id=w.uid(reviewer), value=BidValue(value)))
        db.session.commit()


# Rita wants every paper, Rex p1, Ivan p2 and p3, Una p3 a little. The best total: p1 Rita and Rex, p2 Rita and
# Ivan, p3 Rita and Ivan (Una's 0.5 loses to their 1.0): Rita reviews 3 papers, Una none.
BIDS = {
    ("p1", "rita"): "eager",
    ("p2", "rita"): "eager",
    ("p3", "rita"): "eager",
    ("p1", "rex"): "eager",
    ("p2", "ivan"): "eager",
    ("p3", "ivan"): "eager",
    ("p3", "una"): "willing",
}


def run(chair: FlaskClient, **form: str) -> tuple[int, TestResponse]:
    """Press "Run the automatic assignment" with these choices; the proposal's id and page."""
    response = post(chair, "/chair/assignments/run", form, token_page="/chair/assignments")
    assert response.status_code == 302, text_of(response)
    match = re.fullmatch(r"/chair/proposals/(\d+)", response.headers["Location"])
    assert match is not None, response.headers["Location"]
    page = follow(chair, response)
    assert flashes(page) == [f"Proposal {match.group(1)} is ready: review it before applying."]
    return int(match.group(1)), page


def proposed(page: TestResponse) -> dict[int, list[str]]:
    """Paper number -> the reviewers a proposal page lists for it (new and kept), in order."""
    return {n: [item.split(" — ")[0] for item in items] for n, items in sections(page).items()}


def loads_after(page: TestResponse) -> dict[str, int]:
    """Reviewer -> their load after applying, from a proposal page's per-reviewer table."""
    return {row[0]: int(row[2].split()[0]) for row in table(page, "Load after applying")}


def table(page: TestResponse, marker: str) -> list[list[str]]:
    """The cells of each body row of the one table whose caption or header holds ``marker``."""
    html = page.get_data(as_text=True)
    found = [t for t in re.findall(r"<table\b.*?</table>", html, re.S) if marker in text_of_html(t.split("<tbody>")[0])]
    assert len(found) == 1, f"{len(found)} tables show {marker!r}"
    body = found[0].split("<tbody>")[1]
    return [
        [text_of_html(cell) for cell in re.findall(r"<t[hd]\b[^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def report(page: TestResponse, proposal: int) -> dict[str, str]:
    """The facts of a proposal's quality report (term -> what it says)."""
    html = page.get_data(as_text=True)
    section = re.search(rf'<section class="proposal-report" aria-labelledby="report-{proposal}">(.*?)</section>', html, re.S)
    assert section is not None, f"no report of #{proposal}"
    assert f"Quality of proposal #{proposal}" in text_of_html(section.group(1))
    return {text_of_html(dt): text_of_html(dd) for dt, dd in re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", section.group(1), re.S)}


def report_html(page: TestResponse, proposal: int) -> str:
    html = page.get_data(as_text=True)
    section = re.search(rf'<section class="proposal-report" aria-labelledby="report-{proposal}">.*?</section>', html, re.S)
    assert section is not None
    return section.group(0)


def left_out(page: TestResponse) -> str | None:
    """What the run form says of the pairs left out of the automatic assignment (None: nothing)."""
    found = re.search(r"reviewing settings; (.*?)\.", text_of(page))
    return found.group(1) if found else None


def settings(chair: FlaskClient) -> dict[str, str]:
    return form_with(chair.get("/chair/reviewing"), "default_min_load")


def stored_loads(w: World) -> tuple[tuple[int, int], dict[str, tuple[int | None, int | None]]]:
    """The workshop's default (minimum, maximum) and each reviewer's own (minimum, maximum) as saved."""
    with w.app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        people = db.session.execute(sa.select(User.email, User.min_load, User.max_load).where(User.is_reviewer)).all()
        return (ws.default_min_load, ws.default_max_load), {email: (least, most) for email, least, most in people}


def pairs_in(w: World, proposal: int) -> list[tuple[int, int]]:
    with w.app.app_context():
        result = db.session.scalar(sa.select(AssignmentProposal.result).where(AssignmentProposal.id == proposal))
        assert result is not None
        return sorted((p, r) for p, r in result["pairs"])


# --- 1. minimum loads on the reviewing settings ---------------------------------------------------------


def test_reviewing_settings_save_a_default_and_a_reviewers_minimum_load(w: World) -> None:
    chair = sign_in(w, "carla")
    rita = w.uid("rita")
    form = settings(chair)
    assert (form["default_min_load"], form[f"min-{rita}"], form[f"load-{rita}"]) == ("0", "", "")
    assert "Minimum papers per reviewer (default)" in text_of(chair.get("/chair/reviewing"))

    response = chair.post("/chair/reviewing", data=form | {"default_min_load": "1", f"min-{rita}": "3", f"load-{rita}": "4"})

    page = follow(chair, response)
    assert flashes(page) == ["The reviewing settings are saved."]
    assert "Leave empty for the defaults (at most 6, at least 1)." in text_of(page)
    saved = settings(chair)
    assert (saved["default_min_load"], saved[f"min-{rita}"], saved[f"load-{rita}"]) == ("1", "3", "4")
    default, own = stored_loads(w)
    assert default == (1, 6)
    others = ["rex@example.org", "una@example.org", "ivan@example.org"]
    assert own == {"rita@example.org": (3, 4)} | dict.fromkeys(others, (None, None))
    # A proposal shows each reviewer's minimum and maximum.
    _, preview = run(chair)
    rows = {row[0]: (row[3], row[4]) for row in table(preview, "Load after applying")}
    assert rows == {"Rita Reviewer": ("3", "4")} | dict.fromkeys(["Rex Reader", "Una Unassigned", "Ivan Insider"], ("1", "6"))


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"default_min_load": "7"}, "The default minimum load cannot be above the default maximum load."),
        ({"min-{rita}": "3", "load-{rita}": "2"}, "The minimum load of Rita Reviewer (3) is above their maximum load (2)."),
        # Her own maximum is empty: the default's (6) holds.
        ({"min-{rita}": "7"}, "The minimum load of Rita Reviewer (7) is above their maximum load (6)."),
        ({"min-{rita}": "2", "default_max_load": "1"}, "The minimum load of Rita Reviewer (2) is above their maximum load (1)."),
        ({"min-{rita}": "a few"}, "The minimum load of Rita Reviewer must be a whole number from 0 to 100."),
        ({"min-{rita}": "101"}, "The minimum load of Rita Reviewer must be a whole number from 0 to 100."),
    ],
)
def test_reviewing_settings_refuse_a_minimum_above_the_maximum_or_not_a_number(
    w: World, change: dict[str, str], problem: str
) -> None:
    chair = sign_in(w, "carla")
    rita = w.uid("rita")
    before = stored_loads(w)
    data = settings(chair) | {"reviews_per_paper": "3"} | {k.format(rita=rita): v for k, v in change.items()}

    response = chair.post("/chair/reviewing", data=data)

    assert response.status_code == 422
    assert f"Nothing was saved {problem}" in text_of(response)
    assert stored_loads(w) == before
    assert settings(chair)["reviews_per_paper"] == "2"  # nothing else of the form either


@pytest.mark.parametrize(
    ("name", "label", "typed", "fine"),
    [
        ("reviews_per_paper", "Reviews per paper", "9" * 400, "3"),
        ("default_max_load", "Maximum papers per reviewer (default)", "-" + "1" * 400, "5"),
        ("response_words", "Words a response may have", "1" * 13, "300"),
    ],
)
def test_a_number_of_hundreds_of_digits_is_refused_on_the_page(w: World, name: str, label: str, typed: str, fine: str) -> None:
    # Past 1e308, WTForms' range check raised OverflowError (a 500); every form's IntegerField (portal.forms) refuses it.
    chair = sign_in(w, "carla")
    before = stored_loads(w)
    response = chair.post("/chair/reviewing", data=settings(chair) | {name: typed})
    assert response.status_code == 422
    assert f"Please correct this problem {label}: Enter a number of at most 12 digits." in text_of(response)
    assert stored_loads(w) == before and settings(chair)["reviews_per_paper"] == "2"
    assert chair.post("/chair/reviewing", data=settings(chair) | {name: fine}).status_code == 302


# --- 2. the run form: minimum loads, balanced loads, the fairest ------------------------------------------


def test_a_minimum_load_gives_an_otherwise_idle_reviewer_a_paper(w: World) -> None:
    bid(w, BIDS)
    chair = sign_in(w, "cleo")
    p1, p2, p3 = (w.n(p) for p in ("p1", "p2", "p3"))

    first, without = run(chair)
    assert proposed(without) == {
        p1: ["Rita Reviewer", "Rex Reader"],
        p2: ["Rita Reviewer", "Ivan Insider"],
        p3: ["Rita Reviewer", "Ivan Insider"],
    }
    assert report(without, first)["Loads after applying"] == "0 to 3; 1 reviewer with no paper"

    saved = chair.post("/chair/reviewing", data=settings(chair) | {f"min-{w.uid('una')}": "1"})
    assert flashes(follow(chair, saved)) == ["The reviewing settings are saved."]
    second, with_minimum = run(chair)

    # Una gets the paper she is willing to review, in place of Rita or Ivan (both eager: either costs 0.5).
    assert "Una Unassigned" in proposed(with_minimum)[p3]
    assert loads_after(with_minimum)["Una Unassigned"] == 1
    facts = report(with_minimum, second)
    assert facts["Loads after applying"].endswith("; 0 reviewers with no paper")
    assert (facts["Total affinity"], report(without, first)["Total affinity"]) == ("5.5", "6.0")
    assert "below minimum" not in text_of(with_minimum)


def test_balanced_loads_differ_by_at_most_one(w: World) -> None:
    bid(w, BIDS)
    chair = sign_in(w, "cleo")
    p1, p2, p3 = (w.n(p) for p in ("p1", "p2", "p3"))

    first, best_total = run(chair, mode="total")
    second, balanced = run(chair, mode="total", balanced="y")

    assert loads_after(best_total) == {"Rita Reviewer": 3, "Rex Reader": 1, "Una Unassigned": 0, "Ivan Insider": 2}
    assert loads_after(balanced) == {"Rita Reviewer": 2, "Rex Reader": 1, "Una Unassigned": 1, "Ivan Insider": 2}
    assert proposed(balanced) == {
        p1: ["Rita Reviewer", "Rex Reader"],
        p2: ["Rita Reviewer", "Ivan Insider"],
        p3: ["Una Unassigned", "Ivan Insider"],
    }
    facts = report(balanced, second)
    assert facts["Optimised for"] == "the best total, loads balanced (at most 2)"
    assert facts["Loads after applying"] == "1 to 2; 0 reviewers with no paper"
    assert report(best_total, first)["Optimised for"] == "the best total"


# Fair: at most two papers each. Rex is eager for p2 and p3, Rita would take p1 only in a pinch. The best total
# gives Rex p2 and p3 (1.5 in all) and leaves p1 with Rita; the fairest moves Rex to p1 (1.0 in all, no paper
# below 0).
FAIR_BIDS = {("p1", "rita"): "in_a_pinch", ("p2", "rex"): "eager", ("p3", "rex"): "eager"}


def test_fair_mode_lifts_the_worst_served_paper_and_shows_what_the_best_total_would_be(w: World) -> None:
    bid(w, FAIR_BIDS)
    update(w.app, default_max_load=2)
    chair = sign_in(w, "cleo")
    p1 = w.n("p1")

    first, best_total = run(chair, mode="total")
    second, fairest = run(chair, mode="fair")

    assert "Rita Reviewer" in proposed(best_total)[p1] and "Rex Reader" not in proposed(best_total)[p1]
    assert "Rex Reader" in proposed(fairest)[p1] and "Rita Reviewer" not in proposed(fairest)[p1]
    assert report(best_total, first)["Worst-served paper"] == "-0.5 summed affinity"
    facts = report(fairest, second)
    assert facts["Optimised for"] == "the fairest assignment (the worst-served paper first, then the total)"
    assert facts["Total affinity"] == "1.0 (the best total would be 1.5)"
    assert facts["Worst-served paper"] == "0.0 summed affinity (with the best total: -0.5)"
    # The other proposal is offered for a comparison, each named by what it optimised for.
    choice = re.search(r'<select id="compare-with" name="with">(.*?)</select>', fairest.get_data(as_text=True), re.S)
    assert choice is not None and text_of_html(choice.group(1)).startswith(f"#{first} (best total, draft, ")


def test_the_run_form_refuses_an_unknown_mode_and_a_missing_or_forged_token(w: World) -> None:
    chair = sign_in(w, "carla")
    page = chair.get("/chair/assignments")
    assert "Optimise for Best total: the most affinity over all papers Fairest:" in text_of(page)
    assert "Balance the loads" in text_of(page)

    refused = post(chair, "/chair/assignments/run", {"mode": "cheapest"}, token_page="/chair/assignments")
    assert refused.headers["Location"] == "/chair/assignments"
    assert flashes(follow(chair, refused)) == ["Choose what to optimise for: the best total or the fairest."]
    assert chair.post("/chair/assignments/run", data={"mode": "total"}).status_code == 400
    assert chair.post("/chair/assignments/run", data={"mode": "total", "csrf_token": "forged"}).status_code == 400
    with w.app.app_context():
        counts = [db.session.scalar(sa.select(sa.func.count()).select_from(t)) for t in (Job, AssignmentProposal)]
    assert counts == [0, 0]  # nothing started
    assert "Unapplied proposals" not in text_of(chair.get("/chair/assignments"))


# --- 3. pairs left out of later runs ----------------------------------------------------------------------


def test_pairs_removed_from_a_proposal_or_never_assigned_stay_out_of_later_runs_until_assigned_by_hand(w: World) -> None:
    bid(w, BIDS)
    chair = sign_in(w, "cleo")
    p1, p2, p3 = (w.n(p) for p in ("p1", "p2", "p3"))
    rex, ivan = w.uid("rex"), w.uid("ivan")
    first, _ = run(chair)
    proposal = f"/chair/proposals/{first}"
    assert left_out(chair.get("/chair/assignments")) is None

    removed = post(chair, f"{proposal}/remove", {"number": p1, "reviewer": rex}, token_page=proposal)
    assert removed.headers["Location"] == f"{proposal}#paper-{p1}"
    never = post(chair, f"{proposal}/never", {"number": p2, "reviewer": ivan}, token_page=proposal)
    edited = follow(chair, never)
    assert proposed(edited)[p1] == ["Rita Reviewer"] and proposed(edited)[p2] == ["Rita Reviewer"]
    assert (
        left_out(chair.get("/chair/assignments"))
        == '2 pairs are left out: a chair removed them or marked them "never", or the reviewer declined'
    )

    discarded = post(chair, f"{proposal}/discard", token_page=proposal)
    assert flashes(follow(chair, discarded)) == ["The proposal is discarded."]
    _, again = run(chair)
    assert proposed(again) == {
        p1: ["Rita Reviewer", "Una Unassigned"],  # not Rex, though he is eager (Ivan conflicts)
        p2: ["Rita Reviewer", "Rex Reader"],  # not Ivan, though he is eager (Una conflicts)
        p3: ["Rita Reviewer", "Ivan Insider"],
    }

    # Assigning Rex to p1 by hand lifts his exclusion; Ivan's on p2 stands.
    added = post(chair, "/chair/assignments/add", {"number": p1, "reviewer": rex}, token_page="/chair/assignments")
    page = follow(chair, added)
    assert flashes(page) == [f"Rex Reader reviews #{p1} as Reviewer 1."]
    assert left_out(page) == '1 pair is left out: a chair removed it or marked it "never", or the reviewer declined'
    _, later = run(chair)
    assert sections(later)[p1][0] == "Rex Reader — already assigned (kept)"
    assert "Ivan Insider" not in proposed(later)[p2]


def test_a_reviewer_removed_on_the_assignments_page_is_not_proposed_again_for_that_paper(w: World, smtp: SMTPRecorder) -> None:
    bid(w, BIDS)
    chair = sign_in(w, "cleo")
    p1 = w.n("p1")
    added = post(chair, "/chair/assignments/add", {"number": p1, "reviewer": w.uid("rex")}, token_page="/chair/assignments")
    page = follow(chair, added)
    paper = re.search(rf'<tr id="paper-{p1}">.*?</tr>', page.get_data(as_text=True), re.S)
    assert paper is not None
    remove = re.search(r'<form method="post" action="(/chair/assignments/\d+/remove)"', paper.group(0))
    assert remove is not None and sections(page)[p1] == ["Reviewer 1: Rex Reader (manual) — not started Remove"]

    removed = post(chair, remove.group(1), token_page="/chair/assignments")

    page = follow(chair, removed)
    assert flashes(page) == [f"Rex Reader no longer reviews #{p1}."]
    assert sections(page)[p1] == []
    assert left_out(page) == '1 pair is left out: a chair removed it or marked it "never", or the reviewer declined'
    _, proposal = run(chair)
    assert proposed(proposal)[p1] == ["Rita Reviewer", "Una Unassigned"]  # Rex is the best there is, but removed


# --- 4. a reviewer declines a paper ---------------------------------------------------------------------


@pytest.mark.parametrize(("paper", "chairs"), [("p1", ["carla", "cleo"]), ("p3", ["cleo"])])  # Carla wrote p3
def test_a_reviewer_declines_a_paper_the_chairs_who_handle_it_are_mailed_and_later_runs_leave_the_pair_out(
    w: World, smtp: SMTPRecorder, paper: str, chairs: list[str]
) -> None:
    bid(w, BIDS)
    n = w.n(paper)
    chair, rita = sign_in(w, "cleo"), sign_in(w, "rita")
    post(chair, "/chair/assignments/add", {"number": n, "reviewer": w.uid("rita")}, token_page="/chair/assignments")
    drafted = post(rita, f"/review/papers/{n}/review", {"summary": "Half a thought.", "action": "draft", "version": ""})
    assert flashes(follow(rita, drafted)) == ["Your draft is saved. Submit it when it is ready."]
    smtp.wait_for(1)
    smtp.clear()
    page = rita.get(f"/review/papers/{n}")
    assert "Decline this paper" in text_of(page)
    reason = "I co-supervise a student of one of the authors."

    response = post(rita, f"/review/papers/{n}/decline", {"reason": reason}, token_page=f"/review/papers/{n}")

    assert response.headers["Location"] == "/review/"
    home = follow(rita, response)
    assert flashes(home) == [f"You no longer review #{n}; the chairs are told."]
    assert PAPERS[paper]["title"] not in text_of(home)
    assert rita.get(f"/review/papers/{n}").status_code == 404
    mails = mails_by_recipient(smtp, len(chairs))
    assert sorted(mails) == sorted(EMAILS[c] for c in chairs)
    for message in mails.values():
        assert subject(message) == f"[LongLLM 2024] Rita Reviewer declined #{n}"
        assert str(message["Reply-To"]) == "rita@example.org"
        body = content(message)
        assert f'Rita Reviewer declined to review #{n} "{PAPERS[paper]["title"]}".' in body
        assert f'"{PAPERS[paper]["title"]}".\n\nTheir reason: {reason}\n\nThe paper now needs another reviewer' in body
        assert f"http://localhost/chair/assignments/papers/{n}" in body
    assert (left_out(chair.get("/chair/assignments")) or "").startswith("1 pair is left out")

    # Rita is eager for the paper, but the next run leaves her out of it.
    _, proposal = run(chair)
    assert "Rita Reviewer" not in proposed(proposal)[n]
    # Her draft was kept (the chairs read it on the paper's page); assigned again by hand, it is hers again.
    assert "Drafts kept from removed reviewers" in text_of(chair.get(f"/chair/papers/{n}"))
    post(chair, "/chair/assignments/add", {"number": n, "reviewer": w.uid("rita")}, token_page="/chair/assignments")
    assert "Your review Not started." not in text_of(rita.get(f"/review/papers/{n}"))
    assert "Half a thought." in rita.get(f"/review/papers/{n}/review").get_data(as_text=True)
    assert "Drafts kept from removed reviewers" not in text_of(chair.get(f"/chair/papers/{n}"))


def test_declining_is_refused_after_the_review_is_in_with_a_long_reason_and_to_anyone_not_reviewing_it(
    w: World, smtp: SMTPRecorder
) -> None:
    n = w.n("p1")
    chair, rita, rex = sign_in(w, "cleo"), sign_in(w, "rita"), sign_in(w, "rex")
    for reviewer in ("rita", "rex"):
        post(chair, "/chair/assignments/add", {"number": n, "reviewer": w.uid(reviewer)}, token_page="/chair/assignments")
    review = {"recommendation": "4", "confidence": "3", "summary": "A careful study.", "action": "submit", "version": ""}
    submitted = post(rex, f"/review/papers/{n}/review", review)
    assert flashes(follow(rex, submitted))[0].startswith("Your review is submitted.")
    assert "Decline this paper" not in text_of(rex.get(f"/review/papers/{n}"))
    smtp.wait_for(2)
    smtp.clear()

    too_late = post(rex, f"/review/papers/{n}/decline", {"reason": "Changed my mind."}, token_page=f"/review/papers/{n}")
    too_long = post(rita, f"/review/papers/{n}/decline", {"reason": "x" * 501}, token_page=f"/review/papers/{n}")
    not_hers = post(sign_in(w, "una"), f"/review/papers/{n}/decline", {"reason": "Not mine."})
    not_a_reviewers = post(sign_in(w, "carla"), f"/review/papers/{n}/decline", {"reason": "I chair."})
    no_token = rita.post(f"/review/papers/{n}/decline", data={"reason": "No time."})

    assert too_late.status_code == 422  # (what it says: the next test)
    assert too_long.status_code == 422
    assert "Keep the reason under 500 characters." in text_of(too_long)
    assert 'id="decline" open' in too_long.get_data(as_text=True)  # the form stays open, the reason as typed
    assert (not_hers.status_code, not_a_reviewers.status_code, no_token.status_code) == (404, 404, 400)
    # Nothing changed: both still review the paper, nobody was told, no pair is left out.
    with w.app.app_context():
        assert [assignment_of(n, w.uid(r)) is not None for r in ("rita", "rex")] == [True, True]
    assert sections(chair.get("/chair/assignments"))[n] == [
        "Reviewer 1: Rita Reviewer (manual) — not started Remove",
        "Reviewer 2: Rex Reader (manual) — submitted",
    ]
    assert left_out(chair.get("/chair/assignments")) is None
    assert smtp.wait_for(1, timeout=0.3) == []


def test_a_reviewer_whose_review_is_in_is_told_why_declining_is_refused(w: World) -> None:
    n = w.n("p1")
    chair, rex = sign_in(w, "cleo"), sign_in(w, "rex")
    post(chair, "/chair/assignments/add", {"number": n, "reviewer": w.uid("rex")}, token_page="/chair/assignments")
    stale = rex.get(f"/review/papers/{n}")  # a tab opened before the review went in, its Decline form at hand
    assert "Decline this paper" in text_of(stale)
    review = {"recommendation": "4", "confidence": "3", "summary": "A careful study.", "action": "submit", "version": ""}
    assert post(rex, f"/review/papers/{n}/review", review).status_code == 302

    response = post(rex, f"/review/papers/{n}/decline", {"reason": "Changed my mind."}, token_page=f"/review/papers/{n}")

    assert response.status_code == 422
    assert "Your review of this paper is submitted: ask the chairs to remove you." in text_of(response)


# --- 5. the quality report and two proposals side by side -----------------------------------------------


def test_the_proposal_page_reports_its_quality_and_compares_it_with_another_side_by_side(w: World) -> None:
    bid(w, BIDS)
    chair = sign_in(w, "cleo")
    p1, p2, p3 = (w.n(p) for p in ("p1", "p2", "p3"))
    first, alone = run(chair)
    assert "There is no other proposal to compare with" in text_of(alone)
    second, balanced = run(chair, balanced="y")

    assert report(balanced, second) == {
        "Optimised for": "the best total, loads balanced (at most 2)",
        "New assignments": "6",
        "Total affinity": "5.5",
        "Worst-served paper": "1.5 summed affinity",
        "Affinity of the new pairs": "lowest 0.5, quartile 1.0, median 1.0, quartile 1.0, highest 1.0",
        "Loads after applying": "1 to 2; 0 reviewers with no paper",
        "Eager bids granted": "5 of 6",
        '"Not willing" used': "0",
    }
    assert table(balanced, "Reviewers by load after applying") == [["1", "2"], ["2", "2"]]
    assert table(balanced, "worst-served papers") == [
        [f"#{p3}", "1.5", "1.0, 0.5"],
        [f"#{p1}", "2.0", "1.0, 1.0"],
        [f"#{p2}", "2.0", "1.0, 1.0"],
    ]
    assert f"Compare #{second} side by side with" in text_of(balanced)

    page = chair.get(f"/chair/proposals/{second}/compare", query_string={"with": first})

    assert page.status_code == 200
    text = text_of(page)
    assert f"Proposals #{second} and #{first} side by side" in text
    assert report(page, first)["Loads after applying"] == "0 to 3; 1 reviewer with no paper"
    assert report(page, first)["Eager bids granted"] == "6 of 6"
    assert report(page, second)["Loads after applying"] == "1 to 2; 0 reviewers with no paper"
    assert "5 pairs in both." in text
    title = PAPERS["p3"]["title"]
    assert f"Only in #{second} (1) #{p3} {title} — Una Unassigned" in text
    assert f"Only in #{first} (1) #{p3} {title} — Rita Reviewer" in text
    assert chair.get(f"/chair/proposals/{second}/compare", query_string={"with": 999}).status_code == 404


def test_a_chair_who_is_an_author_sees_no_pair_or_reviewer_of_their_paper_in_the_report_or_the_comparison(w: World) -> None:
    bid(w, BIDS)
    cleo, carla = sign_in(w, "cleo"), sign_in(w, "carla")
    p1, p2, p3 = (w.n(p) for p in ("p1", "p2", "p3"))
    first, _ = run(cleo)
    second, _ = run(cleo, balanced="y")
    # The proposals differ only on p3, Carla's paper: Rita in the first, Una in the second.
    assert sorted(set(pairs_in(w, first)) ^ set(pairs_in(w, second))) == [(p3, w.uid("rita")), (p3, w.uid("una"))]

    page = carla.get(f"/chair/proposals/{first}/compare", query_string={"with": second})
    proposal = carla.get(f"/chair/proposals/{second}")

    text = text_of(page)
    assert "You are conflicted with some papers: their figures are left out." in text
    assert "4 pairs in both." in text
    assert f"Only in #{first} (0) None." in text and f"Only in #{second} (0) None." in text
    for leak in (PAPERS["p3"]["title"], "Una Unassigned", "Rita Reviewer", f"#paper-{p3}"):
        assert leak not in page.get_data(as_text=True), leak
    for pid, source in ((first, page), (second, page), (second, proposal)):
        facts = report(source, pid)
        assert (facts["New assignments"], facts["Total affinity"], facts["Eager bids granted"]) == ("4", "4.0", "4 of 4")
        assert [x for x in (f"#paper-{p3}", "Una Unassigned", "Rita Reviewer") if x in report_html(source, pid)] == []
    assert report(page, first)["Loads after applying"] == "0 to 2; 1 reviewer with no paper"  # Una: p3 is not counted
    assert table(proposal, "worst-served papers") == [[f"#{p1}", "2.0", "1.0, 1.0"], [f"#{p2}", "2.0", "1.0, 1.0"]]
    assert sorted(sections(proposal)) == [p1, p2]


def test_a_chair_who_is_an_author_does_not_read_their_own_papers_figure_as_the_worst_served(w: World) -> None:
    bid(w, BIDS)
    cleo, carla = sign_in(w, "cleo"), sign_in(w, "carla")
    run(cleo)
    balanced, page = run(cleo, balanced="y")
    assert report(page, balanced)["Worst-served paper"] == "1.5 summed affinity"  # p3, Carla's paper: Una 0.5, Ivan 1.0

    page = carla.get(f"/chair/proposals/{balanced}")

    handled = table(page, "worst-served papers")
    assert handled == [[f"#{w.n('p1')}", "2.0", "1.0, 1.0"], [f"#{w.n('p2')}", "2.0", "1.0, 1.0"]]
    assert report(page, balanced)["Worst-served paper"] == "2.0 summed affinity"


def test_a_chair_who_is_an_author_is_not_shown_who_meets_their_minimum_on_their_own_paper(w: World) -> None:
    bid(w, BIDS)
    cleo, carla = sign_in(w, "cleo"), sign_in(w, "carla")
    cleo.post("/chair/reviewing", data=settings(cleo) | {f"min-{w.uid('una')}": "1"})
    proposal, page = run(cleo)
    assert "Una Unassigned" in proposed(page)[w.n("p3")]  # her minimum is met on p3, Carla's paper
    assert "below minimum" not in text_of(page)

    page = carla.get(f"/chair/proposals/{proposal}")

    assert "below" not in report(page, proposal)["Loads after applying"]  # the solver met every minimum ...
    assert "below minimum" not in text_of(page)  # ... yet Una's row says she is below hers


def test_a_forged_pair_to_remove_or_never_assign_is_refused_and_remembered_nowhere(w: World) -> None:
    bid(w, BIDS)
    chair = sign_in(w, "cleo")
    first, _ = run(chair)
    proposal = f"/chair/proposals/{first}"
    before = proposed(chair.get(proposal))

    for action, reviewer in (("never", w.uid("ada")), ("remove", 987_654)):  # an author; nobody at all
        response = post(chair, f"{proposal}/{action}", {"number": w.n("p1"), "reviewer": reviewer}, token_page=proposal)
        page = follow(chair, response)
        assert flashes(page) == ["That pair is not in this proposal (any more)."]
        assert proposed(page) == before
    assert left_out(chair.get("/chair/assignments")) is None


def test_remind_is_offered_only_when_someone_has_an_unfinished_review(w: World) -> None:
    chair = sign_in(w, "cleo")
    before = chair.get("/chair/assignments")
    assert "Remind 0 reviewers" not in text_of(before)
    assert "there is nobody to remind" in text_of(before)
    assert 'id="remind"' in before.get_data(as_text=True)  # (the console's "Send reminders" link lands here)

    post(chair, "/chair/assignments/add", {"number": w.n("p1"), "reviewer": w.uid("rex")}, token_page="/chair/assignments")

    after = text_of(chair.get("/chair/assignments"))
    assert "Remind 1 reviewer with unfinished reviews" in after
    assert "there is nobody to remind" not in after


def test_a_pair_left_out_is_listed_with_its_reason_and_can_be_allowed_again(w: World) -> None:
    bid(w, BIDS)
    chair = sign_in(w, "cleo")
    first, _ = run(chair)
    proposal = f"/chair/proposals/{first}"
    post(chair, f"{proposal}/never", {"number": w.n("p2"), "reviewer": w.uid("ivan")}, token_page=proposal)

    page = chair.get("/chair/assignments")
    listed = text_of(page)
    assert (
        f"Pairs left out of automatic runs (1) Paper Reviewer Why Since Action #{w.n('p2')} Ivan Insider marked never by a chair"
        in listed
    )
    action = re.search(r'action="(/chair/assignments/exclusions/\d+/lift)"', page.get_data(as_text=True)).group(1)

    allowed = post(chair, action, {}, token_page="/chair/assignments")

    assert flashes(follow(chair, allowed)) == [f"Later automatic runs may propose Ivan Insider for #{w.n('p2')} again."]
    assert left_out(chair.get("/chair/assignments")) is None


def test_removing_a_reviewer_with_a_draft_asks_first_and_keeps_the_draft_to_restore(w: World, smtp: SMTPRecorder) -> None:
    n = w.n("p1")
    chair, rita = sign_in(w, "cleo"), sign_in(w, "rita")
    post(chair, "/chair/assignments/add", {"number": n, "reviewer": w.uid("rita")}, token_page="/chair/assignments")
    post(rita, f"/review/papers/{n}/review", {"summary": "Half a thought.", "action": "draft", "version": ""})
    page = chair.get("/chair/assignments").get_data(as_text=True)
    remove = re.search(r'action="(/chair/assignments/(\d+)/remove)"', page)
    assert remove is not None
    aid = int(remove.group(2))

    # Without "Yes" nothing is removed: the page says whose draft it is and that it is kept.
    asked = text_of(post(chair, remove.group(1), token_page="/chair/assignments"))
    assert f"Remove Rita Reviewer from #{n}?" in asked
    assert f"Rita Reviewer (Reviewer 1) has a draft review of #{n}" in asked
    assert "Removing them keeps the draft" in asked
    assert "Yes, remove Rita Reviewer Cancel" in asked
    assert "Half a thought." in rita.get(f"/review/papers/{n}/review").get_data(as_text=True)

    removed = post(chair, remove.group(1), {"confirm": "1"}, token_page="/chair/assignments")
    assert flashes(follow(chair, removed)) == [f"Rita Reviewer no longer reviews #{n}."]
    assert rita.get(f"/review/papers/{n}").status_code == 404
    kept = text_of(chair.get(f"/chair/papers/{n}"))
    assert "Drafts kept from removed reviewers" in kept
    assert "Rita Reviewer rita@example.org" in kept and "Summary of the paper Half a thought." in kept

    # Assigned again, the draft is hers again, as she left it.
    post(chair, "/chair/assignments/add", {"number": n, "reviewer": w.uid("rita")}, token_page="/chair/assignments")
    assert "Half a thought." in rita.get(f"/review/papers/{n}/review").get_data(as_text=True)
    assert "Drafts kept from removed reviewers" not in text_of(chair.get(f"/chair/papers/{n}"))
    assert aid > 0
