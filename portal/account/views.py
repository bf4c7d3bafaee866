from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user
from werkzeug.wrappers import Response

from portal import permissions, work
from portal.account.blueprint import bp
from portal.account.forms import (
    ConflictsForm,
    EmailChangeForm,
    ExpertiseForm,
    PasswordChangeForm,
    ProfileForm,
    TokenForm,
)
from portal.db import db, utcnow
from portal.forms import ButtonForm, choices
from portal.models import ApiToken, User
from portal.services import accounts, api_tokens
from portal.templating import workshop
from portal.web import form_page, me, redirect_after


def keep_failed_attempts(form: object) -> None:
    """A wrong current password was recorded (it counts toward the sign-in limits): keep the record although
    the form is refused. Nothing else of the request is pending."""
    if getattr(form, "failed_attempt", False):
        work.commit_and_deliver()


def _stay_signed_in(user: User) -> None:
    """After the nonce changed, sign this session in again (and renew its remember-me cookie if it had one)."""
    had_cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    login_user(user, remember=had_cookie)


# The email-change link may be opened in another browser: it carries its own proof, so needs no sign-in.
SIGN_IN_EXEMPT = {"account.confirm_email_change"}


@bp.before_request
def require_sign_in() -> None:
    """Every page here is the signed-in person's own."""
    if request.endpoint not in SIGN_IN_EXEMPT:
        permissions.require_sign_in()


@bp.get("/")
def index() -> str:
    return render_template("account/index.html", user=me(), form=ButtonForm())


@bp.route("/profile", methods=["GET", "POST"])
def profile() -> str | Response | tuple[str, int]:
    user = me()
    form = ProfileForm(obj=user)
    if form.validate_on_submit():
        outcome = work.attempt(lambda: accounts.update_profile(user, **form.to_input()))
        return redirect_after(outcome, "Your profile is saved.", url_for(".index"))
    return form_page("account/profile.html", form=form)


@bp.route("/email", methods=["GET", "POST"])
def email() -> str | Response | tuple[str, int]:
    user = me()
    form = EmailChangeForm()
    if not form.validate_on_submit():
        keep_failed_attempts(form)
    else:
        outcome = work.attempt(lambda: accounts.request_email_change(workshop(), user, form.email.data))
        if outcome.ok:
            address = accounts.normalize_email(form.email.data)
            flash(
                f"A confirmation link is on its way to {address}. Your address changes when you open it (within 24 hours).",
                "info",
            )
            return redirect(url_for(".index"))
        form.email.errors.append(outcome.problem)
    return form_page("account/email.html", form=form, user=user)


@bp.route("/password", methods=["GET", "POST"])
def password() -> str | Response | tuple[str, int]:
    user = me()
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        keep_failed_attempts(form)
        return form_page("account/password.html", form=form)
    outcome = work.attempt(lambda: accounts.set_password(workshop(), user, form.password.data))
    if outcome.ok:
        _stay_signed_in(user)
    return redirect_after(outcome, "Your password is changed. Every other session is signed out.", url_for(".index"))


@bp.route("/expertise", methods=["GET", "POST"])
def expertise() -> str | Response | tuple[str, int]:
    user = me()
    ws = workshop()
    reviewer = permissions.can_edit_reviewer_expertise(user)
    form = ExpertiseForm.from_model(user) if request.method == "GET" else ExpertiseForm()
    form.topics.choices = choices([(t.id, t.title) for t in (ws.topics if ws else [])])
    if form.validate_on_submit():
        outcome = work.attempt(lambda: accounts.set_expertise(user, **form.to_input(reviewer)))
        return redirect_after(outcome, "Your expertise is saved.", url_for(".index"))
    return form_page("account/expertise.html", form=form, reviewer=reviewer)


@bp.route("/conflicts", methods=["GET", "POST"])
def conflicts() -> str | Response | tuple[str, int]:
    user = me()
    form = ConflictsForm.from_model(user) if request.method == "GET" else ConflictsForm()
    if form.validate_on_submit() and (found := form.to_input()) is not None:
        outcome = work.attempt(lambda: accounts.set_conflicts(user, found))
        return redirect_after(outcome, f"Your conflicts of interest are saved ({len(found)} in all).", url_for(".index"))
    return form_page("account/conflicts.html", form=form)


@bp.post("/sessions/revoke")
def sign_out_everywhere() -> Response:
    if not ButtonForm().validate_on_submit():
        return redirect(url_for(".index"))
    user = me()
    outcome = work.attempt(lambda: accounts.sign_out_everywhere(user))
    if outcome.ok:
        _stay_signed_in(user)
    return redirect_after(outcome, "Every other session (other browsers and devices) is signed out.", url_for(".index"))


@bp.get("/email/confirm/<token>")
def confirm_email_change(token: str) -> str | Response | tuple[str, int]:
    # Who opened the link, read before the change rotates the session nonce.
    viewer_id = current_user.id if current_user.is_authenticated else None
    outcome = work.attempt(lambda: accounts.confirm_email_change(workshop(), token))
    user = outcome.value
    if user is None:
        return render_template("auth/link_problem.html", message=outcome.problem, resend=None, form=None), 400
    if viewer_id == user.id:
        _stay_signed_in(user)
        flash(f"Your email address is now {user.email}.", "success")
        return redirect(url_for(".index"))
    flash(f"Your email address is now {user.email}. Sign in with it.", "success")
    return redirect(url_for("auth.login"))


# --- personal access tokens for the JSON API ---------------------------------------------------------------


@bp.route("/tokens", methods=["GET", "POST"])
def tokens() -> str | tuple[str, int]:
    """Your API tokens: made here (the secret shown once, on the answer to the post, never again), listed with
    their last use, revoked."""
    user = me()
    form = TokenForm()
    secret = None
    problems: list[str] = []
    if form.validate_on_submit():
        outcome = work.attempt(lambda: api_tokens.create_token(user, user, **form.to_input()))
        if outcome.ok:
            secret = outcome.value[1]  # type: ignore[index]
            form = TokenForm(formdata=None)
        else:
            problems.append(outcome.problem)
    page = render_template(
        "account/tokens.html",
        form=form,
        problems=problems,
        secret=secret,
        tokens=api_tokens.tokens_of(user),
        now=utcnow(),
        revoke=ButtonForm(),
    )
    return page, 422 if (form.errors or problems) else 201 if secret else 200


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int) -> Response:
    user = me()
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        abort(404)
    if not ButtonForm().validate_on_submit():
        return redirect(url_for(".tokens"))
    outcome = work.attempt(lambda: api_tokens.revoke_token(user, token))
    return redirect_after(outcome, f"The token “{token.name}” is revoked: it signs nobody in any more.", url_for(".tokens"))
