"""The program (issue 24.1, 24.2, 24.6): chairs build it with forms, its rules are warned about, visitors read it in the
workshop's zone across a daylight-saving change, its iCalendar feeds parse back, each accepted paper links to its
slot, and authors add a poster, slides and a video link."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from markupsafe import escape

from portal.db import db, utcnow
from portal.domain import DomainError
from portal.models import (
    DateKind,
    Decision,
    ImportantDate,
    ItemKind,
    Person,
    PersonRole,
    Presentation,
    ProgramItem,
    ProgramSession,
    SponsorState,
    SponsorTier,
    StoredFile,
    Submission,
    SubmissionType,
    Topic,
    User,
    Workshop,
)
from portal.services import decisions, program, sponsors
from portal.services import submissions as svc
from tests.conftest import post_form, sql_statements, text_of
from tests.factories import login, make_user
from tests.pdfs import make_pdf

ZONE = "Europe/Vienna"  # clocks go forward on Sunday 28 March 2027, 02:00 CET -> 03:00 CEST
SAT, SUN = date(2027, 3, 27), date(2027, 3, 28)
PAPERS = {
    "oral": ("ann@example.org", "Ann Author", "Attention that remembers", Presentation.ORAL),
    "poster": ("cid@example.org", "Cid Poster", "Posters of long contexts", Presentation.POSTER),
    "rejected": ("dee@example.org", "Dee Declined", "A rejected idea", None),
    "second": ("eve@example.org", "Eve Speaker", "Memory for long dialogues", Presentation.ORAL),
}


@pytest.fixture
def world(app: Flask) -> dict[str, int]:
    """Four papers (Ann's accepted as a talk, with Ben as co-author; Cid's accepted as a poster; Dee's rejected; Eve's
    accepted as a talk), the
    accepted papers published, a chair, and the workshop in Vienna's zone."""
    with app.test_request_context():
        ws = db.session.scalar(sa.select(Workshop))
        ws.timezone = ZONE
        ws.accepted_published = True
        ws.dates.append(ImportantDate(kind=DateKind.PAPER_DEADLINE, label="Paper", at=utcnow() + timedelta(days=2)))
        db.session.flush()
        sub_type = db.session.scalar(sa.select(SubmissionType))
        topic = db.session.scalar(sa.select(Topic))
        chair = make_user("chair@example.org", name="Carla Chair", roles=("chair",))
        make_user("ben@example.org", name="Ben Coauthor")
        make_user("other@example.org", name="Olga Other")
        ids: dict[str, int] = {}
        for key, (email, name, title, presentation) in PAPERS.items():
            user = make_user(email, name=name)
            people = [svc.AuthorInput(name, email, "Alpha University")]
            if key == "oral":
                people.append(svc.AuthorInput("Ben Coauthor", "ben@example.org", "Beta Lab"))
            details = svc.Details(
                title=title,
                abstract=f"The abstract of {title.lower()}.",
                type_id=sub_type.id,
                primary_topic_id=topic.id,
                secondary_topic_ids=[],
                keywords="",
                authors=people,
                declared_conflicts="",
            )
            sub = svc.create_submission(user, ws, details, paper=svc.check_paper(ws, sub_type, people, make_pdf(2), "p.pdf"))
            decisions.record_decision(
                chair,
                sub,
                decision=Decision.ACCEPTED if presentation else Decision.REJECTED,
                presentation=presentation,
                note="",
                version=None,
            )
            ids[key] = sub.id
        ids["ben_author"] = db.session.scalar(sa.select(Submission).where(Submission.id == ids["oral"])).authors[1].id
        ids["speaker"] = db.session.scalar(
            sa.select(Person.id).where(Person.role == PersonRole.SPEAKER).order_by(Person.position)
        )
        db.session.commit()
        return ids


def seen(response) -> str:  # type: ignore[no-untyped-def]
    """The page's text with its en dashes as hyphens (09:00-10:00)."""
    return re.sub(r"(\d\d:\d\d) ?\u2013 ?(\d\d:\d\d)", r"\1-\2", text_of(response))


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    login(client, email)
    return client


def build(app: Flask, *sessions: tuple[str, date, time, time, str]) -> list[int]:
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        chair = db.session.scalar(sa.select(User).where(User.is_chair))
        ids = [program.add_session(chair, ws, program.SessionInput(*s)).id for s in sessions]
        db.session.commit()
        return ids


def add_item(app: Flask, session_id: int, data: program.ItemInput) -> int:
    with app.app_context():
        chair = db.session.scalar(sa.select(User).where(User.is_chair))
        item = program.add_item(chair, db.session.get(ProgramSession, session_id), data)
        db.session.commit()
        return item.id


def publish(app: Flask) -> None:
    with app.app_context():
        db.session.scalar(sa.select(Workshop)).program_published = True
        db.session.commit()


# --- the chair builds a session of two talks and a panel -------------------------------------------------------


def test_a_chair_builds_a_session_of_two_talks_and_a_panel_and_the_visitor_sees_it(app: Flask, world: dict[str, int]) -> None:
    chair = signed_in(app, "chair@example.org")
    page = post_form(
        chair,
        "/chair/program/sessions/new",
        {"title": "Sunday talks", "day": "2027-03-28", "starts": "09:00", "ends": "11:00", "room": "Hall A"},
        follow_redirects=True,
    )
    assert "The session “Sunday talks” is saved." in seen(page)
    assert "Sunday 28 March 2027 09:00-11:00 CEST · Sunday talks (Hall A)" in seen(page)
    session_id = build_id(app, ProgramSession)
    new = f"/chair/program/sessions/{session_id}/new"
    oral = world["oral"]
    page = post_form(
        chair,
        f"{new}/talk",
        {"paper": f"{oral}:{world['ben_author']}", "starts": "09:00", "ends": "09:20"},
        follow_redirects=True,
    )
    assert "“Attention that remembers” is saved." in seen(page)
    with app.app_context():
        eve_author = db.session.get(Submission, world["second"]).authors[0].id
    # A poster is not offered for a talk; the papers marked oral are.
    form = chair.get(f"{new}/talk").get_data(as_text=True)
    assert "Posters of long contexts" not in form and "#4 Memory for long dialogues (talk): Eve Speaker" in form
    post_form(chair, f"{new}/talk", {"paper": f"{world['second']}:{eve_author}", "starts": "09:20", "ends": "09:40"})
    page = post_form(
        chair,
        f"{new}/panel",
        {
            "title": "Panel: evaluation",
            "panelists": [str(world["speaker"])],
            "other_panelists": "Ada Lovelace\nGrace Hopper",
            "moderator_name": "Mo Derator",
            "starts": "10:00",
            "ends": "11:00",
        },
        follow_redirects=True,
    )
    text = seen(page)
    assert "“Panel: evaluation” is saved." in text
    assert "Panelists: Yejin Choi, Ada Lovelace, Grace Hopper; moderator: Mo Derator" in text
    # Not published yet: visitors do not know it exists.
    visitor = app.test_client()
    assert visitor.get("/program").status_code == 404
    assert '<a href="/program"' not in visitor.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', chair.get("/chair/program").get_data(as_text=True)).group(1)
    page = chair.post("/chair/program/publish", data={"csrf_token": token, "publish": "1"}, follow_redirects=True)
    assert "The program is on the public site." in seen(page)
    text = seen(visitor.get("/program"))
    assert (
        "Sunday 28 March 2027 Sunday talks 09:00-11:00 CEST · Hall A "
        "09:00-09:20 CEST Contributed talk Attention that remembers Ann Author, Ben Coauthor "
        "09:20-09:40 CEST Contributed talk Memory for long dialogues Eve Speaker "
        "10:00-11:00 CEST Panel Panel: evaluation Panelists: Yejin Choi, Ada Lovelace, Grace Hopper; moderator: Mo Derator"
    ) in text
    # Ben speaks: his name is the strong one.
    assert re.search(r"Ann Author, <strong>Ben Coauthor</strong>", visitor.get("/program").get_data(as_text=True))
    # The public navigation offers the program once it is published.
    assert '<a href="/program"' in visitor.get("/").get_data(as_text=True)
    # Its calendar: three events, parsed back.
    cal = Calendar.from_ical(visitor.get("/program.ics").data)
    events = [(str(e["summary"]), e.decoded("dtstart")) for e in cal.walk("VEVENT")]
    assert events == [
        ("Contributed talk: Attention that remembers (LongLLM 2024)", datetime(2027, 3, 28, 7, 0, tzinfo=UTC)),
        ("Contributed talk: Memory for long dialogues (LongLLM 2024)", datetime(2027, 3, 28, 7, 20, tzinfo=UTC)),
        ("Panel: evaluation (LongLLM 2024)", datetime(2027, 3, 28, 8, 0, tzinfo=UTC)),  # not "Panel: Panel: …"
    ]


def build_id(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.max(model.id)))


# --- the rules, warned ----------------------------------------------------------------------------------------


def test_the_program_rules_are_warned_not_refused(app: Flask, world: dict[str, int]) -> None:
    morning, overlapping, other_room = build(
        app,
        ("Morning", SUN, time(9), time(12), "Hall A"),
        ("Overlapping", SUN, time(11, 30), time(13), "hall  a"),  # the same room, spelt otherwise
        ("Elsewhere", SUN, time(9), time(12), "Hall B"),
    )
    add_item(app, morning, program.ItemInput(ItemKind.POSTERS, title="Posters", posters=[(world["poster"], "")]))
    doubled = add_item(
        app,
        other_room,
        program.ItemInput(ItemKind.POSTERS, title="More", posters=[(world["poster"], "A1"), (world["oral"], "A1")]),
    )
    add_item(app, other_room, program.ItemInput(ItemKind.BREAK, starts=time(12), ends=time(12, 30)))
    text = seen(signed_in(app, "chair@example.org").get("/chair/program"))
    assert (
        "To look at (6) "
        "“Morning” (09:00-12:00 CEST) and “Overlapping” (11:30-13:00 CEST) overlap in Hall A. "
        f"Poster #{world['poster']} has no board. "
        "Board A1 is given twice in “More”. "
        "“Break” falls outside its session “Elsewhere”. "
        f"The oral paper #{world['oral']} “Attention that remembers” has no talk in the program. "
        f"The oral paper #{world['second']} “Memory for long dialogues” has no talk in the program."
    ) in text
    # Fixed: a talk for the oral paper, a board for the poster, the overlap and the break moved.
    add_item(app, morning, program.ItemInput(ItemKind.TALK, submission_id=world["oral"], speaker_author_id=world["ben_author"]))
    with app.app_context():
        eve_author = db.session.get(Submission, world["second"]).authors[0].id
    add_item(app, morning, program.ItemInput(ItemKind.TALK, submission_id=world["second"], speaker_author_id=eve_author))
    with app.app_context():
        db.session.get(ProgramSession, overlapping).room = "Hall C"
        item = db.session.scalar(sa.select(ProgramItem).where(ProgramItem.kind == ItemKind.POSTERS))
        item.posters[0].board = "B7"
        db.session.execute(sa.delete(ProgramItem).where(ProgramItem.kind == ItemKind.BREAK))
        db.session.delete(db.session.get(ProgramItem, doubled))
        db.session.commit()
    text = seen(signed_in(app, "chair@example.org").get("/chair/program"))
    assert "Nothing to look at: no overlaps, every oral paper has a talk and every poster a board." in text


def test_a_talk_needs_an_accepted_paper_and_a_speaker_among_its_authors(app: Flask, world: dict[str, int]) -> None:
    (session_id,) = build(app, ("Talks", SUN, time(9), time(10), ""))
    chair = signed_in(app, "chair@example.org")
    with app.app_context():
        cid_author = db.session.get(Submission, world["poster"]).authors[0].id
        dee_author = db.session.get(Submission, world["rejected"]).authors[0].id
    url = f"/chair/program/sessions/{session_id}/new/talk"
    # The form offers each accepted paper with each of its authors, nothing else.
    for value in (f"{world['oral']}:{cid_author}", f"{world['rejected']}:{dee_author}"):
        refused = post_form(chair, url, {"paper": value})
        assert refused.status_code == 422
        assert "Paper and speaker: Not a valid choice." in seen(refused)
    # The service says why, whoever calls it.
    with app.app_context():
        chair_user = db.session.scalar(sa.select(User).where(User.is_chair))
        session = db.session.get(ProgramSession, session_id)
        for number, author, message in (
            (world["oral"], cid_author, "The speaker must be one of the paper's authors."),
            (world["rejected"], dee_author, f"#{world['rejected']} is not an accepted paper."),
        ):
            with pytest.raises(DomainError, match=re.escape(message)):
                program.add_item(
                    chair_user, session, program.ItemInput(ItemKind.TALK, submission_id=number, speaker_author_id=author)
                )
            db.session.rollback()
            session = db.session.get(ProgramSession, session_id)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ProgramItem)) == 0


def test_chair_pages_are_the_chairs_and_an_unpublished_program_is_not_found(app: Flask, world: dict[str, int]) -> None:
    (session_id,) = build(app, ("Talks", SUN, time(9), time(10), ""))
    item_id = add_item(app, session_id, program.ItemInput(ItemKind.KEYNOTE, title="Keynote", speakers=[program.Named(name="K")]))
    anonymous = app.test_client()
    assert anonymous.get("/chair/program").status_code == 302
    for email in ("ann@example.org", "other@example.org"):
        client = signed_in(app, email)
        for url in ("/chair/program", f"/chair/program/sessions/{session_id}", f"/chair/program/items/{item_id}"):
            assert client.get(url).status_code == 403, (email, url)
    for url in ("/program", f"/program/{item_id}", "/program.ics", f"/program/{item_id}.ics"):
        assert anonymous.get(url).status_code == 404, url
    publish(app)
    assert anonymous.get(f"/program/{item_id}").status_code == 200
    assert anonymous.get("/program/987654").status_code == 404


# --- daylight saving and the calendar -------------------------------------------------------------------------------


def test_times_across_daylight_saving_in_the_workshops_zone_and_the_calendar(app: Flask, world: dict[str, int]) -> None:
    sat, sun = build(app, ("Day one", SAT, time(9), time(10), ""), ("Day two", SUN, time(9), time(10), ""))
    first = add_item(app, sat, program.ItemInput(ItemKind.KEYNOTE, title="Before", speakers=[program.Named(world["speaker"])]))
    second = add_item(app, sun, program.ItemInput(ItemKind.KEYNOTE, title="After", speakers=[program.Named(name="Zed")]))
    publish(app)
    visitor = app.test_client()
    page = visitor.get("/program")
    text = seen(page)
    assert "Saturday 27 March 2027 Day one 09:00-10:00 CET" in text
    assert "Sunday 28 March 2027 Day two 09:00-10:00 CEST" in text
    # The visitor's own zone: the slots carry UTC for static/js/program.js, the workshop's zone for the script.
    html = page.get_data(as_text=True)
    assert 'data-start="2027-03-27T08:00:00+00:00" data-end="2027-03-27T09:00:00+00:00"' in html
    assert 'data-start="2027-03-28T07:00:00+00:00" data-end="2027-03-28T08:00:00+00:00"' in html
    assert f'data-zone="{ZONE}"' in html and "js/program.js" in html
    whole = visitor.get("/program.ics")
    assert whole.mimetype == "text/calendar"
    assert whole.headers["Content-Disposition"] == 'attachment; filename="LongLLM2024-program.ics"'
    cal = Calendar.from_ical(whole.data)
    assert str(cal["version"]) == "2.0"
    events = {str(e["summary"]): e for e in cal.walk("VEVENT")}
    assert list(events) == ["Keynote: Before (LongLLM 2024)", "Keynote: After (LongLLM 2024)"]
    before, after = events["Keynote: Before (LongLLM 2024)"], events["Keynote: After (LongLLM 2024)"]
    assert (before.decoded("dtstart"), before.decoded("dtend")) == (
        datetime(2027, 3, 27, 8, tzinfo=UTC),
        datetime(2027, 3, 27, 9, tzinfo=UTC),
    )
    assert (after.decoded("dtstart"), after.decoded("dtend")) == (
        datetime(2027, 3, 28, 7, tzinfo=UTC),
        datetime(2027, 3, 28, 8, tzinfo=UTC),
    )
    assert str(before["description"]).startswith("Speaker: Yejin Choi")
    assert str(before["url"]).endswith(f"/program/{first}")
    # One item's calendar: that event alone, with the same UID as in the whole program.
    one = Calendar.from_ical(visitor.get(f"/program/{second}.ics").data)
    (event,) = one.walk("VEVENT")
    assert str(event["uid"]) == str(after["uid"])
    assert str(event["summary"]) == "Keynote: After (LongLLM 2024)"


def test_an_aoe_workshop_names_its_zone_aoe(app: Flask, world: dict[str, int]) -> None:
    with app.app_context():
        db.session.scalar(sa.select(Workshop)).timezone = "Etc/GMT+12"
        db.session.commit()
    build(app, ("Day", SUN, time(9), time(10), ""))
    publish(app)
    assert "Day 09:00-10:00 AoE" in seen(app.test_client().get("/program"))


# --- accepted papers and their slots, materials ------------------------------------------------------------------


def test_each_accepted_paper_links_to_its_slot_and_back(app: Flask, world: dict[str, int]) -> None:
    morning, afternoon = build(app, ("Morning", SUN, time(9), time(12), ""), ("Afternoon", SUN, time(14), time(16), ""))
    talk = add_item(
        app,
        morning,
        program.ItemInput(
            ItemKind.TALK, submission_id=world["oral"], speaker_author_id=world["ben_author"], starts=time(9), ends=time(9, 20)
        ),
    )
    posters = add_item(app, afternoon, program.ItemInput(ItemKind.POSTERS, title="Posters", posters=[(world["poster"], "P4")]))
    publish(app)
    visitor = app.test_client()
    page = visitor.get("/accepted-papers")
    html = page.get_data(as_text=True)
    assert f'href="/program/{talk}"' in html and f'href="/program/{posters}#poster-{world["poster"]}"' in html
    text = seen(page)
    assert "In the program: Contributed talk, Sunday 28 March 2027, 09:00-09:20 CEST" in text
    assert "In the program: Poster session “Posters”, Sunday 28 March 2027, 14:00-16:00 CEST, board P4" in text
    assert "A rejected idea" not in text
    talk_page = visitor.get(f"/program/{talk}")
    assert f'href="/accepted-papers#paper-{world["oral"]}"' in talk_page.get_data(as_text=True)
    assert "The abstract of attention that remembers." in seen(talk_page)
    assert "P4 Posters of long contexts Cid Poster" in seen(visitor.get(f"/program/{posters}"))


def test_authors_add_slides_and_a_video_shown_on_the_paper_and_its_slot(app: Flask, world: dict[str, int]) -> None:
    (session_id,) = build(app, ("Morning", SUN, time(9), time(12), ""))
    talk = add_item(
        app, session_id, program.ItemInput(ItemKind.TALK, submission_id=world["oral"], speaker_author_id=world["ben_author"])
    )
    publish(app)
    ben = signed_in(app, "ben@example.org")  # a co-author may add them
    url = f"/submissions/{world['oral']}/materials"
    assert "Add a poster, slides or video" in seen(ben.get(f"/submissions/{world['oral']}"))
    slides = make_pdf(3, title="Slides")
    page = post_form(
        ben,
        url,
        {
            "slides": (io.BytesIO(slides), "talk.pdf"),
            "video_url": "https://video.example.org/talk-1",
            "version": version(app, world["oral"]),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Saved: slides added, video link set." in seen(page)
    visitor = app.test_client()
    for public in ("/accepted-papers", f"/program/{talk}"):
        html = visitor.get(public).get_data(as_text=True)
        assert f'href="/accepted-papers/{world["oral"]}/slides.pdf">Slides (PDF)</a>' in html, public
        assert 'href="https://video.example.org/talk-1" rel="noopener">Video</a>' in html, public
    download = visitor.get(f"/accepted-papers/{world['oral']}/slides.pdf")
    assert download.data == slides
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert visitor.get(f"/accepted-papers/{world['oral']}/poster.pdf").status_code == 404  # none added
    # New slides replace the old (their row goes; the file is an orphan for `flask storage check`); then removed.
    with app.app_context():
        first = db.session.get(Submission, world["oral"]).slides_file_id
    newer = make_pdf(2, title="Newer slides")
    page = post_form(
        ben,
        url,
        {
            "slides": (io.BytesIO(newer), "v2.pdf"),
            "video_url": "https://video.example.org/talk-1",
            "version": version(app, world["oral"]),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Saved: slides replaced." in seen(page)
    assert visitor.get(f"/accepted-papers/{world['oral']}/slides.pdf").data == newer
    page = post_form(
        ben,
        url,
        {"remove_slides": "y", "video_url": "", "version": version(app, world["oral"])},
        follow_redirects=True,
    )
    assert "Saved: slides removed, video link removed." in seen(page)
    assert visitor.get(f"/accepted-papers/{world['oral']}/slides.pdf").status_code == 404
    assert "Slides (PDF)" not in seen(visitor.get("/accepted-papers"))
    with app.app_context():
        assert db.session.get(StoredFile, first) is None
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile).where(StoredFile.original_name == "v2.pdf")) == 0
        )


def test_a_disguised_file_or_a_bad_link_is_refused_and_nothing_is_stored(app: Flask, world: dict[str, int]) -> None:
    ann = signed_in(app, "ann@example.org")
    url = f"/submissions/{world['oral']}/materials"
    with app.app_context():
        files = db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile))
    disguised = b"<html><script>alert(1)</script></html>"
    page = post_form(
        ann,
        url,
        {"poster": (io.BytesIO(disguised), "poster.pdf"), "version": version(app, world["oral"])},
        content_type="multipart/form-data",
    )
    assert page.status_code == 422
    assert "The poster:" in seen(page)
    page = post_form(ann, url, {"video_url": "javascript:alert(1)", "version": version(app, world["oral"])})
    assert page.status_code == 422
    assert "Give the video's web address, starting with https:// (or http://)." in seen(page)
    with app.app_context():
        sub = db.session.get(Submission, world["oral"])
        assert (sub.poster_file_id, sub.video_url) == (None, "")
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == files


def test_materials_are_for_the_authors_of_an_accepted_paper(app: Flask, world: dict[str, int]) -> None:
    url = f"/submissions/{world['oral']}/materials"
    assert signed_in(app, "other@example.org").get(url).status_code == 404  # may not know the paper
    assert signed_in(app, "chair@example.org").get(url).status_code == 403  # not an author
    assert signed_in(app, "dee@example.org").get(f"/submissions/{world['rejected']}/materials").status_code == 403
    assert signed_in(app, "ann@example.org").get(url).status_code == 200


def version(app: Flask, number: int) -> str:
    with app.app_context():
        return str(db.session.get(Submission, number).version)


def test_hostile_text_in_the_program_is_shown_escaped_on_every_page_that_shows_it(app: Flask, world: dict[str, int]) -> None:
    from tests.views.test_security_regressions import MARKDOWN_XSS, active_content, hostile

    chair = signed_in(app, "chair@example.org")
    saved = post_form(
        chair,
        "/chair/program/sessions/new",
        {"title": hostile("Session"), "day": "2027-03-28", "starts": "09:00", "ends": "11:00", "room": hostile("Room")},
    )
    assert saved.status_code == 302, seen(saved)
    session_id = build_id(app, ProgramSession)
    saved = post_form(
        chair,
        f"/chair/program/sessions/{session_id}/new/panel",
        {
            "title": hostile("Panel"),
            "abstract": hostile("Abstract") + MARKDOWN_XSS,
            "other_panelists": hostile("Panelist"),
            "moderator_name": hostile("Moderator"),
        },
    )
    assert saved.status_code == 302, seen(saved)
    item_id = build_id(app, ProgramItem)
    ben = signed_in(app, "ben@example.org")
    refused = post_form(ben, f"/submissions/{world['oral']}/materials", {"video_url": hostile("Video")})
    assert refused.status_code == 422
    publish(app)
    visitor = app.test_client()
    pages = {
        "program": (visitor.get("/program"), ["Session", "Room", "Panel", "Panelist", "Moderator"]),
        "item": (visitor.get(f"/program/{item_id}"), ["Session", "Panel", "Abstract", "Panelist", "Moderator"]),
        "chair's program": (chair.get("/chair/program"), ["Session", "Room", "Panel", "Panelist", "Moderator"]),
        "item form": (chair.get(f"/chair/program/items/{item_id}"), []),
        "session form": (chair.get(f"/chair/program/sessions/{session_id}"), []),
        "materials refused": (refused, []),
    }
    assert {what: active_content(response) for what, (response, _) in pages.items()} == {key: [] for key in pages}
    assert {
        what: [label for label in labels if hostile(label) not in text_of(response)] for what, (response, labels) in pages.items()
    } == {key: [] for key in pages}
    assert "[click](javascript:alert(1))" in text_of(pages["item"][0])  # a script link stays text
    # The calendar carries the text as text (iCalendar has no markup to run).
    (event,) = Calendar.from_ical(visitor.get(f"/program/{item_id}.ics").data).walk("VEVENT")
    assert str(event["summary"]) == f"Panel: {hostile('Panel')} (LongLLM 2024)"


def test_a_speaker_removed_from_the_site_keeps_their_name_in_the_program(app: Flask, world: dict[str, int]) -> None:
    (session_id,) = build(app, ("Keynotes", SUN, time(9), time(10), ""))
    item_id = add_item(
        app, session_id, program.ItemInput(ItemKind.KEYNOTE, title="Opening keynote", speakers=[program.Named(world["speaker"])])
    )
    publish(app)
    chair = signed_in(app, "chair@example.org")
    url = f"/chair/content/people/speaker/{world['speaker']}/remove"
    token = re.search(r'name="csrf_token" value="([^"]+)"', chair.get(url).get_data(as_text=True)).group(1)
    removed = chair.post(url, data={"csrf_token": token}, follow_redirects=True)
    assert "The speaker “Yejin Choi” is removed." in seen(removed)
    assert "Keynote Opening keynote Yejin Choi" in seen(app.test_client().get("/program"))
    # Edited again, the keynote keeps her as a typed name.
    form = chair.get(f"/chair/program/items/{item_id}").get_data(as_text=True)
    assert re.search(r"<textarea[^>]*other_speakers[^>]*>\s*Yejin Choi</textarea>", form)


def test_a_session_is_reordered_at_once_as_the_drag_posts_it_and_a_stale_order_moves_nothing(
    app: Flask, world: dict[str, int]
) -> None:
    (session_id,) = build(app, ("Talks", SUN, time(9), time(12), ""))
    first, second, third = (
        add_item(app, session_id, program.ItemInput(ItemKind.BREAK, title=title)) for title in ("One", "Two", "Three")
    )
    chair = signed_in(app, "chair@example.org")
    page = chair.get("/chair/program").get_data(as_text=True)
    assert f'name="order" value="{first},{second},{third}"' in page and "js/program-order.js" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    url = f"/chair/program/sessions/{session_id}/order"
    moved = chair.post(url, data={"csrf_token": token, "order": f"{third},{first},{second}"}, follow_redirects=True)
    assert "The new order is saved." in seen(moved)
    assert re.search(r"1 session Break Three .*2 session Break One .*3 session Break Two", seen(moved))
    stale = chair.post(url, data={"csrf_token": token, "order": f"{first},{second}"}, follow_redirects=True)
    assert "The session's items changed since you opened the page: nothing was moved." in seen(stale)
    assert chair.post(url, data={"csrf_token": token, "order": "1,²"}).status_code == 400
    with app.app_context():
        assert [i.title for i in db.session.get(ProgramSession, session_id).items] == ["Three", "One", "Two"]


def test_the_program_is_public_only_while_the_accepted_papers_it_names_are(app: Flask, world: dict[str, int]) -> None:
    (session_id,) = build(app, ("Talks", SUN, time(9), time(10), ""))
    add_item(
        app, session_id, program.ItemInput(ItemKind.TALK, submission_id=world["oral"], speaker_author_id=world["ben_author"])
    )
    with app.app_context():
        db.session.scalar(sa.select(Workshop)).accepted_published = False
        db.session.commit()
    chair = signed_in(app, "chair@example.org")
    page = chair.get("/chair/program")
    assert "Not on the public site yet: publish the accepted papers first, on the decisions page." in seen(page)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    refused = chair.post("/chair/program/publish", data={"csrf_token": token, "publish": "1"}, follow_redirects=True)
    assert "Publish the accepted papers first (on the decisions page): the program names them." in seen(refused)
    # Published, then the accepted papers taken off the site: the program goes with them.
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        ws.accepted_published = ws.program_published = True
        db.session.commit()
    visitor = app.test_client()
    assert "Attention that remembers" in seen(visitor.get("/program"))
    with app.app_context():
        db.session.scalar(sa.select(Workshop)).accepted_published = False
        db.session.commit()
    for url in ("/program", "/program.ics"):
        assert visitor.get(url).status_code == 404, url
    assert '<a href="/program"' not in visitor.get("/").get_data(as_text=True)
    assert "Published, but hidden while the accepted papers are off the public site." in seen(chair.get("/chair/program"))


def test_a_poster_sessions_page_and_the_program_issue_as_many_statements_for_more_posters(
    app: Flask, world: dict[str, int]
) -> None:
    (session_id,) = build(app, ("Posters", SUN, time(14), time(16), ""))
    small = add_item(app, session_id, program.ItemInput(ItemKind.POSTERS, title="Few", posters=[(world["poster"], "A1")]))
    every = [(world[k], f"B{n}") for n, k in enumerate(("oral", "poster", "second"), start=1)]
    large = add_item(app, session_id, program.ItemInput(ItemKind.POSTERS, title="More", posters=every))
    publish(app)
    visitor = app.test_client()

    def count(url: str) -> int:
        with sql_statements(app) as issued:
            assert visitor.get(url).status_code == 200
        return len(issued)

    assert count(f"/program/{small}") == count(f"/program/{large}")
    assert "B3 Memory for long dialogues Eve Speaker" in seen(visitor.get(f"/program/{large}"))


def test_papers_missing_from_the_program_are_named_a_few_at_a_time_and_the_rest_counted(
    app: Flask, world: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """At conference size thousands of accepted papers wait for a slot: the page names the first ones of each kind
    and counts the rest (here one named, one counted)."""
    monkeypatch.setattr(program, "PAPERS_LISTED", 1)
    text = seen(signed_in(app, "chair@example.org").get("/chair/program"))
    assert (
        f"The oral paper #{world['oral']} “Attention that remembers” has no talk in the program. "
        "And 1 more oral papers have no talk in the program."
    ) in text
    assert f"#{world['second']}" not in text


# --- a chair's slips and second thoughts: a decision taken back, a time the day skips, a day off the workshop's ---


def test_a_paper_whose_decision_changed_leaves_the_public_program_and_its_calendars(app: Flask, world: dict[str, int]) -> None:
    (session_id,) = build(app, ("Talks and posters", SUN, time(9), time(12), "Hall A"))
    with app.app_context():
        ann = db.session.get(Submission, world["oral"]).authors[0].id
        eve = db.session.get(Submission, world["second"]).authors[0].id
    talk = add_item(app, session_id, program.ItemInput(ItemKind.TALK, submission_id=world["oral"], speaker_author_id=ann))
    kept = add_item(app, session_id, program.ItemInput(ItemKind.TALK, submission_id=world["second"], speaker_author_id=eve))
    posters = add_item(app, session_id, program.ItemInput(ItemKind.POSTERS, title="Posters", posters=[(world["poster"], "A1")]))
    publish(app)
    anonymous = app.test_client()
    assert "Attention that remembers" in seen(anonymous.get("/program"))
    # The chairs take back Ann's acceptance (rejected) and Cid's (undecided again) after the program was built.
    with app.app_context():
        chair = db.session.scalar(sa.select(User).where(User.is_chair))
        for key, decision in (("oral", Decision.REJECTED), ("poster", None)):
            sub = db.session.get(Submission, world[key])
            decisions.record_decision(chair, sub, decision=decision, presentation=None, note="", version=None)
        db.session.commit()
    page = seen(anonymous.get("/program"))
    assert "Memory for long dialogues" in page  # the paper still accepted keeps its talk
    for gone in ("Attention that remembers", "Ann Author", "Ben Coauthor", "1 poster"):
        assert gone not in page, gone
    assert anonymous.get(f"/program/{talk}").status_code == 404
    assert anonymous.get(f"/program/{talk}.ics").status_code == 404
    assert anonymous.get(f"/program/{kept}").status_code == 200
    poster_page = seen(anonymous.get(f"/program/{posters}"))
    assert "Posters of long contexts" not in poster_page and "Cid Poster" not in poster_page
    feed = Calendar.from_ical(anonymous.get("/program.ics").data)
    assert sorted(str(e["summary"]) for e in feed.walk("VEVENT")) == [
        "Contributed talk: Memory for long dialogues (LongLLM 2024)",
        "Poster session: Posters (LongLLM 2024)",
    ]
    sitemap = anonymous.get("/sitemap.xml").get_data(as_text=True)
    assert f"/program/{kept}<" in sitemap and f"/program/{talk}<" not in sitemap
    # The chairs still see the talk, with what to do about it.
    chair_page = seen(signed_in(app, "chair@example.org").get("/chair/program"))
    assert "Attention that remembers" in chair_page
    assert f"The talk #{world['oral']} is not an accepted paper now." in chair_page
    assert f"Poster #{world['poster']} is not an accepted paper now." in chair_page


def test_a_clock_time_the_day_skips_is_refused_with_its_reason(app: Flask, world: dict[str, int]) -> None:
    """On Sunday 28 March 2027 Vienna's clocks jump from 02:00 to 03:00: 02:30 is no time of that day."""
    chair = signed_in(app, "chair@example.org")
    reason = (
        "02:30 does not exist on 2027-03-28 in Europe/Vienna: the clocks go forward that night. "
        "Give a time after the change, like 03:30."
    )
    refused = post_form(
        chair, "/chair/program/sessions/new", {"title": "Night owls", "day": "2027-03-28", "starts": "02:30", "ends": "03:15"}
    )
    assert refused.status_code == 422
    assert reason in seen(refused)
    (session_id,) = build(app, ("Early", SUN, time(1), time(5), ""))
    refused = post_form(
        chair, f"/chair/program/sessions/{session_id}/new/break", {"title": "Nap", "starts": "02:30", "ends": "03:15"}
    )
    assert refused.status_code == 422
    assert reason in seen(refused)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ProgramSession)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ProgramItem)) == 0
    # The hour after the change is a time like any other.
    saved = post_form(
        chair, "/chair/program/sessions/new", {"title": "Early birds", "day": "2027-03-28", "starts": "03:00", "ends": "03:45"}
    )
    assert saved.status_code == 302


def test_a_session_on_another_day_than_the_workshops_is_warned(app: Flask, world: dict[str, int]) -> None:
    with app.app_context():
        db.session.scalar(sa.select(Workshop)).starts_on = SAT
        db.session.scalar(sa.select(Workshop)).ends_on = SUN
        db.session.commit()
    chair = signed_in(app, "chair@example.org")
    build(app, ("Saturday", SAT, time(9), time(10), ""), ("Sunday", SUN, time(9), time(10), ""))
    assert "not on the workshop's days" not in seen(chair.get("/chair/program"))
    saved = post_form(
        chair,
        "/chair/program/sessions/new",
        {"title": "Typo in the year", "day": "2017-03-28", "starts": "09:00", "ends": "10:00"},
    )
    assert saved.status_code == 302  # warned, not refused: the chairs may be moving the day
    assert (
        "“Typo in the year” is on Tuesday 28 March 2017, not on the workshop's days "
        "(Saturday 27 March 2027 to Sunday 28 March 2027)."
    ) in seen(chair.get("/chair/program"))
    # A one-day workshop known only by its "workshop" date: the Saturday session is off it now.
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        ws.starts_on = ws.ends_on = None
        ws.dates.append(ImportantDate(kind=DateKind.WORKSHOP, label="Workshop", at=datetime(2027, 3, 28, 9, tzinfo=UTC)))
        db.session.commit()
    page = seen(chair.get("/chair/program"))
    assert "“Saturday” is on Saturday 27 March 2027, not on the workshop's days (Sunday 28 March 2027)." in page
    assert "“Sunday” is on" not in page


@pytest.mark.parametrize(
    "hostile", ["javascript:alert(document.cookie)", "data:text/html,<script>alert(1)</script>", "https://exa\x01mple.org/"]
)
def test_an_address_that_is_no_web_address_is_never_a_link_wherever_it_came_from(
    app: Flask, world: dict[str, int], hostile: str
) -> None:
    """A homepage, a sponsor's link and a video link that reached the database past the forms (an old row, a content
    file of before, a script): the public pages show no link and the event data no url."""
    (session_id,) = build(app, ("Morning", SUN, time(9), time(12), ""))
    talk = add_item(
        app, session_id, program.ItemInput(ItemKind.TALK, submission_id=world["oral"], speaker_author_id=world["ben_author"])
    )
    publish(app)
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        ws.starts_on = SUN
        db.session.get(Person, world["speaker"]).homepage = hostile
        db.session.get(Submission, world["oral"]).video_url = hostile
        sponsor, _ = sponsors.submit_inquiry(
            ws, name="Grace Hopper", organization="Compiler Labs", email="grace@example.org", interest="x", message="y"
        )
        sponsor.state, sponsor.tier, sponsor.website = SponsorState.CONFIRMED, SponsorTier.GOLD, hostile
        db.session.commit()
    visitor = app.test_client()
    for url in ("/", "/speakers", "/sponsors/", "/accepted-papers", f"/program/{talk}"):
        html = visitor.get(url).get_data(as_text=True)
        assert f'href="{escape(hostile)}"' not in html, url
    home = visitor.get("/").get_data(as_text=True)
    assert "Compiler Labs" in home  # the sponsor is shown, by its name, without the link
    event = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', home, re.S).group(1))  # type: ignore[union-attr]
    assert [s.get("url") for s in event["sponsor"]] == [None]
    # The forms refuse it too, with the field's message, and change nothing.
    ann = signed_in(app, "ann@example.org")
    with app.app_context():
        sub = db.session.get(Submission, world["oral"])
        sub.video_url = ""
        db.session.commit()
    page = post_form(
        ann, f"/submissions/{world['oral']}/materials", {"video_url": hostile, "version": version(app, world["oral"])}
    )
    assert page.status_code == 422
    with app.app_context():
        assert db.session.get(Submission, world["oral"]).video_url == ""


def test_a_board_longer_than_the_program_keeps_is_refused_not_cut(app: Flask, world: dict[str, int]) -> None:
    (session_id,) = build(app, ("Posters", SUN, time(14), time(16), ""))
    chair = signed_in(app, "chair@example.org")
    board = "Hall B, second row, third board from the left"
    refused = post_form(
        chair, f"/chair/program/sessions/{session_id}/new/posters", {"title": "Posters", "posters": f"{world['poster']} {board}"}
    )
    assert refused.status_code == 422
    assert f"#{world['poster']}: a board is at most 32 characters, like “A3” (“{board[:40]}”)." in seen(refused)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ProgramItem)) == 0
    saved = post_form(
        chair,
        f"/chair/program/sessions/{session_id}/new/posters",
        {"title": "Posters", "posters": f"{world['poster']} B{'7' * 31}"},
    )
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(ProgramItem)).posters[0].board == "B" + "7" * 31


def test_a_program_items_page_describes_the_item_to_search_engines_and_link_previews(app: Flask, world: dict[str, int]) -> None:
    """A link to a talk shared on a chat or a social site shows what, when and who, not the workshop's tagline."""
    (session_id,) = build(app, ("Sunday", SUN, time(9), time(12), ""))
    keynote = add_item(
        app,
        session_id,
        program.ItemInput(
            ItemKind.KEYNOTE, title='Memory "and" <forgetting>', speakers=[program.Named(name="Kay Note")], starts=time(9)
        ),
    )
    talk = add_item(
        app,
        session_id,
        program.ItemInput(ItemKind.TALK, submission_id=world["oral"], speaker_author_id=world["ben_author"], starts=time(10)),
    )
    panel = add_item(
        app,
        session_id,
        program.ItemInput(
            ItemKind.PANEL,
            title="Panel: evaluation",
            panelists=[program.Named(name="Ada Lovelace"), program.Named(name="Grace Hopper")],
            moderator=program.Named(name="Mo Derator"),
            starts=time(11),
        ),
    )
    publish(app)
    visitor = app.test_client()
    expected = {
        keynote: "Keynote at LongLLM 2024, Sunday 28 March 2027, 09:00\u201312:00 CEST: Memory &#34;and&#34; &lt;forgetting&gt;, "
        "with Kay Note.",
        talk: "Contributed talk at LongLLM 2024, Sunday 28 March 2027, 10:00\u201312:00 CEST: Attention that remembers, "
        "by Ben Coauthor.",
        panel: "Panel at LongLLM 2024, Sunday 28 March 2027, 11:00\u201312:00 CEST: Panel: evaluation, "
        "with Ada Lovelace, Grace Hopper.",
    }
    for item_id, description in expected.items():
        html = visitor.get(f"/program/{item_id}").get_data(as_text=True)
        assert f'<meta name="description" content="{description}">' in html
        assert f'<meta property="og:description" content="{description}">' in html
    # The other pages keep the workshop's own.
    assert '<meta name="description" content="Workshop on Long-Context Large Language Models 2024: ' in visitor.get(
        "/program"
    ).get_data(as_text=True)


def test_an_item_that_would_end_before_it_begins_is_refused(app: Flask, world: dict[str, int]) -> None:
    """One time given and the other left to the session: past the session's end, or before its start, the item would
    read "13:00-12:00" on the public program."""
    (session_id,) = build(app, ("Morning", SUN, time(9), time(12), ""))
    chair = signed_in(app, "chair@example.org")
    url = f"/chair/program/sessions/{session_id}/new/break"
    for given, message in (
        (
            {"starts": "13:00"},
            "The item starts at 13:00, after its session ends (09:00-12:00 CEST): give its end too, or a start within "
            "the session.",
        ),
        (
            {"ends": "08:30"},
            "The item ends at 08:30, before its session starts (09:00-12:00 CEST): give its start too, or an end within "
            "the session.",
        ),
    ):
        refused = post_form(chair, url, {"title": "Coffee", **given})
        assert refused.status_code == 422, given
        assert message in seen(refused)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ProgramItem)) == 0
    # Within the session, or both times given (outside it: warned, not refused), it is saved.
    assert post_form(chair, url, {"title": "Coffee", "starts": "11:30"}).status_code == 302
    assert post_form(chair, url, {"title": "Late coffee", "starts": "12:00", "ends": "12:30"}).status_code == 302
    assert "“Late coffee” falls outside its session “Morning”." in seen(chair.get("/chair/program"))
