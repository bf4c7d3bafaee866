"""Chairs: group mail to an audience, previewed (a server round-trip, no script needed), then sent through the
outbox one mail per recipient."""

from __future__ import annotations

from flask import render_template, request, url_for
from werkzeug.wrappers import Response

from portal import once, work
from portal.chair.blueprint import bp
from portal.chair.jobs import started
from portal.chair.mail_forms import GroupMailForm
from portal.db import db
from portal.forms import require_button
from portal.models import Job, Workshop
from portal.services import audit, groupmail
from portal.web import me, require_workshop


@bp.route("/mail", methods=["GET", "POST"])
def mail() -> tuple[str, int] | Response:
    ws = require_workshop()
    if request.method == "POST" and request.form.get("start") == "ticked":
        return _from_ticked(ws)
    form = GroupMailForm().for_workshop(ws)
    preview: groupmail.Preview | None = None
    problem = ""
    if form.validate_on_submit():
        typed = form.audience.data or "", form.subject.data or "", form.body.data or ""
        filters = form.filters()
        if form.send.data:
            sent = work.attempt(lambda: _send(ws, *typed, digest=form.digest.data or "", filters=filters))
            if sent.ok:
                return started(sent.value)  # type: ignore[arg-type]
            problem, preview = sent.problem, getattr(sent.error, "preview", None)  # (an outdated preview: the new one)
        else:
            shown = work.attempt(lambda: groupmail.preview(me(), ws, *typed, filters))
            problem, preview = shown.problem, shown.value
    form.digest.data = preview.digest if preview and preview.recipients else ""
    # 422: the form or a template is wrong; 409: the send was refused because the preview is outdated.
    status = 422 if form.errors or (problem and preview is None) else 409 if problem else 200
    return _page(ws, form, preview, problem), status


def _from_ticked(ws: Workshop) -> tuple[str, int]:
    """The decisions page's "Mail the authors of the ticked papers": the form, to the chosen papers' authors
    (nothing is previewed or sent yet). The post carries the page's CSRF token, checked as any button's."""
    require_button()
    numbers = groupmail.parse_papers(",".join(request.form.getlist("selected")))
    form = GroupMailForm(formdata=None, data={"audience": "papers", "papers": ", ".join(map(str, numbers))})
    problem = "" if numbers else "No paper was ticked: type the papers' numbers below, or tick them on the decisions page."
    return _page(ws, form.for_workshop(ws), None, problem), 200


def _page(ws: Workshop, form: GroupMailForm, preview: groupmail.Preview | None, problem: str) -> str:
    return render_template(
        "chair/mail.html",
        ws=ws,
        form=form,
        preview=preview,
        problem=problem,
        history=groupmail.history(),
        help=groupmail.HELP,
        redact=audit.conflicted(me()),
        placeholders=groupmail.PLACEHOLDERS,
        paper_placeholders=groupmail.PAPER_PLACEHOLDERS,
        filtered_audiences=groupmail.FILTERED_AUDIENCES,
    )


def _send(ws: Workshop, audience: str, subject: str, body: str, *, digest: str, filters: groupmail.Filters) -> Job:
    """Start the job that mails each recipient, once: "Send" pressed twice (a double click, a second tab) mails
    each recipient once."""
    row = groupmail.send_group_mail(me(), ws, audience, subject, body, digest=digest, filters=filters)
    db.session.flush()
    once.record(url_for(".job", job_id=row.id), "the group mail went out as this job")
    return row
