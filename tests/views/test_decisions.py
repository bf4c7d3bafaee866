"""Decisions, letters through the outbox over real SMTP, what authors see, and the public accepted papers."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.db import db, utcnow
from portal.models import (
    DateKind,
    EmailState,
    FileKind,
    ImportantDate,
    Letter,
    OutgoingEmail,
    Submission,
    SubmissionType,
    Topic,
    Workshop,
)
from portal.services import submissions as svc
from tests.conftest import SMTPRecorder, smtp_up, sql_statements, text_of
from tests.factories import create_users, login, make_user
from tests.pdfs import make_pdf

AUTHORS = [("ann@example.org", "Ann Author", "Alpha University"), ("ben@example.org", "Ben Bauthor", "Beta Lab")]


@pytest.fixture
def world(app: Flask) -> dict[str, int]:
    """Two submitted papers (by Ann, by Ben), a chair who is also Ben's co-author, and a second chair."""
    with app.test_request_context():
        ws = db.session.scalar(sa.select(Workshop))
        ws.dates.append(ImportantDate(kind=DateKind.PAPER_DEADLINE, label="Paper", at=utcnow() + timedelta(days=2)))
        ws.dates.append(ImportantDate(kind=DateKind.CAMERA_READY, label="Camera", at=utcnow() + timedelta(days=30)))
        db.session.flush()
        sub_type = db.session.scalar(sa.select(SubmissionType))
        topic = db.session.scalar(sa.select(Topic))
        chair = make_user("chair@example.org", name="Carla Chair", affiliation="Workshop U", roles=("chair",))
        make_user("chair2@example.org", name="Chris Chair", affiliation="Other U", roles=("chair",))
        numbers = {}
        for email, name, aff in AUTHORS:
            user = make_user(email, name=name, affiliation=aff)
            people = [svc.AuthorInput(name, email, aff)]
            if email.startswith("ben"):
                people.append(svc.AuthorInput(chair.name, chair.email, chair.affiliation))
            details = svc.Details(
                title=f"A paper by {name}",
                abstract="Long contexts.",
                type_id=sub_type.id,
                primary_topic_id=topic.id,
                secondary_topic_ids=[],
                keywords="",
                authors=people,
                declared_conflicts="",
            )
            checked = svc.check_paper(ws, sub_type, people, make_pdf(2), "p.pdf")
            numbers[email] = svc.create_submission(user, ws, details, paper=checked).id
        db.session.execute(sa.delete(OutgoingEmail))  # the receipts are not what these tests read
        db.session.commit()
        return numbers


def client_for(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    login(client, email, "a long test passphrase")
    return client


def ticked(app: Flask, numbers: list[int]) -> list[str]:
    """The bulk form's ticked rows, each with the version of the paper the page showed ("12:3")."""
    with app.app_context():
        return [f"{n}:{db.session.get(Submission, n).version}" for n in numbers]


def token(client: FlaskClient, url: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)


def version_of(app: Flask, number: int) -> int:
    with app.app_context():
        return db.session.get(Submission, number).version


def decide(client: FlaskClient, number: int, decision: str, version: int, note: str = "", presentation: str = ""):
    return client.post(
        f"/chair/decisions/{number}",
        data={
            "csrf_token": token(client, "/chair/decisions"),
            "decision": decision,
            "version": str(version),
            "note": note,
            "presentation": presentation,
        },
        follow_redirects=True,
    )


def test_decide_prepare_send_letters_and_authors_see_the_decision(app: Flask, world: dict[str, int], smtp: SMTPRecorder) -> None:
    ann = world["ann@example.org"]
    chair = client_for(app, "chair2@example.org")
    page = decide(chair, ann, "accepted", version_of(app, ann), note="Great work.", presentation="oral")
    assert f"#{ann}: accepted." in text_of(page)
    # Before the letter, the author sees no decision.
    author = client_for(app, "ann@example.org")
    assert "accepted" not in text_of(author.get(f"/submissions/{ann}"))
    assert "Upload the camera-ready version" not in text_of(author.get(f"/submissions/{ann}"))

    prepared = chair.post(
        "/chair/letters",
        data={
            "csrf_token": token(chair, "/chair/letters"),
            "accept_letter": "Dear {{ authors }}, #{{ number }} is in ({{ presentation }}). {{ note }}",
            "reject_letter": "Dear {{ authors }}, sorry.",
            "with_reviews": "1",
        },
        follow_redirects=True,
    )
    assert "The templates are saved and 1 draft prepared." in text_of(prepared)
    # "Send all drafts" asks first: it names each letter and its recipients, and sends nothing.
    asked = text_of(chair.post("/chair/letters/send", data={"csrf_token": token(chair, "/chair/letters")}))
    assert "Send the decision letters? " in asked
    assert f"#{ann} [LongLLM 2024] #{ann} accepted: A paper by Ann Author → ann@example.org" in asked
    assert "Yes, send 1 letter Cancel" in asked
    assert "draft" in text_of(chair.get("/chair/letters"))
    sent = chair.post(
        "/chair/letters/send", data={"csrf_token": token(chair, "/chair/letters"), "confirm": "1"}, follow_redirects=True
    )
    assert "1 letter sent to the authors." in text_of(sent)
    [mail] = smtp.wait_for(1)
    assert mail["To"] == "ann@example.org"
    assert mail["Subject"] == f"[LongLLM 2024] #{ann} accepted: A paper by Ann Author"
    assert mail.get_content().strip() == f"Dear Ann Author, #{ann} is in (oral). Great work."

    detail = text_of(author.get(f"/submissions/{ann}"))
    assert "Decision: accepted (oral) Great work." in detail
    assert "Upload the camera-ready version" in detail
    # Once the letter is sent the decision is final.
    again = decide(chair, ann, "rejected", version_of(app, ann))
    assert f"The letter for #{ann} is sent; its decision is final." in text_of(again)


def test_two_chairs_deciding_at_once_cannot_overwrite_each_other(app: Flask, world: dict[str, int]) -> None:
    ann = world["ann@example.org"]
    first, second = client_for(app, "chair2@example.org"), client_for(app, "chair@example.org")
    seen = version_of(app, ann)
    decide(first, ann, "accepted", seen)
    late = decide(second, ann, "rejected", seen)
    assert (
        f"Another chair changed #{ann} after you opened this page. Reload to see their decision, then decide again. "
        "Nothing was saved."
    ) in text_of(late)
    with app.app_context():
        assert db.session.get(Submission, ann).decision.value == "accepted"


def test_a_chair_who_is_an_author_cannot_decide_their_paper(app: Flask, world: dict[str, int]) -> None:
    ben = world["ben@example.org"]
    chair = client_for(app, "chair@example.org")
    assert "A paper by Ben Bauthor" not in text_of(chair.get("/chair/decisions"))
    response = chair.post(
        f"/chair/decisions/{ben}", data={"csrf_token": token(chair, "/chair/decisions"), "decision": "accepted", "version": "1"}
    )
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Submission, ben).decision is None


def test_bulk_decisions_and_letters_with_smtp_down_stay_queued_then_deliver(
    app: Flask, world: dict[str, int], smtp: SMTPRecorder, smtp_server
) -> None:
    chair = client_for(app, "chair2@example.org")
    numbers = sorted(world.values())
    page = chair.post(
        "/chair/decisions/bulk",
        data={"csrf_token": token(chair, "/chair/decisions"), "decision": "rejected", "selected": ticked(app, numbers)},
        follow_redirects=True,
    )
    assert "2 papers marked rejected." in text_of(page)
    chair.post(
        "/chair/letters",
        data={"csrf_token": token(chair, "/chair/letters"), "accept_letter": "", "reject_letter": "Sorry, {{ authors }}."},
    )
    app.extensions["mail"].port = 1  # SMTP down
    sent = chair.post(
        "/chair/letters/send", data={"csrf_token": token(chair, "/chair/letters"), "confirm": "1"}, follow_redirects=True
    )
    assert "2 letters sent to the authors. 2 could not be delivered yet and will be retried." in text_of(sent)
    assert smtp.messages == []
    with app.app_context():
        states = [x.email.state for x in db.session.scalars(sa.select(Letter))]
        assert states == [EmailState.QUEUED, EmailState.QUEUED]
    smtp_up(app, smtp_server)
    result = app.test_cli_runner().invoke(args=["emails", "send-pending", "--include-failed"])
    assert result.output == "2 sent, 0 deferred, 0 failed.\n"
    arrived = sorted(sorted(str(m["To"]).split(", ")) for m in smtp.wait_for(2))
    assert arrived == [["ann@example.org"], ["ben@example.org", "chair@example.org"]]  # every author of each paper


def test_a_rolled_back_decision_sends_no_mail(app: Flask, world: dict[str, int], smtp: SMTPRecorder) -> None:
    ann = world["ann@example.org"]
    chair = client_for(app, "chair2@example.org")
    decide(chair, ann, "accepted", version_of(app, ann) + 5)  # a stale version: refused, rolled back
    chair.post("/chair/letters", data={"csrf_token": token(chair, "/chair/letters"), "accept_letter": "", "reject_letter": ""})
    chair.post("/chair/letters/send", data={"csrf_token": token(chair, "/chair/letters"), "confirm": "1"})
    assert smtp.messages == []


def test_broken_template_is_refused_and_sandboxed(app: Flask, world: dict[str, int]) -> None:
    chair = client_for(app, "chair2@example.org")
    page = chair.post(
        "/chair/letters",
        data={
            "csrf_token": token(chair, "/chair/letters"),
            "accept_letter": "{{ title.__class__.__mro__ }}",
            "reject_letter": "x",
        },
        follow_redirects=True,
    )
    assert "The template has an error" in text_of(page)
    broken = chair.post(
        "/chair/letters",
        data={"csrf_token": token(chair, "/chair/letters"), "accept_letter": "{% if %}", "reject_letter": "x"},
        follow_redirects=True,
    )
    assert "The template has an error" in text_of(broken)
    # A misspelt placeholder is refused with its name, not saved to print nothing in every letter.
    misspelt = chair.post(
        "/chair/letters",
        data={
            "csrf_token": token(chair, "/chair/letters"),
            "accept_letter": "Dear authors of {{ titel }},",
            "reject_letter": "x",
        },
    )
    assert misspelt.status_code == 422
    assert "The template has an error: 'titel' is undefined" in text_of(misspelt)
    # Refused, the page keeps what the chair typed, and the summary links the faulty letter, marked invalid.
    assert broken.status_code == 422
    html = broken.get_data(as_text=True)
    assert (
        '<textarea id="accept_letter" name="accept_letter" rows="12" aria-invalid="true" '
        'aria-describedby="accept_letter-error">{% if %}</textarea>' in html
    )
    assert '<a href="#accept_letter">Acceptance letter: The template has an error' in html
    assert '<textarea id="reject_letter" name="reject_letter" rows="12">x</textarea>' in html
    with app.app_context():
        assert db.session.scalars(sa.select(Workshop.accept_letter)).one() != "{% if %}"
    # A template that would build a gigantic string is stopped before it takes the worker's memory.
    huge = chair.post(
        "/chair/letters",
        data={"csrf_token": token(chair, "/chair/letters"), "accept_letter": "{{ 'x' * 10**9 }}", "reject_letter": "x"},
        follow_redirects=True,
    )
    assert "This template would produce more than 1 MB of text (line 1)." in text_of(huge)


def test_a_chair_who_is_an_author_leaves_their_papers_letter_to_another_chair(
    app: Flask, world: dict[str, int], smtp: SMTPRecorder
) -> None:
    ann, ben = world["ann@example.org"], world["ben@example.org"]
    chris = client_for(app, "chair2@example.org")
    decide(chris, ann, "accepted", version_of(app, ann))
    decide(chris, ben, "rejected", version_of(app, ben))
    carla = client_for(app, "chair@example.org")  # a co-author of Ben's paper
    templates = {"accept_letter": "Yes.", "reject_letter": "No."}
    prepared = carla.post(
        "/chair/letters", data={"csrf_token": token(carla, "/chair/letters"), **templates}, follow_redirects=True
    )
    assert "The templates are saved and 1 draft prepared." in text_of(prepared)
    sent = carla.post(
        "/chair/letters/send", data={"csrf_token": token(carla, "/chair/letters"), "confirm": "1"}, follow_redirects=True
    )
    assert "1 letter sent to the authors." in text_of(sent)
    assert [m["To"] for m in smtp.wait_for(1)] == ["ann@example.org"]
    # Chris, who wrote nothing, prepares and sends Ben's letter.
    chris.post("/chair/letters", data={"csrf_token": token(chris, "/chair/letters"), **templates})
    # Carla's confirmation says nothing of her own paper's letter; Chris's names it and its recipients.
    asked = text_of(carla.post("/chair/letters/send", data={"csrf_token": token(carla, "/chair/letters")}))
    assert "There is no draft to send" in asked
    assert f"#{ben}" not in asked and "ben@example.org" not in asked
    asked = text_of(chris.post("/chair/letters/send", data={"csrf_token": token(chris, "/chair/letters")}))
    assert "1 decision letter will be put in the outbox" in asked
    assert "→ ben@example.org, chair@example.org" in asked
    sent = chris.post(
        "/chair/letters/send", data={"csrf_token": token(chris, "/chair/letters"), "confirm": "1"}, follow_redirects=True
    )
    assert "1 letter sent to the authors." in text_of(sent)
    assert sorted(str(smtp.wait_for(2)[1]["To"]).split(", ")) == ["ben@example.org", "chair@example.org"]


def test_accepted_papers_are_public_once_published_with_the_camera_ready_pdf(
    app: Flask, world: dict[str, int], smtp: SMTPRecorder
) -> None:
    ann = world["ann@example.org"]
    visitor = app.test_client()
    assert "The accepted papers will be announced here" in text_of(visitor.get("/accepted-papers"))
    chair = client_for(app, "chair2@example.org")
    decide(chair, ann, "accepted", version_of(app, ann), presentation="poster")
    chair.post("/chair/letters", data={"csrf_token": token(chair, "/chair/letters"), "accept_letter": "", "reject_letter": ""})
    chair.post("/chair/letters/send", data={"csrf_token": token(chair, "/chair/letters"), "confirm": "1"})
    final = make_pdf(3, first_page="Ann Author, Alpha University")
    with app.test_request_context():
        ws = db.session.scalar(sa.select(Workshop))
        sub = db.session.get(Submission, ann)
        author = sub.submitter
        people = [svc.AuthorInput(a.name, a.email, a.affiliation) for a in sub.authors]
        checked = svc.check_paper(ws, sub.type, people, final, "final.pdf", kind=FileKind.CAMERA_READY)
        svc.upload_camera_ready(
            author, ws, sub, title="A paper by Ann Author (final)", authors=people, paper=checked, version=sub.version
        )
        db.session.commit()
    # Without the confirmation nothing is published: the page says which papers would become public.
    asked = text_of(chair.post("/chair/publish", data={"csrf_token": token(chair, "/chair/decisions"), "published": "1"}))
    assert "Publish the accepted papers?" in asked
    assert f"#{ann} A paper by Ann Author (final)" in asked
    assert "Yes, publish them Cancel" in asked
    with app.app_context():
        assert db.session.scalars(sa.select(Workshop)).one().accepted_published is False
    chair.post("/chair/publish", data={"csrf_token": token(chair, "/chair/decisions"), "published": "1", "confirm": "1"})
    page = text_of(visitor.get("/accepted-papers"))
    assert "A paper by Ann Author (final) poster Ann Author (Alpha University) PDF" in page
    assert "Ben Bauthor" not in page
    pdf = visitor.get(f"/accepted-papers/{ann}.pdf")
    assert pdf.data == final
    assert pdf.headers["Content-Disposition"] == f"attachment; filename=longllm2024-{ann}.pdf"
    assert visitor.get(f"/accepted-papers/{world['ben@example.org']}.pdf").status_code == 404
    # Publishing can be undone, after its own confirmation, and the audit log says so.
    asked = text_of(chair.post("/chair/publish", data={"csrf_token": token(chair, "/chair/decisions"), "published": "0"}))
    assert "Unpublish the accepted papers?" in asked
    assert visitor.get(f"/accepted-papers/{ann}.pdf").data == final
    chair.post("/chair/publish", data={"csrf_token": token(chair, "/chair/decisions"), "published": "0", "confirm": "1"})
    assert "The accepted papers will be announced here" in text_of(visitor.get("/accepted-papers"))
    assert visitor.get(f"/accepted-papers/{ann}.pdf").status_code == 404
    assert "Hid the accepted papers" in text_of(chair.get("/chair/audit"))


def test_decision_pages_are_for_chairs(app: Flask, world: dict[str, int]) -> None:
    create_users(app, {"email": "rev@example.org", "roles": ("reviewer",)})
    for email in ("ann@example.org", "rev@example.org"):
        client = client_for(app, email)
        for url in ("/chair/decisions", "/chair/letters"):
            response = client.get(url)
            assert response.status_code == 403
            assert "A paper by" not in text_of(response)


def test_prepare_and_send_letters_read_with_as_many_statements_for_60_papers_as_for_6(app: Flask) -> None:
    """No query per letter for its paper, authors or reviews: drafting and sending 60 letters reads and updates
    with the statements 6 take. (Inserts are left out: SQLite's driver inserts new rows one by one.)"""
    from portal.services import decisions
    from tests.views.test_console import add_many_papers

    def statements(fn: Any) -> int:
        with sql_statements(app) as seen:
            fn()
        return sum(not statement.lstrip().upper().startswith("INSERT") for statement in seen)

    counts = []
    with app.app_context():
        chair = make_user("chair@example.org", name="Carla Chair", roles=("chair",))
        reviewers = [make_user(roles=("reviewer",)).id for _ in range(2)]
        ws = db.session.scalar(sa.select(Workshop))
        for count in (6, 60):
            ids = add_many_papers(count, reviewers)
            db.session.execute(sa.update(Submission).where(Submission.id.in_(ids)).values(decision="accepted"))
            db.session.commit()
            counts.append(
                (
                    statements(lambda: decisions.prepare_letters(ws, actor=chair)),
                    statements(lambda: decisions.send_letters(chair, ws)),
                )
            )
            db.session.commit()
        mails = db.session.scalars(sa.select(OutgoingEmail).order_by(OutgoingEmail.id)).all()
        last = db.session.scalar(sa.select(Submission).order_by(Submission.id.desc()))
        assert [m.kind for m in mails] == ["decision_letter"] * 66
        assert mails[-1].recipients == last.authors[0].email
        assert mails[-1].subject == f"[LongLLM 2024] #{last.id} accepted: {last.title}"
    assert counts[0] == counts[1]
