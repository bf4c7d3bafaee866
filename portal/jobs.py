"""Background jobs. ``start(kind, actor, **args)`` records a ``Job`` in the caller's transaction; after the
commit, ``dispatch(job)`` hands it to RQ when ``REDIS_URL`` is set (``flask --app portal worker`` runs it),
and otherwise runs the same function at once, in the request. Every job function is safe to run again: it
works from what the database says is still to do, and commits each finished piece on its own (a batch of
letters or group mails, one delivered mail), so a job killed half-way and retried does nothing twice.

Redis is a helper, not a single point of failure. A job that cannot be queued runs in the request (the outbox's
delivery) or is marked failed with the reason, for a chair to retry. A queued job with no entry in the queue
(Redis restarted without persistence, a process killed between the commit and the queueing) is shown as lost
after ``JOBS_LOST_AFTER`` seconds, offered for retry, and no longer blocks its kind; a running job silent for
longer than ``JOBS_TIMEOUT`` is shown as stuck, likewise. Each run is one *attempt* (``Job.attempts``): a retry
starts the next, and every state write of a run (its claim, its progress, its end) holds only while the row is
still at that run's attempt, so a stuck run that goes on after its retry stops at its next word and overwrites
nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.db import db, utcnow
from portal.domain import DomainError
from portal.extensions import redis_address
from portal.models import Job, JobState, User

log = logging.getLogger(__name__)

#: kind -> (label for the chair, function(job, progress, **args) -> result dict)
JOBS: dict[str, tuple[str, Callable[..., dict[str, Any]]]] = {}
#: Kinds that run in the request when the queue cannot be reached (short work someone is waiting for: mail).
RUN_HERE_WITHOUT_QUEUE: set[str] = set()


def job(
    kind: str, label: str, *, run_here_without_queue: bool = False
) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., dict[str, Any]]]:
    def register(fn: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        JOBS[kind] = (label, fn)
        if run_here_without_queue:
            RUN_HERE_WITHOUT_QUEUE.add(kind)
        return fn

    return register


def _name(row: Job) -> str:
    """The job as the log names it: "Job 12 (Sending the decision letters)"."""
    return f"Job {row.id} ({JOBS[row.kind][0] if row.kind in JOBS else row.kind})"


class Superseded(Exception):
    """This run of a job was declared stuck and retried: the row belongs to a later attempt now."""


def _this_run(job_id: int, attempt: int | None) -> list[sa.ColumnElement[bool]]:
    """The conditions under which a run at ``attempt`` (None: whichever runs) still owns the job's row."""
    return [Job.id == job_id, Job.state == JobState.RUNNING] + ([Job.attempts == attempt] if attempt is not None else [])


class Progress:
    """Reports how far a job is, on a connection of its own, so other requests see it while the job's own
    transaction is still open; at most a few writes a second. A run whose row has moved on to a later attempt
    (declared stuck and retried) hears ``Superseded`` at its next report, and stops."""

    def __init__(self, job_id: int, attempt: int | None = None) -> None:
        self.job_id = job_id
        self.attempt = attempt
        self._last = 0.0

    def __call__(
        self, done: int | None = None, total: int | None = None, phase: str | None = None, *, force: bool = False
    ) -> None:
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
                owned = conn.execute(sa.update(Job).where(*_this_run(self.job_id, self.attempt)).values(**values)).rowcount
        except sa.exc.OperationalError as exc:  # a busy database: the progress bar waits, the job goes on
            log.warning("job %s: progress not recorded: %s", self.job_id, exc)
            return
        if not owned:
            raise Superseded


def path_for(endpoint: str, **values: Any) -> str:
    """``url_for`` that also works in a worker, where there is no request: the path, for links on the job page."""
    if has_request_context():
        return url_for(endpoint, **values)
    return current_app.url_map.bind("localhost", script_name="/").build(endpoint, values)


def stuck(row: Job) -> bool:
    """Running, and silent for longer than a job may run (RQ stops it then): its worker is gone."""
    limit = current_app.config["JOBS_TIMEOUT"] + 60
    return row.state == JobState.RUNNING and (utcnow() - row.updated_at).total_seconds() > limit


def waited(row: Job) -> float:
    """Seconds since the job was queued (or retried), or last reported."""
    return (utcnow() - row.updated_at).total_seconds()


def waited_minutes(row: Job) -> int:
    return max(1, int(waited(row) // 60))


#: RQ's states of an entry that will still run (or runs); any other, or none, means the entry is gone.
_ENTRY_ENDED = {"finished", "failed", "stopped", "canceled"}


def stalled(rows: Sequence[Job]) -> dict[int, str]:
    """Which of these jobs will not go on by themselves, and why: "stuck" (running and silent for longer than a job
    may run), "lost" (queued for longer than ``JOBS_LOST_AFTER`` and not in the job queue; without Redis, not run
    by the request that queued it), or "unreachable" (as long, and the queue cannot be asked). One round trip to
    Redis for all of them, and none when no job has waited that long."""
    found = {row.id: "stuck" for row in rows if stuck(row)}
    limit = current_app.config["JOBS_LOST_AFTER"]
    waiting = [row for row in rows if row.state == JobState.QUEUED and waited(row) > limit]
    if not waiting:
        return found
    if not is_async():  # the request that recorded it runs it at once after its commit: that request died
        return found | {row.id: "lost" for row in waiting}
    from rq.job import Job as Entry

    try:
        with connection().pipeline(transaction=False) as pipe:
            for row in waiting:
                pipe.hget(Entry.key_for(_entry_id(row.id, row.attempts)), "status")
            states = pipe.execute()
    except Exception:  # redis.ConnectionError and kin: nobody can tell; a retry is safe (see ``execute``)
        return found | {row.id: "unreachable" for row in waiting}
    for row, state in zip(waiting, states, strict=True):
        if state is None or state.decode() in _ENTRY_ENDED:
            found[row.id] = "lost"
    return found


def stall(row: Job) -> str | None:
    """``stalled`` for one job."""
    return stalled([row]).get(row.id)


def under_way(kind: str) -> Job | None:
    """The job of this kind still waiting or running (neither stuck nor lost), if any: a second one is not
    started. A stalled one does not count, so no kind is blocked for ever."""
    rows = db.session.scalars(
        sa.select(Job).where(Job.kind == kind, Job.state.in_([JobState.QUEUED, JobState.RUNNING])).order_by(Job.id.desc())
    ).all()
    gone = stalled(rows)
    return next((row for row in rows if row.id not in gone), None)


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
    (``work.commit_and_deliver`` does both); rolled back with the caller's work, it never runs."""
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


def connection():
    """This app's Redis client for the job queue (one pool per process and URL). It waits ``REDIS_TIMEOUT`` seconds
    at most for a connection; a command, once connected, has no time limit (a worker's read of the queue blocks)."""
    from redis import Redis

    config = current_app.config
    clients = current_app.extensions.setdefault("portal.redis", {})
    if config["REDIS_URL"] not in clients:
        clients[config["REDIS_URL"]] = Redis.from_url(config["REDIS_URL"], socket_connect_timeout=config["REDIS_TIMEOUT"])
    return clients[config["REDIS_URL"]]


def queue():
    from rq import Queue

    config = current_app.config
    return Queue(config["JOBS_QUEUE"], connection=connection(), default_timeout=config["JOBS_TIMEOUT"])


def _entry_id(job_id: int, attempt: int) -> str:
    """The id of the job's entry in the RQ queue: one per attempt, named after the queue (``portal-job-12-1`` on the
    default queue). Job ids are this portal's own, so two portals (or two test runs) sharing a Redis database each
    need a queue of their own; their entries then differ too, and one's finished job 1 never reads as the other's."""
    return f"{current_app.config['JOBS_QUEUE']}-job-{job_id}-{attempt}"


def dispatch(row: Job) -> bool:
    """After the commit: to the RQ queue, or run now (no Redis). With Redis unreachable, a kind someone is waiting
    for (the outbox's delivery) runs now, in the request, as it does without Redis; any other is marked failed with
    the reason (a chair can retry it) and False is returned. The caller's work stays committed either way."""
    if not is_async():
        execute(row.id, row.attempts)
        return True
    try:
        queue().enqueue(WORKER_ENTRY, row.id, row.attempts, job_id=_entry_id(row.id, row.attempts), failure_ttl=7 * 86400)
    except Exception as exc:  # redis.ConnectionError and kin: never a 500 after the commit
        why = f"Redis at {redis_address(current_app.config['REDIS_URL'])}: {type(exc).__name__}: {exc}"
        if row.kind in RUN_HERE_WITHOUT_QUEUE:
            log.warning("%s could not be queued (%s); it runs in this request instead.", _name(row), why)
            execute(row.id, row.attempts)
            return True
        log.error("%s could not be queued (%s); it is marked failed, for a chair to retry.", _name(row), why)
        db.session.execute(
            sa.update(Job)
            .where(Job.id == row.id, Job.state == JobState.QUEUED)
            .values(
                state=JobState.FAILED,
                error=f"The job queue (Redis) could not be reached: {type(exc).__name__}",
                finished_at=utcnow(),
                updated_at=utcnow(),
            )
        )
        db.session.commit()
        return False
    return True


_WHY = {
    "failed": "it had failed",
    "stuck": "it was running and had not reported for {minutes} minutes",
    "lost": "it had waited {minutes} minutes and was not in the job queue",
    "unreachable": "it had waited {minutes} minutes and the job queue (Redis) could not be reached",
}


def retry(row: Job, actor: User, why: str) -> bool:
    """Queue a failed, stuck or lost job again as its next attempt (``why``: "failed" or what ``stall`` said), run as
    the chair who asks; the caller commits, then dispatches. The row changes only if it is still as the chair saw
    it: of two retries pressed at once one counts, and False tells the other. A stuck run that goes on afterwards
    no longer owns the row (see ``execute``)."""
    because = _WHY[why].format(minutes=waited_minutes(row))
    seen = row.attempts
    moved = db.session.execute(
        sa.update(Job)
        .where(Job.id == row.id, Job.state == row.state, Job.attempts == seen)
        .values(
            state=JobState.QUEUED,
            error="",
            finished_at=None,
            attempts=seen + 1,
            created_by_id=actor.id,
            phase="Waiting for a worker",
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(row)
    if moved:
        log.warning("%s retried by user %s as attempt %s: %s.", _name(row), actor.id, seen + 1, because)
    return bool(moved)


#: What RQ runs, named by path: ``portal.worker`` builds the app when the worker did not (this module sits below
#: the app and never imports it).
WORKER_ENTRY = "portal.worker.execute"


def execute(job_id: int, attempt: int | None = None) -> None:
    """Run one attempt of a job: the function RQ calls (in the worker, with its app) and the request calls without
    Redis. ``attempt`` is the attempt it was queued as (None: whichever is queued); an entry of an attempt a retry
    has replaced does nothing."""
    # Claim the job: of two copies (a retry pressed twice, a queue delivering twice), one runs, the other stops.
    mine = [Job.id == job_id] + ([Job.attempts == attempt] if attempt is not None else [])
    claimed = db.session.execute(
        sa.update(Job)
        .where(*mine, Job.state == JobState.QUEUED)
        .values(state=JobState.RUNNING, started_at=utcnow(), updated_at=utcnow())
    ).rowcount
    db.session.commit()
    if not claimed:
        return
    row = db.session.get(Job, job_id)
    db.session.refresh(row)  # type: ignore[arg-type]
    attempt = row.attempts  # type: ignore[union-attr]
    _, fn = JOBS[row.kind]  # type: ignore[union-attr]
    try:
        result = fn(row, Progress(job_id, attempt), **row.args)  # type: ignore[union-attr]
    except Superseded:
        db.session.rollback()
        _went_on(job_id, attempt)
        return
    except Exception as exc:  # any failure is shown to the chair with a retry button
        db.session.rollback()
        log.exception("%s failed (attempt %s)", _name(row), attempt)  # type: ignore[arg-type]
        # The first line only: a database error's SQL and parameters stay in the log, not on the page.
        first = str(exc).splitlines()[0] if str(exc) else ""
        error = (first if isinstance(exc, DomainError) else f"{type(exc).__name__}: {first}")[:500]
        _end(job_id, attempt, state=JobState.FAILED, error=error)
        return
    # The last few reports may have been skipped (a few writes a second): at the end all is done.
    _end(job_id, attempt, state=JobState.DONE, result=result, phase="Finished", done=Job.total)


def _end(job_id: int, attempt: int, **values: Any) -> None:
    """Record how a run ended, if the row is still this run's (a retry has not taken it over meanwhile)."""
    ended = db.session.execute(
        sa.update(Job)
        .where(*_this_run(job_id, attempt))
        .values(finished_at=utcnow(), updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not ended:
        _went_on(job_id, attempt)


def _went_on(job_id: int, attempt: int) -> None:
    row = db.session.get(Job, job_id)
    if row is not None:
        db.session.refresh(row)
    later = row.attempts if row is not None else "none"
    log.warning(
        "%s, attempt %s, went on after it was retried as attempt %s: it stops here and records nothing.",
        _name(row) if row is not None else f"Job {job_id}",
        attempt,
        later,
    )


# --- the jobs ------------------------------------------------------------------------------------------
# Each job lives beside the service it runs (``assignments.run_assignment``, ``decisions.run_letters``,
# ``groupmail.run_group_mail``, ``submissions.run_reviewers_copy``), registered with ``@job``: this module sits
# below the services and never imports them. The outbox's own job is here.


@job("outbox", "Delivering the outbox", run_here_without_queue=True)
def run_outbox(row: Job, progress: Progress, *, ids: list[int] | None = None) -> dict[str, Any]:
    from portal import emails

    waiting = emails.pending_ids(ids)
    progress(0, len(waiting), "Delivering", force=True)
    report = emails.send_pending(waiting, on_progress=lambda n: progress(n, len(waiting)))
    return {"message": f"{len(report.sent)} delivered, {len(report.deferred)} waiting for a retry, {len(report.failed)} failed."}


def deliver_queued(
    progress: Progress, message: str, url: str, *, ids: list[int] | None = None, kind: str | None = None
) -> dict[str, Any]:
    """Deliver the mail still queued among ``ids`` or of ``kind``; the result says what could not go yet."""
    from portal import emails

    waiting = emails.pending_ids(ids, kind=kind)
    progress(0, len(waiting), "Delivering", force=True)
    report = emails.send_pending(waiting, on_progress=lambda n: progress(n, len(waiting)))
    undelivered = len(report.deferred) + len(report.failed)
    if undelivered:
        message += f" {undelivered} could not be delivered yet and will be retried."
    return {"message": message, "url": url}
