"""The budget of chairs' templates through the pages that take them: a letter template or a group mail that would
produce more than CHAIR_TEMPLATE_MAX_OUTPUT or run longer than CHAIR_TEMPLATE_MAX_SECONDS is refused with the
sandbox's message (422, what the chair typed kept, nothing saved, nothing queued); one that goes over only for one
paper or one recipient names it; a group mail job that goes over fails with that message and queues nothing.

On the code before the budget: the letters page saved a 2.4 MB draft and built a gigabyte for ``center``; group
mail built a gigabyte for one recipient; the job queued every mail; nested loops ran until killed."""

from __future__ import annotations

import time
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from portal import jobs
from portal.db import db
from portal.models import AuditEvent, Job, JobState, Letter, User, Workshop
from portal.services import groupmail
from tests.conftest import SMTPRecorder, text_of
from tests.views.test_decisions import token
from tests.views.test_group_mail import World, client_for, mail_form, outbox
from tests.views.test_group_mail import world as world

NESTED_LOOPS = "{% for i in range(10**6) %}{% for j in range(10**6) %}{% endfor %}{% endfor %}"


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"CHAIR_TEMPLATE_MAX_SECONDS": 0.3}  # the time budget, from the settings, short for the tests


def post_letters(app: Flask, accept: str, reject: str) -> Any:
    chair = client_for(app, "chris@example.org")
    return chair.post(
        "/chair/letters",
        data={"csrf_token": token(chair, "/chair/letters"), "accept_letter": accept, "reject_letter": reject},
        follow_redirects=True,
    )


def saved(app: Flask) -> tuple[str, str, list[tuple[int, str]]]:
    """The letter templates and the letters (paper, body)."""
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        letters = db.session.execute(sa.select(Letter.submission_id, Letter.body).order_by(Letter.submission_id)).all()
        return ws.accept_letter, ws.reject_letter, [tuple(row) for row in letters]


# --- letters ------------------------------------------------------------------------------------------


def test_a_letter_template_over_the_output_budget_is_refused_and_nothing_saved(world: World) -> None:
    app, before = world.app, saved(world.app)
    page = post_letters(app, "Dear {{ authors }},\n{{ ''|center(10**9) }}", "No.")
    assert page.status_code == 422
    assert "Nothing was saved Acceptance letter: This template would produce more than 1 MB of text (line 2)." in text_of(page)
    html = page.get_data(as_text=True)
    assert (
        '<textarea id="accept_letter" name="accept_letter" rows="12" aria-invalid="true" '
        'aria-describedby="accept_letter-error">Dear {{ authors }},\n{{ &#39;&#39;|center(10**9) }}</textarea>'
    ) in html
    assert saved(app) == before


def test_a_letter_template_over_the_time_budget_is_refused_and_nothing_saved(world: World) -> None:
    app, before, started = world.app, saved(world.app), time.monotonic()
    page = post_letters(app, "Yes.", "Dear {{ authors }},\n" + NESTED_LOOPS)
    assert page.status_code == 422
    assert "Nothing was saved Rejection letter: This template would take longer than 0.3 seconds to render (line 2)." in text_of(
        page
    )
    assert time.monotonic() - started < 5  # the form checks the template three times: 0.3 s each
    assert saved(app) == before


def test_a_letter_over_the_budget_for_one_paper_names_it_and_nothing_is_saved(world: World) -> None:
    app, before = world.app, saved(world.app)
    # The output budget, not the file's short time budget, is under test: 100,000 turns of the loop may take longer
    # than 0.3 s on a busy machine, and the refusal would then name the time.
    app.config["CHAIR_TEMPLATE_MAX_SECONDS"] = 30
    # p3 is accepted, its letter a draft: 100 KB on the sample data (title "x"), 2.4 MB for "Positional Interpolation".
    page = post_letters(app, "{% for i in range(100000) %}{{ title }}{% endfor %}", "Sorry, {{ authors }}.")
    assert page.status_code == 422
    assert (
        f"Nothing was saved The accepted letter for #{world.n('p3')}: This template would produce more than 1 MB "
        "of text (line 1). Nothing was saved."
    ) in text_of(page)
    assert saved(app) == before


# --- group mail ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("button", ["preview", "send"])
def test_a_group_mail_over_the_budget_for_one_recipient_names_them_and_queues_nothing(
    world: World, smtp: SMTPRecorder, button: str
) -> None:
    chair = client_for(world.app, "chris@example.org")
    body = "Dear {{ name }},\n{{ name.ljust(10**9) if name == 'Cleo Coauthor' }}"
    page = mail_form(chair, "rejected", "Next steps", body, **{button: button})
    assert page.status_code == 422
    assert (
        f"Nothing was sent The body for Cleo Coauthor <cleo@example.org> about #{world.n('p2')}: This template "
        "would produce more than 1 MB of text (line 2)."
    ) in text_of(page)
    assert "Preview:" not in text_of(page)
    slow = mail_form(chair, "chairs", "Hello {{ name }}" + NESTED_LOOPS, "Hi", **{button: button})
    assert slow.status_code == 422
    assert (
        "Nothing was sent The subject for Carla Chair <carla@example.org>: This template would take longer than "
        "0.3 seconds to render (line 1)."
    ) in text_of(slow)
    assert outbox(world.app) == [] and smtp.messages == []
    with world.app.app_context():
        assert db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "mail.group")).all() == []


def test_a_group_mail_job_over_the_budget_fails_naming_the_recipient_and_queues_nothing(world: World, smtp: SMTPRecorder) -> None:
    app, body = world.app, "Thank you, {{ name }}!{{ 'x' * 5000 }}"
    with app.app_context():
        chris = db.session.scalar(sa.select(User).where(User.email == "chris@example.org"))
        ws = db.session.scalar(sa.select(Workshop))
        shown = groupmail.preview(chris, ws, "reviewers", "Thanks", body)  # 5 KB a mail: within the budget
        job_id = groupmail.send_group_mail(chris, ws, "reviewers", "Thanks", body, digest=shown.digest).id
        db.session.commit()
    app.config["CHAIR_TEMPLATE_MAX_OUTPUT"] = 1000  # the worker's budget is smaller than the request's was
    with app.app_context():
        jobs.execute(job_id)  # what the worker runs: it must not crash
        job = db.session.get(Job, job_id)
        assert (job.state, job.error) == (
            JobState.FAILED,
            "The body for Rex Reader <rex@example.org>: This template "
            "would produce more than 1 KB of text (line 1). The mails not yet queued "
            "were not sent.",
        )
    assert outbox(app) == [] and smtp.messages == []
