from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from portal import work
from portal.extensions import limiter
from portal.services import sponsors
from portal.sponsors.blueprint import bp
from portal.sponsors.forms import SponsorInquiryForm
from portal.web import form_page, require_workshop


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
    return form_page("sponsors/index.html", form=form, problems=problems, ws=ws)


@bp.get("/thanks")
def thanks() -> str:
    return render_template("sponsors/thanks.html", ws=require_workshop())
