"""The command-line tools an organizer runs: content load, demo, emails."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from portal.db import db
from portal.models import DateKind, Topic, Workshop
from tests.conftest import CONTENT_FILE


def test_content_load_twice_changes_nothing(empty_app: Flask) -> None:
    runner = empty_app.test_cli_runner()
    first = runner.invoke(args=["content", "load", str(CONTENT_FILE)])
    assert first.exit_code == 0, first.output
    assert "created" in first.output.splitlines()[0]
    second = runner.invoke(args=["content", "load", str(CONTENT_FILE)])
    assert second.exit_code == 0
    assert second.output == (f"LongLLM 2024 from {CONTENT_FILE}: No changes: the database already matches the file.\n")


def test_content_load_of_an_edited_file_updates_the_site(empty_app: Flask, tmp_path: Path) -> None:
    runner = empty_app.test_cli_runner()
    runner.invoke(args=["content", "load", str(CONTENT_FILE)])
    edited = tmp_path / "edited.toml"
    edited.write_text(CONTENT_FILE.read_text().replace('title = "Others"', 'title = "Other long-context topics"'))
    result = runner.invoke(args=["content", "load", str(edited)])
    assert result.exit_code == 0
    assert result.output.splitlines()[1:] == ["  topics others"]
    page = empty_app.test_client().get("/call-for-papers").get_data(as_text=True)
    assert "Other long-context topics" in page
    with empty_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Topic)) == 7


def test_content_load_reports_a_broken_file_and_changes_nothing(empty_app: Flask, tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('[workshop]\nslug = "x"\nname = "X"\n')
    result = empty_app.test_cli_runner().invoke(args=["content", "load", str(broken)])
    assert result.exit_code == 1
    assert "Error: [workshop] lacks short_name, edition, contact_email" in result.output
    with empty_app.app_context():
        assert db.session.scalars(sa.select(Workshop)).all() == []


def test_demo_loads_the_workshop_with_open_submissions(empty_app: Flask) -> None:
    result = empty_app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "Demo workshop LongLLM 2024 loaded at the submission phase: submissions are open, 12 submissions are in." in (
        result.output
    )
    with empty_app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        assert ws.is_demo
        assert [d.kind for d in ws.dates] == [
            DateKind.SUBMISSION_OPEN,
            DateKind.ABSTRACT_DEADLINE,
            DateKind.PAPER_DEADLINE,
            DateKind.NOTIFICATION,
            DateKind.CAMERA_READY,
            DateKind.WORKSHOP,
        ]
        deadline = ws.date_of(DateKind.PAPER_DEADLINE).at.astimezone(ws.zone)
        assert (deadline.hour, deadline.minute) == (23, 59)
    page = empty_app.test_client().get("/call-for-papers").get_data(as_text=True)
    assert "Paper submission deadline" in page


def test_demo_if_empty_leaves_an_existing_workshop_alone(empty_app: Flask) -> None:
    runner = empty_app.test_cli_runner()
    runner.invoke(args=["demo"])
    with empty_app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        ws.tagline = "Edited by a chair"
        db.session.commit()
    result = runner.invoke(args=["demo", "--if-empty"])
    assert result.output == "The database already holds a workshop; leaving it as it is.\n"
    with empty_app.app_context():
        assert db.session.scalar(sa.select(Workshop.tagline)) == "Edited by a chair"


def test_demo_refuses_to_touch_a_real_workshop(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 1
    assert "holds the workshop 'longllm-2024', which the demo did not create" in result.output
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        assert not ws.is_demo
        assert ws.dates == []


def test_emails_status_counts_the_outbox(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["emails", "status"])
    assert result.output == "The outbox is empty.\n"
