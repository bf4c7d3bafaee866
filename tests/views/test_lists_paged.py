"""Lists that grow, paged and filtered (issue 20.3): the background jobs and the invitations sent. (The assignment screens have
tests/views/test_assignment_screens.py; submissions, decisions, bids and members have their own files.)"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from portal.chair import jobs as jobs_views
from portal.db import db
from portal.models import Invitation, InvitationState, Job, JobState
from tests.conftest import Worlds, text_of
from tests.views.test_assignment_controls import World, build_world, sign_in
from tests.views.test_assignment_screens import body_rows


@pytest.fixture
def w(app: Flask, worlds: Worlds) -> World:
    return worlds.get(app, build_world)


def add_jobs(w: World, *rows: tuple[str, JobState, dict]) -> list[int]:
    with w.app.app_context():
        jobs = [Job(kind=kind, state=state, result=result, total=12 if kind == "letters" else 0) for kind, state, result in rows]
        db.session.add_all(jobs)
        db.session.commit()
        return [j.id for j in jobs]


def test_the_jobs_list_pages_filters_by_kind_and_state_and_says_what_a_finished_job_did(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    letters, assignment, delivery, failed = add_jobs(
        w,
        ("letters", JobState.DONE, {"message": "12 letters sent."}),
        ("assignment", JobState.RUNNING, {}),
        ("outbox", JobState.DONE, {}),
        ("outbox", JobState.FAILED, {}),
    )
    chair = sign_in(w, "cleo")

    def ids(url: str) -> list[int]:
        return [int(row[0]) for row in body_rows(chair.get(url))]

    # Routine deliveries that went well are left out unless asked for; the newest first.
    assert ids("/chair/jobs") == [failed, assignment, letters]
    assert ids("/chair/jobs?all=1") == [failed, delivery, assignment, letters]
    assert ids("/chair/jobs?kind=outbox") == [failed, delivery]
    assert ids("/chair/jobs?state=done&all=1") == [delivery, letters]
    assert ids("/chair/jobs?kind=nonsense") == [failed, assignment, letters]  # an unknown kind is no filter
    # A finished letters job says what it did, not "0 of 12".
    row = next(r for r in body_rows(chair.get("/chair/jobs")) if int(r[0]) == letters)
    assert row[2:4] == ["done", "12 letters sent."]

    monkeypatch.setattr(jobs_views, "JOBS_PER_PAGE", 2)
    assert ids("/chair/jobs?all=1&page=2") == [assignment, letters]
    page = chair.get("/chair/jobs?all=1")
    assert "4 jobs, newest first; page 1 of 2." in text_of(page)
    assert "/chair/jobs?page=2&amp;all=1" in page.get_data(as_text=True)  # the pager keeps the filter
    with w.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 4


def test_the_invitations_sent_are_paged_searched_and_filtered_by_state(w: World) -> None:
    with w.app.app_context():
        for i, state in enumerate([InvitationState.PENDING] * 3 + [InvitationState.ACCEPTED, InvitationState.REVOKED]):
            db.session.add(
                Invitation(
                    email=f"guest{i}@example.org",
                    name=f"Guest {i} Zed" if i == 4 else f"Guest {i}",
                    token_hash=f"{i:064d}",
                    state=state,
                )
            )
        db.session.commit()
    w.app.config["MEMBERS_PER_PAGE"] = 2
    chair = sign_in(w, "cleo")

    def names(url: str) -> list[str]:
        return [row[0] for row in body_rows(chair.get(url))]

    page = chair.get("/members/invitations")
    assert "3 pending, 1 accepted, 0 declined, 1 revoked." in text_of(page)
    assert "5 invitations, newest first; page 1 of 3." in text_of(page)
    assert names("/members/invitations") == ["Guest 4 Zed", "Guest 3"]  # newest first (same second: by id)
    assert names("/members/invitations?page=3") == ["Guest 0"]
    assert names("/members/invitations?state=pending&page=2") == ["Guest 0"]
    assert names("/members/invitations?q=ZED") == ["Guest 4 Zed"]
    assert names("/members/invitations?q=guest3%40") == ["Guest 3"]  # by address
    assert "No invitation matches." in text_of(chair.get("/members/invitations?q=nobody"))
    assert "state=pending" in chair.get("/members/invitations?state=pending").get_data(as_text=True).split('rel="next"')[0][-200:]
