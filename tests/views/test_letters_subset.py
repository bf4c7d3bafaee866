"""Decision letters by subset (issue 20.7): a template per decision and presentation, and sending the ticked papers'
letters, or one decision's or presentation's, after a confirmation that lists exactly them; "Yes" sends exactly
the confirmed letters (over real SMTP) and refuses when they changed in between. Nothing goes out without it."""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from portal.db import db
from portal.models import Decision, Letter, Presentation, Submission, User, Workshop
from portal.services import decisions
from tests.conftest import SMTPRecorder, text_of
from tests.factories import login, make_user
from tests.views.test_group_mail import make_paper

# Five papers, one author each (Pia's p5 has the chair Chris as a co-author).
PAPERS = {
    "p1": ("Ring Attention at Scale", "ann@example.org", Decision.ACCEPTED, Presentation.ORAL),
    "p2": ("Memory Tokens", "ben@example.org", Decision.ACCEPTED, Presentation.POSTER),
    "p3": ("Positional Interpolation", "dora@example.org", Decision.ACCEPTED, None),
    "p4": ("Sparse Everything", "eve@example.org", Decision.REJECTED, None),
    "p5": ("Chunked Prefill", "pia@example.org", Decision.REJECTED, None),
}
TEMPLATES = {
    "accept_letter": "Accepted: {{ title }}.",
    "letter_accepted_oral": "Oral: {{ title }}.",
    "letter_accepted_poster": "Poster: {{ title }}.",
    "reject_letter": "Rejected: {{ title }}.",
}


@dataclass
class World:
    app: Flask
    papers: dict[str, int]

    def n(self, key: str) -> int:
        return self.papers[key]


@pytest.fixture
def world(app: Flask) -> World:
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        carla = make_user("carla@example.org", name="Carla Chair", roles=("chair",))
        chris = make_user("chris@example.org", name="Chris Chair", roles=("chair",))
        numbers = {}
        for key, (title, email, decision, presentation) in PAPERS.items():
            author = make_user(email, name=email.split("@")[0].capitalize() + " Author")
            people = [(author.name, email)] + ([(chris.name, chris.email)] if key == "p5" else [])
            sub = make_paper(ws, author, title, people)
            decisions.record_decision(carla, sub, decision=decision, presentation=presentation, note="", version=None)
            numbers[key] = sub.id
        db.session.commit()
    return World(app, numbers)


def client_for(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    login(client, email)
    return client


def token(client: FlaskClient) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/chair/letters").get_data(as_text=True)).group(1)


def prepare(client: FlaskClient) -> TestResponse:
    return client.post(
        "/chair/letters", data={"csrf_token": token(client), **TEMPLATES, "with_reviews": "1"}, follow_redirects=True
    )


def ask(client: FlaskClient, **data: object) -> TestResponse:
    """A send button of the letters page (no confirmation): answers with the confirmation page."""
    return client.post("/chair/letters/send", data={"csrf_token": token(client), **data})


def yes_form(page: TestResponse) -> dict[str, str]:
    """The hidden fields the confirmation page's "Yes" button posts, as a browser would."""
    html = page.get_data(as_text=True)
    form = re.search(r'(?s)<form method="post" action="/chair/letters/send" class="inline">(.*?)</form>', html).group(1)
    return {
        html_lib.unescape(name): html_lib.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form)
    }


def listed(page: TestResponse) -> list[str]:
    html = page.get_data(as_text=True)
    block = re.search(r'(?s)<ul class="confirm-list">(.*?)</ul>', html)
    return [html_lib.unescape(x) for x in re.findall(r"<li>(.*?)</li>", block.group(1))] if block else []


def to(message: object) -> str:
    """The mail's recipients, in alphabetical order."""
    return ", ".join(sorted(str(message["To"]).split(", ")))  # type: ignore[index]


def letter_states(app: Flask) -> dict[int, str]:
    with app.app_context():
        return {x.submission_id: x.state for x in db.session.scalars(sa.select(Letter))}


def test_each_paper_is_written_from_its_decisions_and_presentations_template(world: World, smtp: SMTPRecorder) -> None:
    carla = client_for(world.app, "carla@example.org")
    assert "The templates are saved and 5 drafts prepared." in text_of(prepare(carla))
    page = ask(carla, subset="all")
    assert listed(page) == [
        f"#{world.n('p1')} [LongLLM 2024] #{world.n('p1')} accepted: Ring Attention at Scale → ann@example.org",
        f"#{world.n('p2')} [LongLLM 2024] #{world.n('p2')} accepted: Memory Tokens → ben@example.org",
        f"#{world.n('p3')} [LongLLM 2024] #{world.n('p3')} accepted: Positional Interpolation → dora@example.org",
        f"#{world.n('p4')} [LongLLM 2024] #{world.n('p4')} decision: Sparse Everything → eve@example.org",
        f"#{world.n('p5')} [LongLLM 2024] #{world.n('p5')} decision: Chunked Prefill → chris@example.org, pia@example.org",
    ]
    assert smtp.messages == []  # asking sent nothing
    sent = carla.post("/chair/letters/send", data=yes_form(page), follow_redirects=True)
    assert "5 letters sent to the authors." in text_of(sent)
    bodies = {to(m): m.get_content().strip() for m in smtp.wait_for(5)}
    assert bodies == {
        "ann@example.org": "Oral: Ring Attention at Scale.",
        "ben@example.org": "Poster: Memory Tokens.",
        "dora@example.org": "Accepted: Positional Interpolation.",
        "eve@example.org": "Rejected: Sparse Everything.",
        "chris@example.org, pia@example.org": "Rejected: Chunked Prefill.",
    }
    # The templates page shows each template as saved; emptying the poster template falls back to the acceptance one.
    page = carla.get("/chair/letters").get_data(as_text=True)
    assert '<textarea id="letter_accepted_poster" name="letter_accepted_poster" rows="6" aria-describedby=' in page
    assert ">Poster: {{ title }}.</textarea>" in page
    carla.post("/chair/letters", data={"csrf_token": token(carla), **TEMPLATES, "letter_accepted_poster": ""})
    with world.app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        assert decisions.saved_templates(ws) == {
            "accepted": "Accepted: {{ title }}.",
            "rejected": "Rejected: {{ title }}.",
            "accepted/oral": "Oral: {{ title }}.",
        }
        p2 = db.session.get(Submission, world.n("p2"))
        assert decisions.render_letter(ws, p2)[1] == "Accepted: Memory Tokens."


def test_a_broken_presentation_template_is_refused_and_marked(world: World) -> None:
    carla = client_for(world.app, "carla@example.org")
    page = carla.post("/chair/letters", data={"csrf_token": token(carla), **TEMPLATES, "letter_accepted_oral": "{% if %}"})
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert '<a href="#letter_accepted_oral">Acceptance letter, oral: The template has an error' in html
    assert 'aria-describedby="letter_accepted_oral-error">{% if %}</textarea>' in html
    with world.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Letter)) == 0  # nothing prepared


def test_the_ticked_papers_letters_go_to_exactly_their_authors(world: World, smtp: SMTPRecorder) -> None:
    carla = client_for(world.app, "carla@example.org")
    prepare(carla)
    p1, p4 = world.n("p1"), world.n("p4")
    page = ask(carla, subset="ticked", selected=[str(p1), str(p4)])
    assert "Send the decision letters?" in text_of(page)
    assert "2 decision letters of the ticked papers will be put in the outbox" in text_of(page)
    assert listed(page) == [
        f"#{p1} [LongLLM 2024] #{p1} accepted: Ring Attention at Scale → ann@example.org",
        f"#{p4} [LongLLM 2024] #{p4} decision: Sparse Everything → eve@example.org",
    ]
    form = yes_form(page)
    assert form["papers"] == f"{p1},{p4}"
    assert smtp.messages == [] and set(letter_states(world.app).values()) == {"draft"}
    sent = carla.post("/chair/letters/send", data=form, follow_redirects=True)
    assert "2 letters sent to the authors." in text_of(sent)
    assert sorted(str(m["To"]) for m in smtp.wait_for(2)) == ["ann@example.org", "eve@example.org"]
    assert letter_states(world.app) == {
        p1: "sent",
        world.n("p2"): "draft",
        world.n("p3"): "draft",
        p4: "sent",
        world.n("p5"): "draft",
    }
    # The same confirmation posted again sends nothing more (its one-time token is used).
    carla.post("/chair/letters/send", data=form, follow_redirects=True)
    assert len(smtp.wait_for(3, timeout=0.5)) == 2


def test_one_presentations_letters_go_to_exactly_those_papers(world: World, smtp: SMTPRecorder) -> None:
    carla = client_for(world.app, "carla@example.org")
    prepare(carla)
    page = carla.get("/chair/letters")
    assert "Accepted papers, poster (1 ready)" in text_of(page)
    asked = ask(carla, subset="group", group="accepted/poster")
    p2 = world.n("p2")
    assert listed(asked) == [f"#{p2} [LongLLM 2024] #{p2} accepted: Memory Tokens → ben@example.org"]
    assert "1 decision letter of accepted papers, poster will be put in the outbox" in text_of(asked)
    carla.post("/chair/letters/send", data=yes_form(asked), follow_redirects=True)
    assert [str(m["To"]) for m in smtp.wait_for(1)] == ["ben@example.org"]
    # Then all the rejected papers: p4 and p5.
    asked = ask(carla, subset="group", group="rejected")
    assert [x.split(" ")[0] for x in listed(asked)] == [f"#{world.n('p4')}", f"#{world.n('p5')}"]
    carla.post("/chair/letters/send", data=yes_form(asked), follow_redirects=True)
    assert sorted(to(m) for m in smtp.wait_for(3)[1:]) == ["chris@example.org, pia@example.org", "eve@example.org"]
    assert [s for s in letter_states(world.app).values()].count("draft") == 2  # p1 and p3 wait


def test_a_letter_changed_after_the_confirmation_sends_nothing(world: World, smtp: SMTPRecorder) -> None:
    carla = client_for(world.app, "carla@example.org")
    prepare(carla)
    p1, p2 = world.n("p1"), world.n("p2")
    asked = ask(carla, subset="ticked", selected=[str(p1), str(p2)])
    form = yes_form(asked)
    # Meanwhile another chair edits p2's letter.
    chris = client_for(world.app, "chris@example.org")
    with world.app.app_context():
        letter_id = db.session.scalar(sa.select(Letter.id).where(Letter.submission_id == p2))
    chris.post(f"/chair/letters/{letter_id}", data={"csrf_token": token(chris), "subject": "Changed", "body": "Another text."})
    refused = carla.post("/chair/letters/send", data=form)
    assert refused.status_code == 409
    assert "Nothing was sent: these letters changed since you confirmed them" in text_of(refused)
    assert f"#{p2} Changed → ben@example.org" in listed(refused)  # the page as it is now
    assert smtp.wait_for(1, timeout=0.3) == [] and set(letter_states(world.app).values()) == {"draft"}
    # A decision changed in between (the draft is now stale): refused too, p1's letter included.
    asked = ask(carla, subset="ticked", selected=[str(p1), str(p2)])
    with world.app.app_context():
        sub = db.session.get(Submission, p1)
        carla_user = db.session.scalar(sa.select(User).where(User.email == "carla@example.org"))
        decisions.record_decision(carla_user, sub, decision=Decision.REJECTED, presentation=None, note="", version=None)
        db.session.commit()
    refused = carla.post("/chair/letters/send", data=yes_form(asked))
    assert refused.status_code == 409
    assert smtp.wait_for(1, timeout=0.3) == [] and set(letter_states(world.app).values()) == {"draft"}
    # A list other than the one confirmed (a paper added to the form) is refused as well.
    asked = ask(carla, subset="ticked", selected=[str(p2)])
    tampered = yes_form(asked) | {"papers": f"{p2},{world.n('p3')}"}
    assert carla.post("/chair/letters/send", data=tampered).status_code == 409
    assert smtp.wait_for(1, timeout=0.3) == []


def test_a_chair_who_is_an_author_cannot_send_or_see_their_papers_letter(world: World, smtp: SMTPRecorder) -> None:
    carla = client_for(world.app, "carla@example.org")
    prepare(carla)
    chris = client_for(world.app, "chris@example.org")  # a co-author of p5
    p5 = world.n("p5")
    asked = ask(chris, subset="ticked", selected=[str(p5)])
    assert listed(asked) == []
    assert "There is no draft of the ticked papers to send" in text_of(asked)
    assert "Chunked Prefill" not in text_of(asked) and "pia@example.org" not in text_of(asked)
    assert "Chunked Prefill" not in text_of(chris.get("/chair/letters"))
    form = yes_form(asked)
    assert form["papers"] == ""
    assert chris.post("/chair/letters/send", data=form | {"papers": str(p5)}).status_code == 409
    assert smtp.wait_for(1, timeout=0.3) == []


def test_the_decisions_page_sends_the_ticked_papers_letters_after_asking(world: World, smtp: SMTPRecorder) -> None:
    carla = client_for(world.app, "carla@example.org")
    prepare(carla)
    p3 = world.n("p3")
    with world.app.app_context():
        version = db.session.get(Submission, p3).version
    asked = carla.post(
        "/chair/letters/send",
        data={"csrf_token": token(carla), "subset": "ticked", "selected": f"{p3}:{version}", "next": "/chair/decisions?page=1"},
    )
    assert listed(asked) == [f"#{p3} [LongLLM 2024] #{p3} accepted: Positional Interpolation → dora@example.org"]
    assert '<a href="/chair/decisions?page=1">Cancel</a>' in asked.get_data(as_text=True)
    carla.post("/chair/letters/send", data=yes_form(asked), follow_redirects=True)
    assert [str(m["To"]) for m in smtp.wait_for(1)] == ["dora@example.org"]


def test_the_letters_list_is_paged_and_filtered(world: World) -> None:
    carla = client_for(world.app, "carla@example.org")
    prepare(carla)
    page = text_of(carla.get("/chair/letters?group=rejected"))
    assert "2 letters." in page
    assert "Sparse Everything" in page and "Chunked Prefill" in page and "Memory Tokens" not in page
    page = text_of(carla.get("/chair/letters?group=accepted/oral&state=draft"))
    assert "1 letter." in page and "Ring Attention at Scale" in page and "Positional Interpolation" not in page
    assert "No letter matches." in text_of(carla.get("/chair/letters?state=sent"))
