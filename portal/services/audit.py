"""Recording chair actions in the audit log, inside the caller's transaction (so a rolled-back action leaves
no entry, and a committed one always has its entry)."""

from __future__ import annotations

from typing import Any

from portal.db import db
from portal.models import AuditEvent, Submission, User

#: Kinds of entries, for the log's filter, with a label each.
ACTIONS = {
    "assignment": "Assignments",
    "conflict": "Conflicts",
    "decision": "Decisions",
    "letters": "Letters",
    "mail": "Mail",
    "settings": "Settings",
    "role": "Roles",
    "content": "Content",
    "submission": "Submissions",
}


def record(actor: User | None, action: str, summary: str, *, submission: Submission | int | None = None,
           **details: Any) -> AuditEvent:  # fmt: skip
    sub_id = submission.id if isinstance(submission, Submission) else submission
    event = AuditEvent(actor_id=actor.id if actor else None, actor_name=actor.name if actor else "the system",
                       action=action, summary=summary, submission_id=sub_id, details=details)  # fmt: skip
    db.session.add(event)
    return event
