"""Bidding: the papers a reviewer may bid on (every reviewable one they do not conflict with) and their bids.
The caller commits."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from portal.db import db, utcnow
from portal.domain import DeadlinePassed
from portal.models import Bid, BidValue, Submission, User, Workshop
from portal.queries import reviewable
from portal.queries.conflicts import conflict_map


def biddable(ws: Workshop, reviewer: User) -> list[Submission]:
    """Every reviewable submission this reviewer does not conflict with."""
    subs = reviewable(ws)
    conflicts = conflict_map([s.id for s in subs], [reviewer.id])
    return [s for s in subs if (s.id, reviewer.id) not in conflicts]


def place_bids(reviewer: User, ws: Workshop, bids: dict[int, BidValue | None], now: datetime | None = None) -> int:
    """Set (or with None, clear) the reviewer's bids; returns how many changed."""
    now = now or utcnow()
    if not ws.bidding_open(now):
        raise DeadlinePassed("Bidding is closed.", ws.bidding_deadline)
    allowed = {s.id for s in biddable(ws, reviewer)}
    existing = {b.submission_id: b for b in db.session.scalars(sa.select(Bid).where(Bid.reviewer_id == reviewer.id))}
    changed = 0
    for sub_id, value in bids.items():
        if sub_id not in allowed:
            continue
        row = existing.get(sub_id)
        if value is None:
            if row is not None:
                db.session.delete(row)
                changed += 1
        elif row is None:
            db.session.add(Bid(submission_id=sub_id, reviewer_id=reviewer.id, value=value, updated_at=now))
            changed += 1
        elif row.value != value:
            row.value, row.updated_at = value, now
            changed += 1
    db.session.flush()
    return changed
