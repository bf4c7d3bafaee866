"""The content loader: the TOML file is the source of the public site; loading is idempotent and reports
what it changed; a malformed file is refused with a message that names the place."""

from __future__ import annotations

import copy
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from portal.db import db
from portal.models import ImportantDate, Person, PersonRole, Question, Topic, Workshop
from portal.services.content import ContentError, load_content, read_content_file


def _ids(model: type[Any]) -> dict[str, int]:
    """Every row of ``model`` as {slug-or-label: id}."""
    rows = db.session.scalars(sa.select(model))
    if model is Person:
        return {f"{p.role.value}/{p.slug}": p.id for p in rows}
    return {getattr(r, "slug", None) or r.label: r.id for r in rows}


def _workshop() -> Workshop:
    return db.session.scalars(sa.select(Workshop)).one()


def _names(workshop: Workshop, role: PersonRole) -> list[str]:
    return [p.name for p in workshop.people_in(role)]


# --- loading the real file -----------------------------------------------------------------------------


def test_load_content_real_file_creates_the_workshop(empty_app: Flask, content: dict[str, Any]) -> None:
    with empty_app.app_context():
        _, report = load_content(content)
        db.session.commit()
        db.session.expire_all()

        workshop = _workshop()
        assert workshop.name == "Workshop on Long-Context Large Language Models"
        assert (workshop.short_name, workshop.edition) == ("LongLLM", "2024")
        assert workshop.contact_email == "longllm.workshop@gmail.com"
        assert workshop.zone_label == "AoE"
        assert [t.title for t in workshop.topics] == [
            "Novel architecture design of Large Language Models to capture long dependency",
            "Efficient training methods for Large Language Models to attend on long context",
            "Embedding-based methods for Large Language Model pre-training on long context dependency",
            "Resources and Evaluations",
            "Hardware-aware Optimization",
            "Augmentation-based language models",
            "Others",
        ]
        assert [q.title for q in workshop.questions] == [
            "Innovative Design",
            "Extension of Existing Models",
            "Efficiency and Sustainability",
            "Accessibility",
            "Formulations",
            "Evaluation",
            "Safety Measures",
        ]
        assert _names(workshop, PersonRole.SPEAKER) == ["Yejin Choi", "Luke Zettlemoyer"]
        assert _names(workshop, PersonRole.ORGANIZER) == [
            "Zexue He",
            "Weizhi Wang",
            "Szymon Tworkowski",
            "Yu Wang",
            "Niloofar Mireshghallah",
        ]
        assert _names(workshop, PersonRole.STEERING) == ["Yuandong Tian", "Julian McAuley", "Zhou Yu"]
        assert _names(workshop, PersonRole.PANELIST) == []
        assert workshop.people_in(PersonRole.SPEAKER)[0].affiliations == [
            "University of Washington",
            "Allen Institute for AI",
        ]
        assert workshop.dates == []

    # 1 workshop + 7 questions + 7 topics + 10 people + 2 submission types + 4 sponsor options
    assert report.summary() == "31 created, 0 updated, 0 deleted."
    assert report.created[:2] == ["workshop longllm-2024", "questions innovative-design"]


def test_load_content_same_data_twice_changes_nothing(app: Flask, content: dict[str, Any]) -> None:
    with app.app_context():
        before = {m.__name__: _ids(m) for m in (Workshop, Question, Topic, Person)}
        _, report = load_content(content)
        db.session.commit()
        db.session.expire_all()
        after = {m.__name__: _ids(m) for m in (Workshop, Question, Topic, Person)}

    assert report.changed is False
    assert report.summary() == "No changes: the database already matches the file."
    assert (report.created, report.updated, report.deleted) == ([], [], [])
    assert after == before


def test_load_content_edited_copy_updates_exactly_what_changed(app: Flask, content: dict[str, Any]) -> None:
    edited = copy.deepcopy(content)
    edited["workshop"]["contact_email"] = "chairs@longllm.example.org"
    edited["topics"][0]["title"] = "New architectures for long dependencies"
    # Zhou Yu is the last person listed, so nobody else's position moves.
    edited["people"] = [p for p in edited["people"] if p["slug"] != "zhou-yu"]
    edited["people"].append({"role": "panelist", "slug": "jane-doe", "name": "Jane Doe", "affiliation": ["Example University"]})
    with app.app_context():
        before = {m.__name__: _ids(m) for m in (Question, Topic, Person)}
        _, report = load_content(edited)
        db.session.commit()
        db.session.expire_all()

        workshop = _workshop()
        assert workshop.contact_email == "chairs@longllm.example.org"
        assert workshop.topics[0].title == "New architectures for long dependencies"
        assert _names(workshop, PersonRole.STEERING) == ["Yuandong Tian", "Julian McAuley"]
        assert _names(workshop, PersonRole.PANELIST) == ["Jane Doe"]
        assert workshop.people_in(PersonRole.PANELIST)[0].affiliations == ["Example University"]
        after = {m.__name__: _ids(m) for m in (Question, Topic, Person)}

    assert report.updated == ["workshop longllm-2024", "topics architecture"]
    assert report.created == ["people panelist jane-doe"]
    assert report.deleted == ["people steering zhou-yu"]
    assert report.summary() == "1 created, 2 updated, 1 deleted."
    # Untouched rows keep their ids (submissions and links point at them).
    assert after["Question"] == before["Question"]
    assert after["Topic"] == before["Topic"]
    unchanged_people = {k: v for k, v in before["Person"].items() if k != "steering/zhou-yu"}
    assert {k: v for k, v in after["Person"].items() if k != "panelist/jane-doe"} == unchanged_people


# --- dates and time zones ------------------------------------------------------------------------------

DATES_TOML = """
[[dates]]
kind = "paper_deadline"
label = "Paper submission deadline"
at = 2024-02-03T23:59:00

[[dates]]
kind = "notification"
label = "Author notification"
at = 2024-03-01T12:00:00+02:00

[[dates]]
kind = "camera_ready"
label = "Camera-ready deadline"
at = 2024-03-15
"""


def _stored_dates(app: Flask, content: dict[str, Any], extra_toml: str) -> dict[str, datetime]:
    data = copy.deepcopy(content)
    data.update(tomllib.loads(extra_toml))
    with app.app_context():
        load_content(data)
        db.session.commit()
    with app.app_context():  # a fresh session: the values come back from the database
        return {d.label: d.at for d in db.session.scalars(sa.select(ImportantDate))}


def test_load_content_local_datetime_is_read_in_aoe(app: Flask, content: dict[str, Any]) -> None:
    dates = _stored_dates(app, content, DATES_TOML)

    deadline = dates["Paper submission deadline"]
    assert deadline == datetime(2024, 2, 4, 11, 59, tzinfo=UTC)
    assert deadline.tzinfo == UTC
    assert deadline.isoformat() == "2024-02-04T11:59:00+00:00"


def test_load_content_datetime_with_offset_keeps_its_offset(app: Flask, content: dict[str, Any]) -> None:
    dates = _stored_dates(app, content, DATES_TOML)

    assert dates["Author notification"].isoformat() == "2024-03-01T10:00:00+00:00"


def test_load_content_bare_date_means_2359_aoe(app: Flask, content: dict[str, Any]) -> None:
    dates = _stored_dates(app, content, DATES_TOML)

    assert dates["Camera-ready deadline"].isoformat() == "2024-03-16T11:59:00+00:00"


def test_load_content_same_dates_twice_changes_nothing(app: Flask, content: dict[str, Any]) -> None:
    data = copy.deepcopy(content)
    data.update(tomllib.loads(DATES_TOML))
    with app.app_context():
        load_content(data)
        db.session.commit()
    with app.app_context():
        _, report = load_content(data)

    assert report.summary() == "No changes: the database already matches the file."


# --- refused files -------------------------------------------------------------------------------------


def _without(data: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != key}


def _bad_role(data: dict[str, Any]) -> dict[str, Any]:
    data["people"][0]["role"] = "keynote"
    return data


def _bad_zone(data: dict[str, Any]) -> dict[str, Any]:
    data["workshop"]["timezone"] = "Mars/Olympus_Mons"
    return data


def _no_contact(data: dict[str, Any]) -> dict[str, Any]:
    del data["workshop"]["contact_email"]
    return data


def _twice_topic(data: dict[str, Any]) -> dict[str, Any]:
    data["topics"][3]["slug"] = "architecture"
    return data


def _topic_without_title(data: dict[str, Any]) -> dict[str, Any]:
    del data["topics"][1]["title"]
    return data


def _date_as_string(data: dict[str, Any]) -> dict[str, Any]:
    data["dates"] = [{"kind": "paper_deadline", "label": "Deadline", "at": "3 Feb 2024"}]
    return data


def _homepage(url: str) -> Any:
    def edit(data: dict[str, Any]) -> dict[str, Any]:
        data["people"][0]["homepage"] = url
        return data

    return edit


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: _without(d, "workshop"), "the file has no [workshop] table"),
        (
            _homepage("javascript:alert(document.cookie)"),
            "person yejin-choi: homepage 'javascript:alert(document.cookie)' is not a web address starting with "
            "https:// or http://",
        ),
        (
            _homepage("data:text/html,<script>alert(1)</script>"),
            "person yejin-choi: homepage 'data:text/html,<script>alert(1)</script>' is not a web address starting "
            "with https:// or http://",
        ),
        (_no_contact, "[workshop] lacks contact_email"),
        (_bad_role, "person yejin-choi: 'keynote' is not one of speaker, panelist, organizer, steering"),
        (_bad_zone, "unknown time zone 'Mars/Olympus_Mons'"),
        (_twice_topic, "[[topics]] item 4: 'architecture' appears twice"),
        (_topic_without_title, "[[topics]] item 2: missing key 'title'"),
        (_date_as_string, "date Deadline: 'at' must be a TOML date or date-time, not '3 Feb 2024'"),
    ],
    ids=[
        "no-workshop",
        "javascript-homepage",
        "data-homepage",
        "no-contact-email",
        "unknown-role",
        "unknown-zone",
        "duplicate-topic",
        "topic-without-title",
        "date-as-string",
    ],
)
def test_load_content_malformed_data_is_refused(empty_app: Flask, content: dict[str, Any], edit: Any, message: str) -> None:
    with empty_app.app_context():
        with pytest.raises(ContentError) as excinfo:
            load_content(edit(copy.deepcopy(content)))
        db.session.rollback()
        assert db.session.scalars(sa.select(Workshop)).all() == []

    assert str(excinfo.value) == message


def test_read_content_file_malformed_toml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('[workshop]\nslug = "longllm-2024"\nname = "unterminated\n', encoding="utf-8")

    with pytest.raises(ContentError) as excinfo:
        read_content_file(path)

    assert str(excinfo.value).startswith(f"{path}: not valid TOML: ")
    assert "line 3" in str(excinfo.value)


def test_read_content_file_missing_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"

    with pytest.raises(ContentError) as excinfo:
        read_content_file(path)

    assert str(excinfo.value) == f"{path}: no such file"


@pytest.mark.parametrize("value", ["eight", 0, 2.5])
def test_load_content_bad_page_limit_is_refused(empty_app: Flask, content: dict[str, Any], value: Any) -> None:
    data = copy.deepcopy(content)
    data["submission_types"][0]["page_limit"] = value
    with empty_app.app_context(), pytest.raises(ContentError) as excinfo:
        load_content(data)
    assert str(excinfo.value) == (f"submission type full: page_limit must be a whole number of at least 1, not {value!r}")
