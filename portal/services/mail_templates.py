"""System mails the chairs word (issue 21.7): the reviewer assignment, the review reminder, the invitation and the
submission receipt each have a subject and a body the chairs may rewrite, in the chairs' sandbox
(``portal.sandbox``), with a preview against a real paper and a reset to the portal's own text. The decision
letters are worded on the letters page (``portal.services.decisions``), one template per decision.

A kind's template sees only the plain values listed in its ``variables`` (dicts and strings, never a model), made
from what the portal's own template of that mail is given. So a mail to reviewers cannot name an author (no
author is among its values) and a mail to authors cannot name a reviewer, whatever the chair writes.

A workshop whose chairs never saved a kind sends that mail exactly as before: the portal's own template
(``templates/emails/<kind>.txt``) renders it. ``Kind.subject`` and ``Kind.body`` are the same text written for
the sandbox's values; that is what the edit page shows and what a reset returns to, and a test checks that it
renders byte for byte the mail of the portal's own template. A saved template was checked on sample values when
it was saved; if it still fails on a real mail (``{{ papers[3] }}`` for a reviewer with two papers), that mail
is written with the portal's own text and the failure is logged: no mail is ever lost to a chair's template.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from jinja2 import StrictUndefined, Template, TemplateSyntaxError

from portal import emails, permissions
from portal.db import db, utcnow
from portal.domain import DomainError
from portal.models import (
    AreaChairAssignment,
    FileKind,
    MailTemplate,
    ReviewAssignment,
    Submission,
    SubmissionState,
    User,
    Workshop,
)
from portal.sandbox import RUNTIME_ERRORS, BudgetExceeded, chair_sandbox, error_line
from portal.services import audit
from portal.urls import external_url

log = logging.getLogger(__name__)

#: The longest subject and body a chair may save (the form says so before the service does).
MAX_SUBJECT = 300
MAX_BODY = 20_000
#: The outbox template that sends a chair's text as rendered: ``{{ body }}``.
WORDED = "worded"

# The portal's own mail templates read with trim_blocks and lstrip_blocks and drop the final newline: the chairs'
# read the same way, so the defaults below are the portal's templates with the values renamed.
_env = chair_sandbox(StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)


class TemplateProblem(DomainError):
    """A chair's template that does not compile or fails on the sample values; ``field`` is "subject" or "body"."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


# --- the values each kind offers ------------------------------------------------------------------------


def _workshop(ws: Workshop | None) -> dict[str, Any] | None:
    if ws is None:
        return None
    return {"name": ws.name, "short_name": ws.short_name, "edition": ws.edition, "label": ws.label}


def _deadline(ws: Workshop) -> str:
    """The review deadline as the portal's mails write it, in the workshop's zone; "" when there is none."""
    if ws.review_deadline is None:
        return ""
    return f"{ws.review_deadline.astimezone(ws.zone).strftime('%a %d %b %Y, %H:%M')} {ws.zone_label}"


def _person(someone: Any) -> dict[str, str]:
    return {"name": someone.name, "email": someone.email}


def _assignment_values(c: Mapping[str, Any]) -> dict[str, Any]:
    ws = c["ws"]
    return {
        "reviewer": _person(c["reviewer"]),
        "workshop": _workshop(ws),
        "papers": [{"number": s.id, "title": s.title} for s in c["subs"]],
        "deadline": _deadline(ws),
        "link": c["home"],
    }


def _reminder_values(c: Mapping[str, Any]) -> dict[str, Any]:
    ws = c["ws"]
    return {
        "reviewer": _person(c["reviewer"]),
        "workshop": _workshop(ws),
        "papers": [
            {"number": a.submission.id, "title": a.submission.title, "status": "draft saved" if a.review else "not started"}
            for a in c["items"]
        ],
        "deadline": _deadline(ws),
        "link": c["home"],
        "area_chair": c.get("from_area_chair") or "",
    }


def _invitation_values(c: Mapping[str, Any]) -> dict[str, Any]:
    invitation, paper = c["invitation"], c.get("paper")
    return {
        "invitee": _person(invitation),
        "role": invitation.role,
        "inviter": {"name": c["inviter"].name},
        "workshop": _workshop(c.get("workshop")),
        "site": c["site"],
        "message": c.get("message") or "",
        "accept_link": c["accept_url"],
        "decline_link": c["decline_url"],
        "paper": {"number": paper.id, "title": paper.title} if paper is not None else None,
    }


def _state(sub: Submission) -> str:
    if sub.state == SubmissionState.WITHDRAWN:
        return "withdrawn"
    return "abstract registered (no PDF yet)" if sub.state == SubmissionState.ABSTRACT else "submitted"


_HIT_KEYS = ("where", "matched", "kind", "context")


def _receipt_values(c: Mapping[str, Any]) -> dict[str, Any]:
    sub, pdf, extra, final = c["sub"], c.get("paper"), c.get("supplementary"), c.get("camera_ready")
    when: datetime = c["when"]
    return {
        "author": {"name": c["actor"].name},
        "workshop": _workshop(c["ws"]),
        "paper": {
            "number": sub.number,
            "title": sub.title,
            "state": _state(sub),
            "authors": [{"name": a.name, "affiliation": a.affiliation, "email": a.email} for a in sub.authors],
        },
        "what": c["what"],
        "time": f"{when.strftime('%Y-%m-%d %H:%M:%S')} UTC",
        "pdf": {"pages": pdf.pages, "size": pdf.file.size, "sha256": pdf.file.sha256} if pdf is not None else None,
        "supplementary": {"size": extra.file.size, "sha256": extra.file.sha256} if extra is not None else None,
        "camera_ready": {"pages": final.pages, "sha256": final.file.sha256} if final is not None else None,
        "hits": [{key: hit.get(key, "") for key in _HIT_KEYS} for hit in c.get("hits") or []],
        "link": c["url"],
    }


def _area_chair_values(c: Mapping[str, Any]) -> dict[str, Any]:
    subs = c.get("subs") or [c["sub"]]
    return {
        "area_chair": _person(c["person"]),
        "workshop": _workshop(c["ws"]),
        "papers": [{"number": s.id, "title": s.title} for s in subs],
        "link": c.get("url") or "",
        "home": c["home"],
    }


# --- the kinds -----------------------------------------------------------------------------------------

_WORKSHOP_VARS = {
    "workshop.name": "the workshop's name",
    "workshop.short_name": "its short name (LongLLM)",
    "workshop.edition": "its edition (2024)",
    "workshop.label": "short name and edition, as subjects start: [LongLLM 2024]",
}


@dataclass(frozen=True)
class Kind:
    """One system mail the chairs word."""

    key: str
    label: str
    to: str  # who gets it, in words
    when: str  # when the portal sends it
    template: str  # the portal's own templates/emails/<template>.txt
    subject: str  # the default subject, for the sandbox's values
    body: str  # the default body
    variables: dict[str, str]  # every value offered, with what it holds: the edit page lists them
    values: Callable[[Mapping[str, Any]], dict[str, Any]]  # the offered values, from the portal template's context
    sample: dict[str, Any]  # values to check a template on, every optional part filled in
    sparse: dict[str, Any]  # the same with the optional parts empty (None, "" or [])
    outbox: str = ""  # the outbox's kind of the mail, when it is not ``key``

    @property
    def outbox_kind(self) -> str:
        return self.outbox or self.key


_SAMPLE_WS = {"name": "Workshop on Long Contexts", "short_name": "LongLLM", "edition": 2024, "label": "LongLLM 2024"}
_SAMPLE_LINK = "https://portal.example.org/review/"

ASSIGNMENT = Kind(
    key="assignment",
    label="Reviewer assignment",
    to="reviewers",
    when="when papers are assigned to a reviewer (by hand, or by applying an automatic assignment)",
    template="assignment",
    subject="[{{ workshop.label }}] {{ papers|length }} paper{{ 's' if papers|length != 1 }} to review",
    body="""Dear {{ reviewer.name }},

the chairs of {{ workshop.name }} ({{ workshop.short_name }} {{ workshop.edition }}) ask you to review:

{% for p in papers %}  #{{ p.number }}  {{ p.title }}
{% endfor %}
{% if deadline %}Reviews are due by {{ deadline }}.
{% endif %}
Your papers, their PDFs and the review forms: {{ link }}

If you have a conflict of interest with any of them, tell the chairs at once by replying to this mail.
""",
    variables={
        "reviewer.name": "the reviewer's name",
        "reviewer.email": "the reviewer's address",
        **_WORKSHOP_VARS,
        "papers": "the papers assigned, a list: each p has p.number and p.title (never its authors)",
        "deadline": "the review deadline in the workshop's zone (“Fri 05 Apr 2024, 23:59 AoE”), or empty",
        "link": "the reviewer's page of papers to review",
    },
    values=_assignment_values,
    sample={
        "reviewer": {"name": "Rita Reviewer", "email": "rita@example.org"},
        "workshop": _SAMPLE_WS,
        "papers": [{"number": 12, "title": "Sparse attention at scale"}, {"number": 15, "title": "Recurrent memory"}],
        "deadline": "Fri 05 Apr 2024, 23:59 AoE",
        "link": _SAMPLE_LINK,
    },
    sparse={"deadline": "", "papers": [{"number": 12, "title": "Sparse attention at scale"}]},
)

REMINDER = Kind(
    key="reminder",
    label="Review reminder",
    to="reviewers",
    when="when a chair reminds the reviewers with unfinished reviews, or an area chair one reviewer of a paper",
    template="reminder",
    subject="[{{ workshop.label }}] Reminder: {% if area_chair %}your review of #{{ papers[0].number }}"
    "{% else %}{{ papers|length }} review{{ 's' if papers|length != 1 }} to finish{% endif %}",
    body="""Dear {{ reviewer.name }},

a friendly reminder from {{ 'the area chair, ' ~ area_chair ~ ',' if area_chair else 'the chairs' }} of {{ workshop.short_name }} {{ workshop.edition }}: these reviews are not submitted yet:

{% for p in papers %}  #{{ p.number }}  {{ p.title }}  ({{ p.status }})
{% endfor %}
{% if deadline %}The deadline is {{ deadline }}.
{% endif %}
Your papers and review forms: {{ link }}
""",  # noqa: E501
    variables={
        "reviewer.name": "the reviewer's name",
        "reviewer.email": "the reviewer's address",
        **_WORKSHOP_VARS,
        "papers": "the unfinished reviews' papers, a list: each p has p.number, p.title and p.status (“draft saved” "
        "or “not started”), never its authors",
        "deadline": "the review deadline in the workshop's zone, or empty",
        "link": "the reviewer's page of papers to review",
        "area_chair": "the name of the area chair who sends the reminder; empty when the chairs send it",
    },
    values=_reminder_values,
    sample={
        "reviewer": {"name": "Rita Reviewer", "email": "rita@example.org"},
        "workshop": _SAMPLE_WS,
        "papers": [{"number": 12, "title": "Sparse attention at scale", "status": "draft saved"}],
        "deadline": "Fri 05 Apr 2024, 23:59 AoE",
        "link": _SAMPLE_LINK,
        "area_chair": "Alex Area",
    },
    sparse={"deadline": "", "area_chair": ""},
)

INVITATION = Kind(
    key="invitation",
    label="Invitation to the program committee",
    to="invited people",
    when="when a chair invites someone to review or to be an area chair (and when an invitation is sent again)",
    template="invitation",
    subject="[{{ site }}] {{ 'Invitation to be an area chair' if role == 'area_chair' else 'Invitation to review' }}",
    body="""Dear {{ invitee.name }},

on behalf of the organizers of {{ workshop.name if workshop else site }} ({{ site }}), {{ inviter.name }}
{% if role == 'area_chair' %}
invites you to join the program committee as an area chair: you oversee the reviews of a few
papers, follow their discussion and write a meta-review with your recommendation for each.
{% else %}
invites you to join the program committee and review submissions to the workshop.
{% endif %}

{% if message %}
{{ message }}

{% endif %}
Accept:  {{ accept_link }}
Decline: {{ decline_link }}

If you have no account yet, accepting leads you to create one for {{ invitee.email }}.
Questions? Reply to this mail.
{% if paper %}
You are invited for one paper in particular, #{{ paper.number }}: {{ paper.title }}
Accepting assigns it to you.
{% endif %}
""",
    variables={
        "invitee.name": "the invited person's name",
        "invitee.email": "the invited address",
        "role": "“reviewer” or “area_chair”",
        "inviter.name": "the chair who invites",
        **_WORKSHOP_VARS,
        "site": "the workshop's label (LongLLM 2024)",
        "message": "the chair's own message typed with the invitation, or empty",
        "accept_link": "the link that accepts",
        "decline_link": "the link that declines",
        "paper": "for an invitation to review one paper: paper.number and paper.title (never its authors); else empty",
    },
    values=_invitation_values,
    sample={
        "invitee": {"name": "Ivy Invitee", "email": "ivy@example.org"},
        "role": "reviewer",
        "inviter": {"name": "Carla Chair"},
        "workshop": _SAMPLE_WS,
        "site": "LongLLM 2024",
        "message": "We would value your view.",
        "accept_link": "https://portal.example.org/auth/invitation/x/accept",
        "decline_link": "https://portal.example.org/auth/invitation/x/decline",
        "paper": {"number": 12, "title": "Sparse attention at scale"},
    },
    sparse={"message": "", "paper": None, "role": "area_chair"},
)

RECEIPT = Kind(
    key="submission_receipt",
    label="Submission receipt",
    to="the author who submits",
    when="when an author registers, submits, updates or withdraws a paper, or uploads its camera-ready version",
    template="submission_receipt",
    subject="[{{ workshop.label }}] Submission #{{ paper.number }} {{ what }}: {{ paper.title }}",
    body="""Dear {{ author.name }},

this is the receipt for submission #{{ paper.number }} to {{ workshop.name }} ({{ workshop.short_name }} {{ workshop.edition }}): {{ what }}.

Number:   #{{ paper.number }}
Title:    {{ paper.title }}
State:    {{ paper.state }}
Authors:
{% for a in paper.authors %}  {{ loop.index }}. {{ a.name }} ({{ a.affiliation }}) <{{ a.email }}>
{% endfor %}
Time:     {{ time }}
{% if pdf %}Paper:    {{ pdf.pages }} pages, {{ pdf.size }} bytes
          SHA-256 {{ pdf.sha256 }}
{% endif %}{% if supplementary %}Supplementary: {{ supplementary.size }} bytes, SHA-256 {{ supplementary.sha256 }}
{% endif %}{% if camera_ready %}Camera-ready: {{ camera_ready.pages }} pages, SHA-256 {{ camera_ready.sha256 }}
{% endif %}{% if hits %}

The anonymity check found {{ hits|length }} place{{ 's' if hits|length != 1 }} in the paper that may reveal an author:
{% for hit in hits[:20] %}  - {{ hit.where }}: "{{ hit.matched }}" ({{ hit.kind }}), in "{{ hit.context }}"
{% endfor %}{% if hits|length > 20 %}  and {{ hits|length - 20 }} more, listed on the submission's page.
{% endif %}Reviewers get a copy with only what draws the pages (no metadata, comments, bookmarks or attached
files), but they see every page as you uploaded it.

{% endif %}
See it, change it until the deadline, or withdraw it at:
{{ link }}

Keep this mail: the SHA-256 identifies exactly the file we received.
""",  # noqa: E501
    variables={
        "author.name": "the author who submitted or changed the paper",
        **_WORKSHOP_VARS,
        "paper.number": "the submission's number",
        "paper.title": "its title",
        "paper.state": "“submitted”, “abstract registered (no PDF yet)” or “withdrawn”",
        "paper.authors": "its authors, a list: each a has a.name, a.affiliation and a.email",
        "what": "what happened: “submitted”, “updated”, “withdrawn”, “camera-ready version received”, …",
        "time": "when, in UTC (2024-03-01 14:05:09 UTC)",
        "pdf": "the paper's PDF: pdf.pages, pdf.size (bytes), pdf.sha256; empty before one is uploaded",
        "supplementary": "the supplementary file: supplementary.size and supplementary.sha256, or empty",
        "camera_ready": "the camera-ready PDF: camera_ready.pages and camera_ready.sha256, or empty",
        "hits": "what the anonymity check found, a list: each hit has hit.where, hit.matched, hit.kind, hit.context",
        "link": "the submission's page",
    },
    values=_receipt_values,
    sample={
        "author": {"name": "Ann Author"},
        "workshop": _SAMPLE_WS,
        "paper": {
            "number": 12,
            "title": "Sparse attention at scale",
            "state": "submitted",
            "authors": [{"name": "Ann Author", "affiliation": "Ann Lab", "email": "ann@example.org"}],
        },
        "what": "submitted",
        "time": "2024-03-01 14:05:09 UTC",
        "pdf": {"pages": 8, "size": 123456, "sha256": "0" * 64},
        "supplementary": {"size": 2048, "sha256": "1" * 64},
        "camera_ready": {"pages": 9, "sha256": "2" * 64},
        "hits": [{"where": "page 1", "matched": "Ann Lab", "kind": "affiliation", "context": "at Ann Lab we"}],
        "link": "https://portal.example.org/submissions/12",
    },
    sparse={"pdf": None, "supplementary": None, "camera_ready": None, "hits": []},
)

AREA_CHAIR = Kind(
    key="area_chair_assigned",
    label="Area chair assignment",
    to="area chairs",
    when="when a chair makes someone the area chair of a paper, or applies an automatic assignment of area chairs",
    template="area_chair_assigned",
    subject="[{{ workshop.label }}] You are the area chair of {% if link %}#{{ papers[0].number }}"
    "{% else %}{{ papers|length }} paper{{ 's' if papers|length != 1 }}{% endif %}",
    body="""Dear {{ area_chair.name }},

the chairs of {{ workshop.name }} ({{ workshop.short_name }} {{ workshop.edition }}) ask you to be the area chair of
{% if not link %}
{% for p in papers %}  #{{ p.number }}  {{ p.title }}
{% endfor %}
{% else %}
  #{{ papers[0].number }}  {{ papers[0].title }}

{% endif %}
You follow the reviews and discussion, remind late reviewers, ask the chairs for an extra review when one is
needed, and write each paper's meta-review with your recommendation.
{% if link %}
This paper: {{ link }}
{% endif %}
Every paper you oversee: {{ home }}

If you have a conflict of interest with any of them, tell the chairs at once by replying to this mail.
""",
    variables={
        "area_chair.name": "the area chair's name",
        "area_chair.email": "the area chair's address",
        **_WORKSHOP_VARS,
        "papers": "the papers they oversee from now on, a list: each p has p.number and p.title (never its authors)",
        "link": "the paper's page, when a chair chose the area chair of one paper by hand; empty when an automatic "
        "assignment gave them their papers (one mail for all of them)",
        "home": "the area chair's page of every paper they oversee",
    },
    values=_area_chair_values,
    sample={
        "area_chair": {"name": "Alex Area", "email": "alex@example.org"},
        "workshop": _SAMPLE_WS,
        "papers": [{"number": 12, "title": "Sparse attention at scale"}, {"number": 15, "title": "Recurrent memory"}],
        "link": "https://portal.example.org/review/12",
        "home": "https://portal.example.org/review/area-chair",
    },
    sparse={"link": "", "papers": [{"number": 12, "title": "Sparse attention at scale"}]},
    outbox="area_chair",
)

KINDS: dict[str, Kind] = {k.key: k for k in (ASSIGNMENT, REMINDER, INVITATION, RECEIPT, AREA_CHAIR)}


def kind_of(key: str) -> Kind | None:
    return KINDS.get(key)


# --- stored templates ----------------------------------------------------------------------------------


def saved(ws: Workshop) -> dict[str, MailTemplate]:
    """The workshop's saved templates by kind (a kind not saved: the portal's own text)."""
    return {t.kind: t for t in db.session.scalars(sa.select(MailTemplate).where(MailTemplate.workshop_id == ws.id))}


def stored(ws: Workshop | None, kind: str) -> MailTemplate | None:
    if ws is None:
        return None
    return db.session.scalar(sa.select(MailTemplate).where(MailTemplate.workshop_id == ws.id, MailTemplate.kind == kind))


def _offered(kind: Kind) -> str:
    return ", ".join("{{ " + name + " }}" for name in kind.variables)


def _problem(kind: Kind, what: str, exc: Exception) -> TemplateProblem:
    """The chair's message for an error in the ``what`` ("subject" or "body") of ``kind``'s template."""
    line = exc.lineno if isinstance(exc, TemplateSyntaxError) else error_line(exc)
    where = f" on line {line}" if line and what == "body" else ""
    if isinstance(exc, BudgetExceeded):
        return TemplateProblem(f"The {what}: {exc}", what)
    reason = str(exc).rstrip(".")
    if "is undefined" in reason or "has no attribute" in reason:
        reason += " (this mail does not offer that value)"
    return TemplateProblem(
        f"The {what} has an error{where}: {reason}. This mail offers only: {_offered(kind)}.",
        what,
    )


@lru_cache(maxsize=64)
def _compiled(source: str) -> Template:
    """A chair's source compiled once: the mails of one send (an assignment to hundreds of reviewers) share it."""
    return _env.from_string(source)


def render(kind: Kind, subject: str, body: str, values: Mapping[str, Any]) -> tuple[str, str]:
    """The subject (one line) and body of a mail from the chair's sources, in the sandbox, with ``values`` only.
    Raises ``TemplateProblem`` naming the part that failed."""
    out = []
    for what, source in (("subject", subject), ("body", body)):
        try:
            out.append(_compiled(source).render(**values))
        except (*RUNTIME_ERRORS, BudgetExceeded) as exc:
            raise _problem(kind, what, exc) from exc
    return emails.one_line(out[0])[:500], out[1]


_EMPTY_SUBJECT = "The subject comes out empty: a mail needs a subject."


def check(kind: Kind, subject: str, body: str) -> None:
    """Refuse a template that does not compile, or fails or goes over its budget on the sample values, with every
    optional part filled in and with them empty; or whose subject comes out empty."""
    for values in (kind.sample, kind.sample | kind.sparse):
        rendered_subject, _ = render(kind, subject, body, values)
        if not rendered_subject:
            raise TemplateProblem(_EMPTY_SUBJECT, "subject")


def _clean(subject: str, body: str) -> tuple[str, str]:
    return subject.strip(), body.replace("\r\n", "\n")


def save(actor: User, ws: Workshop, kind: Kind, subject: str, body: str, *, now: datetime | None = None) -> MailTemplate:
    """Check and save the chairs' wording of ``kind`` (nothing is saved when the check refuses it)."""
    subject, body = _clean(subject, body)
    if not subject or not body.strip():
        raise TemplateProblem("A mail needs a subject and a body.", "body" if subject else "subject")
    if len(subject) > MAX_SUBJECT or len(body) > MAX_BODY:
        raise TemplateProblem(
            f"The subject may have {MAX_SUBJECT} characters and the body {MAX_BODY:,}.",
            "subject" if len(subject) > MAX_SUBJECT else "body",
        )
    check(kind, subject, body)
    row = stored(ws, kind.key)
    if row is None:
        row = MailTemplate(workshop_id=ws.id, kind=kind.key, subject=subject, body=body)
        db.session.add(row)
    row.subject, row.body, row.updated_at, row.updated_by_id = subject, body, now or utcnow(), actor.id
    audit.record(actor, "mail.template", f"Worded the {kind.label.lower()} mail", kind=kind.key)
    db.session.flush()
    return row


def reset(actor: User, ws: Workshop, kind: Kind) -> bool:
    """Back to the portal's own text; False when the kind was not reworded."""
    row = stored(ws, kind.key)
    if row is None:
        return False
    db.session.delete(row)
    audit.record(actor, "mail.template", f"Reset the {kind.label.lower()} mail to the portal's text", kind=kind.key)
    db.session.flush()
    return True


# --- sending ---------------------------------------------------------------------------------------------


def _worded(ws: Workshop | None, row: MailTemplate | None, kind: Kind, context: Mapping[str, Any]) -> tuple[str, str] | None:
    """The chairs' subject and body for a mail whose portal template takes ``context``; None when they did not
    word it, or when their template fails on this mail (logged: the portal's own text goes instead)."""
    if row is None:
        return None
    try:
        return render(kind, row.subject, row.body, kind.values(context))
    except TemplateProblem as exc:
        log.warning(
            "The chairs' %s template of workshop %s failed on a mail to %s; the portal's own text was sent: %s",
            kind.key,
            ws.id if ws else None,
            context.get("to"),
            exc,
        )
        return None


def queue(ws: Workshop | None, key: str, /, *, to: str, subject: str, reply_to: str | None = None, **context: Any) -> None:
    """``emails.queue`` of the mail ``key``: the chairs' wording when they saved one, else the portal's template
    (``subject`` and ``context`` as that template takes them)."""
    kind = KINDS[key]
    worded = _worded(ws, stored(ws, key), kind, {"to": to, **context})
    if worded is None:
        emails.queue(kind=kind.outbox_kind, to=to, reply_to=reply_to, template=kind.template, subject=subject, **context)
    else:
        emails.queue(kind=kind.outbox_kind, to=to, reply_to=reply_to, template=WORDED, subject=worded[0], body=worded[1])


def queue_many(ws: Workshop, key: str, /, *, mails: Iterable[Mapping[str, Any]], **shared: Any) -> list[int]:
    """``emails.queue_many`` of the mails ``key`` (each as the portal's template takes it, over ``shared``), with the
    chairs' wording when they saved one. Returns the ids of the mails queued."""
    kind, row = KINDS[key], stored(ws, key)
    if row is None:
        return emails.queue_many(kind=kind.outbox_kind, template=kind.template, mails=mails, **shared)
    plain, worded = [], []
    for mail in mails:
        text = _worded(ws, row, kind, {**shared, **mail})
        if text is None:
            plain.append(mail)
        else:
            worded.append({"to": mail["to"], "reply_to": mail.get("reply_to"), "subject": text[0], "body": text[1]})
    ids = emails.queue_many(kind=kind.outbox_kind, template=WORDED, mails=worded)
    return sorted(ids + emails.queue_many(kind=kind.outbox_kind, template=kind.template, mails=plain, **shared))


# --- the preview ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    about: str  # which paper and person the preview was made for
    to: str
    subject: str
    body: str


def preview_papers(actor: User, ws: Workshop, limit: int = 200) -> list[tuple[int, str]]:
    """The papers a chair may preview a mail with (those they handle), by number: the first ``limit``."""
    hidden = permissions.chair_conflicted_ids(actor)
    rows = db.session.execute(
        sa.select(Submission.id, Submission.title)
        .where(Submission.workshop_id == ws.id, Submission.id.not_in(hidden))
        .order_by(Submission.id)
        .limit(limit)
    ).all()
    return [(n, title) for n, title in rows]


_PREVIEW_KEY = "preview"  # in the preview's invitation links, which open nothing


def _reviewer_of(sub: Submission, actor: User) -> tuple[Any, ReviewAssignment | None]:
    """The paper's first active reviewer and their assignment; the chair and no assignment when it has none."""
    a = db.session.scalar(
        sa.select(ReviewAssignment)
        .where(ReviewAssignment.submission_id == sub.id, ReviewAssignment.suspended_at.is_(None))
        .order_by(ReviewAssignment.ordinal)
        .limit(1)
    )
    return (a.reviewer, a) if a is not None else (actor, None)


def _context(actor: User, ws: Workshop, kind: Kind, sub: Submission) -> tuple[str, dict[str, Any]]:
    """The context the portal's template of ``kind`` would get for a mail about ``sub``, and its recipient."""
    home = external_url("review.index")
    if kind is ASSIGNMENT:
        reviewer, _ = _reviewer_of(sub, actor)
        return reviewer.email, {"ws": ws, "home": home, "reviewer": reviewer, "subs": [sub]}
    if kind is REMINDER:
        reviewer, a = _reviewer_of(sub, actor)
        item = a or SimpleNamespace(submission=sub, review=None)
        return reviewer.email, {"ws": ws, "home": home, "reviewer": reviewer, "items": [item]}
    if kind is INVITATION:
        invitee, _ = _reviewer_of(sub, actor)
        invitation = SimpleNamespace(name=invitee.name, email=invitee.email, role="reviewer")
        link = external_url("auth.invitation", token=_PREVIEW_KEY, answer="accept")
        return invitee.email, {
            "invitation": invitation,
            "inviter": actor,
            "site": ws.label,
            "workshop": ws,
            "message": "",
            "accept_url": link,
            "decline_url": link.replace("accept", "decline"),
            "paper": sub,
        }
    if kind is AREA_CHAIR:
        row = db.session.scalar(sa.select(AreaChairAssignment).where(AreaChairAssignment.submission_id == sub.id))
        person = row.area_chair if row is not None else actor
        return person.email, {
            "ws": ws,
            "sub": sub,
            "person": person,
            "url": external_url("review.paper", number=sub.id),
            "home": external_url("review.area_chair_home"),
        }
    author = sub.submitter or actor
    pdf = sub.paper
    return author.email, {
        "ws": ws,
        "sub": sub,
        "actor": author,
        "what": "submitted",
        "when": sub.submitted_at or utcnow(),
        "paper": pdf,
        "hits": (pdf.check_report or {}).get("hits", []) if pdf is not None else [],
        "supplementary": sub.latest(FileKind.SUPPLEMENTARY),
        "camera_ready": sub.latest(FileKind.CAMERA_READY),
        "url": external_url("submissions.detail", number=sub.number),
    }


def preview(actor: User, ws: Workshop, kind: Kind, subject: str, body: str, number: int | None) -> Preview:
    """The mail ``kind`` as the chair's text would write it about paper ``number`` (one they handle), to its first
    reviewer (the chair when it has none) or, for the receipt, its submitter. Nothing is saved or sent."""
    sub = db.session.get(Submission, number) if number is not None else None
    if sub is None or sub.workshop_id != ws.id or not permissions.can_chair_paper(actor, sub):
        raise DomainError("Choose one of the papers you handle to preview the mail with.")
    subject, body = _clean(subject, body)
    to, context = _context(actor, ws, kind, sub)
    rendered = render(kind, subject, body, kind.values(context))
    if not rendered[0]:
        raise TemplateProblem(_EMPTY_SUBJECT, "subject")
    return Preview(f"{sub.id} {sub.title}", to, *rendered)


def default_rendering(kind: Kind, context: Mapping[str, Any]) -> tuple[str, str]:
    """The default text rendered in the sandbox for a mail whose portal template takes ``context`` (the test that
    the defaults are the portal's own text compares this with the portal's template)."""
    return render(kind, kind.subject, kind.body, kind.values(context))
