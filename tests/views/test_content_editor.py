"""The chairs' content editor: only chairs reach it, every edit shows on the public site (Markdown rendered and
sanitized), bad input changes nothing, and every change leaves an audit entry."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.db import db
from portal.models import (
    AuditEvent,
    DateKind,
    ImportantDate,
    Person,
    PersonRole,
    Question,
    SponsorOption,
    Submission,
    SubmissionState,
    SubmissionType,
    Topic,
    User,
    Workshop,
)
from portal.models.submission import submission_topic
from tests.conftest import CSRF_INPUT_RE, text_of
from tests.factories import create_users, login, make_user

WORKSHOP_FIELDS = (
    "name",
    "short_name",
    "edition",
    "tagline",
    "venue",
    "colocated_with",
    "contact_email",
    "overview",
    "motivation",
    "objective",
    "audience",
    "cfp_intro",
    "submission_instructions",
    "panel_note",
    "sponsor_call",
)
XSS = "Hello <script>alert(1)</script> and <img src=x onerror=alert(2)> and [click](javascript:alert(3))."


@pytest.fixture
def chair(app: Flask) -> FlaskClient:
    create_users(app, {"email": "chair@example.org", "name": "Carla Chair", "roles": ("chair",)})
    client = app.test_client()
    login(client, "chair@example.org")
    return client


def token(client: FlaskClient, page: str = "/chair/content") -> str:
    """The session's CSRF token (from the header's sign-out form)."""
    match = CSRF_INPUT_RE.search(client.get(page).get_data(as_text=True))
    assert match
    return match.group(1)


def post(client: FlaskClient, url: str, data: dict[str, Any], **kwargs: Any) -> Any:
    return client.post(url, data={"csrf_token": token(client), **data}, **kwargs)


def texts_form(app: Flask, **changes: str) -> dict[str, str]:
    """What the texts page posts: every field as stored, with ``changes``."""
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        data = {name: getattr(ws, name) for name in WORKSHOP_FIELDS}
        data["starts_on"] = ws.starts_on.isoformat() if ws.starts_on else ""
        data["ends_on"] = ws.ends_on.isoformat() if ws.ends_on else ""
    return {**data, "save": "1", **changes}


def audit_entries(app: Flask) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [
            (e.action, e.summary, e.actor_name)
            for e in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.like("content.%")).order_by(AuditEvent.id))
        ]


def one(app: Flask, model: type, **where: Any) -> Any:
    with app.app_context():
        return db.session.scalar(sa.select(model).filter_by(**where))


def topic_titles(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Topic.title).order_by(Topic.position)))


def snapshot(app: Flask) -> tuple[Any, ...]:
    """Everything the editor can change, to prove that a refused request changed nothing."""
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        return (
            tuple(getattr(ws, f) for f in WORKSHOP_FIELDS),
            ws.starts_on,
            ws.ends_on,
            [(t.slug, t.position, t.title, t.description) for t in ws.topics],
            [(q.slug, q.title, q.text) for q in ws.questions],
            [(p.role, p.slug, p.position, p.name, p.homepage, p.bio) for p in ws.people],
            [(d.label, d.kind, d.at) for d in ws.dates],
            [(o.slug, o.label, o.description) for o in ws.sponsor_options],
            db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)),
        )


# --- who may edit -------------------------------------------------------------------------------------

PROTECTED = [
    "/chair/content",
    "/chair/content/texts",
    "/chair/content/topics",
    "/chair/content/people/speaker/new",
    "/chair/content/dates",
    "/chair/content/sponsors",
]


@pytest.mark.parametrize("who", ["author", "reviewer"])
def test_content_editor_is_403_for_authors_and_reviewers(app: Flask, who: str) -> None:
    roles = ("reviewer",) if who == "reviewer" else ()
    create_users(app, {"email": f"{who}@example.org", "roles": roles})
    client = app.test_client()
    login(client, f"{who}@example.org")
    topic_id = one(app, Topic, slug="architecture").id
    before = snapshot(app)
    for url in PROTECTED:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Novel architecture design" not in text_of(response)
    sent = client.post(f"/chair/content/topics/{topic_id}/remove", data={"csrf_token": token(client, "/account/")})
    assert sent.status_code == 403
    assert snapshot(app) == before


def test_content_editor_sends_anonymous_visitors_to_sign_in(client: FlaskClient) -> None:
    for url in PROTECTED:
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login?next=")


def test_overview_lists_every_section_with_its_count_and_public_page(chair: FlaskClient) -> None:
    page = text_of(chair.get("/chair/content"))
    assert (
        "Topics 7 Call for papers Fundamental questions 7 Home Speakers 2 Speakers Panelists 0 Speakers "
        "Organizers 5 Organizers Steering committee 3 Organizers Important dates 0 Call for papers "
        "Sponsorship options 4 Sponsors"
    ) in page


# --- texts and facts ----------------------------------------------------------------------------------


def test_texts_posted_from_a_page_opened_before_a_field_was_added_are_saved(app: Flask, chair: FlaskClient) -> None:
    # The texts page as it was before 'Co-located with' (issue 24): its post is saved, not refused as a collision.
    stale = {name: value for name, value in texts_form(app, venue="Vienna").items() if name != "colocated_with"}

    response = post(chair, "/chair/content/texts", stale, follow_redirects=True)

    assert "Saved: venue." in text_of(response)
    assert "Someone changed the same content" not in text_of(response)
    with app.app_context():
        assert (db.session.scalar(sa.select(Workshop)).venue, db.session.scalar(sa.select(Workshop)).colocated_with) == (
            "Vienna",
            "",
        )


def test_editing_texts_and_facts_changes_the_public_pages(app: Flask, chair: FlaskClient) -> None:
    response = post(
        chair,
        "/chair/content/texts",
        texts_form(
            app,
            name="Workshop on Very Long Contexts",
            tagline="Context is all you need.",
            venue="ICML 2024, Vienna",
            colocated_with="ICML 2024",
            starts_on="2024-07-26",
            ends_on="2024-07-27",
            overview="A *new* overview.\n\nIts second paragraph.",
            cfp_intro="We invite **short** and long papers.",
            sponsor_call="Sponsor us: [write](mailto:s@example.org).",
            panel_note="Panels are coming.",
            contact_email="chairs@example.org",
        ),
        follow_redirects=True,
    )
    assert (
        "Saved: name, tagline, venue, colocated with, starts on, ends on, contact email, overview, cfp intro, panel note, "
        "sponsor call."
    ) in text_of(response)

    home = chair.get("/").get_data(as_text=True)
    # The first screen: what (and of which conference), when and where, then the tagline.
    hero = (
        "LongLLM 2024 · co-located with ICML 2024 Workshop on Very Long Contexts 26\u201327 July 2024 · ICML 2024, Vienna "
        "Context is all you need."
    )
    assert hero in text_of(chair.get("/"))
    assert "<p>A <em>new</em> overview.</p>\n<p>Its second paragraph.</p>" in home
    assert '<p>Sponsor us: <a href="mailto:s@example.org" rel="noopener nofollow">write</a>.</p>' in home
    assert "<p>We invite <strong>short</strong> and long papers.</p>" in chair.get("/call-for-papers").get_data(as_text=True)
    assert "Panelists Panels are coming." in text_of(chair.get("/speakers"))
    assert "Contact the organizers at chairs@example.org." in text_of(chair.get("/sponsors/"))
    assert audit_entries(app) == [
        (
            "content.workshop",
            "Workshop texts and facts edited: name, tagline, venue, colocated with, "
            "starts on, ends on, contact email, overview, cfp intro, panel note, sponsor call",
            "Carla Chair",
        )
    ]


def test_saving_unchanged_texts_says_so_and_records_nothing(app: Flask, chair: FlaskClient) -> None:
    response = post(chair, "/chair/content/texts", texts_form(app), follow_redirects=True)
    assert "Nothing changed." in text_of(response)
    assert audit_entries(app) == []


def test_markdown_renders_emphasis_a_link_and_a_list_on_the_home_page(app: Flask, chair: FlaskClient) -> None:
    post(
        chair,
        "/chair/content/texts",
        texts_form(
            app,
            motivation="Long context is *essential*; see [the paper](https://arxiv.org/abs/2307.03172):\n\n"
            "- retrieval\n- summaries\n",
        ),
    )
    html = chair.get("/").get_data(as_text=True)
    assert (
        '<p>Long context is <em>essential</em>; see <a href="https://arxiv.org/abs/2307.03172" rel="noopener '
        'nofollow">the paper</a>:</p>\n<ul>\n<li>retrieval</li>\n<li>summaries</li>\n</ul>'
    ) in html


def test_markdown_with_a_script_tag_renders_inert(app: Flask, chair: FlaskClient) -> None:
    post(chair, "/chair/content/texts", texts_form(app, overview=XSS, sponsor_call=XSS))
    topic_id = one(app, Topic, slug="architecture").id
    post(chair, f"/chair/content/topics/{topic_id}", {"title": "Architecture", "description": XSS, "save": "1"})
    for url in ("/", "/call-for-papers", "/sponsors/"):
        response = chair.get(url)
        html = response.get_data(as_text=True)
        assert (
            "<p>Hello &lt;script&gt;alert(1)&lt;/script&gt; and &lt;img src=x onerror=alert(2)&gt; and "
            "[click](javascript:alert(3)).</p>" in html
        ), url
        assert "<script>" not in html
        assert "<img" not in html
        assert "javascript:" not in html.replace("[click](javascript:alert(3))", "")
        assert XSS in text_of(response)  # shown as typed, harmless


def test_preview_shows_the_rendered_markdown_and_saves_nothing(app: Flask, chair: FlaskClient) -> None:
    before = snapshot(app)
    response = post(
        chair, "/chair/content/texts", {**texts_form(app, overview="A **bold** plan. " + XSS), "save": "", "preview": "1"}
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "This is a preview: nothing is saved until you press “Save”." in text_of(response)
    assert '<p class="md-preview-label">Preview: About the workshop</p>\n  <p>A <strong>bold</strong> plan. Hello ' in html
    assert "<script>" not in html
    assert "A **bold** plan." in html  # the textarea keeps what was typed
    assert snapshot(app) == before
    # And on the item forms too.
    page = post(chair, "/chair/content/questions/new", {"title": "Q", "text": "*Why*?", "preview": "1"})
    assert "<p><em>Why</em>?</p>" in page.get_data(as_text=True)
    assert snapshot(app) == before


def test_empty_name_or_bad_days_give_422_and_change_nothing(app: Flask, chair: FlaskClient) -> None:
    before = snapshot(app)
    response = post(chair, "/chair/content/texts", texts_form(app, name="  ", overview="Changed."))
    assert response.status_code == 422
    assert "Please correct this problem Name: This cannot be empty." in text_of(response)
    response = post(chair, "/chair/content/texts", texts_form(app, starts_on="2024-07-27", ends_on="2024-07-26"))
    assert response.status_code == 422
    assert "Nothing was saved The last day of the workshop cannot be before its first day." in text_of(response)
    assert snapshot(app) == before


def test_missing_csrf_token_gives_the_400_page_and_changes_nothing(app: Flask, chair: FlaskClient) -> None:
    before = snapshot(app)
    topic_id = one(app, Topic, slug="others").id
    for url, data in [
        ("/chair/content/texts", texts_form(app, name="Forged")),
        ("/chair/content/topics/new", {"title": "Forged topic", "save": "1"}),
        (f"/chair/content/topics/{topic_id}/remove", {}),
        (f"/chair/content/topics/{topic_id}/move", {"direction": "up"}),
    ]:
        response = chair.post(url, data=data)
        assert response.status_code == 400, url
        assert "The form's security token was missing or had expired" in text_of(response)
    assert snapshot(app) == before


# --- topics -------------------------------------------------------------------------------------------


def test_adding_and_editing_a_topic_shows_on_the_call_for_papers(app: Flask, chair: FlaskClient) -> None:
    response = post(
        chair,
        "/chair/content/topics/new",
        {
            "title": "Long-context agents",
            "description": "Agents that *remember*.",
            "examples": "MemGPT",
            "save": "1",
        },
        follow_redirects=True,
    )
    assert "The topic “Long-context agents” is added." in text_of(response)
    topic = one(app, Topic, title="Long-context agents")
    assert (topic.slug, topic.position) == ("long-context-agents", 8)
    cfp = chair.get("/call-for-papers")
    assert "Long-context agents Agents that remember. For example: MemGPT" in text_of(cfp)
    assert '<li id="topic-long-context-agents">' in cfp.get_data(as_text=True)

    edit = post(
        chair,
        f"/chair/content/topics/{topic.id}",
        {
            "title": "Memory agents",
            "description": "Agents.",
            "examples": "MemGPT",
            "save": "1",
        },
        follow_redirects=True,
    )
    assert "Saved: title, description." in text_of(edit)
    cfp = chair.get("/call-for-papers")
    assert "Memory agents Agents. For example: MemGPT" in text_of(cfp)
    assert '<li id="topic-long-context-agents">' in cfp.get_data(as_text=True)  # the link keeps working
    assert audit_entries(app) == [
        ("content.topic", "Topic “Long-context agents” added", "Carla Chair"),
        ("content.topic", "Topic “Long-context agents” edited: title, description", "Carla Chair"),
    ]


def test_empty_topic_title_gives_422_and_changes_nothing(app: Flask, chair: FlaskClient) -> None:
    before = snapshot(app)
    topic_id = one(app, Topic, slug="hardware").id
    response = post(chair, f"/chair/content/topics/{topic_id}", {"title": "", "description": "x", "save": "1"})
    assert response.status_code == 422
    assert "Title: This cannot be empty." in text_of(response)
    response = post(chair, "/chair/content/topics/new", {"title": " ", "save": "1"})
    assert response.status_code == 422
    assert snapshot(app) == before


def _submission(ws: Workshop, topic: Topic, secondary: list[Topic]) -> int:
    user = make_user()
    sub = Submission(
        workshop=ws,
        submitter=user,
        type=db.session.scalar(sa.select(SubmissionType)),
        primary_topic=topic,
        secondary_topics=secondary,
        title="A paper",
        abstract="Long.",
        state=SubmissionState.ABSTRACT,
    )
    db.session.add(sub)
    db.session.flush()
    return sub.id


def test_removing_a_topic_in_use_is_refused_and_changes_nothing(app: Flask, chair: FlaskClient) -> None:
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        topic = db.session.scalar(sa.select(Topic).filter_by(slug="embeddings"))
        numbers = [_submission(ws, topic, []), _submission(ws, topic, [])]
        db.session.commit()
        topic_id = topic.id
    before = snapshot(app)
    page = chair.get(f"/chair/content/topics/{topic_id}/remove")
    message = (
        f"It is the primary topic of submissions #{numbers[0]}, #{numbers[1]}, so it cannot be removed. "
        "Rename it instead, or have the authors choose another primary topic first."
    )
    assert message in text_of(page)
    assert "Remove the topic" not in text_of(page).replace("Remove the topic “", "")  # no button
    response = post(chair, f"/chair/content/topics/{topic_id}/remove", {})
    assert response.status_code == 422
    assert (
        f"It was not removed “Embedding-based methods for Large Language Model pre-training on long context "
        f"dependency” is the primary topic of submissions #{numbers[0]}, #{numbers[1]}, so it cannot be removed."
    ) in text_of(response)
    assert snapshot(app) == before
    assert "Embedding-based methods" in text_of(chair.get("/call-for-papers"))


def test_removing_an_unused_topic_drops_it_from_papers_and_expertise(app: Flask, chair: FlaskClient) -> None:
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        hardware, other = (db.session.scalar(sa.select(Topic).filter_by(slug=s)) for s in ("hardware", "others"))
        _submission(ws, other, [hardware])
        reviewer = make_user("rev@example.org", roles=("reviewer",))
        reviewer.topics.append(hardware)
        db.session.commit()
        hardware_id = hardware.id
    page = text_of(chair.get(f"/chair/content/topics/{hardware_id}/remove"))
    assert "It is an additional topic of 1 submission and in the expertise of 1 person; they will no longer list it." in page
    response = post(chair, f"/chair/content/topics/{hardware_id}/remove", {}, follow_redirects=True)
    assert "The topic “Hardware-aware Optimization” is removed." in text_of(response)
    assert "Hardware-aware Optimization" not in text_of(chair.get("/call-for-papers"))
    assert "Hardware-aware Optimization" not in topic_titles(app)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(submission_topic)) == 0
        assert db.session.scalar(sa.select(User).filter_by(email="rev@example.org")).topics == []
        assert list(db.session.scalars(sa.select(Topic.position).order_by(Topic.position))) == [1, 2, 3, 4, 5, 6]
    assert audit_entries(app) == [
        (
            "content.topic",
            "Topic “Hardware-aware Optimization” removed (it was an additional "
            "topic of 1 submission and in the expertise of 1 person)",
            "Carla Chair",
        )
    ]


def test_moving_a_topic_reorders_the_call_for_papers(app: Flask, chair: FlaskClient) -> None:
    titles = topic_titles(app)
    second = one(app, Topic, slug="efficient-training").id
    post(chair, f"/chair/content/topics/{second}/move", {"direction": "up"})
    assert topic_titles(app) == [titles[1], titles[0], *titles[2:]]
    cfp = text_of(chair.get("/call-for-papers"))
    assert cfp.index(titles[1]) < cfp.index(titles[0])
    post(chair, f"/chair/content/topics/{second}/move", {"direction": "up"})  # already first: nothing happens
    assert topic_titles(app) == [titles[1], titles[0], *titles[2:]]
    assert audit_entries(app) == [("content.topic", f"Topic “{titles[1]}” moved up", "Carla Chair")]


# --- questions, people, dates, sponsorship ------------------------------------------------------------


def test_questions_can_be_added_edited_and_removed(app: Flask, chair: FlaskClient) -> None:
    post(chair, "/chair/content/questions/new", {"title": "Memory", "text": "Can models **remember**?", "save": "1"})
    question = one(app, Question, slug="memory")
    home = chair.get("/")
    assert "Memory Can models remember?" in text_of(home)
    assert (
        '<div id="question-memory"><dt>Memory</dt><dd><p>Can models <strong>remember</strong>?</p></dd></div>'
        in home.get_data(as_text=True)
    )
    post(chair, f"/chair/content/questions/{question.id}", {"title": "Memory", "text": "Really?", "save": "1"})
    assert "Memory Really?" in text_of(chair.get("/"))
    post(chair, f"/chair/content/questions/{question.id}/remove", {})
    assert "Memory Really?" not in text_of(chair.get("/"))
    assert [a[1] for a in audit_entries(app)] == [
        "Question “Memory” added",
        "Question “Memory” edited: text",
        "Question “Memory” removed",
    ]


@pytest.mark.parametrize(
    ("role", "page", "heading"),
    [
        ("speaker", "/speakers", "About the speakers"),
        ("panelist", "/speakers", "About the panelists"),
        ("organizer", "/organizers", "About the organizers"),
        ("steering", "/organizers", "About the steering committee"),
    ],
)
def test_adding_a_person_shows_them_on_their_public_page(
    app: Flask, chair: FlaskClient, role: str, page: str, heading: str
) -> None:
    response = post(
        chair,
        f"/chair/content/people/{role}/new",
        {
            "name": "Ada Lovelace",
            "affiliation": "Analytical Engines\r\n\r\nUniversity of London ",
            "homepage": "https://example.org/ada",
            "bio": "Wrote the *first* program.",
            "save": "1",
        },
        follow_redirects=True,
    )
    assert f"The {'steering committee member' if role == 'steering' else role} “Ada Lovelace” is added." in text_of(response)
    person = one(app, Person, name="Ada Lovelace")
    assert (person.role, person.slug, person.affiliation) == (
        PersonRole(role),
        "ada-lovelace",
        "Analytical Engines\nUniversity of London",
    )
    public = chair.get(page)
    assert f"Ada Lovelace Analytical Engines University of London {heading} Ada Lovelace Wrote the first program." in text_of(
        public
    )
    html = public.get_data(as_text=True)
    assert 'href="https://example.org/ada"' in html
    assert f'<article class="bio" id="{role}-ada-lovelace">' in html
    assert audit_entries(app)[-1][0] == "content.person"


@pytest.mark.parametrize(
    "homepage", ["javascript:alert(1)", "ftp://example.org/ada", "example.org/ada", "https://exa mple.org", "data:text/html,hi"]
)
def test_bad_homepage_gives_422_and_changes_nothing(app: Flask, chair: FlaskClient, homepage: str) -> None:
    yejin = one(app, Person, slug="yejin-choi")
    before = snapshot(app)
    for url in ("/chair/content/people/speaker/new", f"/chair/content/people/speaker/{yejin.id}"):
        response = post(chair, url, {"name": "Yejin Choi", "homepage": homepage, "save": "1"})
        assert response.status_code == 422
        assert "Homepage: Give a web address that starts with https:// (or http://), like https://example.org/~ada." in text_of(
            response
        )
    assert snapshot(app) == before


def test_editing_and_moving_people(app: Flask, chair: FlaskClient) -> None:
    yejin, luke = one(app, Person, slug="yejin-choi"), one(app, Person, slug="luke-zettlemoyer")
    post(
        chair,
        f"/chair/content/people/speaker/{luke.id}",
        {
            "name": "Luke Zettlemoyer",
            "affiliation": "University of Washington\nMeta",
            "homepage": "",
            "save": "1",
        },
    )
    post(chair, f"/chair/content/people/speaker/{luke.id}/move", {"direction": "up"})
    page = text_of(chair.get("/speakers"))
    assert "Invited speakers Luke Zettlemoyer University of Washington Meta Yejin Choi" in page
    assert 'href="https://www.cs.washington.edu/people/faculty/lsz"' not in chair.get("/speakers").get_data(as_text=True)
    # A person's id under another role's address is not found.
    assert chair.get(f"/chair/content/people/organizer/{yejin.id}").status_code == 404
    assert [a[1] for a in audit_entries(app)] == [
        "Speaker “Luke Zettlemoyer” edited: affiliation, homepage",
        "Speaker “Luke Zettlemoyer” moved up",
    ]


def test_dates_are_entered_in_the_workshop_zone_and_deadlines_stay_on_settings(app: Flask, chair: FlaskClient) -> None:
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        ws.dates.append(
            ImportantDate(
                kind=DateKind.PAPER_DEADLINE, label="Paper submission deadline", at=datetime(2024, 2, 4, 11, 59, tzinfo=UTC)
            )
        )
        db.session.commit()
        deadline_id = ws.dates[0].id
    response = post(
        chair,
        "/chair/content/dates/new",
        {
            "label": "Workshop day",
            "kind": "workshop",
            "at": "2024-07-27 09:00",
            "save": "1",
        },
        follow_redirects=True,
    )
    assert "The date “Workshop day” is added." in text_of(response)
    assert one(app, ImportantDate, label="Workshop day").at == datetime(2024, 7, 27, 21, 0, tzinfo=UTC)  # 09:00 AoE
    cfp = text_of(chair.get("/call-for-papers"))
    assert "Workshop day Sat 27 Jul 2024, 09:00 AoE (Sat 27 Jul 2024, 21:00 UTC)" in cfp

    listing = text_of(chair.get("/chair/content/dates"))
    assert (
        "Paper submission deadline Sat 3 Feb 2024, 23:59 AoE · a deadline, set on the settings page "
        "Change on the settings page" in listing
    )
    assert chair.get(f"/chair/content/dates/{deadline_id}").status_code == 404
    assert chair.post(f"/chair/content/dates/{deadline_id}/remove", data={"csrf_token": token(chair)}).status_code == 404
    before = snapshot(app)
    for data, message in [
        (
            {"label": "Paper submission deadline", "kind": "other", "at": "2024-03-01 12:00"},
            "“Paper submission deadline” is the name of a deadline on the settings page; choose another label.",
        ),
        (
            {"label": "Workshop day", "kind": "other", "at": "2024-03-01 12:00"},
            "Another date is already labelled “Workshop day”.",
        ),
        (
            {"label": "Poster session", "kind": "other", "at": "next Tuesday"},
            "“next Tuesday” is not a date and time like 2026-12-20 23:59.",
        ),
        ({"label": "Poster session", "kind": "paper_deadline", "at": "2024-03-01 12:00"}, "Kind: Not a valid choice."),
    ]:
        response = post(chair, "/chair/content/dates/new", {**data, "save": "1"})
        assert response.status_code == 422
        assert message in text_of(response)
    assert snapshot(app) == before
    assert audit_entries(app) == [("content.date", "Date “Workshop day” added: 2024-07-27T21:00+00:00", "Carla Chair")]


def test_sponsorship_options_show_on_the_sponsors_page(app: Flask, chair: FlaskClient) -> None:
    compute = one(app, SponsorOption, slug="compute")
    post(chair, "/chair/content/sponsors/new", {"label": "Gold sponsor", "description": "Logo on the *banner*.", "save": "1"})
    post(chair, f"/chair/content/sponsors/{compute.id}", {"label": "GPU credits", "description": "", "save": "1"})
    post(chair, f"/chair/content/sponsors/{one(app, SponsorOption, slug='event').id}/remove", {})
    response = chair.get("/sponsors/")
    page = text_of(response)
    assert "Ways to support the workshop" in page
    assert "Gold sponsor Logo on the banner." in page
    assert re.findall(r"<option [^>]*>([^<]+)</option>", response.get_data(as_text=True)) == [
        "Choose one…",
        "Financial support (travel grants, best paper award)",
        "GPU credits",
        "Something else (tell us in the message)",
        "Gold sponsor",
    ]
    assert [a[1] for a in audit_entries(app)] == [
        "Sponsorship option “Gold sponsor” added",
        "Sponsorship option “Compute credits for participants” edited: label",
        "Sponsorship option “Hosting a social or networking event” removed",
    ]


def test_the_forms_link_to_the_public_pages(app: Flask, chair: FlaskClient) -> None:
    topic = one(app, Topic, slug="architecture")
    assert 'href="/call-for-papers#topic-architecture"' in chair.get("/chair/content/topics").get_data(as_text=True)
    assert 'href="/call-for-papers#topic-architecture"' in chair.get(f"/chair/content/topics/{topic.id}").get_data(as_text=True)
    texts = chair.get("/chair/content/texts").get_data(as_text=True)
    assert 'href="/#about"' in texts and 'href="/call-for-papers#instructions"' in texts
