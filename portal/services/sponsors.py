"""Sponsorship inquiries: stored first, then mailed through the outbox."""

from __future__ import annotations

from portal import emails
from portal.db import db
from portal.models import OutgoingEmail, SponsorInquiry, Workshop


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
