"""The reviewing settings a chair sets on one page: the phase (submission, bidding, reviewing), the bidding and
review deadlines, reviews per paper, the weights of the automatic assignment, the default and each reviewer's
maximum and minimum load; and the loads that apply to a reviewer. The caller commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from portal.assign.affinity import Weights
from portal.db import db, utcnow
from portal.domain import DomainError
from portal.models import Phase, User, Workshop
from portal.services import audit


@dataclass
class ReviewSettings:
    phase: Phase
    bidding_deadline: datetime | None
    review_deadline: datetime | None
    reviews_per_paper: int
    default_max_load: int
    weights: Weights
    loads: dict[int, int | None]
    discussion_before_review: bool = False
    default_min_load: int = 0
    minimums: dict[int, int | None] = field(default_factory=dict)
    response_opens_at: datetime | None = None
    response_deadline: datetime | None = None
    response_words: int = 500


def update_review_settings(actor: User, ws: Workshop, s: ReviewSettings, now: datetime | None = None) -> None:
    now = now or utcnow()
    paper_deadline = ws.deadlines().paper
    if s.phase != Phase.SUBMISSION and ws.phase == Phase.SUBMISSION and paper_deadline and now < paper_deadline:
        raise DomainError("Bidding and reviewing open after the submission deadline has passed.")
    if s.phase == Phase.BIDDING and s.bidding_deadline is None:
        raise DomainError("Set the bidding deadline to open bidding.")
    if s.phase == Phase.REVIEWING and s.review_deadline is None:
        raise DomainError("Set the review deadline to open reviewing.")
    if s.bidding_deadline and s.review_deadline and s.review_deadline <= s.bidding_deadline:
        raise DomainError("The review deadline must come after the bidding deadline.")
    if (s.response_opens_at is None) != (s.response_deadline is None):
        raise DomainError("Set both dates of the author response (when the reviews are released and the deadline), or neither.")
    if s.response_opens_at and s.response_deadline and s.response_deadline <= s.response_opens_at:
        raise DomainError("The author response deadline must come after the reviews are released to the authors.")
    if s.default_min_load > s.default_max_load:
        raise DomainError("The default minimum load cannot be above the default maximum load.")
    people = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(list(s.loads) + list(s.minimums))))}
    for uid, person in sorted(people.items()):
        most = s.loads.get(uid, person.max_load)
        least = s.minimums.get(uid, person.min_load)
        most = s.default_max_load if most is None else most
        least = s.default_min_load if least is None else least
        if least > most:
            raise DomainError(f"The minimum load of {person.name} ({least}) is above their maximum load ({most}).")
    ws.phase, ws.bidding_deadline, ws.review_deadline = s.phase, s.bidding_deadline, s.review_deadline
    ws.default_min_load = s.default_min_load
    ws.reviews_per_paper, ws.default_max_load = s.reviews_per_paper, s.default_max_load
    ws.weight_bid, ws.weight_topics, ws.weight_text = s.weights.bid, s.weights.topics, s.weights.text
    ws.discussion_before_review = s.discussion_before_review
    ws.response_opens_at, ws.response_deadline, ws.response_words = s.response_opens_at, s.response_deadline, s.response_words
    for uid, load in s.loads.items():
        if uid in people and people[uid].max_load != load:
            people[uid].max_load = load
    for uid, least in s.minimums.items():
        if uid in people and people[uid].min_load != least:
            people[uid].min_load = least
    audit.record(
        actor,
        "settings.reviewing",
        f"Reviewing settings: phase {s.phase.value}, {s.reviews_per_paper} reviews per paper, "
        f"default load {s.default_min_load} to {s.default_max_load}",
    )
    db.session.flush()


def load_of(ws: Workshop, user: User) -> int:
    return user.max_load if user.max_load is not None else ws.default_max_load


def min_load_of(ws: Workshop, user: User) -> int:
    """The fewest papers the automatic assignment gives ``user`` (never above their maximum)."""
    least = user.min_load if user.min_load is not None else ws.default_min_load
    return min(least, load_of(ws, user))
