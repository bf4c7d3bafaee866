"""A paper's discussion among its reviewers and chairs: a comment posted (a mail to each who may read it), and
how a participant is named to each reader (chairs see names, reviewers "Reviewer N")."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from portal import emails, permissions
from portal.db import db, utcnow
from portal.models import AreaChairAssignment, DiscussionComment, ReviewAssignment, Submission, User, Workshop
from portal.queries import assignment_of
from portal.urls import external_url


def post_comment(actor: User, ws: Workshop, sub: Submission, body: str, now: datetime | None = None) -> DiscussionComment:
    comment = DiscussionComment(submission_id=sub.id, author_id=actor.id, body=body, created_at=now or utcnow())
    db.session.add(comment)
    db.session.flush()
    participants = {
        a.reviewer for a in db.session.scalars(sa.select(ReviewAssignment).where(ReviewAssignment.submission_id == sub.id))
    }
    participants |= set(db.session.scalars(sa.select(User).where(User.is_chair)))
    if sub.manager is not None:
        participants.add(sub.manager)
    area_chair = db.session.scalar(
        sa.select(User)
        .join(AreaChairAssignment, AreaChairAssignment.area_chair_id == User.id)
        .where(AreaChairAssignment.submission_id == sub.id)
    )
    if area_chair is not None:
        participants.add(area_chair)
    for person in sorted(participants, key=lambda u: u.id):
        # Whoever may read the discussion on the page, and nobody else: no author (by any address), no
        # conflicted chair, no reviewer before their own review.
        if person.id == actor.id or not permissions.can_discuss(person, sub):
            continue
        emails.queue(
            kind="discussion",
            to=person.email,
            reply_to=ws.contact_email,
            template="discussion",
            subject=f"[{ws.label}] New comment on #{sub.id}: {sub.title}",
            ws=ws,
            sub=sub,
            comment=comment,
            who=display_name(actor, sub, viewer=person),
            url=external_url("review.paper", number=sub.id, _anchor="discussion"),
        )
    return comment


def display_name(person: User, sub: Submission, *, viewer: User) -> str:
    """How ``person`` appears to ``viewer`` on this paper: chairs and the paper's area chair see names; reviewers
    see "Reviewer N" (and "The area chair")."""
    if permissions.can_chair_paper(viewer, sub) or permissions.oversees(viewer, sub):
        return person.name
    if person.id == viewer.id:
        return "You"
    a = assignment_of(sub.id, person.id)
    if a is not None:
        return f"Reviewer {a.ordinal}"
    if permissions.oversees(person, sub):
        return "The area chair"
    return "A chair" if person.is_chair else "A participant"
