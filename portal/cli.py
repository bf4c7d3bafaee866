"""Command-line groups: ``content``, ``demo``, ``emails``, ``storage``, ``users``. They call the same services as the views."""

from __future__ import annotations

import functools
import sys
import time
from typing import Any

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup, ScriptInfo, with_appcontext

from portal import emails, work
from portal.backup import backup_command, restore_command
from portal.config import MISSING_SETTINGS
from portal.db import db, utcnow
from portal.demo import DEMO_PASSWORD, PHASES, DemoRefused, demo_accounts, load_demo, local_sqlite_file, start_over
from portal.demo_large import MAX_SIZE, load_large_demo
from portal.domain import Conflicted, DomainError
from portal.models import OutgoingEmail, StoredFile, Submission, User, Workshop
from portal.passwords import password_problem
from portal.services.accounts import create_user, set_role, user_by_email
from portal.services.content import load_content, read_content_file
from portal.urls import external_url

content_cli = AppGroup("content", help="The workshop's public content.")
emails_cli = AppGroup("emails", help="The outbox of outgoing mail.")
users_cli = AppGroup("users", help="Accounts and roles.")
storage_cli = AppGroup("storage", help="The uploaded files.")


@content_cli.command("load")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
def content_load(path: str | None) -> None:
    """Create or update the workshop from a TOML content file (default: CONTENT_FILE)."""
    path = path or current_app.config["CONTENT_FILE"]
    try:
        workshop, report = load_content(read_content_file(path))
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"{workshop.label} from {path}: {report.summary()}")
    for line in report.created + report.updated + report.deleted:
        click.echo(f"  {line}")


@storage_cli.command("check")
@click.option("--delete-orphans", is_flag=True, help="Delete the files no row refers to (older than --older-than).")
@click.option(
    "--older-than",
    type=int,
    default=60,
    show_default=True,
    help="Minutes: a younger orphan may be an upload whose row is being committed right now.",
)
def storage_check(delete_orphans: bool, older_than: int) -> None:
    """Compare the upload folder with the database: files no row refers to (left by a crash or a commit whose
    answer was lost) and rows whose file is missing. Exits 1 when a file is missing."""
    from portal.storage import storage

    store = storage()
    on_disk = set(store.keys())
    referenced = set(db.session.scalars(sa.select(StoredFile.storage_key)))
    missing, orphans = sorted(referenced - on_disk), sorted(on_disk - referenced)
    cutoff = time.time() - older_than * 60
    for key in orphans:
        old = store.modified(key) < cutoff
        if delete_orphans and old:
            store.delete(key)
            click.echo(f"deleted orphan {key}")
        else:
            click.echo(f"orphan  {key}" + ("" if old else f" (younger than {older_than} min: kept)"))
    for key in missing:
        click.echo(f"MISSING {key}")
    click.echo(f"{len(referenced)} files referenced, {len(on_disk)} on disk, {len(orphans)} orphan(s), {len(missing)} missing")
    if missing:
        sys.exit(1)


@click.command("demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds a workshop.")
@click.option(
    "--phase", type=click.Choice(PHASES), default="submission", show_default=True, help="The phase to reset the demo workshop to."
)
@click.option(
    "--reset",
    is_flag=True,
    help="Start a local trial over: delete the SQLite database under instance/ (real accounts included) and the "
    "files it refers to, recreate it with the migrations, then load the demo. Asks first; refuses any other database.",
)
@click.option("--yes", is_flag=True, help="With --reset: do not ask.")
@click.option(
    "--papers",
    type=click.IntRange(1, MAX_SIZE),
    help="Build a large demo with this many papers (1 to 25,000; about 20 s for 2,000) instead of the small one.",
)
@click.option(
    "--reviewers",
    type=click.IntRange(1, MAX_SIZE),
    help="With --papers: the program committee's size (at least the chair and the twelve demo reviewers).",
)
def demo(if_empty: bool, phase: str, reset: bool, yes: bool, papers: int | None, reviewers: int | None) -> None:
    """Load (or reset) the local demo workshop and its accounts. Never touches real data, except with --reset."""
    if yes and not reset:
        raise click.UsageError("--yes only goes with --reset.")
    if reset and if_empty:
        raise click.UsageError("--reset and --if-empty exclude each other.")
    if reset:
        _start_over(yes)
    elif if_empty and db.session.scalar(sa.select(Workshop.id).limit(1)) is not None:
        click.echo("The database already holds a workshop; leaving it as it is.")
        return
    if reviewers is not None and papers is None:
        raise click.UsageError("--reviewers only goes with --papers.")
    if papers is not None and phase == "program":
        raise click.UsageError("--phase program goes with the small demo only (without --papers).")
    try:
        if papers is None:
            workshop = load_demo(
                current_app.config["CONTENT_FILE"],
                utcnow(),
                password_hash_method=current_app.config["PASSWORD_HASH_METHOD"],
                phase=phase,
            )
        else:
            workshop = load_large_demo(
                current_app.config["CONTENT_FILE"],
                utcnow(),
                password_hash_method=current_app.config["PASSWORD_HASH_METHOD"],
                phase=phase,
                papers=papers,
                reviewers=reviewers or max(13, papers // 2),
            )
    except (DemoRefused, DomainError) as exc:
        db.session.rollback()
        message = str(exc)
        if isinstance(exc, DemoRefused) and local_sqlite_file() is not None:
            message += " For a local trial, `flask --app portal demo --reset` starts over with the demo alone."
        raise click.ClickException(message) from exc
    db.session.commit()
    accounts = demo_accounts()
    count = len(db.session.scalars(sa.select(Submission.id)).all())
    state = {
        "submission": "submissions are open",
        "reviewing": "the deadline has passed, reviewing is open",
        "response": "every review is in and the authors are writing their responses",
        "meta-review": "the responses are final, reviewing is closed and the area chairs are writing meta-reviews",
        "decisions": "every review and meta-review is in, a third accepted and a third rejected, letters not yet sent",
        "program": "every paper decided, the accepted papers published and the program built",
    }[phase]
    if papers is not None:
        pc = db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.is_reviewer))
        state += f", {pc} reviewers"
    click.echo(f"Demo workshop {workshop.label} loaded at the {phase} phase: {state}, {count} submissions are in.")
    # BASE_URL: where the site is served (`make run` sets it from HOST and PORT).
    click.echo(f"Sign in at {external_url('auth.login')} with the password {DEMO_PASSWORD!r} as")
    click.echo(f"  chair     {accounts[0][0]}")
    click.echo("  reviewers reviewer1@example.org ... reviewer12@example.org")
    click.echo("  area chairs ac1@example.org ... ac4@example.org")
    if papers is not None:
        click.echo("  (the other reviewers, pc1@example.org and on, share the password too)")
    click.echo("  authors   author1@example.org ... author20@example.org")
    click.echo("These accounts are for local trial only.")


def _start_over(yes: bool) -> None:
    """demo --reset: check the database is a SQLite file under instance/, say what goes, ask, then recreate it."""
    path = local_sqlite_file()
    if path is None:
        url = db.engine.url.render_as_string(hide_password=True)
        raise click.ClickException(
            f"--reset deletes the database, so it works only on a SQLite file under the instance folder "
            f"({current_app.instance_path}); this database is {url}. Nothing was changed."
        )
    users, submissions, files = (
        db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0 for model in (User, Submission, StoredFile)
    )
    db.session.rollback()
    click.echo(
        f"This deletes {path} with its {users} accounts and {submissions} submissions, and the {files} uploaded files "
        "it refers to, then recreates the database from the migrations and loads the demo workshop."
    )
    if not yes:
        click.confirm("Start over?", abort=True)
    start_over(path)
    click.echo(f"Recreated {path}.")


@emails_cli.command("send-pending")
@click.option("--include-failed", is_flag=True, help="Also retry mail that ran out of attempts.")
def emails_send_pending(include_failed: bool) -> None:
    """Deliver queued mail that is due (retries with back-off)."""
    report = emails.send_pending(include_failed=include_failed)
    click.echo(f"{len(report.sent)} sent, {len(report.deferred)} deferred, {len(report.failed)} failed.")
    if report.deferred or report.failed:
        raise SystemExit(1)


@emails_cli.command("status")
def emails_status() -> None:
    """Count outbox rows by state and show the last errors."""
    rows = db.session.execute(sa.select(OutgoingEmail.state, sa.func.count()).group_by(OutgoingEmail.state)).all()
    counts = {state.value: n for state, n in rows}
    click.echo(", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "The outbox is empty.")
    for row in db.session.scalars(
        sa.select(OutgoingEmail).where(OutgoingEmail.last_error.is_not(None)).order_by(OutgoingEmail.id)
    ):
        click.echo(f"  #{row.id} {row.state.value} to {row.recipients}: {row.last_error}")


def _read_password(from_stdin: bool, email: str, name: str) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    problem = password_problem(password, context=(email, name))
    if problem:
        raise click.ClickException(problem)
    return password


@users_cli.command("create")
@click.argument("email")
@click.option("--name", help="Full name (asked for when missing).")
@click.option("--affiliation", default="", help="Affiliation.")
@click.option("--role", "roles", multiple=True, type=click.Choice(["reviewer", "chair"]), help="Grant a role; repeat for both.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def users_create(email: str, name: str | None, affiliation: str, roles: tuple[str, ...], password_stdin: bool) -> None:
    """Create a confirmed account, e.g. the first chair: users create EMAIL --role chair."""
    if name is None:
        name = email.split("@")[0] if password_stdin else click.prompt("Full name")
    password = _read_password(password_stdin, email, name)
    try:
        user = create_user(email=email, name=name, affiliation=affiliation, password=password, roles=roles)
    except Conflicted as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc} Use `flask --app portal users set-role` to change its roles.") from exc
    db.session.commit()
    click.echo(f"Created {user.email} ({', '.join(user.roles)}).")


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(["reviewer", "chair"]))
@click.option("--revoke", is_flag=True, help="Take the role away instead of granting it.")
def users_set_role(email: str, role: str, revoke: bool) -> None:
    """Grant (or with --revoke, take away) the reviewer or chair role."""
    user = user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account uses {email}.")
    try:
        set_role(None, user, role, not revoke)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"{user.email}: {', '.join(user.roles)}.")


@users_cli.command("list")
def users_list() -> None:
    """Every account with its roles."""
    for user in db.session.scalars(sa.select(User).order_by(User.email)):
        state = "" if user.is_confirmed else " (email not confirmed)"
        click.echo(f"{user.email}\t{user.name}\t{', '.join(user.roles)}{state}")


@click.command("assign")
@with_appcontext
@click.option("--dry-run", is_flag=True, help="Only print the proposed assignment; change nothing.")
@click.option("--apply", "apply_now", is_flag=True, help="Apply the proposal at once and mail the reviewers.")
@click.option("--top-k", type=click.IntRange(min=1), default=None, help="Keep only the K best candidate reviewers per paper.")
@click.option("--chair", "chair_email", default=None, help="The chair acting (default: the first chair).")
@click.option("--fair", is_flag=True, help="The fairest assignment (the worst-served paper first), not the best total.")
@click.option("--balanced", is_flag=True, help="Every reviewer's load within one of the others' where the candidates allow.")
def assign(dry_run: bool, apply_now: bool, top_k: int | None, chair_email: str | None, fair: bool, balanced: bool) -> None:
    """Run the automatic reviewer assignment (the same solver as the chair's button)."""
    from portal.queries import current_workshop
    from portal.services import assignments

    ws = current_workshop()
    if ws is None:
        raise click.ClickException("No workshop is loaded.")
    actor = (
        user_by_email(chair_email)
        if chair_email
        else db.session.scalar(sa.select(User).where(User.is_chair).order_by(User.id).limit(1))
    )
    if actor is None:
        raise click.ClickException("No chair account: create one with `flask --app portal users create`.")
    proposal = assignments.propose_assignment(actor, ws, top_k=top_k, fair=fair, balanced=balanced)
    result = proposal.result
    click.echo(
        f"{len(result['pairs'])} new assignments, total affinity {result['total_affinity']}, worst-served paper "
        f"{result['worst_paper']}, {result['candidates']} candidate pairs, solved in {result['seconds']} s."
    )
    if result["alternative"]:
        best = result["alternative"]
        click.echo(f"The best total would be {best['total_affinity']}, its worst-served paper {best['worst_paper']}.")
    if proposal.message:
        click.echo(proposal.message)
    for paper, reviewer in result["pairs"]:
        why = result["reasons"].get(f"{paper}:{reviewer}", {})
        person = db.session.get(User, reviewer)
        click.echo(
            f"  #{paper} <- {person.name if person else reviewer}: affinity {why.get('affinity')}, "
            f"bid {why.get('bid') or 'none'}, {why.get('common_topics')}/{why.get('paper_topics')} topics, "
            f"text {why.get('text')}"
        )
    if dry_run:
        db.session.rollback()
        click.echo("Dry run: nothing was saved.")
        return
    if apply_now:
        count = assignments.apply_proposal(actor, ws, proposal)
        work.commit_and_deliver()
        click.echo(f"Applied {count} assignments; the reviewers were mailed.")
    else:
        db.session.commit()
        click.echo(f"Saved as proposal #{proposal.id}: preview and apply it at /chair/proposals/{proposal.id}.")


@click.command("worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Stop once the queue is empty (for tests and cron).")
def worker(burst: bool) -> None:
    """Run background jobs from Redis (REDIS_URL). Start one or more per machine."""
    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException(
            "Set REDIS_URL (PORTAL_REDIS_URL=redis://127.0.0.1:6379/0): without Redis the "
            "jobs run in the web request and need no worker."
        )
    from rq import SimpleWorker

    from portal.jobs import queue

    app = current_app._get_current_object()  # type: ignore[attr-defined]

    class AppWorker(SimpleWorker):
        """Each job in a fresh app context: its own database session, closed when the job ends."""

        def perform_job(self, *args: Any, **kwargs: Any) -> bool:
            with app.app_context():
                return super().perform_job(*args, **kwargs)

        def subscribe(self) -> None:
            """A burst run takes no commands over pubsub: RQ's listener thread, stopped before it has subscribed
            (a run that found its work at once), held the worker's exit for 60 s (redis-py 8.2's stop() waits for
            it; measured: six such waits in one test run)."""
            if not burst:
                super().subscribe()

    q = queue()
    click.echo(f"Worker on {q.name!r} at {current_app.config['REDIS_URL']}; Ctrl-C stops it.")
    AppWorker([q], connection=q.connection).work(burst=burst, with_scheduler=False)


def _refusing_without_settings(command: click.Command) -> None:
    """Make ``command`` (each command of a group) stop before it runs when the app lacks a setting it may not run
    without (a secret key, BASE_URL): ``flask`` builds such an app to list its commands and parse their options, so
    ``--help`` works, and nothing else does. Flask-Migrate's ``db`` group sits in ``app.cli`` too and is wrapped with
    ours. The commands are module-level objects shared by every app: each is wrapped once, and asks the app at hand."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _refusing_without_settings(sub)
        return
    callback = command.callback
    if callback is None or getattr(callback, "refuses_without_settings", False):
        return

    @functools.wraps(callback)
    def checked(*args: Any, **kwargs: Any) -> Any:
        app = click.get_current_context().ensure_object(ScriptInfo).load_app()
        if missing := app.extensions.get(MISSING_SETTINGS):
            raise click.ClickException(" ".join(missing))
        return callback(*args, **kwargs)

    checked.refuses_without_settings = True  # type: ignore[attr-defined]
    command.callback = checked


def init_app(app: Flask) -> None:
    app.cli.add_command(assign)
    app.cli.add_command(users_cli)
    app.cli.add_command(content_cli)
    app.cli.add_command(emails_cli)
    app.cli.add_command(storage_cli)
    app.cli.add_command(demo)
    app.cli.add_command(worker)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    _refusing_without_settings(app.cli)
