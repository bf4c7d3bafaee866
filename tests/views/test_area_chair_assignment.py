"""The automatic area-chair assignment (issue 22.5), in the area chairs' world of test_area_chair_papers.py: paper 1
by Ada and Cora, paper 2 by Otto, paper 3 by Carla (the chair) and Otto; Alma and Ines are area chairs, Ines at
Ada's institution (conflicted with paper 1). Carla handles papers 1 and 2.

A run makes a proposal: nothing changes (no row, no mail) until the chair applies it; a pair the chair takes out
(or an area chair she takes off a paper) is never proposed again; the loads she sets are honoured or the page says
why not."""

from __future__ import annotations

import random

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.db import db
from portal.models import (
    AreaChairAssignment,
    AreaChairExclusion,
    AreaChairProposal,
    ConflictOverride,
    ProposalState,
    Submission,
    User,
    Workshop,
)
from portal.services import area_chair_assignment
from tests.conftest import SMTPRecorder, Worlds, text_of
from tests.factories import make_user
from tests.views.test_area_chair_papers import area_chair_rows, build_ac, make_area_chair, sign_in
from tests.views.test_reviewing import World, flashes, follow, post

PAGE = "/chair/area-chairs"


@pytest.fixture
def w(app: Flask, worlds: Worlds) -> World:
    return worlds.get(app, build_ac)


def run(client: FlaskClient, mode: str = "total", balanced: bool = True) -> tuple[int, str]:
    """Run the automatic assignment from the area chairs page; the proposal's id and its page's text."""
    data = {"mode": mode} | ({"balanced": "y"} if balanced else {})
    done = follow(client, post(client, f"{PAGE}/auto", data, token_page=PAGE))
    [message] = flashes(done)
    number = int(message.split()[2])
    assert message == f"Area-chair proposal {number} is ready: review it before applying."
    return number, text_of(done)


def proposals(w: World) -> list[tuple[int, str, list[list[int]]]]:
    with w.app.app_context():
        return [
            (p.id, p.state.value, p.result["pairs"])
            for p in db.session.scalars(sa.select(AreaChairProposal).order_by(AreaChairProposal.id))
        ]


def left_out(w: World) -> list[tuple[int, int, str]]:
    with w.app.app_context():
        return [
            (x.submission_id, x.area_chair_id, x.reason.value)
            for x in db.session.scalars(sa.select(AreaChairExclusion).order_by(AreaChairExclusion.id))
        ]


def test_a_run_proposes_and_nothing_changes_until_the_chair_applies(w: World, smtp: SMTPRecorder) -> None:
    carla = sign_in(w, "carla")
    number, page = run(carla)
    p1, p2 = w.n("p1"), w.n("p2")
    # The proposal, paper by paper: Ines is conflicted with p1, so Alma; the balanced loads give Ines p2.
    assert f"#{p1} Ring Attention Beyond a Million Tokens — Alma Area affinity" in page
    assert f"#{p2} Memory Tokens for Endless Dialogue — Ines Inside affinity" in page
    assert "2 papers you handle would get an area chair" in page and "State: draft." in page
    assert "Positional Interpolation Revisited" not in page  # Carla's own paper: not hers to give
    assert "Area chairs by load after applying" in page and "Eager bids granted" not in page
    assert "Alma Area 0 1 0 2" in page and "Ines Inside 0 1 0 2" in page  # now, after, minimum, maximum (the even share)
    assert area_chair_rows(w) == [] and smtp.wait_for(0) == []

    applied = post(carla, f"{PAGE}/proposals/{number}/apply", token_page=f"{PAGE}/proposals/{number}")
    assert flashes(follow(carla, applied)) == ["2 papers got an area chair; each area chair got a mail listing their new papers."]
    assert sorted(area_chair_rows(w)) == [(p1, w.uid("alma")), (p2, w.uid("ines"))]
    mails = {m["To"]: m for m in smtp.wait_for(2)}
    assert mails["alma@example.org"]["Subject"] == "[LongLLM 2024] You are the area chair of 1 paper"
    assert "Ring Attention Beyond a Million Tokens" in mails["alma@example.org"].get_content()
    assert proposals(w) == [(number, "applied", [[p1, w.uid("alma")], [p2, w.uid("ines")]])]
    again = post(carla, f"{PAGE}/proposals/{number}/apply", token_page=PAGE)
    assert flashes(follow(carla, again)) == ["This proposal was applied or discarded already."]
    nothing = follow(carla, post(carla, f"{PAGE}/auto", {"mode": "total"}, token_page=PAGE))
    assert flashes(nothing) == ["Every submitted paper you handle has an area chair."]


def test_a_discarded_proposal_changes_nothing(w: World, smtp: SMTPRecorder) -> None:
    carla = sign_in(w, "carla")
    number, _ = run(carla)
    gone = post(carla, f"{PAGE}/proposals/{number}/discard", token_page=PAGE)
    assert flashes(follow(carla, gone)) == ["The proposal is discarded; nothing changed."]
    assert area_chair_rows(w) == [] and smtp.wait_for(0) == [] and proposals(w)[0][1] == "discarded"
    late = post(carla, f"{PAGE}/proposals/{number}/apply", token_page=PAGE)
    assert flashes(follow(carla, late)) == ["This proposal was applied or discarded already."]
    assert area_chair_rows(w) == []


def test_the_proposal_shows_what_changes_against_the_current_area_chairs(w: World) -> None:
    make_area_chair(w, "p2", "ines")
    carla = sign_in(w, "carla")
    number, page = run(carla)
    p1, p2 = w.n("p1"), w.n("p2")
    assert "1 paper you handle would get an area chair" in page
    assert f"#{p1} Ring Attention Beyond a Million Tokens — Alma Area" in page and f"#{p2} Memory" not in page
    every = text_of(carla.get(f"{PAGE}/proposals/{number}?show=all"))
    assert f"#{p2} Memory Tokens for Endless Dialogue Ines Inside (kept) —" in every
    assert f"#{p1} Ring Attention Beyond a Million Tokens — Alma Area" in every
    assert "Ines Inside 1 1 0 2" in every and "Alma Area 0 1 0 2" in every  # Ines keeps hers; Alma's changes first
    searched = text_of(carla.get(f"{PAGE}/proposals/{number}?show=all&q=memory"))
    assert "1 paper match “memory”" in searched and "Ring Attention" not in searched
    assert area_chair_rows(w) == [(p2, w.uid("ines"))]


def test_a_pair_the_chair_took_out_is_never_proposed_again(w: World) -> None:
    carla = sign_in(w, "carla")
    p1, p2 = w.n("p1"), w.n("p2")
    number, _ = run(carla)
    proposal_page = f"{PAGE}/proposals/{number}"
    out = post(carla, f"{proposal_page}/never", {"number": p1, "person": w.uid("alma")}, token_page=proposal_page)
    assert flashes(follow(carla, out)) == [
        f"#{p1} has no proposed area chair now; that area chair is never proposed for it again."
    ]
    assert proposals(w) == [(number, "draft", [[p2, w.uid("ines")]])]
    assert left_out(w) == [(p1, w.uid("alma"), "never")]
    forged = post(carla, f"{proposal_page}/remove", {"number": p1, "person": w.uid("ines")}, token_page=proposal_page)
    assert flashes(follow(carla, forged)) == ["That area chair is not proposed for that paper in this proposal (any more)."]
    post(carla, f"{proposal_page}/discard", token_page=proposal_page)

    # The next run: p1 has nobody (Ines conflicted, Alma left out), and the page says why.
    second, page = run(carla)
    assert proposals(w)[-1] == (second, "draft", [[p2, w.uid("alma")]])
    assert (
        f"1 paper would get no area chair: #{p1}. 1 of them has no area chair who may oversee it (every one "
        "conflicted, or left out by a chair): " in page
    )
    assert "none possible" in page
    listed = text_of(carla.get(PAGE))
    assert "Pairs left out of automatic runs (1) " in listed and f"#{p1} Alma Area marked never by a chair" in listed

    # An area chair the chair takes off a paper by hand is left out too; choosing one by hand lifts it.
    make_area_chair(w, "p2", "ines")
    picker = f"/chair/assignments/papers/{p2}/area-chair"
    post(carla, f"/chair/papers/{p2}/area-chair", {"clear": "1"}, token_page=picker)
    assert left_out(w) == [(p1, w.uid("alma"), "never"), (p2, w.uid("ines"), "removed")]
    post(carla, f"/chair/papers/{p1}/area-chair", {"person": w.uid("alma")}, token_page=picker)
    assert left_out(w) == [(p2, w.uid("ines"), "removed")]
    third, page = run(carla)
    assert proposals(w)[-1] == (third, "draft", [[p2, w.uid("alma")]])

    # "Allow again" on the area chairs page.
    with w.app.app_context():
        x = db.session.scalars(sa.select(AreaChairExclusion)).one().id
    allowed = post(carla, f"{PAGE}/exclusions/{x}/lift", token_page=PAGE)
    assert flashes(follow(carla, allowed)) == [f"Ines Inside may be proposed as the area chair of #{p2} again."]
    assert left_out(w) == []


def test_the_loads_the_chair_sets_are_honoured_or_the_page_says_why(w: World) -> None:
    carla = sign_in(w, "carla")
    p1, p2 = w.n("p1"), w.n("p2")
    alma, ines = w.uid("alma"), w.uid("ines")
    saved = post(carla, f"{PAGE}/loads", {"default_max": "1", "default_min": "", f"acmax-{alma}": "0"}, token_page=PAGE)
    assert flashes(follow(carla, saved)) == ["The area chairs' loads are saved."]
    with w.app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        assert (ws.ac_default_max_load, ws.ac_default_min_load) == (1, 0)
        assert db.session.get(User, alma).ac_max_load == 0 and db.session.get(User, ines).ac_max_load is None
    number, page = run(carla)
    assert proposals(w)[-1] == (number, "draft", [[p2, ines]])  # Alma takes none; Ines may not take p1
    assert (
        f"1 paper would get no area chair: #{p1}. The area chairs' maximum loads leave room for 1 more paper and 2 "
        "need an area chair: raise the maximum loads (the default or some area chairs' own), or add area chairs." in page
    )
    assert "Alma Area 0 0 0 0" in page and "Ines Inside 0 1 0 1" in page

    # A minimum Ines cannot reach (p1 is conflicted): the proposal says who and why.
    post(carla, f"{PAGE}/loads", {"default_max": "", f"acmax-{alma}": "", f"acmin-{ines}": "2"}, token_page=PAGE)
    number, page = run(carla)
    assert sorted(proposals(w)[-1][2]) == [[p1, alma], [p2, ines]]
    assert "1 area chair stays below their minimum load (1 paper short): Ines Inside (1 short)." in page
    assert "Ines Inside 0 1 below minimum 2 2" in page


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"default_max": "0"}, "Number must be between 1 and 10000."),
        ({"default_max": "lots"}, "Not a valid integer value."),
        ({"default_min": "-3"}, "Number must be between 0 and 10000."),
        ({"default_max": "9" * 400}, "Number must be between 1 and 10000."),
        ({"acmax-ALMA": "x"}, "The maximum load of Alma Area must be a whole number from 0 to 10000."),
        ({"acmin-ALMA": " 1e3 "}, "The minimum load of Alma Area must be a whole number from 0 to 10000."),
        (
            {"default_max": "2", "default_min": "3"},
            "The default minimum load of the area chairs cannot be above their default maximum load.",
        ),
        ({"acmax-ALMA": "1", "acmin-ALMA": "2"}, "The minimum load of Alma Area (2) is above their maximum load (1)."),
    ],
)
def test_hostile_loads_are_refused_with_a_message_and_nothing_saved(w: World, data: dict[str, str], problem: str) -> None:
    carla = sign_in(w, "carla")
    alma = w.uid("alma")
    refused = post(carla, f"{PAGE}/loads", {k.replace("ALMA", str(alma)): v for k, v in data.items()}, token_page=PAGE)
    assert refused.status_code == 422
    assert problem in text_of(refused)
    with w.app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        assert (ws.ac_default_max_load, ws.ac_default_min_load) == (None, 0)
        assert (db.session.get(User, alma).ac_max_load, db.session.get(User, alma).ac_min_load) == (None, None)


def test_a_proposal_is_not_applied_on_area_chairs_changed_since(w: World, smtp: SMTPRecorder) -> None:
    carla = sign_in(w, "carla")
    number, _ = run(carla)
    make_area_chair(w, "p2", "alma")  # as if chosen by hand meanwhile
    refused = post(carla, f"{PAGE}/proposals/{number}/apply", token_page=PAGE)
    assert flashes(follow(carla, refused)) == [
        "The area chairs changed since this proposal was computed (one was chosen or removed by hand, or another "
        "proposal was applied): run it again."
    ]
    assert area_chair_rows(w) == [(w.n("p2"), w.uid("alma"))] and smtp.wait_for(0) == []
    assert proposals(w)[0][1] == "draft"


@pytest.mark.parametrize("key", ["alma", "rex", "ada"])
def test_only_chairs_run_see_and_apply_area_chair_proposals(w: World, key: str) -> None:
    number, _ = run(sign_in(w, "carla"))
    other = sign_in(w, key)
    assert other.get(f"{PAGE}/proposals/{number}").status_code == 403
    for path, data in (
        (f"{PAGE}/auto", {"mode": "total"}),
        (f"{PAGE}/proposals/{number}/apply", {}),
        (f"{PAGE}/proposals/{number}/never", {"number": w.n("p1"), "person": w.uid("alma")}),
        (f"{PAGE}/loads", {"default_max": "1"}),
    ):
        refused = post(other, path, data, token_page="/")
        assert refused.status_code == 403 and "Ring Attention" not in text_of(refused)
    assert area_chair_rows(w) == [] and left_out(w) == [] and proposals(w)[0][1] == "draft"
    with w.app.app_context():
        assert db.session.scalars(sa.select(Workshop)).one().ac_default_max_load is None


def _random_world(app: Flask, seed: int) -> tuple[list[int], dict[int, tuple[int, int]], set[tuple[int, int]]]:
    """More papers and area chairs on top of the world, each area chair with random loads of their own and random
    pairs left out; returns the papers wanted, the loads (min, max) and the pairs not allowed."""
    rng = random.Random(seed)
    with app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        template = db.session.scalars(sa.select(Submission).order_by(Submission.id)).first()
        people = [
            make_user(email=f"ac{seed}-{i}@example.org", name=f"Area {i}", affiliation=f"Lab {i}", roles=("area_chair",))
            for i in range(rng.randint(2, 4))
        ]
        for u in people:
            u.ac_max_load = rng.randint(0, 4)
            u.ac_min_load = rng.randint(0, u.ac_max_load)
        for key in ("alma@example.org", "ines@example.org"):
            db.session.scalars(sa.select(User).where(User.email == key)).one().is_area_chair = False
        for i in range(rng.randint(2, 6)):
            db.session.add(
                Submission(
                    workshop_id=ws.id,
                    submitter_id=None,  # (nobody's paper: only the random pairs left out stand in the way)
                    title=f"Paper {i} on topic {rng.randint(0, 3)}",
                    abstract="Long contexts, again.",
                    keywords="",
                    primary_topic_id=template.primary_topic_id,
                    type_id=template.type_id,
                    state=template.state,
                )
            )
        db.session.flush()
        carla = db.session.scalars(sa.select(User).where(User.email == "carla@example.org")).one()
        wanted = list(db.session.scalars(area_chair_assignment._wanted(carla, ws)))
        banned = {(p, u.id) for p in wanted for u in people if rng.random() < 0.3}
        for p, a in sorted(banned):
            db.session.add(AreaChairExclusion(submission_id=p, area_chair_id=a, reason="never"))
        db.session.commit()
        return wanted, {u.id: (u.ac_min_load, u.ac_max_load) for u in people}, banned


def _best_cover(wanted: list[int], loads: dict[int, tuple[int, int]], banned: set[tuple[int, int]]) -> tuple[int, bool]:
    """By brute force: the most papers that can get an area chair within the maximum loads, and whether some
    assignment covering that many meets every minimum too."""
    people = sorted(loads)
    best, met = 0, False

    def walk(i: int, used: dict[int, int], covered: int) -> None:
        nonlocal best, met
        if i == len(wanted):
            ok = all(used[a] >= loads[a][0] for a in people)
            if covered > best:
                best, met = covered, ok
            elif covered == best:
                met = met or ok
            return
        walk(i + 1, used, covered)
        for a in people:
            if (wanted[i], a) not in banned and used[a] < loads[a][1]:
                used[a] += 1
                walk(i + 1, used, covered + 1)
                used[a] -= 1

    walk(0, dict.fromkeys(people, 0), 0)
    return best, met


@pytest.mark.parametrize("seed", range(4))
def test_random_small_instances_honour_every_load_exactly(app: Flask, worlds: Worlds, seed: int) -> None:
    w = worlds.get(app, build_ac)
    wanted, loads, banned = _random_world(app, seed)
    carla = sign_in(w, "carla")
    _, page = run(carla, balanced=False)
    [(_, _, pairs)] = proposals(w)
    given: dict[int, int] = dict.fromkeys(loads, 0)
    for paper, person in pairs:
        assert paper in wanted and person in loads and (paper, person) not in banned
        given[person] += 1
    assert len({p for p, _ in pairs}) == len(pairs)  # one area chair a paper
    assert all(given[a] <= loads[a][1] for a in loads)  # never past a maximum
    most, minimums_reachable = _best_cover(wanted, loads, banned)
    assert len(pairs) == most  # as many papers as the loads allow
    below = sorted(a for a in loads if given[a] < loads[a][0])
    if minimums_reachable:
        assert below == []  # every minimum met when some assignment of as many papers meets them
    named = ", ".join(f"Area {sorted(loads).index(a)} ({loads[a][0] - given[a]} short)" for a in below)
    assert (f"below their minimum load ({sum(loads[a][0] - given[a] for a in below)} paper" in page) == bool(below)
    assert named in page
    assert ("would get no area chair" in page) == (len(pairs) < len(wanted))


def test_the_same_world_gives_the_same_proposal_whatever_the_order(w: World) -> None:
    """Determinism: the same database twice gives the same pairs (the solver's ties break by id)."""
    carla = sign_in(w, "carla")
    first, _ = run(carla)
    post(carla, f"{PAGE}/proposals/{first}/discard", token_page=PAGE)
    second, _ = run(carla)
    [(_, _, a), (_, _, b)] = proposals(w)
    assert a == b
    with w.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AreaChairProposal)) == 2
        assert db.session.get(AreaChairProposal, second).state == ProposalState.DRAFT
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AreaChairAssignment)) == 0


def test_a_conflicted_area_chair_is_never_proposed_whatever_the_conflict(w: World) -> None:
    """Ines shares Ada's institution (paper 1); paper 2's author declared a conflict with Una, now an area chair
    too; a chair marked Alma conflicted with paper 2. Paper 2 can only be Ines's; paper 1 Alma's or Una's."""
    with w.app.app_context():
        db.session.get(User, w.uid("una")).is_area_chair = True
        db.session.add(ConflictOverride(submission_id=w.n("p2"), reviewer_id=w.uid("alma"), conflicted=True, note="advisor"))
        db.session.commit()
    carla = sign_in(w, "carla")
    _, page = run(carla, balanced=False)
    [(_, _, pairs)] = proposals(w)
    assert dict(map(tuple, pairs))[w.n("p2")] == w.uid("ines")
    assert dict(map(tuple, pairs))[w.n("p1")] in {w.uid("alma"), w.uid("una")}
    assert "Ines Inside 0 1 0 1" in page  # the even share: 3 papers, 3 area chairs


def test_the_area_chairs_are_found_by_name_and_saving_changes_those_listed_only(w: World) -> None:
    with w.app.app_context():
        db.session.get(User, w.uid("alma")).ac_max_load = 5
        db.session.commit()
    carla = sign_in(w, "carla")
    found = text_of(carla.get(f"{PAGE}?q=ines"))
    assert "1 area chair match “ines”." in found and "Ines Inside ines@example.org" in found
    assert "Alma Area alma@example.org" not in found
    listed = f"{PAGE}?q=ines"
    saved = post(carla, f"{PAGE}/loads?q=ines", {"default_max": "", f"acmax-{w.uid('ines')}": "3"}, token_page=listed)
    assert saved.headers["Location"].endswith(f"{PAGE}?q=ines#loads")
    with w.app.app_context():
        assert (db.session.get(User, w.uid("ines")).ac_max_load, db.session.get(User, w.uid("alma")).ac_max_load) == (3, 5)
    assert "No area chair matches." in text_of(carla.get(f"{PAGE}?q=nobody"))


def test_a_conflict_that_appeared_since_the_run_stops_the_proposal(w: World, smtp: SMTPRecorder) -> None:
    carla = sign_in(w, "carla")
    number, _ = run(carla)
    with w.app.app_context():  # Alma, proposed for p1, declares a conflict with it meanwhile (as a chair would set)
        db.session.add(ConflictOverride(submission_id=w.n("p1"), reviewer_id=w.uid("alma"), conflicted=True, note="friend"))
        db.session.commit()
    refused = post(carla, f"{PAGE}/proposals/{number}/apply", token_page=PAGE)
    assert flashes(follow(carla, refused)) == [
        f"Nothing was applied: the area chair proposed for #{w.n('p1')} conflicts with it now. Run the assignment again."
    ]
    assert area_chair_rows(w) == [] and smtp.wait_for(0) == [] and proposals(w)[0][1] == "draft"


def test_two_area_chair_proposals_side_by_side(w: World) -> None:
    make_area_chair(w, "p2", "ines")
    carla = sign_in(w, "carla")
    first, page = run(carla)
    assert "There is no other proposal to compare with" in page
    with w.app.app_context():  # a second run, as if Alma had been left out of p1 meanwhile: Una takes it
        db.session.get(User, w.uid("una")).is_area_chair = True
        db.session.add(AreaChairExclusion(submission_id=w.n("p1"), area_chair_id=w.uid("alma"), reason="never"))
        db.session.commit()
    second, _ = run(carla)
    choice = text_of(carla.get(f"{PAGE}/proposals/{second}/compare"))
    assert f"Compare #{second} side by side with #{first} (best total, draft," in choice
    both = text_of(carla.get(f"{PAGE}/proposals/{second}/compare?with={first}"))
    assert f"Proposals #{second} and #{first} side by side" in both
    assert both.count("Area chairs by load after applying") == 2 and "Eager bids granted" not in both
    assert "0 pairs in both." in both
    assert f"Only in #{second} (1) #{w.n('p1')} Ring Attention Beyond a Million Tokens — Una Unassigned" in both
    assert f"Only in #{first} (1) #{w.n('p1')} Ring Attention Beyond a Million Tokens — Alma Area" in both
    assert carla.get(f"{PAGE}/proposals/{second}/compare?with=999").status_code == 404
