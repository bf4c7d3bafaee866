"""Area chairs on papers (issue 21.2), in the reviewing world of tests/views/test_reviewing.py (double-blind here):
paper 1 by Ada and Cora, reviewed by Rita (not started) and Rex (submitted); Alma and Ines are area chairs, Ines
at Ada's institution (conflicted with paper 1); Carla chairs.

A chair picks a paper's area chair from a search; a conflicted area chair cannot be chosen and never sees the
paper (404), as a conflicted reviewer."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.db import db, utcnow
from portal.models import AreaChairAssignment, ExtraReviewRequest, Phase, ReviewAssignment, User, Workshop
from portal.services import api_tokens
from tests.conftest import SMTPRecorder, Worlds, text_of
from tests.factories import login, make_user
from tests.views.test_reviewing import PEOPLE, REX_COMMENT, REX_REVIEW, World, build, flashes, follow, post

AREA_CHAIRS = {
    "alma": {"email": "alma@example.org", "name": "Alma Area", "affiliation": "Area University", "roles": ("area_chair",)},
    "ines": {"email": "ines@example.org", "name": "Ines Inside", "affiliation": "Alpha Institute", "roles": ("area_chair",)},
}


def build_ac(app: Flask) -> World:
    world = build(app, Phase.REVIEWING, assigned=True)
    with app.app_context():
        for key, spec in AREA_CHAIRS.items():
            world.users[key] = make_user(**spec).id
        db.session.scalars(sa.select(Workshop)).one().double_blind = True
        db.session.commit()
    return world


@pytest.fixture
def w(app: Flask, worlds: Worlds) -> World:
    return worlds.get(app, build_ac)


def sign_in(w: World, key: str) -> FlaskClient:
    client = w.app.test_client()
    email = (PEOPLE.get(key) or AREA_CHAIRS[key])["email"]
    assert login(client, email).status_code == 302
    return client


def area_chair_rows(w: World) -> list[tuple[int, int]]:
    with w.app.app_context():
        return [
            tuple(r) for r in db.session.execute(sa.select(AreaChairAssignment.submission_id, AreaChairAssignment.area_chair_id))
        ]


def make_area_chair(w: World, paper: str, key: str) -> None:
    """As if a chair had chosen them (also one conflicted since)."""
    with w.app.app_context():
        db.session.add(AreaChairAssignment(submission_id=w.n(paper), area_chair_id=w.uid(key)))
        db.session.commit()


def test_a_chair_picks_the_area_chair_from_a_search_without_the_conflicted(w: World, smtp: SMTPRecorder) -> None:
    carla = sign_in(w, "carla")
    picker = f"/chair/assignments/papers/{w.n('p1')}/area-chair"
    page = text_of(carla.get(picker))
    assert "No area chair yet." in page
    assert (
        "1 area chair, best first: by the paper's topics they chose, then by fewest papers overseen; "
        "1 conflicted area chair is not listed." in page
    )
    assert "Alma Area Area University 0 0 Choose" in page and "Ines Inside" not in page
    shown = text_of(carla.get(picker + "?conflicted=1"))
    assert "Ines Inside Alpha Institute 0 0 Conflict: shares the institution Alpha Institute with author Ada Author" in shown
    assert "Ines Inside for #" not in carla.get(picker + "?conflicted=1").get_data(as_text=True)  # no Choose button
    assert "1 area chair match “ines”" in text_of(carla.get(picker + "?q=ines&conflicted=1"))

    chosen = post(carla, f"/chair/papers/{w.n('p1')}/area-chair", {"person": w.uid("alma")}, token_page=picker)
    assert flashes(follow(carla, chosen)) == [f"Alma Area is the area chair of #{w.n('p1')}."]
    assert area_chair_rows(w) == [(w.n("p1"), w.uid("alma"))]
    [mail] = smtp.wait_for(1)
    assert mail["To"] == "alma@example.org" and mail["Subject"] == f"[LongLLM 2024] You are the area chair of #{w.n('p1')}"
    assert "Ring Attention Beyond a Million Tokens" in mail.get_content()
    assert "Alma Area alma@example.org oversees this paper." in text_of(carla.get(f"/chair/papers/{w.n('p1')}"))
    assert "Area chair: Alma Area" in text_of(carla.get(f"/chair/assignments?q=%23{w.n('p1')}"))

    removed = post(carla, f"/chair/papers/{w.n('p1')}/area-chair", {"clear": "1", "from": "paper"}, token_page=picker)
    assert flashes(follow(carla, removed)) == [f"#{w.n('p1')} has no area chair any more."]
    assert area_chair_rows(w) == []


def test_a_conflicted_area_chair_is_refused_and_a_non_area_chair_too(w: World) -> None:
    carla = sign_in(w, "carla")
    picker = f"/chair/assignments/papers/{w.n('p1')}/area-chair"
    refused = post(carla, f"/chair/papers/{w.n('p1')}/area-chair", {"person": w.uid("ines")}, token_page=picker)
    assert flashes(follow(carla, refused)) == [
        f"Ines Inside conflicts with #{w.n('p1')}: shares the institution Alpha Institute with author Ada Author "
        "(Alpha Institute)."
    ]
    refused = post(carla, f"/chair/papers/{w.n('p1')}/area-chair", {"person": w.uid("rex")}, token_page=picker)
    assert flashes(follow(carla, refused)) == ["Rex Reader is not an area chair; make them one on the members page first."]
    assert area_chair_rows(w) == []


@pytest.mark.parametrize("key", ["alma", "rex", "ada"])
def test_only_chairs_choose_area_chairs(w: World, key: str) -> None:
    other = sign_in(w, key)
    picker = f"/chair/assignments/papers/{w.n('p1')}/area-chair"
    assert other.get(picker).status_code == 403
    refused = post(other, f"/chair/papers/{w.n('p1')}/area-chair", {"person": w.uid("alma")}, token_page="/")
    assert refused.status_code == 403 and area_chair_rows(w) == []


def test_the_area_chair_reads_the_reviews_but_not_who_wrote_the_paper_and_a_conflicted_one_sees_nothing(w: World) -> None:
    make_area_chair(w, "p1", "alma")
    alma = sign_in(w, "alma")
    page = text_of(alma.get(f"/review/papers/{w.n('p1')}"))
    assert "Ring Attention Beyond a Million Tokens" in page
    for seen in (REX_REVIEW["comments_to_authors"], REX_REVIEW["confidential_comments"], REX_COMMENT):
        assert seen in page
    for hidden in ("Ada Author", "ada@example.org", "Cora Coauthor", "Alpha Institute", "Hugo Hidden"):
        assert hidden not in page
    assert alma.get(f"/review/papers/{w.n('p2')}").status_code == 404  # not theirs
    assert alma.get(f"/submissions/{w.n('p1')}").status_code == 404  # the authors' page is not for them

    make_area_chair(w, "p2", "ines")
    with w.app.app_context():  # Ines becomes p1's area chair although conflicted (a conflict that appeared later)
        db.session.execute(
            sa.update(AreaChairAssignment)
            .where(AreaChairAssignment.submission_id == w.n("p1"))
            .values(area_chair_id=w.uid("ines"))
        )
        db.session.commit()
    ines = sign_in(w, "ines")
    missing = ines.get("/review/papers/987654")
    refused = ines.get(f"/review/papers/{w.n('p1')}")
    assert refused.status_code == 404 and text_of(refused) == text_of(missing)
    assert ines.get(f"/review/papers/{w.n('p1')}/pdf").status_code == 404
    assert ines.get(f"/review/papers/{w.n('p2')}").status_code == 200
    # Her home (and the API's list of it) has paper 2 only.
    home = text_of(ines.get("/review/area-chair"))
    assert "Memory Tokens for Endless Dialogue" in home and "Ring Attention" not in home and "1 paper;" in home
    with w.app.app_context():
        user = db.session.get(User, w.uid("ines"))
        secret = api_tokens.create_token(user, user, name="t", scope="read")[1]
        db.session.commit()
    listed = w.app.test_client().get("/api/v1/area-chair/papers", headers={"Authorization": f"Bearer {secret}"})
    assert [p["number"] for p in listed.get_json()["items"]] == [w.n("p2")]


def review_deadline_passed(w: World) -> None:
    with w.app.app_context():
        db.session.scalars(sa.select(Workshop)).one().review_deadline = utcnow() - timedelta(hours=1)
        db.session.commit()


def test_the_area_chair_home_lists_their_papers_with_the_reviews_progress(w: World) -> None:
    alma = sign_in(w, "alma")
    assert "No papers yet: the chairs give you papers to oversee." in text_of(alma.get("/review/area-chair"))
    make_area_chair(w, "p1", "alma")
    make_area_chair(w, "p2", "alma")
    review_deadline_passed(w)
    page = text_of(alma.get("/review/area-chair"))
    assert "2 papers; 1 of 4 reviews in; 3 late." in page
    assert f"{w.n('p1')} Ring Attention Beyond a Million Tokens 1/2 1 4.00 0 — — write the meta-review of #{w.n('p1')}" in page
    assert f"{w.n('p2')} Memory Tokens for Endless Dialogue 0/2 2 — — — — write" in page
    assert "Ada Author" not in page and "Otto Other" not in page
    for key in ("rex", "ada", "carla"):  # not area chairs
        assert sign_in(w, key).get("/review/area-chair").status_code == 403


def test_the_area_chair_reminds_a_late_reviewer_by_mail(w: World, smtp: SMTPRecorder) -> None:
    make_area_chair(w, "p1", "alma")
    review_deadline_passed(w)
    alma = sign_in(w, "alma")
    paper = f"/review/papers/{w.n('p1')}"
    page = text_of(alma.get(paper))
    assert "Reviewer 1: Rita Reviewer (rita@example.org) · not started · late Remind" in page
    assert "Reviewer 2: Rex Reader (rex@example.org) · submitted" in page
    [rita, rex] = _assignment_ids(w, "p1")
    done = post(alma, f"{paper}/remind/{rita}", token_page=paper)
    assert flashes(follow(alma, done)) == ["Reviewer 1 is reminded by mail."]
    [mail] = smtp.wait_for(1)
    assert mail["To"] == "rita@example.org" and mail["Reply-To"] == "alma@example.org"
    assert mail["Subject"] == f"[LongLLM 2024] Reminder: your review of #{w.n('p1')}"
    assert "a friendly reminder from the area chair, Alma Area, of LongLLM 2024" in " ".join(mail.get_content().split())
    refused = post(alma, f"{paper}/remind/{rex}", token_page=paper)
    assert flashes(follow(alma, refused)) == ["Reviewer 2 has submitted their review already."]
    for key in ("rex", "carla", "ines"):  # a reviewer of the paper, a chair (no area chair), another area chair
        assert post(sign_in(w, key), f"{paper}/remind/{rita}", token_page="/").status_code == 404
    assert smtp.wait_for(2, timeout=0.3) == [mail]


def test_the_area_chair_asks_for_an_extra_review_and_the_chairs_see_it(w: World) -> None:
    make_area_chair(w, "p1", "alma")
    alma = sign_in(w, "alma")
    paper = f"/review/papers/{w.n('p1')}"
    empty = post(alma, f"{paper}/extra-review", {"reason": "  "}, token_page=paper)
    assert empty.status_code == 422 and "Write between 1 and 2,000 characters." in text_of(empty)
    asked = post(alma, f"{paper}/extra-review", {"reason": "Nobody here knows sequence parallelism."}, token_page=paper)
    assert flashes(follow(alma, asked)) == [
        "The chairs see your request for an extra review on the paper's page and the console."
    ]
    assert "They have not yet marked it done." in text_of(alma.get(paper))
    again = post(alma, f"{paper}/extra-review", {"reason": "Again."}, token_page=paper)
    assert "You have asked for an extra review of this paper already" in flashes(follow(alma, again))[0]

    carla = sign_in(w, "carla")
    assert "#1 Ring Attention Beyond a Million Tokens: Alma Area" in text_of(carla.get("/chair/")).replace(f"#{w.n('p1')}", "#1")
    chair_page = f"/chair/papers/{w.n('p1')}"
    assert "An extra review is asked for by Alma Area" in text_of(carla.get(chair_page))
    with w.app.app_context():
        rid = db.session.scalar(sa.select(ExtraReviewRequest.id))
    done = post(carla, f"{chair_page}/extra-reviews/{rid}/done", token_page=chair_page)
    assert flashes(follow(carla, done)) == [f"The extra review asked for #{w.n('p1')} is marked done."]
    assert "An extra review is asked for" not in text_of(carla.get(chair_page))
    assert post(sign_in(w, "rex"), f"{paper}/extra-review", {"reason": "x"}, token_page="/").status_code == 404


def _assignment_ids(w: World, paper: str) -> list[int]:
    with w.app.app_context():
        return list(
            db.session.scalars(
                sa.select(ReviewAssignment.id)
                .where(ReviewAssignment.submission_id == w.n(paper))
                .order_by(ReviewAssignment.ordinal)
            )
        )


# --- the permission matrix of the area chairs' routes -------------------------------------------------------

# Who: the authors of p1 (Ada, Cora), another author (Otto), p1's reviewers (Rita, not started; Rex, submitted), a
# reviewer of other papers (Una), a reviewer conflicted with p1 (Ivan), the chair (Carla), p1's area chair (Alma),
# an area chair conflicted with p1 (Ines), and an anonymous visitor (None: sent to sign in).
MATRIX_ROLES = [None, "ada", "cora", "otto", "rita", "rex", "una", "ivan", "carla", "alma", "ines"]


def matrix(allowed: dict[str, int], others: int) -> dict[str | None, int]:
    return {role: (302 if role is None else allowed.get(role, others)) for role in MATRIX_ROLES}


def test_the_area_chairs_routes_answer_each_person_as_they_may(w: World, smtp: SMTPRecorder) -> None:
    make_area_chair(w, "p1", "alma")
    n = w.n("p1")
    [rita, _rex] = _assignment_ids(w, "p1")
    routes: list[tuple[str, str, dict[str, str], dict[str | None, int]]] = [
        ("GET", "/review/area-chair", {}, matrix({"alma": 200, "ines": 200}, 403)),
        ("GET", f"/review/papers/{n}", {}, matrix({"alma": 200, "rita": 200, "rex": 200, "carla": 200}, 404)),
        ("GET", f"/review/papers/{n}/meta-review", {}, matrix({"alma": 200}, 404)),
        ("POST", f"/review/papers/{n}/remind/{rita}", {}, matrix({"alma": 302}, 404)),
        ("POST", f"/review/papers/{n}/extra-review", {"reason": ""}, matrix({"alma": 422}, 404)),
        ("POST", f"/review/papers/{n}/meta-review", {"action": "submit"}, matrix({"alma": 422}, 404)),
        ("POST", f"/review/papers/{n}/area-chair/decline", {"ac-reason": "x" * 501}, matrix({"alma": 422}, 404)),
        ("GET", "/chair/area-chairs", {}, matrix({"carla": 200}, 403)),
        ("GET", f"/chair/assignments/papers/{n}/area-chair", {}, matrix({"carla": 200}, 403)),
        ("POST", f"/chair/papers/{n}/area-chair", {"person": str(w.uid("alma"))}, matrix({"carla": 302}, 403)),
    ]
    clients = {role: (sign_in(w, role) if role else w.app.test_client()) for role in MATRIX_ROLES}
    found = {}
    for method, url, data, _ in routes:
        for role, client in clients.items():
            response = client.get(url) if method == "GET" else post(client, url, data, token_page="/" if role else "/auth/login")
            found[(method, url, role)] = response.status_code
            if role is None:
                assert response.headers["Location"].startswith("/auth/login"), (url, response.headers["Location"])
            if response.status_code in (403, 404):  # a refusal tells nothing of the paper
                assert "Ring Attention Beyond a Million Tokens" not in text_of(response)
    assert found == {(m, u, role): code for m, u, _, expected in routes for role, code in expected.items()}
    # Nothing changed but Alma's reminder (one mail to Rita); the area chair is Alma still, and no extra review.
    assert [m["To"] for m in smtp.wait_for(1)] == ["rita@example.org"]
    assert area_chair_rows(w) == [(n, w.uid("alma"))]
    with w.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ExtraReviewRequest)) == 0


def test_in_the_discussion_the_reviewers_read_the_area_chair_as_such_and_get_a_mail(w: World, smtp: SMTPRecorder) -> None:
    make_area_chair(w, "p1", "alma")
    alma = sign_in(w, "alma")
    paper = f"/review/papers/{w.n('p1')}"
    posted = post(alma, f"{paper}/discussion", {"body": "Rita, is your review coming?"}, token_page=paper)
    assert flashes(follow(alma, posted)) == ["Your comment is posted; the other participants get a mail."]
    rex_page = text_of(sign_in(w, "rex").get(paper))
    assert "The area chair" in rex_page and "Rita, is your review coming?" in rex_page and "Alma Area" not in rex_page
    assert "Alma Area" in text_of(sign_in(w, "carla").get(f"/chair/papers/{w.n('p1')}"))
    to = sorted(str(m["To"]) for m in smtp.wait_for(2))
    assert to == ["carla@example.org", "rex@example.org"]  # Rita has not reviewed yet: she reads no discussion
    [to_rex] = [m for m in smtp.messages if m["To"] == "rex@example.org"]
    assert "The area chair" in to_rex.get_content() and "Alma Area" not in to_rex.get_content()
