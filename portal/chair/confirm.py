"""Chairs: the confirmation step of an action that cannot be taken back (sending mail, publishing, removing
work). The action's button posts without ``confirm``; the view then does nothing and answers with this page: what
will happen, to whom (the recipients or papers, the first ``LIMIT`` of them and a count of the rest), a "Yes, …"
button that posts the same form again with ``confirm=1`` (and a fresh one-time token when the action has one),
and a Cancel link. No JavaScript is needed."""

from __future__ import annotations

from flask import render_template, request, url_for

from portal.web import require_workshop

#: How many recipients or papers a confirmation page lists before it says "and N more".
LIMIT = 200


def confirmed() -> bool:
    """Whether this post came from the confirmation page's "Yes" button (a post without it does nothing)."""
    return request.form.get("confirm") == "1"


def page(
    heading: str,
    what: str,
    items: list[str],
    yes: str,
    *,
    hidden: dict[str, str] | None = None,
    note: str = "",
    cancel: str = "",
    empty_blocks: bool = False,
    total: int | None = None,
    problem: str = "",
) -> str:
    """``items`` are the first of ``total`` (all of them when None); ``empty_blocks``: with nothing to act on,
    the "Yes" button is disabled; ``problem``: why the page is shown again (what was confirmed changed)."""
    return render_template(
        "chair/confirm.html",
        ws=require_workshop(),
        heading=heading,
        what=what,
        items=items,
        limit=LIMIT,
        yes=yes,
        action=request.path,
        hidden=hidden or {},
        note=note,
        cancel=cancel or url_for("chair.decisions"),
        empty_blocks=empty_blocks,
        total=len(items) if total is None else total,
        problem=problem,
    )
