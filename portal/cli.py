"""Command-line groups: ``content``, ``demo``, ``emails``. They call the same services as the views."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from portal import emails
from portal.db import db, utcnow
from portal.models import DateKind, ImportantDate, OutgoingEmail, Workshop
from portal.services import DomainError
from portal.services.content import load_content, read_content_file

content_cli = AppGroup("content", help="The workshop's public content.")
emails_cli = AppGroup("emails", help="The outbox of outgoing mail.")


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
    click.echo(f"{workshop.short_name} {workshop.edition} from {path}: {report.summary()}")
    for line in report.created + report.updated + report.deleted:
        click.echo(f"  {line}")


#: Demo milestones, as days from today; each falls at 23:59 in the workshop's zone (AoE).
DEMO_DATES = (
    (DateKind.SUBMISSION_OPEN, "Submissions open", -7),
    (DateKind.ABSTRACT_DEADLINE, "Abstract registration deadline", 7),
    (DateKind.PAPER_DEADLINE, "Paper submission deadline", 14),
    (DateKind.NOTIFICATION, "Author notification", 45),
    (DateKind.CAMERA_READY, "Camera-ready deadline", 60),
    (DateKind.WORKSHOP, "Workshop day", 90),
)


def set_demo_dates(workshop: Workshop, now: datetime) -> None:
    today = now.astimezone(workshop.zone).date()
    workshop.dates.clear()
    db.session.flush()
    for kind, label, days in DEMO_DATES:
        at = datetime.combine(today + timedelta(days=days), time(23, 59), tzinfo=workshop.zone)
        workshop.dates.append(ImportantDate(kind=kind, label=label, at=at))
    db.session.flush()


@click.command("demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds a workshop.")
def demo(if_empty: bool) -> None:
    """Load (or reset) the local demo workshop. Refuses to touch a database holding a real workshop."""
    existing = list(db.session.scalars(sa.select(Workshop)))
    if existing and if_empty:
        click.echo("The database already holds a workshop; leaving it as it is.")
        return
    real = [w for w in existing if not w.is_demo]
    if real:
        raise click.ClickException(
            f"This database holds the workshop {real[0].slug!r}, which the demo did not create. "
            "The demo never overwrites real data: point PORTAL_SQLALCHEMY_DATABASE_URI at an empty database."
        )
    try:
        workshop, _ = load_content(read_content_file(current_app.config["CONTENT_FILE"]), is_demo=True)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    set_demo_dates(workshop, utcnow())
    db.session.commit()
    click.echo(f"Demo workshop {workshop.short_name} {workshop.edition} loaded; submissions are open.")
    click.echo("Open http://127.0.0.1:5000/")


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
    rows = db.session.execute(
        sa.select(OutgoingEmail.state, sa.func.count()).group_by(OutgoingEmail.state)
    ).all()
    counts = {state.value: n for state, n in rows}
    click.echo(", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "The outbox is empty.")
    for row in db.session.scalars(
        sa.select(OutgoingEmail).where(OutgoingEmail.last_error.is_not(None)).order_by(OutgoingEmail.id)
    ):
        click.echo(f"  #{row.id} {row.state.value} to {row.recipients}: {row.last_error}")


def init_app(app: Flask) -> None:
    app.cli.add_command(content_cli)
    app.cli.add_command(emails_cli)
    app.cli.add_command(demo)
