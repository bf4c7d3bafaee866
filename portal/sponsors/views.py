from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from portal import work
from portal.extensions import limiter
from portal.services.sponsors import submit_inquiry
from portal.sponsors.blueprint import bp
from portal.sponsors.forms import SponsorInquiryForm
from portal.web import require_workshop


def _contact_limit() -> str:
    return current_app.config["CONTACT_RATE_LIMIT"]


@bp.route("/", methods=["GET", "POST"])
@limiter.limit(_contact_limit, methods=["POST"])
def index() -> str | Response:
    ws = require_workshop()
    form = SponsorInquiryForm(options=[(o.slug, o.label) for o in ws.sponsor_options])
    if form.validate_on_submit():
        if form.website.data:
            # A bot filled the honeypot: look successful, store and send nothing.
            return redirect(url_for(".thanks"))
        submit_inquiry(
            ws,
            name=form.name.data,
            organization=form.organization.data,
            email=form.email.data,
            interest=form.interest.data,
            message=form.message.data,
            remote_addr=request.remote_addr,
        )
        work.commit_and_deliver()  # failures stay queued for `emails send-pending`
        return redirect(url_for(".thanks"))
    status = 422 if form.errors else 200
    return render_template("sponsors/index.html", ws=ws, form=form), status


@bp.get("/thanks")
def thanks() -> str:
    return render_template("sponsors/thanks.html", ws=require_workshop())
