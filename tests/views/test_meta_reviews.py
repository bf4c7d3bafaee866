"""Meta-reviews (issue 21.2), in the area-chair world of tests/views/test_area_chair_papers.py (double-blind): Alma
oversees paper 1 (reviewed by Rita, not started, and Rex, submitted). She writes the meta-review on the default
meta-review form (a recommendation and a confidential note for the chairs, a meta-review for the authors); the
chairs read everything and see the recommendation beside the scores; Rex (his review in) reads the fields for the
reviewers and authors; the authors read theirs only with the letter, which may quote it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from portal.db import db
from portal.models import AreaChairAssignment, Decision, Letter, MetaReview, ReviewField, Submission, User, Workshop
from tests.conftest import SMTPRecorder, Worlds, text_of
from tests.factories import decide_and_notify
from tests.views.test_area_chair_papers import build_ac, sign_in
from tests.views.test_reviewing import World, flashes, follow, form_with, post

META = "The reviewers agree the ring schedule is sound; the memory figures asked for are in the response."
NOTE = "Confidential: the second reviewer suspects an earlier workshop version."


@pytest.fixture
def w(app: Flask, worlds: Worlds) -> World:
    world = worlds.get(app, build_ac)
    with app.app_context():
        db.session.add(AreaChairAssignment(submission_id=world.n("p1"), area_chair_id=world.uid("alma")))
        db.session.commit()
    return world


def write(w: World, *, action: str, **answers: str):
    alma = sign_in(w, "alma")
    url = f"/review/papers/{w.n('p1')}/meta-review"
    form = form_with(alma.get(url), "metareview")
    return alma, alma.post(url, data=form | answers | {"action": action})


def stored(w: World) -> list[tuple[int, dict, bool]]:
    with w.app.app_context():
        return [(m.submission_id, m.answers, m.submitted) for m in db.session.scalars(sa.select(MetaReview))]


def test_the_area_chair_writes_a_draft_then_submits_and_a_required_field_is_asked_for(w: World) -> None:
    alma, refused = write(w, action="submit", recommendation="2")
    assert refused.status_code == 422 and "Meta-review" in text_of(refused) and stored(w) == []
    alma, saved = write(w, action="draft", metareview=META)
    assert flashes(follow(alma, saved)) == ["Your draft meta-review is saved. Submit it when it is ready."]
    assert stored(w) == [(w.n("p1"), {"metareview": META}, False)]
    alma, saved = write(w, action="submit", metareview=META, recommendation="2", confidential=NOTE)
    assert flashes(follow(alma, saved))[0].startswith("Your meta-review is submitted")
    assert stored(w) == [(w.n("p1"), {"metareview": META, "recommendation": 2, "confidential": NOTE}, True)]
    assert "Submitted" in text_of(alma.get(f"/review/papers/{w.n('p1')}"))
    assert f"submitted the meta-review of #{w.n('p1')}" in text_of(alma.get("/review/area-chair"))


def test_a_meta_review_sent_twice_is_saved_once_and_a_stale_change_is_still_refused(w: World) -> None:
    alma = sign_in(w, "alma")
    url = f"/review/papers/{w.n('p1')}/meta-review"
    data = form_with(alma.get(url), "metareview") | {"metareview": META, "recommendation": "2", "action": "submit"}

    first, second = alma.post(url, data=data), alma.post(url, data=data)  # a double click on "Submit"

    assert (first.status_code, second.status_code) == (302, 302)
    assert flashes(follow(alma, second))[0].startswith("Your meta-review is submitted")
    assert stored(w) == [(w.n("p1"), {"metareview": META, "recommendation": 2}, True)]
    with w.app.app_context():
        assert db.session.scalars(sa.select(MetaReview.version)).all() == [1]  # saved once
    stale = alma.post(url, data=data | {"metareview": "Another summary."})
    assert stale.status_code == 422
    assert "The meta-review was saved (perhaps in another tab) after you opened it." in text_of(stale)
    assert stored(w) == [(w.n("p1"), {"metareview": META, "recommendation": 2}, True)]


@pytest.mark.parametrize("key", ["rex", "rita", "carla", "ines", "ada"])
def test_only_the_area_chair_writes_it(w: World, key: str) -> None:
    other = sign_in(w, key)
    assert other.get(f"/review/papers/{w.n('p1')}/meta-review").status_code == 404


def test_who_reads_which_fields_of_the_meta_review(w: World, smtp: SMTPRecorder) -> None:
    write(w, action="submit", metareview=META, recommendation="2", confidential=NOTE)
    # The chairs: every field, and the recommendation beside the scores.
    carla = sign_in(w, "carla")
    chair_page = text_of(carla.get(f"/chair/papers/{w.n('p1')}"))
    assert "The area chair recommends Accept." in chair_page
    assert META in chair_page and NOTE in chair_page and "Meta-review by Alma Area" in chair_page
    decisions_page = text_of(carla.get("/chair/decisions"))
    assert "Area chair recommends" in decisions_page and "Ring Attention Beyond a Million Tokens" in decisions_page
    assert " Accept " in decisions_page
    exported = carla.get("/chair/exports/decisions.csv").get_data(as_text=True).splitlines()
    assert exported[0].endswith(",area_chair,area_chair_recommends")
    assert any(line.endswith(",Alma Area,Accept") for line in exported[1:])
    # Rex, whose review is in: the meta-review for the authors, not the chairs' fields. Rita (none yet): nothing.
    rex = text_of(sign_in(w, "rex").get(f"/review/papers/{w.n('p1')}"))
    assert "The area chair's meta-review" in rex and META in rex and NOTE not in rex and "Accept" not in rex
    rita = text_of(sign_in(w, "rita").get(f"/review/papers/{w.n('p1')}"))
    assert META not in rita and NOTE not in rita
    # The authors: nothing before the letter.
    ada = sign_in(w, "ada")
    assert META not in text_of(ada.get(f"/submissions/{w.n('p1')}"))
    with w.app.test_request_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        ws.accept_letter = "Dear {{ authors }}, accepted.\n\n{{ meta_review }}\n"
        sub = db.session.get(Submission, w.n("p1"))
        chair = db.session.get(User, w.uid("carla"))
        decide_and_notify(ws, sub, Decision.ACCEPTED, chair)
        db.session.commit()
    page = text_of(ada.get(f"/submissions/{w.n('p1')}"))
    assert "The area chair's meta-review" in page and META in page
    assert NOTE not in page and "Alma Area" not in page
    with w.app.app_context():
        body = db.session.scalar(sa.select(Letter.body).where(Letter.submission_id == w.n("p1")))
    assert body is not None and f"accepted.\n\nMeta-review:\n{META}" in body and NOTE not in body


def test_the_chairs_follow_the_area_chairs_progress(w: World) -> None:
    carla = sign_in(w, "carla")
    page = text_of(carla.get("/chair/area-chairs"))
    assert "2 area chairs; 0 of 1 meta-reviews in; 1 submitted paper without an area chair."  # (p3 is Carla's) in page
    assert f"Alma Area alma@example.org 1 1/2 0/1 — #{w.n('p1')}" in page
    assert "Ines Inside ines@example.org 0 0/0 0/0 — —" in page
    write(w, action="submit", metareview=META, recommendation="2")
    page = text_of(carla.get("/chair/area-chairs"))
    assert f"Alma Area alma@example.org 1 1/2 1/1 Accept 1 #{w.n('p1')}" in page
    for key in ("alma", "rex", "ada"):
        assert sign_in(w, key).get("/chair/area-chairs").status_code == 403


def test_the_chairs_shape_the_meta_review_form(w: World) -> None:
    carla = sign_in(w, "carla")
    page = text_of(carla.get("/chair/review-form?form=meta"))
    assert "Meta-review form" in page and "Recommendation" in page and "Confidential note to the chairs" in page
    added = post(
        carla,
        "/chair/review-form?form=meta",
        {"label": "Best-paper candidate", "kind": "yesno", "visibility": "chairs", "help": ""},
        token_page="/chair/review-form?form=meta",
    )
    assert flashes(follow(carla, added)) == ["“Best-paper candidate” is on the meta-review form."]
    with w.app.app_context():  # on the meta-review form only
        assert [f.form for f in db.session.scalars(sa.select(ReviewField).where(ReviewField.key == "best_paper_candidate"))] == [
            "meta"
        ]
    refused = post(carla, "/chair/review-form/recommendation/retire?form=meta", token_page="/chair/review-form?form=meta")
    assert "stays on the form" in flashes(follow(carla, refused))[0]
    alma = sign_in(w, "alma")
    assert "Best-paper candidate" in text_of(alma.get(f"/review/papers/{w.n('p1')}/meta-review"))
    write(w, action="submit", metareview=META, recommendation="1", best_paper_candidate="yes")
    assert stored(w) == [(w.n("p1"), {"metareview": META, "recommendation": 1, "best_paper_candidate": True}, True)]
