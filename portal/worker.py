"""What an RQ worker runs for a job (``jobs.WORKER_ENTRY``): the job, inside the app. ``flask --app portal worker``
gives it the app; a bare ``rq worker`` does not, and then the app is built here from the environment."""

from __future__ import annotations

from flask import has_app_context

from portal import create_app, jobs


def execute(job_id: int, attempt: int | None = None) -> None:
    if has_app_context():
        jobs.execute(job_id, attempt)
        return
    with create_app().app_context():
        jobs.execute(job_id, attempt)
