"""A removed reviewer's draft is kept, not deleted (issue 20, 6: "no accident is final"). Removing a reviewer
from a paper (a chair, the paper's manager, or the reviewer giving it back) copies the draft review into a
``KeptDraft`` row of its own; the chairs of the paper read it on the paper's page, and assigning the same reviewer
to the paper again makes it the draft again, as the reviewer left it. A chair may discard one (asked first)."""

from __future__ import annotations

import sqlalchemy as sa

from portal.db import db
from portal.models import KeptDraft, Review, ReviewAssignment, ReviewState, User
from portal.services import audit


def keep(assignment: ReviewAssignment) -> KeptDraft | None:
    """Copy the assignment's draft review (if it has one with anything typed) before it is deleted; a draft kept
    earlier for the same pair is replaced by this later one."""
    review = db.session.scalar(sa.select(Review).where(Review.assignment_id == assignment.id, Review.state == ReviewState.DRAFT))
    if review is None:
        return None
    content = review.content()
    if not any(v not in (None, "", []) for v in content.values()):
        return None  # an empty draft: nothing to keep
    db.session.execute(
        sa.delete(KeptDraft).where(
            KeptDraft.submission_id == assignment.submission_id, KeptDraft.reviewer_id == assignment.reviewer_id
        )
    )
    row = KeptDraft(
        submission_id=assignment.submission_id,
        reviewer_id=assignment.reviewer_id,
        content=content,
        saved_at=review.updated_at,
    )
    db.session.add(row)
    db.session.flush()
    return row


def restore(assignment: ReviewAssignment) -> Review | None:
    """The pair's kept draft becomes the new assignment's draft review (and is no longer kept apart)."""
    row = db.session.scalar(
        sa.select(KeptDraft).where(
            KeptDraft.submission_id == assignment.submission_id, KeptDraft.reviewer_id == assignment.reviewer_id
        )
    )
    if row is None:
        return None
    review = Review(assignment_id=assignment.id, state=ReviewState.DRAFT, updated_at=row.saved_at)
    review.set_content(row.content)
    db.session.add(review)
    db.session.delete(row)
    db.session.flush()
    return review


def discard(actor: User, row: KeptDraft) -> None:
    """A chair throws a kept draft away for good (recorded in the audit log, without its text)."""
    name = row.reviewer.name if row.reviewer else f"reviewer {row.reviewer_id}"
    audit.record(
        actor,
        "assignment.discard_draft",
        f"Discarded the draft {name} left on #{row.submission_id}",
        submission=row.submission_id,
    )
    db.session.delete(row)
    db.session.flush()


def kept_for(submission_id: int) -> list[KeptDraft]:
    """The drafts kept for a paper, the latest removal first."""
    return list(
        db.session.scalars(
            sa.select(KeptDraft).where(KeptDraft.submission_id == submission_id).order_by(KeptDraft.removed_at.desc())
        )
    )
