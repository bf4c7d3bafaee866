"""Background jobs. ``start(kind, actor, **args)`` records a ``Job`` in the caller's transaction; after the
commit, ``dispatch(job)`` hands it to RQ when ``REDIS_URL`` is set (``flask --app portal worker`` runs it),
and otherwise runs the same function at once, in the request. Every job function is safe to run again: it
works from what the database says is still to do, and commits each finished piece on its own (a batch of
letters or group mails, one delivered mail), so a job killed half-way and retried does nothing twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context, has_request_context, url_for
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.db import db, utcnow
from portal.models import Job, JobState, User
from portal.services import DomainError

log = logging.getLogger(__name__)

#: kind -> (label for the chair, function(job, progress, **args) -> result dict)
JOBS: dict[str, tuple[str, Callable[..., dict[str, Any]]]] = {}


def job(kind: str, label: str) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., dict[str, Any]]]:
    def register(fn: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        JOBS[kind] = (label, fn)
        return fn

    return register


class Progress:
    """Reports how far a job is, on a connection of its own, so other requests see it while the job's own
    transaction is still open; at most a few writes a second."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self._last = 0.0

    def __call__(self, done: int | None = None, total: int | None = None, phase: str | None = None,
                 *, force: bool = False) -> None:  # fmt: skip
        now = time.monotonic()
        if not force and phase is None and now - self._last < 0.3:
            return
        self._last = now
        values: dict[str, Any] = {"updated_at": utcnow()}
        if done is not None:
            values["done"] = done
        if total is not None:
            values["total"] = total
        if phase is not None:
            values["phase"] = phase[:200]
        try:
            with db.engine.begin() as conn:
                conn.execute(sa.update(Job).where(Job.id == self.job_id).values(**values))
        except sa.exc.OperationalError as exc:  # a busy database: the progress bar waits, the job goes on
            log.warning("job %s: progress not recorded: %s", self.job_id, exc)


def path_for(endpoint: str, **values: Any) -> str:
    """``url_for`` that also works in a worker, where there is no request: the path, for links on the job page."""
    if has_request_context():
        return url_for(endpoint, **values)
    return current_app.url_map.bind("localhost", script_name="/").build(endpoint, values)


def stuck(row: Job) -> bool:
    """Running, and silent for longer than a job may run (RQ stops it then): its worker is gone."""
    limit = current_app.config["JOBS_TIMEOUT"] + 60
    return row.state == JobState.RUNNING and (utcnow() - row.updated_at).total_seconds() > limit


def under_way(kind: str) -> Job | None:
    """The job of this kind still waiting or running (not stuck), if any: a second one is not started."""
    row = db.session.scalar(sa.select(Job).where(Job.kind == kind, Job.state.in_([JobState.QUEUED, JobState.RUNNING]))
                            .order_by(Job.id.desc()))  # fmt: skip
    return row if row is not None and not stuck(row) else None


def start(kind: str, actor: User | None, **args: Any) -> Job:
    """Record a job (the caller commits, then calls ``dispatch``)."""
    if kind not in JOBS:
        raise ValueError(f"unknown job {kind!r}")
    row = Job(kind=kind, args=args, created_by_id=actor.id if actor else None, phase="Waiting for a worker")
    db.session.add(row)
    db.session.flush()
    return row


_RECORDED = "portal.jobs.recorded"


def later(kind: str, actor: User | None, **args: Any) -> Job:
    """Record a job in the caller's transaction, to be dispatched by ``dispatch_recorded()`` after its commit
    (``emails.commit_and_deliver`` does both); rolled back with the caller's work, it never runs."""
    row = start(kind, actor, **args)
    db.session.info.setdefault(_RECORDED, []).append(row.id)
    return row


@event.listens_for(Session, "after_rollback")
def _forget_recorded(session: Session) -> None:
    session.info.pop(_RECORDED, None)  # rolled back with the work that recorded them: they never existed


def dispatch_recorded() -> None:
    """After the commit: dispatch the jobs ``later()`` recorded in it."""
    for job_id in db.session.info.pop(_RECORDED, []):
        row = db.session.get(Job, job_id)
        if row is not None and row.state == JobState.QUEUED:
            dispatch(row)


def is_async() -> bool:
    return bool(current_app.config.get("REDIS_URL"))


def queue():
    from redis import Redis
    from rq import Queue

    config = current_app.config
    return Queue(config["JOBS_QUEUE"], connection=Redis.from_url(config["REDIS_URL"]),
                 default_timeout=config["JOBS_TIMEOUT"])  # fmt: skip


def dispatch(row: Job) -> bool:
    """After the commit: to the RQ queue, or run now (no Redis). With Redis unreachable the job is marked
    failed with the reason (the chair can retry it) and False is returned; the caller's work stays committed."""
    if not is_async():
        execute(row.id)
        return True
    try:
        queue().enqueue(execute, row.id, job_id=f"portal-job-{row.id}-{row.attempts}", failure_ttl=7 * 86400)
    except Exception as exc:  # redis.ConnectionError and kin: never a 500 after the commit
        log.error("job %s could not be queued: %s", row.id, exc)
        db.session.execute(sa.update(Job).where(Job.id == row.id, Job.state == JobState.QUEUED).values(
            state=JobState.FAILED, error=f"The job queue (Redis) could not be reached: {type(exc).__name__}",
            finished_at=utcnow(), updated_at=utcnow()))  # fmt: skip
        db.session.commit()
        return False
    return True


def retry(row: Job, actor: User) -> None:
    """Run a failed (or stuck) job again, as the chair who asks; the caller commits, then dispatches."""
    row.state, row.error, row.finished_at = JobState.QUEUED, "", None
    row.attempts += 1
    row.created_by_id = actor.id
    row.phase = "Waiting for a worker"


def execute(job_id: int) -> None:
    """Run one job: the function RQ calls (in the worker, with its app) and the request calls without Redis."""
    if not has_app_context():  # an RQ worker started without `flask worker`: build the app from the environment
        from portal import create_app

        with create_app().app_context():
            execute(job_id)
        return
    # Claim the job: of two copies (a retry pressed twice, a queue delivering twice), one runs, the other stops.
    claimed = db.session.execute(sa.update(Job).where(Job.id == job_id, Job.state == JobState.QUEUED).values(
        state=JobState.RUNNING, started_at=utcnow(), updated_at=utcnow())).rowcount  # fmt: skip
    db.session.commit()
    if not claimed:
        return
    row = db.session.get(Job, job_id)
    db.session.refresh(row)  # type: ignore[arg-type]
    _, fn = JOBS[row.kind]  # type: ignore[union-attr]
    progress = Progress(job_id)
    try:
        result = fn(row, progress, **row.args)
    except Exception as exc:  # any failure is shown to the chair with a retry button
        db.session.rollback()
        log.exception("job %s (%s) failed", job_id, row.kind)
        row = db.session.get(Job, job_id)
        row.state, row.finished_at, row.updated_at = JobState.FAILED, utcnow(), utcnow()
        # The first line only: a database error's SQL and parameters stay in the log, not on the page.
        first = str(exc).splitlines()[0] if str(exc) else ""
        row.error = (first if isinstance(exc, DomainError) else f"{type(exc).__name__}: {first}")[:500]
        db.session.commit()
        return
    db.session.refresh(row)
    row.state, row.finished_at, row.updated_at = JobState.DONE, utcnow(), utcnow()
    row.result, row.phase = result, "Finished"
    db.session.commit()


# --- the jobs ------------------------------------------------------------------------------------------


@job("assignment", "Automatic assignment")
def run_assignment(row: Job, progress: Progress, *, workshop_id: int) -> dict[str, Any]:
    from portal.models import Workshop
    from portal.services import reviewing

    ws = db.session.get(Workshop, workshop_id)
    actor = db.session.get(User, row.created_by_id) if row.created_by_id else None
    proposal = reviewing.propose_assignment(actor, ws, on_phase=lambda phase: progress(phase=phase))
    db.session.commit()
    pairs = len(proposal.result["pairs"])
    return {"message": f"Proposal {proposal.id}: {pairs} assignment{'s' if pairs != 1 else ''} to review before "
                       "applying.", "url": path_for("chair.proposal", proposal_id=proposal.id)}  # fmt: skip


LETTERS_PER_TRANSACTION = 200


@job("letters", "Sending the decision letters")
def run_letters(row: Job, progress: Progress, *, workshop_id: int) -> dict[str, Any]:
    """The letters are queued and marked ``LETTERS_PER_TRANSACTION`` at a time, each batch in a transaction of its
    own, then the outbox delivers them: a rerun queues only the letters still drafts and delivers only the mail
    still waiting."""
    from portal.models import Workshop
    from portal.services import decisions

    ws = db.session.get(Workshop, workshop_id)
    actor = db.session.get(User, row.created_by_id) if row.created_by_id else None
    drafts = decisions.sendable_letters(actor)
    total, sent = len(drafts), 0
    progress(0, total, "Putting the letters in the outbox", force=True)
    for first in range(0, total, LETTERS_PER_TRANSACTION):
        batch = drafts[first : first + LETTERS_PER_TRANSACTION]
        sent += decisions.send_letters(actor, ws, only=batch)  # fewer when another send claimed some first
        db.session.commit()
        progress(first + len(batch), total)
    stale = decisions.stale_letters(actor)
    note = (f" Not sent: the draft{'s' if len(stale) != 1 else ''} for {', '.join(f'#{n}' for n in stale[:20])}"
            f"{' and others' if len(stale) > 20 else ''}, written for a decision since changed: prepare the drafts "
            "again." if stale else "")  # fmt: skip
    return _deliver(progress, f"{sent} letter{'s' if sent != 1 else ''} sent to the authors.{note}",
                    path_for("chair.letters"), kind="decision_letter")


@job("outbox", "Delivering the outbox")
def run_outbox(row: Job, progress: Progress, *, ids: list[int] | None = None) -> dict[str, Any]:
    from portal import emails

    waiting = emails.pending_ids(ids)
    progress(0, len(waiting), "Delivering", force=True)
    report = emails.send_pending(waiting, on_progress=lambda n: progress(n, len(waiting)))
    return {"message": f"{len(report.sent)} delivered, {len(report.deferred)} waiting for a retry, "
                       f"{len(report.failed)} failed."}  # fmt: skip


@job("reviewers_copy", "Making the reviewers' copy of a paper")
def run_reviewers_copy(row: Job, progress: Progress, *, revision_id: int) -> dict[str, Any]:
    """The copy without document metadata of a large upload, made after the author's request answered."""
    from portal.models import Revision
    from portal.services.submissions import ensure_reviewers_copy, megabytes

    revision = db.session.get(Revision, revision_id)
    if revision is None:
        return {"message": "The upload was replaced or removed; no copy was needed."}
    progress(0, 1, "Removing the document metadata", force=True)
    file = ensure_reviewers_copy(revision)
    if file is None:
        raise RuntimeError("The PDF could not be copied without its metadata; reviewers get it when they download.")
    db.session.commit()
    return {"message": f"The reviewers' copy of paper #{revision.submission_id} is ready ({megabytes(file.size)})."}


@job("group_mail", "Sending a group mail")
def run_group_mail(row: Job, progress: Progress, *, workshop_id: int, event_id: int, audience: str, subject: str,
                   body: str, digest: str, sender_id: int) -> dict[str, Any]:  # fmt: skip
    """Queue the mails of a group mail in batches, each batch in its own transaction, then deliver them. A rerun
    skips the recipients already queued (the list is in a stable order and checked against the preview)."""
    from portal.models import Workshop
    from portal.services import groupmail

    ws = db.session.get(Workshop, workshop_id)
    # The sender's audience, whoever retries it: "unfinished reviews" leaves out the sender's own papers.
    actor = db.session.get(User, sender_id)
    progress(phase="Writing the mails", force=True)
    count = groupmail.queue_group_mail(actor, ws, event_id, audience, subject, body, digest=digest,
                                       on_progress=lambda n, total: progress(n, total))  # fmt: skip
    return _deliver(progress, f"Sent {count} mail{'s' if count != 1 else ''} to {groupmail.AUDIENCES[audience].lower()}.",
                    path_for("chair.mail"), kind=groupmail.kind_of(event_id))  # fmt: skip


def _deliver(progress: Progress, message: str, url: str, *, ids: list[int] | None = None,
             kind: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Deliver the mail still queued among ``ids`` or of ``kind``; the result says what could not go yet."""
    from portal import emails

    waiting = emails.pending_ids(ids, kind=kind)
    progress(0, len(waiting), "Delivering", force=True)
    report = emails.send_pending(waiting, on_progress=lambda n: progress(n, len(waiting)))
    undelivered = len(report.deferred) + len(report.failed)
    if undelivered:
        message += f" {undelivered} could not be delivered yet and will be retried."
    return {"message": message, "url": url}
