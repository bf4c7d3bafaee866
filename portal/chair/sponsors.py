"""Chairs: the sponsors' inquiries from the contact form, followed up to a confirmed sponsor on the site.

``/chair/sponsors`` lists them (newest first, searched by organization, name or address, filtered by state, paged);
``/chair/sponsors/<id>`` shows one with its message and the portal's mails with the sponsor, and its follow-up
form: state, notes, a summary of the mail thread, and what the site shows once confirmed (name, tier, link, logo).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from portal import work
from portal.chair.blueprint import bp
from portal.chair.sponsor_forms import FollowUpForm
from portal.db import db, like_pattern, page_of
from portal.images import ImageRefused, read_upload
from portal.models import SponsorInquiry, SponsorState, StoredFile
from portal.services import sponsors
from portal.web import form_page, me, require_workshop, send_stored

PER_PAGE = 25
COLLIDED = "Another chair changed this inquiry at the same moment; nothing was saved. Reload the page and try again."


def _listing(workshop_id: int) -> dict[str, Any]:
    q = (request.args.get("q") or "").strip()[:200]
    state = request.args.get("state") if request.args.get("state") in SponsorState._value2member_map_ else None
    stmt = sa.select(SponsorInquiry).where(SponsorInquiry.workshop_id == workshop_id)
    if q:
        pattern = like_pattern(q)
        stmt = stmt.where(
            sa.or_(
                *(
                    sa.func.lower(column).like(pattern, escape="\\")
                    for column in (SponsorInquiry.organization, SponsorInquiry.name, SponsorInquiry.email)
                )
            )
        )
    if state:
        stmt = stmt.where(SponsorInquiry.state == SponsorState(state))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    page, pages = page_of(total, PER_PAGE, request.args.get("page", type=int))
    rows = db.session.scalars(
        stmt.order_by(SponsorInquiry.created_at.desc(), SponsorInquiry.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    ).all()
    counts = dict(
        db.session.execute(
            sa.select(SponsorInquiry.state, sa.func.count())
            .where(SponsorInquiry.workshop_id == workshop_id)
            .group_by(SponsorInquiry.state)
        ).all()
    )
    return {
        "inquiries": rows,
        "total": total,
        "page": page,
        "pages": pages,
        "q": q,
        "state": state,
        "query": {k: v for k, v in {"q": q or None, "state": state}.items() if v},
        "counts": {s: counts.get(s, 0) for s in SponsorState},
    }


@bp.get("/sponsors")
def sponsor_inquiries() -> tuple[str, int]:
    ws = require_workshop()
    return form_page("chair/sponsors/index.html", ws=ws, **_listing(ws.id))


@bp.route("/sponsors/<int:inquiry_id>", methods=["GET", "POST"])
def sponsor_inquiry(inquiry_id: int) -> tuple[str, int] | Response:
    ws = require_workshop()
    inquiry = db.session.get(SponsorInquiry, inquiry_id)
    if inquiry is None or inquiry.workshop_id != ws.id:
        abort(404)
    form = FollowUpForm(obj=inquiry if request.method == "GET" else None)
    if request.method == "GET":
        form.state.data, form.tier.data = inquiry.state.value, inquiry.tier.value if inquiry.tier else ""
    problems: list[str | tuple[str, str]] = []
    refused = ""  # a refused logo: the logo field's own error
    if form.validate_on_submit():

        def save() -> list[str]:
            logo = read_upload(form.logo.data.stream if form.logo.data else None, "logo")
            return sponsors.follow_up(me(), inquiry, form.to_input(), logo=logo, remove_logo=form.remove_logo.data)

        outcome = work.attempt(save, collision=COLLIDED)
        if outcome.ok:
            flash(f"Saved: {', '.join(outcome.value)}." if outcome.value else "Nothing changed.", "success")
            return redirect(url_for(".sponsor_inquiry", inquiry_id=inquiry.id))
        if isinstance(outcome.error, ImageRefused):
            refused = outcome.problem
            problems.append(("#logo", f"{form.logo.label.text}: {refused}"))
        else:
            problems.append(outcome.problem)
    return form_page(
        "chair/sponsors/inquiry.html",
        form=form,
        problems=problems,
        ws=ws,
        inquiry=inquiry,
        mails=sponsors.thread(inquiry),
        refused=refused,
    )


@bp.get("/sponsors/<int:inquiry_id>/logo.webp")
def sponsor_logo(inquiry_id: int) -> Response:
    """An inquiry's logo for the chairs, whatever its state (the public one is only a confirmed sponsor's)."""
    ws = require_workshop()
    inquiry = db.session.get(SponsorInquiry, inquiry_id)
    file = db.session.get(StoredFile, inquiry.logo_id) if inquiry and inquiry.workshop_id == ws.id and inquiry.logo_id else None
    if file is None:
        abort(404)
    return send_stored(file, f"sponsor-{inquiry_id}-logo.webp")
