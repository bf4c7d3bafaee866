"""Chairs: a person's photo on the public site (speakers, panelists, organizers, steering committee), beside the
content editor's person form: ``/chair/content/people/<role>/<id>/photo``. The initials avatar stays the fallback."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from werkzeug.wrappers import Response

from portal import work
from portal.chair.blueprint import bp
from portal.chair.photo_forms import PhotoForm
from portal.db import db
from portal.images import ImageRefused, read_upload
from portal.models import Person, PersonRole
from portal.services import photos
from portal.web import form_page, me, require_workshop

ROLES = "any(" + ", ".join(r.value for r in PersonRole) + ")"


@bp.route(f"/content/people/<{ROLES}:role>/<int:item_id>/photo", methods=["GET", "POST"])
def content_photo(role: str, item_id: int) -> tuple[str, int] | Response:
    ws = require_workshop()
    person = db.session.get(Person, item_id)
    if person is None or person.workshop_id != ws.id or person.role != PersonRole(role):
        abort(404)
    form = PhotoForm()
    problems: list[str | tuple[str, str]] = []
    refused = ""  # a refused picture: the photo field's own error
    if form.validate_on_submit():
        if form.remove.data:
            outcome = work.attempt(lambda: photos.remove_photo(me(), person))
            message = f"The photo of {person.name} is removed: the initials show again."
        else:

            def upload() -> None:
                data = read_upload(form.photo.data.stream if form.photo.data else None, "photo")
                if data is None:
                    raise ImageRefused("Choose a photo to upload.")
                photos.set_photo(me(), person, data)

            outcome = work.attempt(upload)
            message = f"The photo of {person.name} is saved and shown on the public site."
        if outcome.ok:
            flash(message, "success")
            return redirect(url_for(".content_photo", role=role, item_id=person.id))
        if isinstance(outcome.error, ImageRefused):
            refused = outcome.problem
            problems.append(("#photo", f"{form.photo.label.text}: {refused}"))
        else:
            problems.append(outcome.problem)
    return form_page("chair/content/photo.html", form=form, problems=problems, ws=ws, person=person, refused=refused)
