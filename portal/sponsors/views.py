from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from portal import queries, work
from portal.db import db
from portal.extensions import limiter
from portal.models import SponsorInquiry, SponsorState, StoredFile
from portal.services import sponsors
from portal.sponsors.blueprint import bp
from portal.sponsors.forms import SponsorInquiryForm
from portal.web import form_page, require_workshop, send_stored


def _contact_limit() -> str:
    return current_app.config["CONTACT_RATE_LIMIT"]


@bp.route("/", methods=["GET", "POST"])
@limiter.limit(_contact_limit, methods=["POST"])
def index() -> str | Response | tuple[str, int]:
    ws = require_workshop()
    form = SponsorInquiryForm(options=[(o.slug, o.label) for o in ws.sponsor_options])
    problems: list[str] = []
    if form.validate_on_submit():
        if form.website.data:
            # A bot filled the honeypot: look successful, store and send nothing.
            return redirect(url_for(".thanks"))
        # Mail that fails to go out stays queued for `emails send-pending`.
        outcome = work.attempt(lambda: sponsors.submit_inquiry(ws, **form.to_input(), remote_addr=request.remote_addr))
        if outcome.ok:
            return redirect(url_for(".thanks"))
        problems.append(outcome.problem)
    return form_page("sponsors/index.html", form=form, problems=problems, ws=ws, sponsors=queries.sponsor_tiers(ws))


@bp.get("/thanks")
def thanks() -> str:
    return render_template("sponsors/thanks.html", ws=require_workshop())


@bp.get("/<int:sponsor_id>/logo.webp")
def logo(sponsor_id: int) -> Response:
    """A confirmed sponsor's logo, as re-encoded at upload: public, with the same headers as paper files. Another
    inquiry's logo (not confirmed, or declined since) is not found: nothing of an inquiry is public before."""
    ws = require_workshop()
    sponsor = db.session.get(SponsorInquiry, sponsor_id)
    shown = sponsor is not None and sponsor.workshop_id == ws.id and sponsor.state == SponsorState.CONFIRMED
    file = db.session.get(StoredFile, sponsor.logo_id) if shown and sponsor.logo_id else None  # type: ignore[union-attr]
    if file is None:
        abort(404)
    return send_stored(file, f"sponsor-{sponsor_id}-logo.webp", public=True)
