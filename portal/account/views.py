from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user
from werkzeug.wrappers import Response

from portal import permissions, work
from portal.account.blueprint import bp
from portal.account.forms import (
    PAPER_SLOTS,
    ConflictsForm,
    EmailChangeForm,
    ExpertiseForm,
    PasswordChangeForm,
    ProfileForm,
)
from portal.db import db
from portal.domain import DomainError
from portal.forms import ButtonForm, choices
from portal.models import ConflictKind, User
from portal.services import accounts as svc
from portal.services.tokens import TokenInvalid
from portal.templating import workshop
from portal.web import me


def keep_failed_attempts(form: object) -> None:
    """A wrong current password was recorded (it counts toward the sign-in limits): keep the record although
    the form is refused. Nothing else of the request is pending."""
    if getattr(form, "failed_attempt", False):
        db.session.commit()


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
def profile() -> str | Response:
    user = me()
    form = ProfileForm(obj=user)
    if form.validate_on_submit():
        svc.update_profile(
            user, name=form.name.data, affiliation=form.affiliation.data, orcid=form.orcid.data, homepage=form.homepage.data
        )
        db.session.commit()
        flash("Your profile is saved.", "success")
        return redirect(url_for(".index"))
    return render_template("account/profile.html", form=form), 422 if form.errors else 200


@bp.route("/email", methods=["GET", "POST"])
def email() -> str | Response:
    user = me()
    form = EmailChangeForm()
    if not form.validate_on_submit():
        keep_failed_attempts(form)
    else:
        try:
            svc.request_email_change(workshop(), user, form.email.data)
        except DomainError as exc:
            db.session.rollback()
            form.email.errors.append(str(exc))
        else:
            work.commit_and_deliver()
            flash(
                f"A confirmation link is on its way to {svc.normalize_email(form.email.data)}. Your address "
                "changes when you open it (within 24 hours).",
                "info",
            )
            return redirect(url_for(".index"))
    return render_template("account/email.html", form=form, user=user), 422 if form.errors else 200


@bp.route("/password", methods=["GET", "POST"])
def password() -> str | Response:
    user = me()
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        keep_failed_attempts(form)
    else:
        svc.set_password(workshop(), user, form.password.data)
        work.commit_and_deliver()
        _stay_signed_in(user)
        flash("Your password is changed. Every other session is signed out.", "success")
        return redirect(url_for(".index"))
    return render_template("account/password.html", form=form), 422 if form.errors else 200


@bp.route("/expertise", methods=["GET", "POST"])
def expertise() -> str | Response:
    user = me()
    ws = workshop()
    reviewer = permissions.can_edit_reviewer_expertise(user)
    form = ExpertiseForm()
    form.topics.choices = choices([(t.id, t.title) for t in (ws.topics if ws else [])])
    if request.method == "GET":
        form.topics.data = [t.id for t in user.topics]
        form.statement.data = user.expertise_statement
        for paper in [*user.papers, *[None] * PAPER_SLOTS][:PAPER_SLOTS]:
            form.papers.append_entry({"title": paper.title, "abstract": paper.abstract} if paper else {})
    if form.validate_on_submit():
        papers = [svc.PaperInput(e.form.title.data or "", e.form.abstract.data or "") for e in form.papers.entries]
        svc.set_expertise(
            user,
            topic_ids=form.topics.data or [],
            statement=form.statement.data if reviewer else None,
            papers=papers if reviewer else None,
        )
        db.session.commit()
        flash("Your expertise is saved.", "success")
        return redirect(url_for(".index"))
    return render_template("account/expertise.html", form=form, reviewer=reviewer), 422 if form.errors else 200


@bp.route("/conflicts", methods=["GET", "POST"])
def conflicts() -> str | Response:
    user = me()
    form = ConflictsForm()
    if request.method == "GET":
        by_kind = {kind: [c.value for c in user.conflicts if c.kind == kind] for kind in ConflictKind}
        form.institutions.data = "\n".join(by_kind[ConflictKind.INSTITUTION])
        form.domains.data = "\n".join(by_kind[ConflictKind.DOMAIN])
        form.people.data = "\n".join(by_kind[ConflictKind.PERSON])
    if form.validate_on_submit():
        found, problems = svc.parse_conflicts(form.institutions.data or "", form.domains.data or "", form.people.data or "")
        for problem in problems:
            (form.people if "email address" in problem else form.domains).errors.append(problem)
        if not problems:
            svc.set_conflicts(user, found)
            db.session.commit()
            flash(f"Your conflicts of interest are saved ({len(found)} in all).", "success")
            return redirect(url_for(".index"))
    return render_template("account/conflicts.html", form=form), 422 if form.errors else 200


@bp.post("/sessions/revoke")
def sign_out_everywhere() -> Response:
    form = ButtonForm()
    if form.validate_on_submit():
        user = me()
        svc.sign_out_everywhere(user)
        db.session.commit()
        _stay_signed_in(user)
        flash("Every other session (other browsers and devices) is signed out.", "success")
    return redirect(url_for(".index"))


@bp.get("/email/confirm/<token>")
def confirm_email_change(token: str) -> str | Response:
    # Who opened the link, read before the change rotates the session nonce.
    viewer_id = current_user.id if current_user.is_authenticated else None
    try:
        user = svc.confirm_email_change(workshop(), token)
    except (TokenInvalid, DomainError) as exc:
        db.session.rollback()
        return render_template("auth/link_problem.html", message=str(exc), resend=None, form=None), 400
    work.commit_and_deliver()
    if viewer_id == user.id:
        _stay_signed_in(user)
        flash(f"Your email address is now {user.email}.", "success")
        return redirect(url_for(".index"))
    flash(f"Your email address is now {user.email}. Sign in with it.", "success")
    return redirect(url_for("auth.login"))
