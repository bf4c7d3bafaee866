"""The author response (issue 21.3), in the reviewing world of tests/views/test_reviewing.py: paper 1 by Ada (who
submitted it) and Cora, reviewed by Rita (not started) and Rex (submitted, with comments to the authors and a
confidential comment to the chairs); Ivan is conflicted with it, Una does not review it, Otto wrote paper 2.

While the response phase is open the authors read the reviews' fields meant for them, as "Reviewer N", and
write one response that both edit (a save on a stale copy is refused and the other's text shown); the reviewers
read it only after the deadline, when nobody may change it any more; the chairs tell the reviewers, who may
update their reviews, and the chairs see who did."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.db import db, utcnow
from portal.models import AuthorResponse, Decision, Phase, Submission, User, Workshop
from portal.services import decisions
from tests.conftest import SMTPRecorder, Worlds, text_of
from tests.factories import login
from tests.views.test_reviewing import PEOPLE, REX_REVIEW, World, build, content, flashes, follow, form_with, post

RESPONSE = "We thank the reviewers. Memory per device: 41 GB at one million tokens (new Table 3)."


@pytest.fixture
def w(app: Flask, worlds: Worlds) -> World:
    return worlds.get(app, build, Phase.REVIEWING, assigned=True)


def sign_in(w: World, key: str) -> FlaskClient:
    client = w.app.test_client()
    assert login(client, PEOPLE[key]["email"]).status_code == 302
    return client


def phase(w: World, *, opens: timedelta | None, closes: timedelta | None, words: int = 500) -> None:
    """The response phase relative to now (None: no response phase)."""
    with w.app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        now = utcnow()
        ws.response_opens_at = now + opens if opens is not None else None
        ws.response_deadline = now + closes if closes is not None else None
        ws.response_words = words
        db.session.commit()


def stored(w: World) -> list[tuple[int, str]]:
    with w.app.app_context():
        return [(r.submission_id, r.body) for r in db.session.scalars(sa.select(AuthorResponse))]


def respond(client: FlaskClient, w: World, body: str, version: str | None = None):
    page = client.get(f"/submissions/{w.n('p1')}")
    form = form_with(page, "body")
    if version is not None:
        form["version"] = version
    return client.post(f"/submissions/{w.n('p1')}/response", data=form | {"body": body})


def test_without_a_response_phase_the_authors_see_no_reviews_and_cannot_respond(w: World) -> None:
    ada = sign_in(w, "ada")
    page = text_of(ada.get(f"/submissions/{w.n('p1')}"))
    assert "The reviews and your response" not in page and REX_REVIEW["comments_to_authors"] not in page
    refused = post(ada, f"/submissions/{w.n('p1')}/response", {"body": RESPONSE}, token_page=f"/submissions/{w.n('p1')}")
    assert refused.status_code == 409 and "The response phase has not begun. Your response was not saved." in text_of(refused)
    assert stored(w) == []


def test_the_authors_read_the_reviews_for_them_and_write_one_response_together(w: World) -> None:
    phase(w, opens=timedelta(hours=-1), closes=timedelta(days=2))
    ada, cora = sign_in(w, "ada"), sign_in(w, "cora")
    page = text_of(ada.get(f"/submissions/{w.n('p1')}"))
    assert "The reviews and your response" in page
    assert REX_REVIEW["comments_to_authors"] in page and "Reviewer 2" in page
    for hidden in (REX_REVIEW["confidential_comments"], "Rex Reader", "rex@example.org", REX_REVIEW["summary"]):
        assert hidden not in page  # chairs-only and reviewers-only fields, and who wrote it
    # Ada writes; Cora, whose page was opened before, saves over a stale copy: refused, both texts kept.
    stale = form_with(cora.get(f"/submissions/{w.n('p1')}"), "body")
    saved = respond(ada, w, RESPONSE)
    assert "Your response is saved. The reviewers read it after the response deadline." in flashes(follow(ada, saved))
    clash = cora.post(f"/submissions/{w.n('p1')}/response", data=stale | {"body": "Cora's own answer."})
    assert clash.status_code == 409
    shown = text_of(clash)
    assert "A co-author (Ada Author) saved the response after you opened it." in shown
    assert RESPONSE in shown and "Cora's own answer." in html.unescape(clash.get_data(as_text=True))  # both there
    assert stored(w) == [(w.n("p1"), RESPONSE)]
    # Saving again from that page (it carries the version now saved) replaces it.
    again = respond(cora, w, RESPONSE + " Cora adds: the code is public.")
    assert again.status_code == 302
    assert stored(w) == [(w.n("p1"), RESPONSE + " Cora adds: the code is public.")]
    # Reviewers do not read a response while the authors may still change it; the chairs do.
    rex = sign_in(w, "rex")
    assert RESPONSE not in text_of(rex.get(f"/review/papers/{w.n('p1')}"))
    carla = sign_in(w, "carla")
    assert RESPONSE in text_of(carla.get(f"/chair/papers/{w.n('p1')}"))


def test_the_same_response_sent_twice_is_saved_once_and_an_authors_own_other_tab_is_not_called_a_co_author(
    w: World,
) -> None:
    phase(w, opens=timedelta(hours=-1), closes=timedelta(days=2))
    ada = sign_in(w, "ada")
    form = form_with(ada.get(f"/submissions/{w.n('p1')}"), "body") | {"body": RESPONSE}
    url = f"/submissions/{w.n('p1')}/response"
    first, second = ada.post(url, data=form), ada.post(url, data=form)  # a double click: the same form twice
    assert (first.status_code, second.status_code) == (302, 302)
    assert "Your response is saved. The reviewers read it after the response deadline." in flashes(follow(ada, second))
    assert stored(w) == [(w.n("p1"), RESPONSE)]
    with w.app.app_context():
        assert db.session.scalars(sa.select(AuthorResponse.version)).all() == [1]  # saved once
    # The same (stale) form with another text: refused, and it was Ada herself, not a co-author, who saved since.
    clash = ada.post(url, data=form | {"body": "A second thought."})
    assert clash.status_code == 409
    assert "You saved the response (perhaps in another tab or window) after you opened this page." in text_of(clash)
    assert "co-author" not in text_of(clash).split("Your response to the reviewers")[0]
    assert stored(w) == [(w.n("p1"), RESPONSE)]


def test_a_response_over_the_word_limit_is_refused_with_the_count(w: World) -> None:
    phase(w, opens=timedelta(hours=-1), closes=timedelta(days=2), words=10)
    ada = sign_in(w, "ada")
    refused = respond(ada, w, "one two three four five six seven eight nine ten eleven")
    assert refused.status_code == 409
    assert "The response has 11 words; the limit is 10. Shorten it and save again." in text_of(refused)
    assert stored(w) == []


@pytest.mark.parametrize("key", ["otto", "una", "ivan"])
def test_no_one_but_the_authors_may_respond_and_others_learn_nothing(w: World, key: str) -> None:
    phase(w, opens=timedelta(hours=-1), closes=timedelta(days=2))
    other = sign_in(w, key)
    refused = post(other, f"/submissions/{w.n('p1')}/response", {"body": RESPONSE}, token_page="/")
    assert refused.status_code == 404
    missing = post(other, "/submissions/987654/response", {"body": RESPONSE}, token_page="/")
    assert missing.status_code == 404 and text_of(missing) == text_of(refused)
    assert stored(w) == []


def test_a_chair_who_is_no_author_may_read_but_not_respond(w: World) -> None:
    phase(w, opens=timedelta(hours=-1), closes=timedelta(days=2))
    carla = sign_in(w, "carla")
    refused = post(carla, f"/submissions/{w.n('p1')}/response", {"body": RESPONSE}, token_page="/")
    assert refused.status_code == 403 and stored(w) == []


def test_after_the_deadline_the_reviewers_read_it_are_told_and_the_chairs_see_who_updated(w: World, smtp: SMTPRecorder) -> None:
    phase(w, opens=timedelta(hours=-1), closes=timedelta(days=2))
    ada = sign_in(w, "ada")
    assert respond(ada, w, RESPONSE).status_code == 302
    phase(w, opens=timedelta(days=-3), closes=timedelta(minutes=-1))
    assert 'name="body"' not in ada.get(f"/submissions/{w.n('p1')}").get_data(as_text=True)  # no form any more
    refused = post(ada, f"/submissions/{w.n('p1')}/response", {"body": "Too late."}, token_page="/")
    assert refused.status_code == 409 and "The response deadline has passed." in text_of(refused)
    assert stored(w) == [(w.n("p1"), RESPONSE)]
    assert RESPONSE in text_of(ada.get(f"/submissions/{w.n('p1')}"))  # (her own, read-only)

    rex = sign_in(w, "rex")
    assert RESPONSE in text_of(rex.get(f"/review/papers/{w.n('p1')}"))
    # The chair tells the reviewers, after a confirmation that says what will happen.
    carla = sign_in(w, "carla")
    asked = post(carla, "/chair/reviewing/responses/tell", {}, token_page="/chair/reviewing")
    assert "Each reviewer of the 1 paper with a response gets one mail" in text_of(asked)
    assert smtp.messages == []
    done = post(carla, "/chair/reviewing/responses/tell", {"confirm": "1"}, token_page="/chair/reviewing")
    assert flashes(follow(carla, done)) == ["2 reviewers told about the responses."]
    mails = smtp.wait_for(2)
    assert sorted(str(m["To"]) for m in mails) == ["rex@example.org", "rita@example.org"]
    assert f"#{w.n('p1')} Ring Attention Beyond a Million Tokens" in content(mails[0])
    for m in mails:
        assert "Ada" not in content(m)  # (double-blind: the mail names no author)
    # Rex updates his review: each version is kept, and the chairs see it was after the response.
    page = rex.get(f"/review/papers/{w.n('p1')}/review")
    form = form_with(page, "recommendation")
    answer = rex.post(f"/review/papers/{w.n('p1')}/review", data=form | {"recommendation": "5", "action": "submit"})
    assert answer.status_code == 302, text_of(answer)
    chair_page = text_of(carla.get(f"/chair/papers/{w.n('p1')}"))
    assert "updated after the response" in chair_page and "(after the response)" in chair_page
    settings = text_of(carla.get("/chair/reviewing"))
    assert f"#{w.n('p1')}, Reviewer 2 (Rex Reader):" in settings


def test_the_response_dates_are_set_on_the_reviewing_settings_together(w: World) -> None:
    carla = sign_in(w, "carla")
    form = form_with(carla.get("/chair/reviewing"), "response_deadline")
    one = carla.post("/chair/reviewing", data=form | {"response_opens_at": "2030-01-10 09:00", "response_deadline": ""})
    assert "Set both dates of the author response" in text_of(one)
    both = carla.post(
        "/chair/reviewing",
        data=form | {"response_opens_at": "2030-01-10 09:00", "response_deadline": "2030-01-14 23:59", "response_words": "300"},
    )
    assert flashes(follow(carla, both)) == ["The reviewing settings are saved."]
    with w.app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        assert ws.response_words == 300
        assert (
            ws.response_deadline is not None
            and ws.response_deadline.astimezone(ws.zone).strftime("%Y-%m-%d %H:%M") == "2030-01-14 23:59"
        )


def test_a_letter_can_include_the_response(w: World) -> None:
    phase(w, opens=timedelta(hours=-1), closes=timedelta(days=2))
    assert respond(sign_in(w, "ada"), w, RESPONSE).status_code == 302
    with w.app.app_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        sub = db.session.get(Submission, w.n("p1"))
        carla = db.session.scalar(sa.select(User).where(User.email == "carla@example.org"))
        decisions.record_decision(carla, sub, decision=Decision.ACCEPTED, presentation=None, note="", version=None)
        _, body = decisions.render_letter(ws, sub, templates={"accepted": "You wrote: {{ response }}"})
        assert body == f"You wrote: {RESPONSE}"
        other = db.session.get(Submission, w.n("p2"))
        decisions.record_decision(carla, other, decision=Decision.REJECTED, presentation=None, note="", version=None)
        assert decisions.render_letter(ws, other, templates={"rejected": "[{{ response }}]"})[1] == "[]"
        db.session.rollback()
