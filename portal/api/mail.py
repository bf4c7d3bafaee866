"""The chairs' wording of the system mails (issue 21.7), as on the mails pages: each mail with who gets it, when,
the values it offers and its subject and body (the chairs' or the portal's own); changed with the same checks (a
template that does not compile or fails on the sample values is a 422 naming the part at fault), or reset to the
portal's text. The decision letters are worded on the letters page."""

from __future__ import annotations

from datetime import datetime

from flask import Response
from pydantic import Field

from portal import work
from portal.api.chairs import _chair
from portal.api.core import Answer, ProblemItem, Strict, answer, operation, refuse, refused_outcome
from portal.models import MailTemplate
from portal.services import mail_templates
from portal.web import me, require_workshop

TAG = "Mails"
KIND = f"<any({', '.join(mail_templates.KINDS)}):kind>"


class MailTemplateOut(Answer):
    kind: str
    label: str
    to: str = Field(description="who gets it")
    when: str = Field(description="when the portal sends it")
    subject: str
    body: str
    worded: bool = Field(description="true: your wording; false: the portal's own text")
    updated_at: datetime | None
    variables: dict[str, str] = Field(description="the values it offers ({{ name }}), with what each holds")


class MailTemplateList(Answer):
    items: list[MailTemplateOut]


class MailTemplateIn(Strict):
    subject: str = Field(min_length=1, max_length=mail_templates.MAX_SUBJECT)
    body: str = Field(min_length=1, max_length=mail_templates.MAX_BODY)


def _out(k: mail_templates.Kind, row: MailTemplate | None) -> MailTemplateOut:
    return MailTemplateOut(
        kind=k.key,
        label=k.label,
        to=k.to,
        when=k.when,
        subject=row.subject if row else k.subject,
        body=row.body if row else k.body,
        worded=row is not None,
        updated_at=row.updated_at if row else None,
        variables=k.variables,
    )


def _kind(kind: str) -> mail_templates.Kind:
    require_workshop()
    _chair()
    found = mail_templates.kind_of(kind)
    if found is None:  # (the URL names only kinds: never reached)
        refuse(404)
    return found


@operation("/mail-templates", tag=TAG, response=MailTemplateList)
def mail_template_list() -> Response:
    """Every system mail the chairs word, in the mails page's order, with its subject and body as it goes out."""
    ws = require_workshop()
    _chair()
    saved = mail_templates.saved(ws)
    return answer(MailTemplateList(items=[_out(k, saved.get(k.key)) for k in mail_templates.KINDS.values()]))


@operation(f"/mail-templates/{KIND}", tag=TAG, response=MailTemplateOut)
def mail_template(kind: str) -> Response:
    """One system mail: its subject and body as it goes out, and the values it offers."""
    k = _kind(kind)
    return answer(_out(k, mail_templates.stored(require_workshop(), k.key)))


@operation(f"/mail-templates/{KIND}", "PUT", tag=TAG, response=MailTemplateOut, body=MailTemplateIn, errors=(409,))
def save_mail_template(kind: str, body: MailTemplateIn) -> Response:
    """Word a system mail (Jinja in the chairs' sandbox, with the values it offers): checked on sample values first;
    a template that fails is a 422 naming the part at fault, and nothing is saved."""
    k = _kind(kind)
    ws = require_workshop()
    outcome = work.attempt(lambda: mail_templates.save(me(), ws, k, body.subject, body.body))
    if not outcome.ok:
        field = getattr(outcome.error, "field", None)
        if field in ("subject", "body"):
            refuse(422, outcome.problem, [ProblemItem(detail=outcome.problem, pointer=f"/{field}")])
        refused_outcome(outcome)
    return answer(_out(k, mail_templates.stored(ws, k.key)))


@operation(f"/mail-templates/{KIND}", "DELETE", tag=TAG, response=MailTemplateOut)
def reset_mail_template(kind: str) -> Response:
    """Reset a system mail to the portal's own text (your wording is deleted; nothing happens when it had none)."""
    k = _kind(kind)
    ws = require_workshop()
    outcome = work.attempt(lambda: mail_templates.reset(me(), ws, k))
    if not outcome.ok:
        refused_outcome(outcome)
    return answer(_out(k, None))
