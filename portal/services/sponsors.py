"""Sponsorship inquiries: stored first, then mailed through the outbox."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

import sqlalchemy as sa

from portal import emails, images
from portal.db import db, utcnow
from portal.domain import DomainError
from portal.models import OutgoingEmail, SponsorInquiry, SponsorState, SponsorTier, StoredFile, User, Workshop
from portal.services import audit
from portal.storage import storage, track_new
from portal.urls import is_web_address


def submit_inquiry(
    workshop: Workshop,
    *,
    name: str,
    organization: str,
    email: str,
    interest: str,
    message: str,
    remote_addr: str | None = None,
) -> tuple[SponsorInquiry, list[OutgoingEmail]]:
    """Store an inquiry and queue the organizers' copy and the sender's acknowledgement."""
    option = next((o for o in workshop.sponsor_options if o.slug == interest), None)
    inquiry = SponsorInquiry(
        workshop=workshop,
        option=option,
        name=name,
        organization=organization,
        email=email,
        interest=option.label if option else interest,
        message=message,
        remote_addr=remote_addr,
    )
    db.session.add(inquiry)
    db.session.flush()
    to_organizers = emails.queue(
        kind="sponsor_inquiry",
        to=workshop.contact_email,
        reply_to=email,
        subject=f"[{workshop.label}] Sponsorship inquiry from {organization}",
        template="sponsor_inquiry",
        workshop=workshop,
        inquiry=inquiry,
    )
    acknowledgement = emails.queue(
        kind="sponsor_ack",
        to=email,
        reply_to=workshop.contact_email,
        subject=f"[{workshop.label}] We received your sponsorship inquiry",
        template="sponsor_ack",
        workshop=workshop,
        inquiry=inquiry,
    )
    return inquiry, [to_organizers, acknowledgement]


# --- the chairs follow an inquiry up -------------------------------------------------------------------------

LOGO_BOX = (320, 160)  # the pages show logos within 160 x 80 px; twice that for sharp screens


@dataclass
class FollowUp:
    """What a chair keeps about an inquiry (state, notes, the mail thread's summary) and what the site shows of a
    confirmed sponsor (name, tier, link; the logo comes apart, as bytes)."""

    state: SponsorState
    notes: str
    thread_summary: str
    display_name: str
    tier: SponsorTier | None
    website: str


def follow_up(
    actor: User,
    inquiry: SponsorInquiry,
    data: FollowUp,
    *,
    logo: bytes | None = None,
    remove_logo: bool = False,
    now: datetime | None = None,
) -> list[str]:
    """Save a chair's follow-up of an inquiry; return what changed (nothing: no audit entry). A confirmed sponsor
    needs a tier, the site shows it; a logo is checked and re-encoded (``images.fit``) before it is stored."""
    if data.state == SponsorState.CONFIRMED and data.tier is None:
        raise DomainError("Choose the tier the site shows a confirmed sponsor under.")
    if data.website and not is_web_address(data.website):
        raise DomainError("The sponsor's link must be a web address starting with https:// or http://.")
    changed = []
    for name, value in asdict(data).items():
        if getattr(inquiry, name) != value:
            setattr(inquiry, name, value)
            changed.append(name.replace("_", " "))
    old_logo = inquiry.logo_id
    if logo is not None:
        picture = images.fit(logo, *LOGO_BOX, what="logo")
        inquiry.logo_id = store_file(picture.data, picture.content_type, f"logo-{inquiry.id}.webp").id
        changed.append("logo")
    elif remove_logo and inquiry.logo_id is not None:
        inquiry.logo_id = None
        changed.append("logo removed")
    if inquiry.logo_id != old_logo:
        forget_files(old_logo)
    if changed:
        inquiry.updated_at = now or utcnow()
        audit.record(actor, "sponsor.follow_up", f"Sponsor inquiry #{inquiry.id} ({inquiry.organization}): {', '.join(changed)}")
    db.session.flush()
    return changed


def store_file(data: bytes, content_type: str, name: str) -> StoredFile:
    """Store a file under a random key with its checksum (the rules of the papers' files): row and file, or neither."""
    store = storage()
    saved = store.save(data)
    track_new(db.session(), store, saved.key)
    row = StoredFile(storage_key=saved.key, sha256=saved.sha256, size=saved.size, content_type=content_type, original_name=name)
    db.session.add(row)
    db.session.flush()
    return row


def forget_files(*file_ids: int | None) -> None:
    """Drop the rows of files nothing shows any more (a replaced photo or logo). Their files stay on disk until
    ``flask storage check --delete-orphans`` removes them: a rollback after this never leaves a row without its file."""
    ids = [i for i in file_ids if i is not None]
    if ids:
        db.session.flush()  # the rows that pointed at them point elsewhere first
        db.session.execute(sa.delete(StoredFile).where(StoredFile.id.in_(ids)))


def thread(inquiry: SponsorInquiry, limit: int = 20) -> list[OutgoingEmail]:
    """The portal's mails with this sponsor (the organizers' copy, the acknowledgement, any later), newest first."""
    return list(
        db.session.scalars(
            sa.select(OutgoingEmail)
            .where(
                OutgoingEmail.kind.like("sponsor%"),
                sa.or_(OutgoingEmail.reply_to == inquiry.email, OutgoingEmail.recipients == inquiry.email),
            )
            .order_by(OutgoingEmail.created_at.desc(), OutgoingEmail.id.desc())
            .limit(limit)
        )
    )
