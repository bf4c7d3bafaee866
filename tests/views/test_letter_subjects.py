"""The decision letters worded like the system mails (issue 21.7): each decision's and presentation's letter has a
subject the chairs word on the letters page, in the same sandbox and with the same placeholders as its text; the
portal's own subject is the default, byte for byte; the letters' templates and subjects reset to the portal's
after a confirmation, and the drafts are prepared again as saving them prepares them.

What is checked: the default subjects are today's ("[LongLLM 2024] #1 accepted: Title") with nothing saved and
with the default saved, for accepted (oral, poster, none) and rejected papers, titles with markup and braces
included; a worded subject is the subject of the letter that arrives over SMTP; hostile subjects (line breaks,
over the limit, a syntax error, a sandbox escape, one that comes out empty) are refused with the reason on the
page and nothing is saved; the reset asks, restores, keeps hand-edited drafts and the drafts' choice of reviews,
and is in the audit log; posts without their CSRF token and people who are not chairs change nothing."""

from __future__ import annotations

import html as html_lib

import pytest
import sqlalchemy as sa

from portal.db import db
from portal.models import AuditEvent, Letter, LetterTemplate, Submission, User, Workshop
from portal.services import decisions
from tests.conftest import SMTPRecorder, text_of
from tests.views.test_letters_subset import PAPERS, TEMPLATES, World, ask, client_for, to, token, world, yes_form

__all__ = ["world"]  # (the fixture, imported)

SUBJECTS = {
    "accept_subject": "[{{ workshop }}] Congratulations on #{{ number }}",
    "subject_accepted_oral": "Oral talk: {{ title }} ({{ presentation }})",
    "reject_subject": "Your submission #{{ number }} to {{ workshop }}",
}


def todays_subject(ws: Workshop, sub: Submission) -> str:
    """The subject as the portal wrote it before the chairs could word it."""
    verdict = "accepted" if sub.decision.value == "accepted" else "decision"
    return f"[{ws.label}] #{sub.id} {verdict}: {sub.title}"


def state(world: World) -> tuple[str, str, str, str, list[tuple[str, str, str]]]:
    with world.app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        rows = [tuple(r) for r in db.session.execute(sa.select(LetterTemplate.key, LetterTemplate.body, LetterTemplate.subject))]
        return ws.accept_letter, ws.reject_letter, ws.accept_subject, ws.reject_subject, sorted(rows)


def drafts(world: World) -> dict[int, tuple[str, str]]:
    with world.app.app_context():
        return {x.submission_id: (x.subject, x.body) for x in db.session.scalars(sa.select(Letter))}


# --- the default is today's subject, byte for byte --------------------------------------------------------------


def test_the_default_subjects_are_todays_byte_for_byte(world: World) -> None:
    """Accepted as oral, as poster, without a presentation, and rejected; one title with markup, quotes, braces and an
    ampersand (printed as typed, never escaped or run): nothing saved, then the defaults saved on every template."""
    with world.app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        p3 = db.session.get(Submission, world.n("p3"))
        p3.title = 'Attention & <Memory>: "{{ 7 * 7 }}" {% raw %} at 100%'
        subs = [db.session.get(Submission, world.n(key)) for key in PAPERS]
        expected = [todays_subject(ws, s) for s in subs]
        assert expected[0] == f"[LongLLM 2024] #{world.n('p1')} accepted: Ring Attention at Scale"
        assert expected[3] == f"[LongLLM 2024] #{world.n('p4')} decision: Sparse Everything"
        assert [decisions.render_letter(ws, s)[0] for s in subs] == expected
        carla = db.session.scalar(sa.select(User).where(User.email == "carla@example.org"))
        every = {key: decisions.default_subject(key) for key in decisions.template_keys()}
        decisions.save_letter_templates(carla, ws, "", "", with_reviews=True, subjects=every)
        assert (ws.accept_subject, ws.reject_subject) == (decisions.DEFAULT_ACCEPT_SUBJECT, decisions.DEFAULT_REJECT_SUBJECT)
        assert decisions.saved_subjects(ws)["accepted/oral"] == decisions.DEFAULT_ACCEPT_SUBJECT
        assert [decisions.render_letter(ws, s)[0] for s in subs] == expected
        assert [x.subject for x in db.session.scalars(sa.select(Letter).order_by(Letter.submission_id))] == expected
        db.session.rollback()


def test_the_letters_page_shows_each_subject_with_the_default_filled_in(world: World) -> None:
    carla = client_for(world.app, "carla@example.org")
    html = html_lib.unescape(carla.get("/chair/letters").get_data(as_text=True))
    assert '<label for="accept_subject">Acceptance letter: subject</label>' in html
    assert f'name="accept_subject" maxlength="300" value="{decisions.DEFAULT_ACCEPT_SUBJECT}"' in html
    assert f'name="reject_subject" maxlength="300" value="{decisions.DEFAULT_REJECT_SUBJECT}"' in html
    assert 'name="subject_accepted_oral" maxlength="300" value=""' in html  # empty: the acceptance's subject
    assert "Reset to the portal's text" not in html  # nothing worded yet


# --- a worded subject arrives ---------------------------------------------------------------------------------


def test_a_worded_subject_is_the_subject_of_the_letter_that_arrives(world: World, smtp: SMTPRecorder) -> None:
    carla = client_for(world.app, "carla@example.org")
    saved = carla.post(
        "/chair/letters", data={"csrf_token": token(carla), **TEMPLATES, **SUBJECTS, "with_reviews": "1"}, follow_redirects=True
    )
    assert "The templates are saved and 5 drafts prepared." in text_of(saved)
    html = html_lib.unescape(saved.get_data(as_text=True))
    assert 'value="Oral talk: {{ title }} ({{ presentation }})"' in html
    page = ask(carla, subset="all")
    assert f"#{world.n('p1')} Oral talk: Ring Attention at Scale (oral) → ann@example.org" in text_of(page)
    carla.post("/chair/letters/send", data=yes_form(page), follow_redirects=True)
    subjects = {to(m): str(m["Subject"]) for m in smtp.wait_for(5)}
    assert subjects == {
        "ann@example.org": "Oral talk: Ring Attention at Scale (oral)",
        "ben@example.org": f"[LongLLM 2024] Congratulations on #{world.n('p2')}",  # poster: no subject of its own
        "dora@example.org": f"[LongLLM 2024] Congratulations on #{world.n('p3')}",
        "eve@example.org": f"Your submission #{world.n('p4')} to LongLLM 2024",
        "chris@example.org, pia@example.org": f"Your submission #{world.n('p5')} to LongLLM 2024",
    }
    assert state(world)[2:4] == (SUBJECTS["accept_subject"], SUBJECTS["reject_subject"])


def test_a_subject_left_out_of_the_post_is_kept_and_a_blank_one_is_the_default(world: World) -> None:
    carla = client_for(world.app, "carla@example.org")
    carla.post("/chair/letters", data={"csrf_token": token(carla), **TEMPLATES, **SUBJECTS, "with_reviews": "1"})
    carla.post("/chair/letters", data={"csrf_token": token(carla), **TEMPLATES, "with_reviews": "1"})
    assert state(world)[2:4] == (SUBJECTS["accept_subject"], SUBJECTS["reject_subject"])
    data = {**TEMPLATES, **SUBJECTS, "accept_subject": "   ", "subject_accepted_oral": ""}
    assert carla.post("/chair/letters", data={"csrf_token": token(carla), **data, "with_reviews": "1"}).status_code == 302
    assert state(world)[2:4] == ("", SUBJECTS["reject_subject"])
    assert drafts(world)[world.n("p1")][0] == f"[LongLLM 2024] #{world.n('p1')} accepted: Ring Attention at Scale"


# --- hostile subjects -----------------------------------------------------------------------------------------

HOSTILE = [
    ("Line one\r\nline two", "A subject is one line: remove the line breaks."),
    ("Line one\rline two", "A subject is one line: remove the line breaks."),
    ("x" * 301, "A subject may have 300 characters; this one has 301."),
    ("y" * 1_000_000, "A subject may have 300 characters; this one has 1,000,000."),
    ("{% if %}", "The subject has an error"),
    ("{{ ''.__class__.__mro__ }}", "The subject has an error"),
    ("{{ title.upper.__globals__ }}", "has no attribute '__globals__'"),  # (the sandbox hides it)
    ("Paper {{ titel }}", "The subject has an error: 'titel' is undefined"),  # a misspelt name: not an empty gap
    ("{{ nothing.here }}", "The subject has an error: 'nothing' is undefined"),
    ("{{ note }}", "The subject comes out empty: a letter needs a subject."),
    ("{% for i in range(10**7) %}{{ i }}{% endfor %}", "would produce more than 1 MB of text"),
]


@pytest.mark.parametrize(("subject", "message"), HOSTILE)
@pytest.mark.parametrize("field", ["accept_subject", "subject_accepted_poster"])
def test_a_hostile_subject_is_refused_on_its_field_and_nothing_is_saved(
    world: World, field: str, subject: str, message: str
) -> None:
    carla = client_for(world.app, "carla@example.org")
    before = state(world)
    refused = carla.post(
        "/chair/letters", data={"csrf_token": token(carla), **TEMPLATES, **SUBJECTS, field: subject, "with_reviews": "1"}
    )
    assert refused.status_code == 422
    html = html_lib.unescape(refused.get_data(as_text=True))
    assert "Nothing was saved" in html
    assert f'<p class="error" id="{field}-error">' in html
    assert message in html.split(f'id="{field}-error">')[1].split("</p>")[0]
    assert state(world) == before and drafts(world) == {}


# --- reset ------------------------------------------------------------------------------------------------------


def test_reset_asks_then_restores_the_portal_text_and_prepares_the_drafts_again(world: World, smtp: SMTPRecorder) -> None:
    """Worded texts and subjects, drafts prepared without the reviews, p4's edited by hand: the reset asks (listing
    what is worded), then every template is the portal's again, the drafts not edited are rewritten in it (still
    without the reviews), p4's hand-edited draft is kept, and the letter that arrives has today's subject."""
    carla = client_for(world.app, "carla@example.org")
    carla.post("/chair/letters", data={"csrf_token": token(carla), **TEMPLATES, **SUBJECTS, "with_reviews": ""})
    p1, p4 = world.n("p1"), world.n("p4")
    with world.app.app_context():
        letter = db.session.scalar(sa.select(Letter).where(Letter.submission_id == p4))
        decisions.edit_letter(
            db.session.scalar(sa.select(User).where(User.email == "carla@example.org")), letter, "Mine", "By hand."
        )
        db.session.commit()
    page = carla.get("/chair/letters")
    assert "Reset to the portal's text" in html_lib.unescape(page.get_data(as_text=True))
    asked = carla.post("/chair/letters/reset", data={"csrf_token": token(carla)})
    assert asked.status_code == 200
    shown = text_of(asked)
    assert "Reset the decision letters?" in shown
    for item in (
        "Acceptance letter (text and subject)",
        "Rejection letter (text and subject)",
        "Acceptance letter, oral (text and subject)",
    ):
        assert item in shown
    assert "Acceptance letter, poster (text)" in shown
    assert state(world)[2] == SUBJECTS["accept_subject"]  # asking changed nothing
    done = carla.post("/chair/letters/reset", data={"csrf_token": token(carla), "confirm": "1"}, follow_redirects=True)
    assert "The letters are reset to the portal's own text and subjects, and 4 drafts prepared again." in text_of(done)
    assert state(world) == ("", "", "", "", [])
    letters = drafts(world)
    assert letters[p1][0] == f"[LongLLM 2024] #{p1} accepted: Ring Attention at Scale"
    assert letters[p1][1].startswith("Dear Ann Author,\n\nwe are happy to tell you that your submission")
    assert letters[p4] == ("Mine", "By hand.")
    with world.app.app_context():
        assert not any(db.session.scalars(sa.select(Letter.with_reviews).where(Letter.submission_id != p4)))
        audit = list(db.session.scalars(sa.select(AuditEvent.summary).where(AuditEvent.action == "letters.reset")))
    assert audit == ["Reset the letter templates and subjects to the portal's text and prepared 4 draft(s) again"]
    page = ask(carla, subset="ticked", selected=[str(p1)])
    carla.post("/chair/letters/send", data=yes_form(page), follow_redirects=True)
    (mail,) = smtp.wait_for(1)
    assert str(mail["Subject"]) == f"[LongLLM 2024] #{p1} accepted: Ring Attention at Scale"
    # Nothing worded any more: the button is gone, and a reset posted anyway says so.
    assert "Reset to the portal's text" not in html_lib.unescape(carla.get("/chair/letters").get_data(as_text=True))
    again = carla.post("/chair/letters/reset", data={"csrf_token": token(carla), "confirm": "1"}, follow_redirects=True)
    assert "The letters already use the portal's own text and subjects." in text_of(again)


def test_posts_without_their_csrf_token_change_nothing(world: World) -> None:
    carla = client_for(world.app, "carla@example.org")
    carla.post("/chair/letters", data={"csrf_token": token(carla), **TEMPLATES, **SUBJECTS, "with_reviews": "1"})
    before, letters = state(world), drafts(world)
    assert carla.post("/chair/letters/reset", data={"confirm": "1"}).status_code == 400
    assert carla.post("/chair/letters", data={**TEMPLATES, "accept_subject": "Stolen", "with_reviews": "1"}).status_code == 400
    assert (state(world), drafts(world)) == (before, letters)


@pytest.mark.parametrize("who", ["ann@example.org", "pia@example.org"])
def test_people_who_are_not_chairs_cannot_reset_or_word_the_letters(world: World, who: str) -> None:
    carla = client_for(world.app, "carla@example.org")
    carla.post("/chair/letters", data={"csrf_token": token(carla), **TEMPLATES, **SUBJECTS, "with_reviews": "1"})
    before = state(world)
    other = client_for(world.app, who)
    csrf = token(carla)  # (theirs would do as well: the role refuses them)
    for url, data in (
        ("/chair/letters/reset", {"confirm": "1"}),
        ("/chair/letters", {**TEMPLATES, "accept_subject": "Theirs", "with_reviews": "1"}),
    ):
        refused = other.post(url, data={"csrf_token": csrf, **data})
        assert refused.status_code in (400, 403)
    assert state(world) == before
    anonymous = world.app.test_client()
    assert anonymous.post("/chair/letters/reset", data={"confirm": "1"}).status_code in (302, 400)
    assert state(world) == before
