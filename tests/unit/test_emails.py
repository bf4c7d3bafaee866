"""The outbox: rows are written in the caller's transaction, delivered after the commit over real SMTP,
retried with back-off while the server is down, given up after MAIL_MAX_ATTEMPTS, never sent twice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, render_template
from jinja2 import ChoiceLoader, DictLoader, Environment

from portal import emails, work
from portal.db import db, utcnow
from portal.emails import delivery
from portal.models import EmailState, OutgoingEmail, SponsorInquiry, Workshop
from portal.services.sponsors import submit_inquiry
from tests.conftest import SMTPRecorder, smtp_up

HOSTILE = "ACME\r\nBcc: victim@example.org"
ORGANIZERS = "longllm.workshop@gmail.com"
SPONSOR = "ada@acme.example"


def _inquire(app: Flask, organization: str = "ACME Research") -> list[int]:
    """A sponsorship inquiry as the contact form makes it: two mails queued, then the commit."""
    with app.app_context(), app.test_request_context():
        workshop = db.session.scalars(sa.select(Workshop)).one()
        _, mails = submit_inquiry(
            workshop,
            name="Ada Lovelace",
            organization=organization,
            email=SPONSOR,
            interest="financial",
            message="We would like to fund a best paper award.",
        )
        db.session.commit()
        return [m.id for m in mails]


def _rows(app: Flask) -> list[OutgoingEmail]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(OutgoingEmail).order_by(OutgoingEmail.id)))
        db.session.expunge_all()
        return rows


def test_queue_subject_with_crlf_is_stored_on_one_line(app: Flask) -> None:
    with app.app_context(), app.test_request_context():
        workshop = db.session.scalars(sa.select(Workshop)).one()
        inquiry = SponsorInquiry(
            workshop=workshop,
            name="Ada",
            organization="ACME",
            email=SPONSOR,
            interest="Compute",
            message="Hello",
        )
        db.session.add(inquiry)
        row = emails.queue(
            kind="sponsor_ack",
            to=SPONSOR,
            template="sponsor_ack",
            subject=f"Thanks {HOSTILE}",
            reply_to=f"{ORGANIZERS}\r\nBcc: victim@example.org",
            workshop=workshop,
            inquiry=inquiry,
        )
        db.session.commit()
        row_id = row.id

    with app.app_context():
        stored = db.session.get(OutgoingEmail, row_id)
        assert stored is not None
        assert stored.subject == "Thanks ACME Bcc: victim@example.org"
        assert stored.reply_to == f"{ORGANIZERS} Bcc: victim@example.org"
        assert stored.state == EmailState.QUEUED
        assert stored.recipient_list == [SPONSOR]
        assert stored.body_text.startswith("Dear Ada,\n")


def test_send_pending_hostile_subject_arrives_without_bcc(app: Flask, smtp: SMTPRecorder) -> None:
    _inquire(app, organization=HOSTILE)

    with app.app_context():
        report = emails.send_pending()
    messages = smtp.wait_for(2)

    assert len(report.sent) == 2
    assert len(messages) == 2
    to_organizers = smtp.to(ORGANIZERS)[0]
    assert to_organizers["Subject"] == "[LongLLM 2024] Sponsorship inquiry from ACME Bcc: victim@example.org"
    assert to_organizers["Bcc"] is None
    assert to_organizers["Reply-To"] == SPONSOR
    assert sorted(rcpts for _, rcpts in smtp.envelopes) == [[SPONSOR], [ORGANIZERS]]
    assert all("victim" not in str(m["To"]) + str(m["Cc"]) for m in messages)


def test_send_pending_delivered_mail_is_never_sent_twice(app: Flask, smtp: SMTPRecorder) -> None:
    ids = _inquire(app)
    sent_before = utcnow()

    with app.app_context():
        first = emails.send_pending()
    smtp.wait_for(2)
    with app.app_context():
        second = emails.send_pending()
        third = emails.send_pending(ids)  # even when asked by id

    assert first.sent == ids
    assert (second.sent, third.sent) == ([], [])
    assert len(smtp.messages) == 2
    ack = smtp.to(SPONSOR)[0]
    assert ack["Subject"] == "[LongLLM 2024] We received your sponsorship inquiry"
    assert "Dear Ada Lovelace," in ack.get_content()
    rows = _rows(app)
    assert [r.state for r in rows] == [EmailState.SENT, EmailState.SENT]
    assert all(r.sent_at is not None and r.sent_at >= sent_before for r in rows)


def test_send_pending_smtp_down_keeps_mail_queued_for_retry(
    app: Flask, smtp_down: Flask, smtp: SMTPRecorder, smtp_server: tuple[SMTPRecorder, int]
) -> None:
    ids = _inquire(app)
    now = utcnow()

    with app.app_context():
        report = emails.send_pending(now=now)
    rows = _rows(app)

    assert report.deferred == ids
    assert report.sent == []
    assert [r.state for r in rows] == [EmailState.QUEUED, EmailState.QUEUED]
    assert [r.attempts for r in rows] == [1, 1]
    assert all(r.last_error and r.last_error.startswith("ConnectionRefusedError") for r in rows)
    assert [r.next_attempt_at for r in rows] == [now + timedelta(minutes=1)] * 2

    # Not due yet: the clock has not reached next_attempt_at.
    with app.app_context():
        early = emails.send_pending()
    assert (early.sent, early.deferred) == ([], [])
    assert [r.attempts for r in _rows(app)] == [1, 1]

    smtp_up(app, smtp_server)
    with app.app_context():
        later = emails.send_pending(now=now + timedelta(days=1))
    smtp.wait_for(2)

    assert later.sent == ids
    assert len(smtp.messages) == 2
    rows = _rows(app)
    assert [r.state for r in rows] == [EmailState.SENT, EmailState.SENT]
    assert [r.last_error for r in rows] == [None, None]
    assert [r.sent_at for r in rows] == [now + timedelta(days=1)] * 2


def test_send_pending_after_max_attempts_marks_failed_until_retried(
    app: Flask, smtp_down: Flask, smtp: SMTPRecorder, smtp_server: tuple[SMTPRecorder, int]
) -> None:
    app.config["MAIL_MAX_ATTEMPTS"] = 2
    ids = _inquire(app)
    now = datetime.now(UTC)

    with app.app_context():
        emails.send_pending(now=now)
        second = emails.send_pending(now=now + timedelta(hours=1))
        third = emails.send_pending(now=now + timedelta(days=30))  # failed rows are left for a human
    rows = _rows(app)

    assert second.failed == ids
    assert (third.sent, third.deferred, third.failed) == ([], [], [])
    assert [r.state for r in rows] == [EmailState.FAILED, EmailState.FAILED]
    assert [r.attempts for r in rows] == [2, 2]

    smtp_up(app, smtp_server)
    with app.app_context():
        retried = emails.send_pending(include_failed=True)
    smtp.wait_for(2)

    assert retried.sent == ids
    assert len(smtp.messages) == 2
    assert [r.state for r in _rows(app)] == [EmailState.SENT, EmailState.SENT]


def test_send_pending_include_failed_also_sends_mail_still_waiting(
    app: Flask, smtp_down: Flask, smtp: SMTPRecorder, smtp_server: tuple[SMTPRecorder, int]
) -> None:
    """docs/admin/mail.md: `send-pending --include-failed` retries, now, what gave up or waits for its next attempt."""
    ids = _inquire(app)
    with app.app_context():
        emails.send_pending()  # SMTP down: both rows wait a minute for their next attempt
    smtp_up(app, smtp_server)

    with app.app_context():
        not_due = emails.send_pending()
        forced = emails.send_pending(include_failed=True)
    smtp.wait_for(2)

    assert not_due.sent == []
    assert forced.sent == ids
    assert len(smtp.messages) == 2


def _queue_mails(app: Flask, count: int) -> list[int]:
    with app.app_context():
        rows = [
            emails.queue(kind="test", to=f"person{n}@example.org", subject=f"Mail {n}", template="letter", body="Hello.")
            for n in range(count)
        ]
        db.session.commit()
        return [row.id for row in rows]


def _subjects(smtp: SMTPRecorder) -> list[str]:
    return sorted(str(m["Subject"]) for m in smtp.messages)


def test_send_pending_failing_half_way_resends_at_most_the_mail_in_flight(
    app: Flask, smtp: SMTPRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker dies after the SMTP server took mail 1 but before it was marked: the next run sends the rest
    (also the rest of the batch it held), and mail 1 at most once more."""
    monkeypatch.setattr(delivery, "CLAIM_BATCH", 3)
    ids = _queue_mails(app, 5)
    real, marks = delivery._mark, []

    def dies_on_the_second_mark(*args: Any) -> None:
        marks.append(1)
        if len(marks) == 2:
            raise RuntimeError("worker killed")
        real(*args)

    monkeypatch.setattr(delivery, "_mark", dies_on_the_second_mark)
    with app.app_context(), pytest.raises(RuntimeError, match="worker killed"):
        emails.send_pending()
    assert _subjects(smtp) == ["Mail 0", "Mail 1"]
    assert [r.state for r in _rows(app)] == [EmailState.SENT] + [EmailState.QUEUED] * 4

    monkeypatch.setattr(delivery, "_mark", real)
    with app.app_context():
        second = emails.send_pending(ids)
    assert second.sent == ids[2:]  # mail 1 keeps its lease (it may have gone) until the lease runs out
    with app.app_context():
        db.session.execute(
            sa.update(OutgoingEmail)
            .where(OutgoingEmail.id == ids[1])
            .values(sent_at=utcnow() - emails.LEASE - timedelta(seconds=1))
        )
        db.session.commit()
        assert emails.send_pending(ids).sent == [ids[1]]
    smtp.wait_for(6)
    assert _subjects(smtp) == ["Mail 0", "Mail 1", "Mail 1", "Mail 2", "Mail 3", "Mail 4"]
    assert [r.state for r in _rows(app)] == [EmailState.SENT] * 5


def test_send_pending_leaves_a_leased_mail_to_its_sender_even_when_asked_by_id(app: Flask, smtp: SMTPRecorder) -> None:
    """A row another sender leased (``sent_at`` on a queued row) is skipped until the lease runs out, also by a
    delivery asked for it by id."""
    ids = _queue_mails(app, 2)
    with app.app_context():
        db.session.execute(sa.update(OutgoingEmail).where(OutgoingEmail.id == ids[0]).values(sent_at=utcnow()))
        db.session.commit()
        first = emails.send_pending(ids)
        db.session.execute(
            sa.update(OutgoingEmail)
            .where(OutgoingEmail.id == ids[0])
            .values(sent_at=utcnow() - emails.LEASE - timedelta(seconds=1))
        )
        db.session.commit()
        second = emails.send_pending(ids)
    smtp.wait_for(2)

    assert (first.sent, second.sent) == ([ids[1]], [ids[0]])
    assert _subjects(smtp) == ["Mail 0", "Mail 1"]


def test_send_pending_lease_running_out_is_renewed_and_each_mail_goes_once(
    app: Flask, smtp: SMTPRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch slower than half its lease gives back what it has not sent and leases it again."""
    monkeypatch.setattr(delivery, "LEASE", timedelta(0))  # every lease is half run out after the first mail
    ids = _queue_mails(app, 4)
    with app.app_context():
        report = emails.send_pending()
    smtp.wait_for(4)

    assert report.sent == ids
    assert _subjects(smtp) == ["Mail 0", "Mail 1", "Mail 2", "Mail 3"]
    assert [(r.state, r.sent_at is not None) for r in _rows(app)] == [(EmailState.SENT, True)] * 4


def test_a_sender_whose_lease_was_taken_over_does_not_overwrite_the_new_senders_record(
    app: Flask, smtp: SMTPRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sender stalls past its lease; another sender takes the row and fails to deliver it (SMTP down for it):
    the first sender's "sent" must not erase the second one's attempt and next try."""
    [mail_id] = _queue_mails(app, 1)
    real = delivery._mark

    def stalled_past_the_lease(mail: Any, error: Any, now: Any, report: Any) -> None:
        db.session.execute(
            sa.update(OutgoingEmail)
            .where(OutgoingEmail.id == mail_id)
            .values(sent_at=utcnow() + timedelta(seconds=5), attempts=1, last_error="taken by another sender")
        )
        real(mail, error, now, report)

    monkeypatch.setattr(delivery, "_mark", stalled_past_the_lease)
    with app.app_context():
        report = emails.send_pending([mail_id])
    [row] = _rows(app)
    assert (row.state, row.attempts, row.last_error) == (EmailState.QUEUED, 1, "taken by another sender")
    assert report.sent == [mail_id]  # this sender did hand it to SMTP


# --- many mails at once -------------------------------------------------------------------------------

HOME = "http://localhost/review/"


def _paper_mails() -> list[dict[str, Any]]:
    """Two mails as ``queue_many`` takes them: one with a hostile subject and reply-to, one to two people."""
    ada = SimpleNamespace(name="Ada Lovelace")
    papers = [SimpleNamespace(id=7, title="Attention over <long> contexts & more"), SimpleNamespace(id=12, title="Ring")]
    return [
        {
            "to": SPONSOR,
            "subject": f"Papers {HOSTILE}",
            "reply_to": f"{ORGANIZERS}\r\nBcc: x@example.org",
            "reviewer": ada,
            "subs": papers,
        },
        {"to": [SPONSOR, ORGANIZERS], "subject": "One paper", "reviewer": ada, "subs": papers[1:]},
    ]


def test_queue_many_writes_the_mails_queue_writes_and_delivers_them_after_the_commit(app: Flask, smtp: SMTPRecorder) -> None:
    with app.app_context(), app.test_request_context():
        workshop = db.session.scalars(sa.select(Workshop)).one()
        for mail in _paper_mails():
            emails.queue(kind="assignment", template="assignment", ws=workshop, home=HOME, **mail)
        db.session.commit()
        # What Flask renders from the same context: the text each mail must have.
        expected = [
            render_template("emails/assignment.txt", ws=workshop, home=HOME, reviewer=m["reviewer"], subs=m["subs"])
            for m in _paper_mails()
        ]
    with app.app_context(), app.test_request_context():
        workshop = db.session.scalars(sa.select(Workshop)).one()
        ids = emails.queue_many(kind="assignment", template="assignment", ws=workshop, home=HOME, mails=_paper_mails())
        report = work.commit_and_deliver()
    messages = smtp.wait_for(2)
    rows = _rows(app)

    def mail(row: OutgoingEmail) -> tuple[Any, ...]:
        return row.kind, row.recipients, row.reply_to, row.subject, row.body_text, row.body_html

    assert [mail(r) for r in rows[2:]] == [mail(r) for r in rows[:2]]  # the bulk rows are the single ones
    assert [r.state for r in rows] == [EmailState.QUEUED] * 2 + [EmailState.SENT] * 2
    assert [r.body_text for r in rows[2:]] == expected
    assert [(r.subject, r.reply_to) for r in rows[2:]] == [
        ("Papers ACME Bcc: victim@example.org", f"{ORGANIZERS} Bcc: x@example.org"),
        ("One paper", None),
    ]
    assert "  #7  Attention over <long> contexts & more\n  #12  Ring\n" in expected[0]
    assert report.sent == ids == [r.id for r in rows[2:]]  # delivered after the commit, the single ones not
    assert sorted((str(m["Subject"]), sorted(str(m["To"]).split(", "))) for m in messages) == [
        ("One paper", sorted([SPONSOR, ORGANIZERS])),
        ("Papers ACME Bcc: victim@example.org", [SPONSOR]),
    ]


def test_queue_many_rolled_back_leaves_no_mail_and_nothing_to_deliver(app: Flask, smtp: SMTPRecorder) -> None:
    with app.app_context(), app.test_request_context():
        workshop = db.session.scalars(sa.select(Workshop)).one()
        emails.queue_many(kind="assignment", template="assignment", ws=workshop, home=HOME, mails=_paper_mails())
        db.session.rollback()
        report = work.commit_and_deliver()

    assert report == emails.DeliveryReport()
    assert _rows(app) == []
    assert smtp.wait_for(1, timeout=0.2) == []


class _CountingLoader(DictLoader):
    """Mail templates of a test's own, in front of the app's; remembers every template it was asked for."""

    def __init__(self, app: Flask, mapping: dict[str, str]) -> None:
        super().__init__(mapping)
        self.asked: list[str] = []
        app.jinja_env.loader = ChoiceLoader([self, app.jinja_env.loader])  # type: ignore[list-item]

    def get_source(self, environment: Environment, template: str) -> tuple[str, str | None, Callable[[], bool]]:
        self.asked.append(template)
        return super().get_source(environment, template)


def test_a_mail_gets_its_html_version_and_one_added_while_debugging_is_picked_up_at_once(app: Flask) -> None:
    templates = _CountingLoader(app, {"emails/notice.txt": "Hello {{ name }}."}).mapping
    app.jinja_env.auto_reload = True  # as in debug mode

    with app.app_context():
        before = emails.compose(kind="test", to=SPONSOR, template="notice", subject="Hi", name="Ada & Bob")
        templates["emails/notice.html"] = "<p>Hello {{ name }}.</p>"
        [after] = emails.compose_many(
            kind="test", template="notice", mails=[{"to": SPONSOR, "subject": "Hi", "name": "Ada & Bob"}]
        )
        again = emails.compose(kind="test", to=SPONSOR, template="notice", subject="Hi", name="Ada & Bob")
        flask_html = render_template("emails/notice.html", name="Ada & Bob")  # what Flask itself renders

    assert (before.body_text, before.body_html) == ("Hello Ada & Bob.", None)
    assert after["body_html"] == again.body_html == flask_html
    assert (after["body_text"], after["body_html"]) == ("Hello Ada & Bob.", "<p>Hello Ada &amp; Bob.</p>")
    assert (again.body_text, again.body_html) == ("Hello Ada & Bob.", "<p>Hello Ada &amp; Bob.</p>")


def test_without_auto_reload_a_missing_html_version_is_looked_for_once_per_app(app: Flask) -> None:
    """Jinja caches the templates it found only: each mail would search every template folder for the HTML
    version again (thousands of mails: seconds). In production it is looked for once."""
    loader = _CountingLoader(app, {"emails/notice.txt": "Hello {{ name }}."})
    assert not app.jinja_env.auto_reload

    with app.app_context():
        mails = [emails.compose(kind="test", to=SPONSOR, template="notice", subject="Hi", name=str(n)) for n in range(3)]
        mails += [
            OutgoingEmail(**row)
            for row in emails.compose_many(kind="test", template="notice", mails=[{"to": SPONSOR, "subject": "Hi", "name": "4"}])
        ]

    assert [(m.body_text, m.body_html) for m in mails] == [(f"Hello {n}.", None) for n in ("0", "1", "2", "4")]
    assert loader.asked.count("emails/notice.html") == 1
