"""Chairs: group mail to an audience, previewed (a server round-trip, no script needed), then sent through the
outbox one mail per recipient."""

from __future__ import annotations

from flask import render_template, url_for
from werkzeug.wrappers import Response

from portal import once
from portal.chair.blueprint import bp
from portal.chair.jobs import started
from portal.chair.mail_forms import GroupMailForm
from portal.db import db
from portal.domain import DomainError
from portal.services import audit
from portal.services import groupmail as svc
from portal.web import me, require_workshop


@bp.route("/mail", methods=["GET", "POST"])
def mail() -> tuple[str, int] | Response:
    ws = require_workshop()
    form = GroupMailForm()
    preview: svc.Preview | None = None
    problem = ""
    if form.validate_on_submit():
        audience, subject, body = form.audience.data or "", form.subject.data or "", form.body.data or ""
        try:
            if form.send.data:
                row = svc.send_group_mail(me(), ws, audience, subject, body, digest=form.digest.data or "")
                db.session.flush()
                # "Send" pressed twice (a double click, a second tab) mails each recipient once.
                once.record(url_for(".job", job_id=row.id), "the group mail went out as this job")
                return started(row)
            preview = svc.preview(me(), ws, audience, subject, body)
        except svc.PreviewOutdated as exc:
            db.session.rollback()
            problem, preview = str(exc), exc.preview
        except DomainError as exc:
            db.session.rollback()
            problem = str(exc)
    form.digest.data = preview.digest if preview and preview.recipients else ""
    # 422: the form or a template is wrong; 409: the send was refused because the preview is outdated.
    status = 422 if form.errors or (problem and preview is None) else 409 if problem else 200
    return render_template(
        "chair/mail.html",
        ws=ws,
        form=form,
        preview=preview,
        problem=problem,
        history=svc.history(),
        help=svc.HELP,
        redact=audit.conflicted(me()),
        placeholders=svc.PLACEHOLDERS,
        paper_placeholders=svc.PAPER_PLACEHOLDERS,
    ), status
