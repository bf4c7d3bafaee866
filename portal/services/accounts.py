"""Accounts: registration, confirmation, sign-in limits, password reset, email change, profile, expertise,
conflicts, roles and reviewer invitations. One function per state change; each flushes, none commits."""

from __future__ import annotations

import csv
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from portal import emails
from portal.addresses import ascii_domain, normalize_domain, normalize_email, valid_email
from portal.db import db, utcnow
from portal.domain import Conflicted, DomainError
from portal.models import (
    ROLE_LABELS,
    ConflictKind,
    Invitation,
    InvitationState,
    LoginFailure,
    Submission,
    Topic,
    User,
    UserConflict,
    UserPaper,
    Workshop,
)
from portal.models.user import new_nonce
from portal.queries import current_workshop
from portal.services import api_tokens, audit, identities, mail_templates
from portal.services.tokens import TokenInvalid, make_token, read_token
from portal.urls import external_url

CONFIRM_MAX_AGE = 3 * 24 * 3600
RESET_MAX_AGE = 3600
EMAIL_CHANGE_MAX_AGE = 24 * 3600


class SignInRefused(DomainError):
    """Wrong credentials, an unconfirmed account, or too many failures; ``retry_at`` for the last."""

    def __init__(self, message: str, *, unconfirmed: bool = False, retry_at: datetime | None = None) -> None:
        super().__init__(message)
        self.unconfirmed = unconfirmed
        self.retry_at = retry_at


def _hash(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def _site(workshop: Workshop | None) -> str:
    return workshop.label if workshop else "the workshop portal"


def user_by_email(address: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalize_email(address)))


# --- registration and confirmation ----------------------------------------------------------------------


def register_user(
    workshop: Workshop | None,
    *,
    email: str,
    name: str,
    affiliation: str,
    password: str,
    orcid: str | None = None,
    homepage: str | None = None,
    invitation: Invitation | None = None,
) -> User | None:
    """Create an account and mail its confirmation link; for a taken address, mail its owner a notice.

    Both paths look the same to the visitor (no account enumeration). Returns the new user or None.
    An invitation for this address confirms the email at once and grants the invitation's role (reviewer or area chair).
    """
    address = normalize_email(email)
    existing = user_by_email(address)
    if existing is not None and not existing.is_confirmed and invitation is None:
        # An unconfirmed registration is nobody's until the mailbox's owner confirms it: a new one replaces it
        # (its password, name and affiliation), and the earlier confirmation links die with the old password.
        existing.name, existing.orcid, existing.homepage = name, orcid or None, homepage or None
        existing.password_hash = _hash(password)
        existing.session_nonce = new_nonce()
        identities.affiliation_given(existing, affiliation)
        queue_confirmation(workshop, existing)
        return None
    if existing is not None:
        _hash(password)  # spend the same time as a registration
        emails.queue(
            kind="account_exists",
            to=address,
            template="account_exists",
            subject=f"[{_site(workshop)}] Someone tried to register with your address",
            user=existing,
            site=_site(workshop),
            login_url=external_url("auth.login"),
            reset_url=external_url("auth.reset_request"),
        )
        return None
    user = User(
        email=address,
        name=name,
        affiliation=affiliation,
        orcid=orcid or None,
        homepage=homepage or None,
        password_hash=_hash(password),
    )
    db.session.add(user)
    db.session.flush()
    identities.affiliation_given(user, affiliation)
    if invitation is not None and invitation.email == address and invitation.state == InvitationState.PENDING:
        user.email_confirmed_at = utcnow()
        identities.address_confirmed(user)
        _accept(invitation, user)
    else:
        queue_confirmation(workshop, user)
    return user


def queue_confirmation(workshop: Workshop | None, user: User) -> None:
    # Bound to the password of this registration: a later registration of the address kills the link.
    token = make_token("confirm", {"uid": user.id, "email": user.email, "pw": _password_fingerprint(user)})
    emails.queue(
        kind="confirm_email",
        to=user.email,
        template="confirm_email",
        subject=f"[{_site(workshop)}] Confirm your email address",
        user=user,
        site=_site(workshop),
        url=external_url("auth.confirm", token=token),
        hours=CONFIRM_MAX_AGE // 3600,
    )


def resend_confirmation(workshop: Workshop | None, email: str) -> None:
    """Mail a new link when an unconfirmed account has this address; do nothing visible otherwise."""
    user = user_by_email(email)
    if user is not None and not user.is_confirmed:
        queue_confirmation(workshop, user)


def user_to_confirm(token: str) -> User:
    """The account a confirmation link is for (the page shows a button; only the POST confirms)."""
    data = read_token("confirm", token, CONFIRM_MAX_AGE)
    user = db.session.get(User, data.get("uid"))
    if user is None or user.email != data.get("email"):
        raise TokenInvalid("This link is not valid any more: the address it confirms has changed.")
    if user.is_confirmed:
        raise TokenInvalid("This address is confirmed already: sign in.")
    if data.get("pw") != _password_fingerprint(user):
        raise TokenInvalid(
            "This link is not valid any more: the address was registered again since it was sent. "
            "Use the link in the newest mail."
        )
    return user


def confirm_email(token: str, password: str, *, ip: str, now: datetime | None = None) -> User:
    """Confirm the address with the password chosen at registration: whoever registered an address they do not
    own cannot have it confirmed by its owner's click (the owner, not knowing that password, resets it, which
    discards it). Every session of the account ends; a wrong password counts toward the sign-in limits."""
    now = now or utcnow()
    user = user_to_confirm(token)
    check_current_password(user, password, ip=ip, now=now)
    # Conditional on the account being unconfirmed still: of two confirmations at once, one confirms.
    done = db.session.execute(
        sa.update(User)
        .where(User.id == user.id, User.email_confirmed_at.is_(None))
        .values(email_confirmed_at=now, session_nonce=new_nonce())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(user)
    if done:
        identities.address_confirmed(user, now=now)
    db.session.flush()
    return user


def check_current_password(user: User, password: str, *, ip: str, now: datetime | None = None) -> None:
    """The account's password, asked again (confirming, changing the address or the password): a wrong one is
    recorded and counts toward the same limits as a failed sign-in, and past them even the right one waits."""
    now = now or utcnow()
    retry = _lockout(user.email, ip, now)
    if retry is not None:
        raise SignInRefused("Too many wrong passwords.", retry_at=retry)
    if not check_password_hash(user.password_hash, password):
        db.session.add(LoginFailure(email=user.email[:320], ip=ip[:64], at=now))
        db.session.flush()
        raise SignInRefused("This is not your current password.")


# --- signing in ---------------------------------------------------------------------------------------


def _retry_at(stmt: sa.Select[tuple[datetime]], window: timedelta, limit: int) -> datetime | None:
    times = list(db.session.scalars(stmt))
    if len(times) < limit:
        return None
    # Allowed again once enough of the failures in the window have aged out of it.
    return sorted(times)[len(times) - limit] + window


def _lockout(address: str, ip: str, now: datetime) -> datetime | None:
    """When the sign-in limits let this account and address try again (None: now)."""
    cfg = current_app.config
    window = timedelta(seconds=cfg["LOGIN_FAILURE_WINDOW"])
    recent = sa.select(LoginFailure.at).where(LoginFailure.at > now - window)
    return max(
        filter(
            None,
            [
                _retry_at(recent.where(LoginFailure.email == address), window, cfg["LOGIN_MAX_FAILURES_PER_ACCOUNT"]),
                _retry_at(recent.where(LoginFailure.ip == ip), window, cfg["LOGIN_MAX_FAILURES_PER_IP"]),
            ],
        ),
        default=None,
    )


def authenticate(email: str, password: str, *, ip: str, now: datetime | None = None) -> User:
    """Check credentials under the brute-force limits; record a failure; clear them on success."""
    now = now or utcnow()
    address = normalize_email(email)[:320]
    retry = _lockout(address, ip, now)
    if retry is not None:
        raise SignInRefused("Too many failed sign-in attempts.", retry_at=retry)
    user = user_by_email(address)
    if user is None or not check_password_hash(user.password_hash, password):
        if user is None:
            _hash(password)  # the same time whether or not the account exists
        db.session.add(LoginFailure(email=address, ip=ip[:64], at=now))
        db.session.flush()
        raise SignInRefused("Wrong email or password.")
    if not user.is_confirmed:
        raise SignInRefused("Please confirm your email address first.", unconfirmed=True)
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.email == address))
    user.last_login_at = now
    db.session.flush()
    return user


def sign_out_everywhere(user: User, reason: str = "signed out everywhere") -> None:
    """Invalidate every session and remember-me cookie of this user (the caller signs this one in again), and
    revoke their API tokens (``reason`` is kept with each)."""
    user.session_nonce = new_nonce()
    api_tokens.revoke_all(user, reason)
    db.session.flush()


# --- password reset and change --------------------------------------------------------------------------


def _password_fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def request_password_reset(workshop: Workshop | None, email: str) -> None:
    """Mail a reset link when an account has this address; the page says the same either way."""
    user = user_by_email(email)
    if user is None:
        return
    token = make_token("reset", {"uid": user.id, "pw": _password_fingerprint(user)})
    emails.queue(
        kind="password_reset",
        to=user.email,
        template="password_reset",
        subject=f"[{_site(workshop)}] Reset your password",
        user=user,
        site=_site(workshop),
        url=external_url("auth.reset", token=token),
    )


def user_for_reset(token: str) -> User:
    """The user a reset link is for; the link dies once the password changes (so it works once)."""
    return reset_link(token)[0]


def reset_link(token: str) -> tuple[User, str]:
    """The user a reset link is for and the password fingerprint it carries (``set_password(replacing=...)``)."""
    data = read_token("reset", token, RESET_MAX_AGE)
    user = db.session.get(User, data.get("uid"))
    if user is None or data.get("pw") != _password_fingerprint(user):
        raise TokenInvalid("This link has already been used, or the password was changed since it was sent.")
    return user, str(data["pw"])


def set_password(
    workshop: Workshop | None, user: User, password: str, *, confirm_email: bool = False, replacing: str | None = None
) -> None:
    """Set a new password, sign out every other session, and tell the owner by mail. With ``replacing`` (the
    fingerprint a reset link carries) the change is conditional on the password being that one still: of a
    link posted several times at once, one sets the password and the others are refused."""
    new_hash = _hash(password)
    if replacing is not None:
        current = db.session.scalar(sa.select(User.password_hash).where(User.id == user.id).with_for_update())
        if current is None or hashlib.sha256(current.encode()).hexdigest()[:16] != replacing:
            raise TokenInvalid("This link has already been used, or the password was changed since it was sent.")
        changed = db.session.execute(
            sa.update(User)
            .where(User.id == user.id, User.password_hash == current)
            .values(password_hash=new_hash)
            .execution_options(synchronize_session=False)
        )
        if not changed.rowcount:
            raise TokenInvalid("This link has already been used, or the password was changed since it was sent.")
        db.session.refresh(user)
    user.password_hash = new_hash
    if confirm_email and user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()  # the reset link reached this inbox: the address works
        identities.address_confirmed(user)
    sign_out_everywhere(user, "the password was changed")
    emails.queue(
        kind="password_changed",
        to=user.email,
        template="password_changed",
        subject=f"[{_site(workshop)}] Your password was changed",
        user=user,
        site=_site(workshop),
        reset_url=external_url("auth.reset_request"),
    )


def check_password(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


# --- email change -------------------------------------------------------------------------------------


def request_email_change(workshop: Workshop | None, user: User, new_email: str) -> None:
    """Mail a confirmation link to the new address (and, for a taken address, nothing that reveals it)."""
    address = normalize_email(new_email)
    if address == user.email:
        raise DomainError("This is already your email address.")
    token = make_token("change-email", {"uid": user.id, "new": address, "old": user.email})
    emails.queue(
        kind="email_change",
        to=address,
        template="email_change",
        subject=f"[{_site(workshop)}] Confirm your new email address",
        user=user,
        site=_site(workshop),
        new_email=address,
        url=external_url("account.confirm_email_change", token=token),
    )


def confirm_email_change(workshop: Workshop | None, token: str) -> User:
    data = read_token("change-email", token, EMAIL_CHANGE_MAX_AGE)
    user = db.session.get(User, data.get("uid"))
    if user is None or user.email != data.get("old"):
        raise TokenInvalid("This link has already been used, or the address was changed since.")
    new = str(data.get("new"))
    if user_by_email(new) is not None:
        raise Conflicted("Another account already uses this address, so it cannot be yours as well.")
    old = user.email
    user.email = new
    user.email_confirmed_at = utcnow()
    identities.address_confirmed(user, previous=old)
    sign_out_everywhere(user, "the email address was changed")
    emails.queue(
        kind="email_changed",
        to=old,
        template="email_changed",
        subject=f"[{_site(workshop)}] Your email address was changed",
        user=user,
        site=_site(workshop),
        old_email=old,
        new_email=new,
    )
    return user


# --- profile, expertise, conflicts ----------------------------------------------------------------------


def update_profile(user: User, *, name: str, affiliation: str, orcid: str | None, homepage: str | None) -> None:
    user.name = name
    user.orcid, user.homepage = orcid or None, homepage or None
    identities.affiliation_given(user, affiliation)
    db.session.flush()


@dataclass
class PaperInput:
    title: str
    abstract: str


def set_expertise(
    user: User, *, topic_ids: list[int], statement: str | None = None, papers: list[PaperInput] | None = None
) -> None:
    """Replace the person's expertise topics (and, for reviewers, the statement and their papers)."""
    topics = list(db.session.scalars(sa.select(Topic).where(Topic.id.in_(topic_ids)))) if topic_ids else []
    user.topics = sorted(topics, key=lambda t: t.position)
    if statement is not None:
        user.expertise_statement = statement
    if papers is not None:
        user.papers = [
            UserPaper(position=i, title=p.title, abstract=p.abstract)
            for i, p in enumerate((p for p in papers if p.title.strip()), start=1)
        ]
    db.session.flush()


DOMAIN_RE = re.compile(r"^(?=.{3,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def parse_conflicts(institutions: str, domains: str, people: str) -> tuple[list[tuple[ConflictKind, str]], list[str]]:
    """Lines of text -> (kind, value) pairs and a list of problems (each naming its line)."""
    found: list[tuple[ConflictKind, str]] = []
    problems: list[str] = []
    for line in institutions.splitlines():
        if line.strip():
            found.append((ConflictKind.INSTITUTION, " ".join(line.split())[:300]))
    for line in domains.splitlines():
        if not line.strip():
            continue
        d, shape = normalize_domain(line), ascii_domain(line)  # uni-köln.de and xn--uni-kln-e1a.de are one domain
        if shape is not None and DOMAIN_RE.match(shape):
            found.append((ConflictKind.DOMAIN, d))
        else:
            problems.append(f"“{line.strip()[:80]}” is not an email domain (like ucsd.edu).")
    for line in people.splitlines():
        if not line.strip():
            continue
        try:
            found.append((ConflictKind.PERSON, valid_email(line)))
        except ValueError as exc:
            problems.append(str(exc))
    unique = list(dict.fromkeys(found))
    return unique, problems


def set_conflicts(user: User, conflicts: list[tuple[ConflictKind, str]]) -> None:
    """Replace the conflicts a person declares."""
    wanted = dict.fromkeys(conflicts)
    keep = [c for c in user.conflicts if (c.kind, c.value) in wanted]
    have = {(c.kind, c.value) for c in keep}
    user.conflicts = keep + [
        UserConflict(kind=k, value=v, person_id=identities.bind_person(v) if k == ConflictKind.PERSON else None)
        for (k, v) in wanted
        if (k, v) not in have
    ]
    db.session.flush()
    identities.suspend_conflicted(people=[user.id])


# --- roles --------------------------------------------------------------------------------------------

ROLES = ("reviewer", "area_chair", "chair")
#: The roles an invitation grants.
INVITED_ROLES = ("reviewer", "area_chair")


def set_role(actor: User | None, target: User, role: str, granted: bool, *, tell: bool = False) -> None:
    """Grant or take away a role. ``tell``: a granted role is announced to the person by mail (from the members
    page; the command line and an accepted invitation stay quiet, the person asked or set it up)."""
    if role not in ROLES:
        raise DomainError(f"Unknown role {role!r}.")
    if role == "chair" and not granted and target.is_chair:
        chairs = db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.is_chair))
        if chairs <= 1:
            raise Conflicted(f"{target.name} is the last chair; make someone else a chair first.")
    if getattr(target, f"is_{role}") != granted:
        if granted and tell and target.is_confirmed:
            ws = current_workshop()
            emails.queue(
                kind="role",
                to=target.email,
                reply_to=actor.email if actor else None,
                template="role_granted",
                subject=f"[{_site(ws)}] You are now {_a(ROLE_LABELS[role])}",
                person=target,
                role=role,
                role_label=ROLE_LABELS[role],
                actor=actor,
                site=_site(ws),
                where=external_url(_home_of(role)),
            )
        audit.record(
            actor,
            "role.grant" if granted else "role.revoke",
            f"{'Made' if granted else 'Removed'} {target.name} <{target.email}> "
            f"{_a(ROLE_LABELS[role]) if granted else 'as ' + ROLE_LABELS[role]}",
            user=target.id,
        )
        if not granted:  # a token acts as its owner: what the role allowed must stop now, scripts included
            api_tokens.revoke_all(target, f"the {ROLE_LABELS[role]} role was taken away")
    setattr(target, f"is_{role}", granted)
    db.session.flush()


def _a(label: str) -> str:
    """ "a reviewer", "an area chair"."""
    return f"{'an' if label[:1] in 'aeiou' else 'a'} {label}"


def _home_of(role: str) -> str:
    return {"chair": "chair.home", "area_chair": "review.area_chair_home"}.get(role, "review.index")


def create_user(
    *,
    email: str,
    name: str,
    password: str,
    affiliation: str = "",
    roles: tuple[str, ...] = (),
) -> User:
    """An account created by an operator (CLI, demo): confirmed at once."""
    address = normalize_email(email)
    if user_by_email(address) is not None:
        raise Conflicted(f"An account with the address {address} exists already.")
    user = User(
        email=address,
        name=name,
        affiliation=affiliation,
        email_confirmed_at=utcnow(),
        password_hash=_hash(password),
        is_reviewer="reviewer" in roles,
        is_chair="chair" in roles,
        is_area_chair="area_chair" in roles,
    )
    db.session.add(user)
    db.session.flush()
    identities.affiliation_given(user, affiliation)
    identities.address_confirmed(user)
    return user


# --- reviewer invitations -----------------------------------------------------------------------------

INVITE_LINE = re.compile(r"^\s*(?P<name>[^<>]*?)\s*<\s*(?P<email>[^<>\s]+)\s*>\s*$")


@dataclass
class InviteLine:
    line: str
    name: str = ""
    email: str = ""
    problem: str | None = None


def parse_invitation_lines(text: str) -> list[InviteLine]:
    """One person per line, in any of the shapes chairs paste: ``Name <email>``, ``Name email``, a bare address,
    or spreadsheet rows (``Name,email``, ``email;Name``, tab-separated, quoted ``"Last, First",email``, more
    columns after them), a header row (``name,email``) skipped. Each line is checked on its own."""
    result = []
    for raw in text.splitlines():
        line = raw.strip()[:400]
        if not line or _is_header(line):
            continue
        name, address = _name_and_address(line)
        item = InviteLine(line=line, name=" ".join(name.split())[:200])
        try:
            item.email = valid_email(address)
        except ValueError:
            item.problem = (
                f"not an address in the form Name <email@example.org>: {address[:100]!r} is no valid address"
                if address.strip()
                else "not an address in the form Name <email@example.org> (nor Name email@example.org, nor Name,email)"
            )
        if not item.problem and not item.name:
            item.name = item.email.split("@")[0]
        result.append(item)
    return result


def _fields(line: str) -> list[str]:
    """A spreadsheet row's cells (tab, semicolon or comma separated, quotes honoured), or the line alone."""
    for delimiter in ("\t", ";", ","):
        if delimiter in line:
            return [cell.strip() for cell in next(csv.reader([line], delimiter=delimiter, skipinitialspace=True))]
    return [line]


def _is_header(line: str) -> bool:
    cells = [c.lower() for c in _fields(line)]
    return "@" not in line and any(c in ("email", "e-mail", "email address", "mail") for c in cells)


def _name_and_address(line: str) -> tuple[str, str]:
    """The name and the address of one line (an empty name when none is given)."""
    m = INVITE_LINE.match(line)
    if m:
        return m.group("name"), m.group("email")
    cells = _fields(line)
    if len(cells) > 1:
        address = next((c for c in cells if "@" in c), "")
        name = next((c for c in cells if c and "@" not in c), "")
        return name, address.strip("<>")
    words = line.split()
    address = next((w for w in reversed(words) if "@" in w), "")
    name = [w for w in words if w is not address]
    if not address or any(":" in w for w in name):  # (a mail header, "Bcc: x@y", is no name: never invite it)
        return "", ""
    return " ".join(name), address.strip("<>,;")


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _queue_invitation(workshop: Workshop | None, invitation: Invitation, inviter: User) -> None:
    token = secrets.token_urlsafe(24)
    invitation.token_hash = _hash_token(token)
    paper = db.session.get(Submission, invitation.submission_id) if invitation.submission_id else None
    mail_templates.queue(
        workshop,
        "invitation",
        to=invitation.email,
        reply_to=inviter.email,
        paper=paper,
        subject=f"[{_site(workshop)}] "
        + ("Invitation to be an area chair" if invitation.role == "area_chair" else "Invitation to review"),
        invitation=invitation,
        inviter=inviter,
        site=_site(workshop),
        workshop=workshop,
        message=invitation.message,
        accept_url=external_url("auth.invitation", token=token, answer="accept"),
        decline_url=external_url("auth.invitation", token=token, answer="decline"),
    )


def invite_reviewers(
    actor: User,
    workshop: Workshop | None,
    lines: list[InviteLine],
    *,
    submission: Submission | None = None,
    message: str = "",
    role: str = "reviewer",
) -> tuple[list[Invitation], list[InviteLine]]:
    """Invite each valid line (``message``: the chairs' words, in each mail) to ``role`` (a reviewer, or an area
    chair); return the invitations made and the lines skipped (with the reason)."""
    if role not in INVITED_ROLES or (role != "reviewer" and submission is not None):
        raise DomainError(f"Unknown role {role!r} for an invitation.")
    made: list[Invitation] = []
    skipped: list[InviteLine] = []
    seen: set[str] = set()
    for item in lines:
        if item.problem:
            skipped.append(item)
            continue
        if item.email in seen:
            item.problem = "listed twice"
            skipped.append(item)
            continue
        seen.add(item.email)
        user = user_by_email(item.email)
        if user is not None and getattr(user, f"is_{role}") and submission is None:
            item.problem = f"already {_a(ROLE_LABELS[role])}"
            skipped.append(item)
            continue
        pending = db.session.scalar(
            sa.select(Invitation).where(Invitation.email == item.email, Invitation.state == InvitationState.PENDING)
        )
        if pending is not None:
            item.problem = "already invited and not yet answered (resend it from the list)"
            skipped.append(item)
            continue
        invitation = Invitation(
            email=item.email,
            name=item.name,
            invited_by=actor,
            token_hash="",  # nosec B106
            submission_id=submission.id if submission else None,
            message=message.strip(),
            role=role,
        )
        db.session.add(invitation)
        _queue_invitation(workshop, invitation, actor)
        made.append(invitation)
    if made and submission is None:
        audit.record(actor, "role.invite", f"Invited {len(made)} {ROLE_LABELS[role]}(s): " + ", ".join(i.email for i in made))
    db.session.flush()
    return made, skipped


def resend_invitation(actor: User, workshop: Workshop | None, invitation: Invitation) -> None:
    """A fresh link (the old one stops working) for an invitation still pending."""
    if invitation.state != InvitationState.PENDING:
        raise DomainError(f"This invitation is {invitation.state.value}; only pending invitations are resent.")
    _queue_invitation(workshop, invitation, actor)
    invitation.times_sent += 1
    invitation.sent_at = utcnow()
    audit.record(actor, "role.invite", f"Resent the reviewer invitation to {invitation.email}")
    db.session.flush()


def _answered(invitation: Invitation, state: InvitationState) -> None:
    """Move a pending invitation to ``state``, conditional on its being pending at that moment: of a revoke and an
    accept at once, one wins and the other is told what happened instead."""
    changed = db.session.execute(
        sa.update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.state == InvitationState.PENDING)
        .values(state=state, responded_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(invitation)
    if not changed:
        raise Conflicted(
            f"This invitation was {invitation.state.value} a moment ago."
            if invitation.state != state
            else f"This invitation is {state.value} already."
        )


def revoke_invitation(actor: User, invitation: Invitation) -> None:
    if invitation.state != InvitationState.PENDING:
        raise DomainError(f"This invitation is {invitation.state.value} already.")
    _answered(invitation, InvitationState.REVOKED)
    audit.record(actor, "role.invite", f"Revoked the reviewer invitation to {invitation.email}")
    db.session.flush()


def invitation_by_token(token: str) -> Invitation:
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.token_hash == _hash_token(token)))
    if invitation is None:
        raise TokenInvalid("This invitation link is not valid: it may have been replaced by a newer one.")
    return invitation


def _accept(invitation: Invitation, user: User) -> None:
    _answered(invitation, InvitationState.ACCEPTED)
    invitation.user = user
    setattr(user, f"is_{invitation.role if invitation.role in INVITED_ROLES else 'reviewer'}", True)
    db.session.flush()
    if invitation.submission_id is not None:
        # The one import from a service above: accepting an invitation for a paper assigns it (pyproject.toml
        # names this import in the acyclic-services contract).
        from portal.services.assignments import assign_invited

        sub = db.session.get(Submission, invitation.submission_id)
        if sub is not None:
            assign_invited(user, sub.workshop, sub.id)


def answer_invitation(invitation: Invitation, accept: bool) -> User | None:
    """Accept (grant the role to the account with the invited address, if there is one) or decline.

    Returns the account that became a reviewer; None when accepting needs a registration first.
    """
    if invitation.state == InvitationState.REVOKED:
        raise DomainError("The organizers withdrew this invitation.")
    if invitation.state != InvitationState.PENDING:
        raise DomainError(f"You have {invitation.state.value} this invitation already.")
    if not accept:
        _answered(invitation, InvitationState.DECLINED)
        return None
    user = user_by_email(invitation.email)
    if user is None:
        return None
    _accept(invitation, user)
    return user
