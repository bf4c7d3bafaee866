"""Composing mail: a template (``templates/emails/<name>.txt`` and ``.html``) and its context rendered into the
columns of an outbox row, with header-safe recipients and subject. Nothing here writes or sends."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask import current_app
from jinja2 import Template, TemplateNotFound

from portal.models import EmailState, OutgoingEmail

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")


def one_line(value: str) -> str:
    """A header-safe version of ``value``: CR, LF and other control characters become one space."""
    return _CONTROL.sub(" ", value).strip()


def compose(
    *,
    kind: str,
    to: list[str] | str,
    template: str,
    subject: str,
    reply_to: str | None = None,
    **context: object,
) -> OutgoingEmail:
    """The row ``queue`` would write, not yet in the session: many of them go in with one ``queue_all``."""
    mail = {"to": to, "subject": subject, "reply_to": reply_to, **context}
    return OutgoingEmail(**compose_many(kind=kind, template=template, mails=[mail])[0])


def compose_many(*, kind: str, template: str, mails: Iterable[Mapping[str, Any]], **shared: object) -> list[dict[str, Any]]:
    """The outbox rows, as column values, of many mails of one template, each exactly as ``compose`` writes it:
    each of ``mails`` holds what ``compose`` takes besides ``kind`` and ``template`` (``to``, ``subject``, maybe
    ``reply_to``, and the mail's own context) over the context ``shared`` by all. The templates are looked up
    and Flask's context processors run once for them all, not twice a mail (thousands of mails: seconds); Flask's
    template signals are not sent (nothing listens to them for mail)."""
    text, html = _templates(template)
    processed: dict[str, Any] = {}
    current_app.update_template_context(processed)  # Flask's context processors, as render_template runs them
    base = {**text.globals, **processed, **shared}  # the globals: what Template.render copies into every context
    rows = []
    for mail in mails:
        context = {**base, **mail}
        to, subject, reply_to = context.pop("to"), context.pop("subject"), context.pop("reply_to", None)
        recipients = [one_line(addr) for addr in ([to] if isinstance(to, str) else to)]
        if not recipients or any(not addr or "," in addr for addr in recipients):
            raise ValueError(f"bad recipient list: {recipients!r}")
        rows.append(
            {
                "kind": kind,
                "recipients": ",".join(recipients),
                "reply_to": one_line(reply_to) if reply_to else None,
                "subject": one_line(subject)[:500],
                "body_text": _render(text, context),
                "body_html": None if html is None else _render(html, context),
                "state": EmailState.QUEUED,
            }
        )
    return rows


_NO_HTML = "portal.emails.no_html"  # app.extensions key: the HTML mail templates found missing


def _templates(name: str) -> tuple[Template, Template | None]:
    """``emails/<name>.txt`` and ``emails/<name>.html`` (None when there is none). Jinja caches the templates it
    found, not the ones it did not: every look for a missing one searches every template folder again and raises.
    So without auto-reload (production), where Jinja does not look for edits to found templates either, a
    missing one is remembered for the app's life; with auto-reload (debug) it is looked for each time, so an HTML
    template added while developing is picked up at once."""
    env = current_app.jinja_env
    text, html_name = env.get_template(f"emails/{name}.txt"), f"emails/{name}.html"
    missing: set[str] = current_app.extensions.setdefault(_NO_HTML, set())
    if not env.auto_reload and html_name in missing:
        return text, None
    try:
        return text, env.get_template(html_name)
    except TemplateNotFound:
        if not env.auto_reload:
            missing.add(html_name)
        return text, None


def _render(template: Template, context: dict[str, Any]) -> str:
    """``template.render(context)`` for a ``context`` that holds the template's globals already: ``render`` copies
    them into each mail's context again (thirty globals, a third of a short mail's time)."""
    try:
        return "".join(template.root_render_func(template.new_context(context, shared=True)))
    except Exception:
        template.environment.handle_exception()
