from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from portal import once, work
from portal.db import db, like_pattern, page_of, utcnow
from portal.forms import ButtonForm
from portal.members.blueprint import bp
from portal.members.forms import InviteForm, RoleForm
from portal.models import ROLE_LABELS, ApiToken, Invitation, InvitationState, User
from portal.services import accounts, api_tokens
from portal.templating import workshop
from portal.web import me, redirect_after


@bp.get("/")
def index() -> str:
    q = (request.args.get("q") or "").strip()[:200]
    role = request.args.get("role") if request.args.get("role") in ROLE_LABELS else None
    page = max(1, request.args.get("page", 1, type=int) or 1)
    per_page = current_app.config["MEMBERS_PER_PAGE"]
    stmt = sa.select(User)
    if q:
        pattern = like_pattern(q)
        stmt = stmt.where(
            sa.or_(
                sa.func.lower(User.name).like(pattern, escape="\\"),
                User.email.like(pattern, escape="\\"),
                sa.func.lower(User.affiliation).like(pattern, escape="\\"),
            )
        )
    if role:
        stmt = stmt.where(getattr(User, f"is_{role}"))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    page, pages = page_of(total, per_page, page)  # a page past the end shows the last one
    users = db.session.scalars(
        stmt.order_by(sa.func.lower(User.name), User.id).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return render_template(
        "members/index.html",
        users=users,
        q=q,
        role=role,
        page=page,
        pages=pages,
        total=total,
        form=RoleForm(),
    )


@bp.post("/<int:user_id>/role")
def set_role(user_id: int) -> Response:
    target = db.session.get(User, user_id) or abort(404)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    grant = form.grant.data == "1"
    outcome = work.attempt(lambda: accounts.set_role(me(), target, form.role.data, grant, tell=True))
    label = ROLE_LABELS[form.role.data]
    done = f"{target.name} {'is now' if grant else 'is no longer'} {'an' if label[0] in 'aeiou' else 'a'} {label}."
    back = request.referrer if (request.referrer or "").startswith(request.host_url) else url_for(".index")
    return redirect_after(outcome, done, back)


@bp.route("/invitations", methods=["GET", "POST"])
def invitations() -> str | Response:
    form = InviteForm()
    skipped: list[accounts.InviteLine] = []
    if form.validate_on_submit():
        lines = accounts.parse_invitation_lines(form.lines.data)
        if len(lines) > 500:
            form.lines.errors.append(f"Invite at most 500 people at once (this list has {len(lines)}).")
        else:
            outcome = work.attempt(lambda: _invite(lines, form.message.data or "", form.role.data))
            if not outcome.ok:
                flash(outcome.problem, "error")
                return redirect(url_for(".invitations"))
            made, skipped = outcome.value  # type: ignore[misc]
            if made:
                flash(f"{len(made)} invitation{'s' if len(made) != 1 else ''} sent.", "success")
            if not skipped:
                return redirect(url_for(".invitations"))
            form.lines.data = "\n".join(item.line for item in skipped)
    return render_template(
        "members/invitations.html",
        form=form,
        skipped=skipped,
        button=ButtonForm(),
        **_invitations_page(),
    ), 422 if form.errors else 200


def _invitations_page() -> dict[str, Any]:
    """One page of the invitations sent, newest first, searched by name or address and filtered by state, with
    the count of each state."""
    q = (request.args.get("q") or "").strip().lower()[:200]
    state = request.args.get("state") if request.args.get("state") in {s.value for s in InvitationState} else None
    stmt = sa.select(Invitation)
    if q:
        pattern = like_pattern(q)
        stmt = stmt.where(
            sa.or_(sa.func.lower(Invitation.name).like(pattern, escape="\\"), Invitation.email.like(pattern, escape="\\"))
        )
    if state:
        stmt = stmt.where(Invitation.state == InvitationState(state))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    per_page = current_app.config["MEMBERS_PER_PAGE"]
    page, pages = page_of(total, per_page, request.args.get("page", 1, type=int))
    rows = db.session.scalars(
        stmt.order_by(Invitation.created_at.desc(), Invitation.id.desc()).limit(per_page).offset((page - 1) * per_page)
    ).all()
    counts = dict(db.session.execute(sa.select(Invitation.state, sa.func.count()).group_by(Invitation.state)).all())
    query = {k: v for k, v in {"q": q or None, "state": state}.items() if v}
    return {
        "invitations": rows,
        "total": total,
        "page": page,
        "pages": pages,
        "query": query,
        "q": q,
        "state": state,
        "counts": {s.value: counts.get(s, 0) for s in InvitationState},
    }


def _invite(
    lines: list[accounts.InviteLine], message: str, role: str = "reviewer"
) -> tuple[list[Invitation], list[accounts.InviteLine]]:
    """Invite; the invitations made and the lines skipped. The same list posted twice invites once."""
    made, skipped = accounts.invite_reviewers(me(), workshop(), lines, message=message, role=role)
    once.record(url_for(".invitations"), f"{len(made)} invitation{'s' if len(made) != 1 else ''} sent")
    return made, skipped


def _invitation(invitation_id: int) -> Invitation:
    return db.session.get(Invitation, invitation_id) or abort(404)


@bp.post("/invitations/<int:invitation_id>/resend")
def resend_invitation(invitation_id: int) -> Response:
    invitation = _invitation(invitation_id)
    if not ButtonForm().validate_on_submit():
        return redirect(url_for(".invitations"))
    email = invitation.email
    outcome = work.attempt(lambda: accounts.resend_invitation(me(), workshop(), invitation))
    return redirect_after(outcome, f"The invitation to {email} was sent again, with a new link.", url_for(".invitations"))


@bp.post("/invitations/<int:invitation_id>/revoke")
def revoke_invitation(invitation_id: int) -> Response:
    invitation = _invitation(invitation_id)
    if not ButtonForm().validate_on_submit():
        return redirect(url_for(".invitations"))
    email = invitation.email
    outcome = work.attempt(lambda: accounts.revoke_invitation(me(), invitation))
    return redirect_after(outcome, f"The invitation to {email} is withdrawn; its link no longer works.", url_for(".invitations"))


# --- every API token (the chairs see and revoke them all) ----------------------------------------------------


@bp.get("/tokens")
def tokens() -> str:
    """Every personal access token: whose, its name, scope, last use and state; the live ones first."""
    return render_template("members/tokens.html", tokens=api_tokens.every_token(), now=utcnow(), form=ButtonForm())


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int) -> Response:
    token = db.session.get(ApiToken, token_id)
    if token is None:
        abort(404)
    if not ButtonForm().validate_on_submit():
        return redirect(url_for(".tokens"))
    owner = token.user.name
    outcome = work.attempt(lambda: api_tokens.revoke_token(me(), token))
    return redirect_after(outcome, f"The token “{token.name}” of {owner} is revoked.", url_for(".tokens"))
