"""Chairs: the wording of the system mails (issue 21.7). One page lists the mails (the decision letters are worded on
the letters page); each mail's page edits its subject and body, previews them about a real paper without sending,
and resets them to the portal's own text after a confirmation."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from portal import work
from portal.chair import confirm
from portal.chair.blueprint import bp
from portal.chair.mail_forms import MailTemplateForm
from portal.db import parse_id
from portal.domain import NOTHING_SAVED
from portal.forms import require_button
from portal.models import Workshop
from portal.services import mail_templates
from portal.web import me, require_workshop


def _kind(kind: str) -> mail_templates.Kind:
    found = mail_templates.kind_of(kind)
    if found is None:
        abort(404)
    return found


@bp.get("/mails", endpoint="mail_templates")
def mail_templates_page() -> str:
    ws = require_workshop()
    return render_template(
        "chair/mail_templates.html", ws=ws, kinds=list(mail_templates.KINDS.values()), saved=mail_templates.saved(ws)
    )


#: The URL part naming a mail: one of the kinds (any other address is not found).
_KIND = f"<any({', '.join(mail_templates.KINDS)}):kind>"


@bp.route(f"/mails/{_KIND}", methods=["GET", "POST"], endpoint="mail_template")
def mail_template_page(kind: str) -> tuple[str, int] | Response:
    k, ws = _kind(kind), require_workshop()
    row = mail_templates.stored(ws, k.key)
    papers = mail_templates.preview_papers(me(), ws)
    if request.method == "GET":  # (a post takes only what it sends: a field left out is empty, not the saved text)
        form = MailTemplateForm(
            data={
                "subject": row.subject if row else k.subject,
                "body": row.body if row else k.body,
                "paper": str(papers[0][0]) if papers else "",
            }
        )
        return _page(ws, k, form, row is not None, papers), 200
    form = MailTemplateForm()
    shown: mail_templates.Preview | None = None
    problems: list[object] = []
    errors: dict[str, list[str]] = {}
    if form.validate_on_submit():
        subject, body = form.subject.data or "", form.body.data or ""
        if form.save.data:
            outcome = work.attempt(lambda: mail_templates.save(me(), ws, k, subject, body), unsaved=NOTHING_SAVED)
            if outcome.ok:
                flash(f"The {k.label.lower()} mail is saved: it goes out in your words from now on.", "success")
                return redirect(url_for(".mail_template", kind=k.key))
        else:
            outcome = work.attempt(
                lambda: mail_templates.preview(me(), ws, k, subject, body, parse_id(form.paper.data or "")), unsaved=""
            )
            shown = outcome.value
        if not outcome.ok:
            field = getattr(outcome.error, "field", None)
            if field in ("subject", "body"):
                errors[field] = [outcome.problem]
                problems.append((f"#{field}", outcome.problem))
            else:
                problems.append(outcome.problem)
    return _page(ws, k, form, row is not None, papers, shown, problems, errors), 422 if problems or form.errors else 200


def _page(
    ws: Workshop,
    k: mail_templates.Kind,
    form: MailTemplateForm,
    worded: bool,
    papers: list[tuple[int, str]],
    shown: mail_templates.Preview | None = None,
    problems: list[object] | None = None,
    errors: dict[str, list[str]] | None = None,
) -> str:
    return render_template(
        "chair/mail_template.html",
        ws=ws,
        k=k,
        form=form,
        worded=worded,
        papers=papers,
        preview=shown,
        problems=problems or [],
        errors=errors or {},
    )


@bp.post(f"/mails/{_KIND}/reset", endpoint="reset_mail_template")
def reset_mail_template(kind: str) -> str | Response:
    require_button()
    k, ws = _kind(kind), require_workshop()
    back = url_for(".mail_template", kind=k.key)
    if not confirm.confirmed():
        return confirm.page(
            f"Reset the {k.label.lower()} mail",
            f"Your wording of the {k.label.lower()} mail is deleted: from now on it goes out in the portal's own text, "
            "shown on the mail's page. This cannot be undone.",
            [],
            "reset to the portal's text",
            cancel=back,
        )
    outcome = work.attempt(lambda: mail_templates.reset(me(), ws, k))
    if outcome.ok and not outcome.value:
        flash(f"The {k.label.lower()} mail already goes out in the portal's own text.", "success")
        return redirect(back)
    return _redirect(outcome, f"The {k.label.lower()} mail is reset: it goes out in the portal's own text.", back)


def _redirect(outcome: work.Outcome[object], success: str, to: str) -> Response:
    flash(success if outcome.ok else outcome.problem, "success" if outcome.ok else "error")
    return redirect(to)
