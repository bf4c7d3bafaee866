from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from portal import once, work
from portal.auth.blueprint import bp
from portal.auth.forms import ConfirmAccountForm, EmailOnlyForm, LoginForm, NewPasswordForm, RegisterForm
from portal.db import utcnow
from portal.extensions import limiter
from portal.forms import ButtonForm
from portal.models import Invitation, InvitationState, User
from portal.services import accounts
from portal.services.tokens import TokenInvalid
from portal.templating import format_datetime, workshop
from portal.urls import client_ip, safe_next
from portal.web import form_page, landing, me


def _invitation_from(token: str | None) -> Invitation | None:
    if not token:
        return None
    try:
        invitation = accounts.invitation_by_token(token)
    except TokenInvalid:
        return None
    return invitation if invitation.state == InvitationState.PENDING else None


def _mail_limit() -> str:
    return current_app.config["ACCOUNT_MAIL_RATE_LIMIT"]


#: Every form here that mails an address the visitor types shares one per-IP budget (no mail bombing).
mail_limit = limiter.shared_limit(_mail_limit, scope="account-mail", methods=["POST"])


@bp.route("/register", methods=["GET", "POST"])
@mail_limit
def register() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("account.index"))
    token = request.args.get("invitation")
    invitation = _invitation_from(token)
    form = RegisterForm()
    if invitation is not None:
        # The invited address is fixed: the mail reached it, so it needs no confirmation.
        form.email.data = invitation.email
        if request.method == "GET":
            form.name.data = invitation.name
    if form.validate_on_submit():
        once.record(url_for(".check_inbox"), "the account was registered")  # "Register" pressed twice: once
        user = accounts.register_user(workshop(), **form.to_input(), invitation=invitation)
        if user is not None and user.is_confirmed:
            work.commit_and_deliver()
            login_user(user)
            role = invitation.role_label if invitation is not None else "reviewer"
            flash(f"Welcome! Your account is ready and you are now {'an' if role[0] in 'aeiou' else 'a'} {role}.", "success")
            return redirect(url_for("account.index"))
        session["registered_email"] = accounts.normalize_email(form.email.data)
        # New address, taken address, or an unconfirmed one registered again: the same page in the same time.
        return work.commit_and_deliver_after(redirect(url_for(".check_inbox")))
    return form_page("auth/register.html", form=form, invitation=invitation, token=token)


@bp.get("/check-inbox")
def check_inbox() -> str:
    # The same page whether the address was new or had an account already (no account enumeration).
    return render_template("auth/check_inbox.html", email=session.get("registered_email"))


def _link_problem(message: str, resend: str | None, status: int = 400) -> tuple[str, int]:
    form = EmailOnlyForm() if resend else None
    return render_template("auth/link_problem.html", message=message, resend=resend, form=form), status


def _or_refusal(check: Callable[[], User]) -> Callable[[], User | accounts.SignInRefused]:
    """``check``, with a refused password as its value instead of an error: the failure it recorded is committed,
    for it counts toward the sign-in limits."""

    def run() -> User | accounts.SignInRefused:
        try:
            return check()
        except accounts.SignInRefused as refused:
            return refused

    return run


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str) -> str | Response | tuple[str, int]:
    """A confirmation link opens a page; only its button (a POST, with the password chosen at registration)
    confirms, so a mail scanner that follows links confirms nothing, and a registration of someone else's
    address is never confirmed by its owner's click."""
    try:
        user = accounts.user_to_confirm(token)
    except TokenInvalid as exc:
        return _link_problem(str(exc), "confirm")
    form = ConfirmAccountForm()
    if not form.validate_on_submit():
        return form_page("auth/confirm.html", form=form, email=user.email)
    outcome = work.attempt(_or_refusal(lambda: accounts.confirm_email(token, form.password.data, ip=client_ip())))
    if not outcome.ok:
        return _link_problem(outcome.problem, "confirm")
    if isinstance(refused := outcome.value, accounts.SignInRefused):
        when = f" Try again after {format_datetime(refused.retry_at)}." if refused.retry_at else ""
        form.password.errors.append(
            f"{refused}{when}"
            if refused.retry_at
            else "This is not the password chosen when the address was registered. If you did "
            "not register, or forgot it, choose a new password below."
        )
        return render_template("auth/confirm.html", form=form, email=user.email), 429 if refused.retry_at else 422
    login_user(outcome.value)
    flash("Your email address is confirmed and you are signed in.", "success")
    return redirect(landing(outcome.value))


@bp.route("/confirm/resend", methods=["GET", "POST"])
@mail_limit
def resend_confirmation() -> str | Response:
    form = EmailOnlyForm()
    if form.validate_on_submit():
        accounts.resend_confirmation(workshop(), form.email.data)
        flash(
            f"If an unconfirmed account uses {accounts.normalize_email(form.email.data)}, a new confirmation link is on "
            "its way. It works for 3 days.",
            "info",
        )
        # The same answer, in the same time, for every address: the mail goes out after the response.
        return work.commit_and_deliver_after(redirect(url_for(".login")))
    return form_page("auth/resend.html", form=form)


def _minutes_until(moment: datetime) -> int:
    return max(1, int((moment - utcnow()).total_seconds() // 60) + 1)


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or landing(current_user))
    form = LoginForm()
    if not form.validate_on_submit():
        return form_page("auth/login.html", form=form, refusal=None, retry=None, next_url=next_url)
    outcome = work.attempt(_or_refusal(lambda: accounts.authenticate(form.email.data, form.password.data, ip=client_ip())))
    if isinstance(user := outcome.value, User):
        login_user(user, remember=form.remember.data)
        return redirect(next_url or landing(user))
    if not isinstance(refusal := outcome.value, accounts.SignInRefused):
        flash(outcome.problem, "error")
        return form_page("auth/login.html", form=form, refusal=None, retry=None, next_url=next_url)
    retry = None
    if refusal.retry_at is not None:
        retry = (format_datetime(refusal.retry_at), _minutes_until(refusal.retry_at))
    page = render_template("auth/login.html", form=form, refusal=refusal, retry=retry, next_url=next_url)
    return page, 429 if refusal.retry_at else 401


@bp.post("/logout")
def logout() -> Response:
    form = ButtonForm()
    if form.validate_on_submit():
        try:
            if current_user.is_authenticated:
                # The session is a signed cookie: a copy of it (or of the remember-me cookie) taken before now
                # would outlive the sign-out. A new nonce ends it, and with it this account's sessions elsewhere.
                user = me()
                work.attempt(lambda: accounts.sign_out_everywhere(user))
        finally:
            logout_user()  # this browser is signed out even when the database could not renew the nonce
        flash("You are signed out.", "info")
    return redirect(url_for("public.home"))


@bp.route("/reset", methods=["GET", "POST"])
@mail_limit
def reset_request() -> str | Response:
    form = EmailOnlyForm()
    if form.validate_on_submit():
        accounts.request_password_reset(workshop(), form.email.data)
        flash(
            f"If an account uses {accounts.normalize_email(form.email.data)}, a link to choose a new password is on its "
            "way. It works once, for one hour.",
            "info",
        )
        # The same answer, in the same time, for every address: the mail goes out after the response.
        return work.commit_and_deliver_after(redirect(url_for(".login")))
    return form_page("auth/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str) -> str | Response | tuple[str, int]:
    try:
        user, fingerprint = accounts.reset_link(token)
    except TokenInvalid as exc:
        return _link_problem(str(exc), "reset")
    form = NewPasswordForm()
    if not form.validate_on_submit():
        return form_page("auth/reset.html", form=form, user=user)
    # Conditional on the password the link was made for: posted several times at once, it works once.
    outcome = work.attempt(
        lambda: accounts.set_password(workshop(), user, form.password.data, confirm_email=True, replacing=fingerprint)
    )
    if not outcome.ok:
        return _link_problem(outcome.problem, "reset")
    logout_user()
    flash("Your password is changed, and every session that used the old one is signed out. Sign in now.", "success")
    return redirect(url_for(".login"))


@bp.route("/invitations/<token>/<any(accept, decline):answer>", methods=["GET", "POST"])
def invitation(token: str, answer: str) -> str | Response | tuple[str, int]:
    try:
        inv = accounts.invitation_by_token(token)
    except TokenInvalid as exc:
        return _link_problem(str(exc), None, 404)
    form = ButtonForm()
    error = None
    if form.validate_on_submit():
        outcome = work.attempt(lambda: accounts.answer_invitation(inv, accept=answer == "accept"))
        if outcome.ok:
            return _answered(answer, outcome.value, token)
        error = outcome.problem
    elif inv.state != InvitationState.PENDING:
        error = (
            "The organizers withdrew this invitation."
            if inv.state == InvitationState.REVOKED
            else f"You have {inv.state.value} this invitation already."
        )
    return render_template("auth/invitation.html", invitation=inv, answer=answer, form=form, error=error)


def _answered(answer: str, user: User | None, token: str) -> Response:
    if answer == "decline":
        flash("You declined the invitation. Thank you for letting us know.", "info")
        return redirect(url_for("public.home"))
    if user is None:
        return redirect(url_for(".register", invitation=token))
    role = "an area chair" if accounts.invitation_by_token(token).role == "area_chair" else "a reviewer"
    flash(f"Thank you! The account {user.email} is now {role}.", "success")
    return redirect(url_for("account.index") if current_user.is_authenticated else url_for(".login"))
