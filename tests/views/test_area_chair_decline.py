"""Area chairs can say no (issue 21.5, as reviewers do), in the area-chair world of test_area_chair_papers.py
(double-blind): paper 1 by Ada and Cora, reviewed by Rita and Rex; Alma oversees it; Ines is an area chair at Ada's
institution (conflicted with paper 1) and oversees paper 2; Carla chairs and handles papers 1 and 2.

Alma declines paper 1 with a reason, or declares a conflict the portal missed: the paper has no area chair, Carla
gets a mail with the reason and a link to choose another, the area chairs page and the picker show the pair left
out with the reason, and later automatic runs never propose it. Nobody else may decline for her (404), and once
her meta-review is in she may not decline any more."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask

from portal.db import db
from portal.models import AreaChairExclusion, AuditEvent, ConflictOverride
from tests.conftest import SMTPRecorder, Worlds, text_of
from tests.views.test_area_chair_assignment import proposals, run
from tests.views.test_area_chair_papers import area_chair_rows, build_ac, make_area_chair, sign_in
from tests.views.test_meta_reviews import META
from tests.views.test_reviewing import World, content, flashes, follow, form_with, post, subject

REASON = "My student is a co-author of a closely related paper under review."


@pytest.fixture
def w(app: Flask, worlds: Worlds) -> World:
    world = worlds.get(app, build_ac)
    make_area_chair(world, "p1", "alma")
    make_area_chair(world, "p2", "ines")
    return world


def decline_url(w: World, paper: str = "p1") -> str:
    return f"/review/papers/{w.n(paper)}/area-chair/decline"


def left_out(w: World) -> list[tuple[int, int, str, str]]:
    with w.app.app_context():
        return [
            (x.submission_id, x.area_chair_id, x.reason.value, x.note)
            for x in db.session.scalars(sa.select(AreaChairExclusion).order_by(AreaChairExclusion.id))
        ]


def left_out_rows(page: str) -> list[str]:
    """The lines of the area chairs page's "Pairs left out of automatic runs", as text."""
    table = re.search(r'<details id="left-out">(.*?)</details>', page, re.S)
    if table is None:
        return []
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)[1:]
    return [" ".join(re.sub(r"<[^>]+>", " ", r).split()) for r in rows]


def test_an_area_chair_declines_a_paper_the_chair_is_mailed_and_later_runs_leave_the_pair_out(
    w: World, smtp: SMTPRecorder
) -> None:
    n = w.n("p1")
    alma, carla = sign_in(w, "alma"), sign_in(w, "carla")
    page = alma.get(f"/review/papers/{n}")
    assert "Decline to oversee this paper" in text_of(page)
    assert "I cannot oversee it (no time, not my field)" in text_of(page)

    response = post(alma, decline_url(w), {"ac-why": "cannot", "ac-reason": REASON}, token_page=f"/review/papers/{n}")

    assert response.headers["Location"] == "/review/area-chair"
    home = follow(alma, response)
    assert flashes(home) == [f"You no longer oversee #{n}; the chairs are told."]
    assert "Ring Attention Beyond a Million Tokens" not in text_of(home)
    assert alma.get(f"/review/papers/{n}").status_code == 404
    assert alma.get(f"/review/papers/{n}/meta-review").status_code == 404
    assert area_chair_rows(w) == [(w.n("p2"), w.uid("ines"))]
    assert left_out(w) == [(n, w.uid("alma"), "declined", REASON)]
    [mail] = smtp.wait_for(1)
    assert (mail["To"], subject(mail), str(mail["Reply-To"])) == (
        "carla@example.org",
        f"[LongLLM 2024] Alma Area declined #{n} as its area chair",
        "alma@example.org",
    )
    assert content(mail).strip() == (
        "Dear chair of Workshop on Long-Context Large Language Models,\n\n"
        f'Alma Area declined to be the area chair of #{n} "Ring Attention Beyond a Million Tokens".\n\n'
        f"Their reason: {REASON}\n\n"
        "The paper now has no area chair; the automatic assignment will not propose Alma Area for it again.\n"
        "Choose another area chair (each one's load, topics in common and conflicts): "
        f"http://localhost/chair/assignments/papers/{n}/area-chair"
    )

    # The chair sees the pair left out with the reason, and finds a replacement from there.
    rows = left_out_rows(carla.get("/chair/area-chairs").get_data(as_text=True))
    assert len(rows) == 1 and rows[0].startswith(f"#{n} Alma Area declined by the area chair: “{REASON}”"), rows
    assert f"Choose an area chair for #{n}" in rows[0]
    picker = text_of(carla.get(f"/chair/assignments/papers/{n}/area-chair"))
    assert "No area chair yet." in picker
    assert f"Alma Area Area University 0 0 Left out of automatic runs (declined by the area chair: “{REASON}”)" in picker
    with w.app.app_context():
        assert (
            db.session.scalar(
                sa.select(AuditEvent.summary).where(AuditEvent.action == "paper.area_chair").order_by(AuditEvent.id.desc())
            )
            == f"Alma Area (area chair) declined #{n}"
        )

    # The next run leaves Alma out of paper 1 (and Ines is conflicted with it): nobody may take it.
    number, proposal = run(carla)
    assert proposals(w)[-1] == (number, "draft", [])
    assert f"#{n} Ring Attention Beyond a Million Tokens — none possible" in proposal

    # Chosen again by hand, the pair is allowed again.
    chosen = post(carla, f"/chair/papers/{n}/area-chair", {"person": w.uid("alma")}, token_page="/chair/area-chairs")
    assert flashes(follow(carla, chosen)) == [f"Alma Area is the area chair of #{n}."]
    assert left_out(w) == []


def test_an_area_chair_declares_a_conflict_the_portal_missed(w: World, smtp: SMTPRecorder) -> None:
    n = w.n("p1")
    alma, carla = sign_in(w, "alma"), sign_in(w, "carla")
    response = post(
        alma, decline_url(w), {"ac-why": "conflict", "ac-reason": "A former adviser."}, token_page=f"/review/papers/{n}"
    )
    assert flashes(follow(alma, response)) == [f"You no longer oversee #{n}: your conflict is recorded and the chairs are told."]
    assert alma.get(f"/review/papers/{n}").status_code == 404
    [mail] = smtp.wait_for(1)
    assert subject(mail) == f"[LongLLM 2024] Alma Area declared a conflict with #{n} as its area chair"
    assert "declared a conflict of interest with" in content(mail) and "Their reason: A former adviser." in content(mail)
    with w.app.app_context():
        assert [
            (o.submission_id, o.reviewer_id, o.conflicted, o.note) for o in db.session.scalars(sa.select(ConflictOverride))
        ] == [(n, w.uid("alma"), True, "declared by the area chair: A former adviser.")]
    # The picker lists her as conflicted only when asked, in her words, and she cannot be chosen.
    picker = text_of(carla.get(f"/chair/assignments/papers/{n}/area-chair"))
    assert "Alma Area" not in picker and "2 conflicted area chairs are not listed" in picker
    shown = text_of(carla.get(f"/chair/assignments/papers/{n}/area-chair?conflicted=1"))
    assert "Alma Area Area University 0 0 Conflict: declared by the area chair: A former adviser." in shown
    refused = post(carla, f"/chair/papers/{n}/area-chair", {"person": w.uid("alma")}, token_page="/chair/area-chairs")
    assert flashes(follow(carla, refused))[0].startswith(f"Alma Area conflicts with #{n}")
    assert area_chair_rows(w) == [(w.n("p2"), w.uid("ines"))]
    # The conflicts page lists it with the area chairs' other conflicts, in her words, and the chair lifts it there.
    listed = text_of(carla.get(f"/chair/conflicts?q={n}"))
    assert "Alma Area (area chair) declared by the area chair: A former adviser. Lift" in listed
    assert "Ines Inside (area chair) shares the institution Alpha Institute with author Ada Author" in listed
    searched = text_of(carla.get("/chair/conflicts?who=alma"))
    assert "1 conflicted pair of 1 reviewer matching “alma”" in searched
    lift = post(carla, f"/chair/conflicts/{n}/{w.uid('alma')}/lift", {}, token_page="/chair/conflicts")
    assert flashes(follow(carla, lift)) == [f"The conflict of Alma Area with #{n} is lifted."]
    chosen = post(carla, f"/chair/papers/{n}/area-chair", {"person": w.uid("alma")}, token_page="/chair/area-chairs")
    assert flashes(follow(carla, chosen)) == [f"Alma Area is the area chair of #{n}."]


def test_declining_is_refused_to_anyone_else_with_a_bad_reason_and_without_a_token(w: World, smtp: SMTPRecorder) -> None:
    n = w.n("p1")
    alma = sign_in(w, "alma")
    refusals = {}
    for key in ("ines", "rita", "rex", "carla", "ada", "una"):  # another area chair, reviewers, the chair, an author
        client = sign_in(w, key)
        response = post(client, decline_url(w), {"ac-reason": "Not mine."}, token_page="/")
        refusals[key] = (
            response.status_code,
            text_of(response) == text_of(post(client, "/review/papers/987654/area-chair/decline", {}, token_page="/")),
        )
    assert refusals == dict.fromkeys(refusals, (404, True))
    anonymous = post(w.app.test_client(), decline_url(w), {"ac-reason": "x"}, token_page="/auth/login")
    assert anonymous.headers["Location"].startswith("/auth/login")

    too_long = post(alma, decline_url(w), {"ac-reason": "x" * 501}, token_page=f"/review/papers/{n}")
    wrong_choice = post(alma, decline_url(w), {"ac-why": "bored"}, token_page=f"/review/papers/{n}")
    no_token = alma.post(decline_url(w), data={"ac-reason": "No time."})
    forged = alma.post(decline_url(w), data={"ac-reason": "No time.", "ac-csrf_token": "forged", "csrf_token": "forged"})

    assert too_long.status_code == 422
    assert "Keep the reason under 500 characters." in text_of(too_long)
    assert 'id="decline-area-chair" open' in too_long.get_data(as_text=True)  # the form stays open, the reason as typed
    assert "x" * 501 in too_long.get_data(as_text=True)
    assert text_of(too_long).startswith("Error: ")
    assert wrong_choice.status_code == 422 and "Not a valid choice" in text_of(wrong_choice)
    assert (no_token.status_code, forged.status_code) == (400, 400)
    # Nothing changed: Alma oversees paper 1 still, no pair is left out, nobody was told.
    assert sorted(area_chair_rows(w)) == sorted([(n, w.uid("alma")), (w.n("p2"), w.uid("ines"))])
    assert left_out(w) == []
    assert smtp.wait_for(1, timeout=0.3) == []


def test_an_area_chair_whose_meta_review_is_in_is_told_why_declining_is_refused(w: World, smtp: SMTPRecorder) -> None:
    n = w.n("p1")
    alma = sign_in(w, "alma")
    stale = alma.get(f"/review/papers/{n}")  # a tab opened before the meta-review went in, its Decline form at hand
    assert "Decline to oversee this paper" in text_of(stale)
    url = f"/review/papers/{n}/meta-review"
    form = form_with(alma.get(url), "metareview")
    submitted = alma.post(url, data=form | {"metareview": META, "recommendation": "2", "action": "submit"})
    assert flashes(follow(alma, submitted))[0].startswith("Your meta-review is submitted")
    assert "Decline to oversee this paper" not in text_of(alma.get(f"/review/papers/{n}"))

    response = post(alma, decline_url(w), {"ac-reason": "Changed my mind."}, token_page=f"/review/papers/{n}")

    assert response.status_code == 422
    assert "Your meta-review of this paper is submitted: ask the chairs to take you off it." in text_of(response)
    assert sorted(area_chair_rows(w)) == sorted([(n, w.uid("alma")), (w.n("p2"), w.uid("ines"))])
    assert left_out(w) == [] and smtp.wait_for(1, timeout=0.3) == []
