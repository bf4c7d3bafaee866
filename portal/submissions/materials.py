"""Authors: an accepted paper's poster, slides and video link, added after the decisions (and after the workshop).

The PDFs go through the papers' check and storage; the public entry of the paper and its program slot show them."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from portal import permissions, work
from portal.db import parse_id
from portal.services import submissions
from portal.services.submissions import CheckedFile, UploadRefused
from portal.submissions.blueprint import bp
from portal.submissions.forms import MaterialsForm
from portal.web import form_page, get_submission, me, require_workshop


def _read(name: str, limit_mb: int) -> tuple[bytes, str] | None:
    upload = request.files.get(name)
    if upload is None or not upload.filename:
        return None
    data = upload.stream.read(limit_mb * 1_000_000 + 1)
    if len(data) > limit_mb * 1_000_000:
        raise UploadRefused(f"The {name} is over the limit of {limit_mb} MB.")
    return data, upload.filename


@bp.route("/<int:number>/materials", methods=["GET", "POST"])
def materials(number: int) -> str | Response | tuple[str, int]:
    ws = require_workshop()
    sub = get_submission(number)  # 404 for who may not know the paper
    if not permissions.can_add_materials(me(), sub):
        abort(403)  # its authors before they know it is accepted, and the chairs
    form = MaterialsForm(data={"video_url": sub.video_url, "version": sub.version} if request.method == "GET" else None)
    problems: list[str] = []
    if form.validate_on_submit():

        def save() -> list[str]:
            checked: dict[str, CheckedFile | None] = {}
            for what in submissions.MATERIALS:
                raw = _read(what, ws.max_upload_mb)
                checked[what] = submissions.check_material(ws, sub, *raw, what) if raw else None
            return submissions.save_materials(
                me(),
                sub,
                poster=checked["poster"],
                slides=checked["slides"],
                video_url=form.video_url.data or "",
                remove=form.removed(),
                version=parse_id(form.version.data) or -1,
            )

        outcome = work.attempt(save)
        if outcome.ok:
            flash(f"Saved: {', '.join(outcome.value)}." if outcome.value else "Nothing changed.", "success")
            return redirect(url_for(".materials", number=number))
        problems.append(outcome.problem)
    if request.method == "POST":
        form.version.data = str(sub.version) if not problems else form.version.data
    return form_page("submissions/materials.html", form=form, problems=problems, ws=ws, sub=sub)
