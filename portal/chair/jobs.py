"""Chairs: background jobs with their progress, result, error and a retry button (also for a job that will not go
on by itself: stuck, or lost from the queue)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from portal import jobs, work
from portal.chair.blueprint import bp
from portal.db import db, page_of
from portal.forms import ButtonForm, require_button
from portal.models import Job, JobState
from portal.services import audit
from portal.web import me

JOBS_PER_PAGE = 50


def launch(kind: str, actor: object, **args: object) -> Response:
    """Record a job, commit, dispatch it; show its page (or, when it ran at once, its result). A job of the
    same kind still waiting or running is shown instead of starting a second one (a stuck or lost one is not)."""
    active = jobs.under_way(kind)
    if active is not None:
        flash("This is already under way; here is how far it is.", "success")
        return redirect(url_for(".job", job_id=active.id))
    return started(jobs.start(kind, actor, **args))  # type: ignore[arg-type]


def started(row: Job) -> Response:
    """Commit the request's work with the job it recorded, dispatch the job, and show where it is."""
    work.commit_and_deliver()
    jobs.dispatch(row)
    db.session.refresh(row)
    if row.state == JobState.DONE:
        flash(row.result.get("message", "Done."), "success")
        return redirect(row.result.get("url") or url_for(".job", job_id=row.id))
    return redirect(url_for(".job", job_id=row.id))


def _job(job_id: int) -> Job:
    return db.session.get(Job, job_id) or abort(404)


@bp.get("/jobs")
def jobs_list() -> str:
    """The jobs, newest first, a page at a time, filtered by kind and state; the routine deliveries and copies
    that went well are left out unless asked for."""
    everything = request.args.get("all") == "1"
    kind = request.args.get("kind") if request.args.get("kind") in jobs.JOBS else None
    state = request.args.get("state") if request.args.get("state") in {s.value for s in JobState} else None
    routine = ("outbox", "reviewers_copy")  # one per upload or request: listed when they fail, or on "all"
    stmt = sa.select(Job)
    if not everything and kind is None:
        stmt = stmt.where(sa.or_(Job.kind.not_in(routine), Job.state == JobState.FAILED))
    if kind is not None:
        stmt = stmt.where(Job.kind == kind)
    if state is not None:
        stmt = stmt.where(Job.state == JobState(state))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    page, pages = page_of(total, JOBS_PER_PAGE, request.args.get("page", 1, type=int))
    rows = db.session.scalars(
        stmt.order_by(Job.id.desc()).limit(JOBS_PER_PAGE).offset((page - 1) * JOBS_PER_PAGE).options(selectinload(Job.created_by))
    ).all()
    query = {"all": "1" if everything else None, "kind": kind, "state": state}
    return render_template(
        "chair/jobs.html",
        rows=rows,
        labels={k: v[0] for k, v in jobs.JOBS.items()},
        redacted=redacted,
        stalled=jobs.stalled(rows),
        everything=everything,
        kind=kind,
        state=state,
        states=[s.value for s in JobState],
        total=total,
        page=page,
        pages=pages,
        query={k: v for k, v in query.items() if v},
    )


def redacted(row: Job) -> bool:
    """Another chair's group mail to the reviewers with unfinished reviews counts reviewers of every paper that
    chair handles: a chair conflicted with some of them sees its state, not its numbers."""
    return (
        row.kind == "group_mail"
        and (row.args or {}).get("audience") == "unfinished"
        and row.created_by_id != me().id
        and audit.conflicted(me())
    )


@bp.get("/jobs/<int:job_id>")
def job(job_id: int) -> str:
    row = _job(job_id)
    return render_template(
        "chair/job.html",
        job=row,
        label=jobs.JOBS[row.kind][0],
        JobState=JobState,
        redact=redacted(row),
        stalled=jobs.stall(row),
        minutes=jobs.waited_minutes(row),
        button=ButtonForm(),
    )


@bp.get("/jobs/<int:job_id>.json")
def job_status(job_id: int) -> Response:
    """What the job page's script polls; ``stalled`` ("stuck", "lost", "unreachable" or null) makes it reload the
    page, which then offers the Retry button."""
    row = _job(job_id)
    if redacted(row):
        return jsonify(
            state=row.state.value,
            stalled=jobs.stall(row),
            phase=row.phase,
            done=None,
            total=None,
            percent=100 if row.state == JobState.DONE else 0,
        )
    return jsonify(
        state=row.state.value, stalled=jobs.stall(row), phase=row.phase, done=row.done, total=row.total, percent=row.percent
    )


@bp.post("/jobs/<int:job_id>/retry")
def retry_job(job_id: int) -> Response:
    require_button()
    row = _job(job_id)
    why = "failed" if row.state == JobState.FAILED else jobs.stall(row)
    if why is None:
        flash("This job is neither failed, stuck nor lost; there is nothing to retry.", "error")
        return redirect(url_for(".job", job_id=row.id))
    outcome = work.attempt(lambda: jobs.retry(row, me(), why))
    if not outcome.ok:
        flash(outcome.problem, "error")
    elif outcome.value:
        jobs.dispatch(row)
    else:  # (nothing was changed)
        flash("Someone retried this job a moment ago; here is how far it is.", "success")
    return redirect(url_for(".job", job_id=row.id))
