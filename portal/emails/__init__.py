"""Mail, in three parts: ``compose`` renders a template into the columns of an outbox row; ``outbox`` writes rows
inside the caller's transaction; ``delivery`` sends them after the commit, one row at a time, each marked in its
own transaction, so an SMTP outage loses nothing and a rerun never sends a delivered mail twice. The unit of work
that commits and then delivers is ``portal.work``.

Callers use the package's names (``emails.queue``, ``emails.send_pending``); tests that change how delivery
behaves patch ``portal.emails.delivery``.
"""

from portal.emails.compose import compose, compose_many, one_line
from portal.emails.delivery import CLAIM_BATCH, LEASE, DeliveryReport, send_pending
from portal.emails.outbox import keep_pending, pending_ids, queue, queue_all, queue_many, requeue, take_pending

__all__ = [
    "CLAIM_BATCH",
    "LEASE",
    "DeliveryReport",
    "compose",
    "compose_many",
    "keep_pending",
    "one_line",
    "pending_ids",
    "queue",
    "queue_all",
    "queue_many",
    "requeue",
    "send_pending",
    "take_pending",
]
