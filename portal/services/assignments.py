"""Who reviews which paper: the automatic assignment (the problem read from the database, the proposal a chair
previews, edits and applies, and its background job), assignments by hand (added, removed, a suspended one
restored), a paper's manager, the chairs' changes to conflicts, external reviewers invited for one paper, and the
mail telling reviewers their new papers. One function per change; each checks its rules, flushes and queues mail;
the caller commits."""

from __future__ import annotations

from collections import defaultdict, namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from portal import emails, permissions
from portal.assign import memory
from portal.assign.affinity import (
    BID_VALUES,
    TEXT_DIMENSIONS,
    Edges,
    PairArrays,
    PaperInfo,
    ReviewerInfo,
    TextVectors,
    Weights,
    approximates,
    automatic_top_k,
    score_edges,
)
from portal.assign.solver import Problem, Result, solve
from portal.db import db, json_rows, utcnow
from portal.domain import Conflicted, DomainError, InvalidTransition
from portal.jobs import Progress, job, path_for
from portal.models import (
    AssignmentExclusion,
    AssignmentOrigin,
    AssignmentProposal,
    Bid,
    BidValue,
    ConflictOverride,
    ExclusionReason,
    Job,
    ProposalState,
    Review,
    ReviewAssignment,
    ReviewRevision,
    ReviewState,
    Submission,
    SubmissionState,
    Topic,
    User,
    UserPaper,
    Workshop,
)
from portal.models.submission import submission_topic
from portal.models.user import user_topic
from portal.queries import assignment_of
from portal.queries.conflicts import AUTHOR, DECLARED_BY_REVIEWER, conflict_reasons, conflicted_pairs, gather
from portal.services import audit, kept_drafts, mail_templates
from portal.services.accounts import InviteLine, invite_reviewers, set_role, user_by_email
from portal.services.review_settings import load_of, min_load_of
from portal.services.scores import refresh_scores
from portal.urls import external_url


def paper_text(sub: Any) -> str:
    """What a submission (or a row with its title, abstract and keywords) is matched on."""
    return f"{sub.title}\n{sub.abstract}\n{sub.keywords}"


def reviewer_text(statement: str, papers: list[str]) -> str:
    """What a reviewer is matched on: their statement and their own papers (each "title\nabstract")."""
    return "\n".join([statement, *papers])


def current_assignments() -> list[ReviewAssignment]:
    return list(db.session.scalars(sa.select(ReviewAssignment)))


def build_problem(
    ws: Workshop,
    *,
    top_k: int | None = None,
    on_phase: Callable[[str], None] | None = None,
    fair: bool = False,
    balanced: bool = False,
) -> tuple[Problem, Edges]:
    """The assignment problem of the workshop's reviewable submissions and every reviewer, read as plain rows
    (no ORM object per bid or pair), with its candidate pairs: the ``top_k`` best reviewers of each paper (a bid
    counts in the affinity), conflicts never; ``top_k`` None picks all pairs for a small workshop,
    ``affinity.automatic_top_k`` else (50, or 16 chosen approximately at conference size)."""
    phase = on_phase or (lambda _: None)
    phase("Reading the submissions, reviewers, bids and conflicts")
    db.session.flush()
    read = db.session.connection().execute  # plain rows: no ORM work per row
    live = sa.and_(Submission.workshop_id == ws.id, Submission.state == SubmissionState.SUBMITTED)
    subs = read(
        sa.select(Submission.id, Submission.title, Submission.abstract, Submission.keywords, Submission.primary_topic_id)
        .where(live)
        .order_by(Submission.id)
    ).all()
    people = read(
        sa.select(User.id, User.email, User.affiliation, User.expertise_statement, User.max_load, User.min_load)
        .where(User.is_reviewer)
        .order_by(User.id)
    ).all()
    # At conference size the TF-IDF is computed in a helper process while this one reads bids and conflicts. (A
    # thread reading the bids on a connection of its own was tried too: on two cores it only slowed the helper.)
    k = top_k if top_k is not None else automatic_top_k(len(subs), len(people))
    # At conference size the helper also works out the texts' main directions, for the approximate choice.
    dimensions = TEXT_DIMENSIONS if approximates(len(subs), len(people), k) else 0
    with TextVectors(len(subs) + len(people), dimensions=dimensions) as vectors:
        paper_texts = [paper_text(s) for s in subs]
        vectors.add(paper_texts)
        secondary = _grouped(
            sa.select(submission_topic.c.submission_id, submission_topic.c.topic_id)
            .join(Submission, Submission.id == submission_topic.c.submission_id)
            .where(live)
        )
        topics = _grouped(
            sa.select(user_topic.c.user_id, user_topic.c.topic_id)
            .join(User, User.id == user_topic.c.user_id)
            .where(User.is_reviewer)
        )
        own = _grouped(
            sa.select(UserPaper.user_id, UserPaper.title + "\n" + UserPaper.abstract)
            .join(User, User.id == UserPaper.user_id)
            .where(User.is_reviewer)
            .order_by(UserPaper.user_id, UserPaper.position)
        )
        reviewer_texts = [reviewer_text(u.expertise_statement, own.get(u.id, [])) for u in people]
        vectors.add(reviewer_texts)
        vectors.finish()
        papers = [
            PaperInfo(s.id, t, {s.primary_topic_id, *secondary.get(s.id, [])}) for s, t in zip(subs, paper_texts, strict=True)
        ]
        reviewers = [ReviewerInfo(u.id, t, set(topics.get(u.id, []))) for u, t in zip(people, reviewer_texts, strict=True)]
        conflicts = conflicted_pairs(
            gather(sa.select(Submission.id).where(live), sa.select(User.id).where(User.is_reviewer), reasons=False)
        )
        # Pairs the chairs removed or marked "never" are left out like conflicts.
        excluded = read(sa.select(AssignmentExclusion.submission_id, AssignmentExclusion.reviewer_id)).all()
        if excluded:
            conflicts = PairArrays(
                np.concatenate([conflicts.paper, np.array([p for p, _ in excluded], dtype=np.int64)]),
                np.concatenate([conflicts.reviewer, np.array([r for _, r in excluded], dtype=np.int64)]),
            )
        bids = _bids(read)
        live_ids = {s.id for s in subs}
        fixed = [
            (p, r) for p, r in read(sa.select(ReviewAssignment.submission_id, ReviewAssignment.reviewer_id)) if p in live_ids
        ]
        titles = dict(read(sa.select(Topic.id, Topic.title)).all())

        phase("Scoring every reviewer against every paper" + (f" (keeping the {k} best per paper)" if k else ""))
        edges = score_edges(
            papers,
            reviewers,
            bids,
            conflicts,
            Weights(ws.weight_bid, ws.weight_topics, ws.weight_text),
            top_k=k,
            vectors=vectors,
            least={u.id: n for u in people if (n := min_load_of(ws, u))},
        )
    problem = Problem(
        demand={s.id: ws.reviews_per_paper for s in subs},
        capacity={u.id: load_of(ws, u) for u in people},  # (a row with max_load does as a User)
        minimum={u.id: min_load_of(ws, u) for u in people},
        balanced=balanced,
        fair=fair,
        # The K best per paper were kept by the scoring; the solver takes them all.
        candidates=edges,
        fixed=fixed,
        topics={s.id: titles[s.primary_topic_id] for s in subs},
        fixed_affinity=_fixed_affinity(edges, fixed),
    )
    return problem, edges


def _fixed_affinity(edges: Edges, fixed: list[tuple[int, int]]) -> dict[int, float]:
    """Each paper's summed affinity of the reviewers it has already (those among the candidates: at conference
    size a kept reviewer outside a paper's K best counts 0), so the fairness mode weighs what a paper has."""
    out: dict[int, float] = defaultdict(float)
    for (paper, _), why in edges.reasons_for(fixed).items():
        out[paper] += why.affinity
    return dict(out)


def _grouped(stmt: sa.Select) -> dict[int, list[Any]]:
    """The rows of a two-column select, grouped by the first column, in row order."""
    out: dict[int, list[Any]] = defaultdict(list)
    for key, value in db.session.connection().execute(stmt):
        out[key].append(value)
    return out


def _bids(read: Callable[..., Any]) -> PairArrays:
    """Every bid as three arrays (paper, reviewer, index of the value in ``affinity.BID_VALUES``): millions
    of rows at a large conference, so not a row object per bid but one integer each, packed by the database
    into one text per million bids (``group_concat``/``string_agg``) and parsed by NumPy: half the time of
    fetching the integers as rows. The value goes in as its length (``_BID_BY_LENGTH`` turns it back), a fifth
    less of SQLite's time than comparing it with each name; SQLite makes text of the integers itself, PostgreSQL
    is told to."""
    reviewer_width = 1 << 32
    packed = (sa.cast(Bid.submission_id, sa.BigInteger) * reviewer_width + Bid.reviewer_id) * 16 + sa.func.length(
        sa.cast(Bid.value, sa.String)
    )
    if read.__self__.dialect.name != "sqlite":
        packed = sa.cast(packed, sa.String)
    first, last = read(sa.select(sa.func.min(Bid.id), sa.func.max(Bid.id))).one()
    parts = [np.zeros(0, dtype=np.int64)]
    for lo in range(first, last + 1, _BIDS_A_QUERY) if first is not None else ():
        count, text = read(
            sa.select(sa.func.count(), sa.func.aggregate_strings(packed, ",")).where(Bid.id >= lo, Bid.id < lo + _BIDS_A_QUERY)
        ).one()
        values = np.fromstring(text or "", dtype=np.int64, sep=",") if count else np.zeros(0, dtype=np.int64)
        if len(values) != count:  # (fromstring stops at anything unexpected: never guess)
            raise RuntimeError(f"read {len(values)} of {count} bids")
        parts.append(values)
    packed_values = np.concatenate(parts)
    pair, length = packed_values >> 4, packed_values & 15
    return PairArrays(pair >> 32, pair & (reviewer_width - 1), _BID_BY_LENGTH[length])


def _by_length(values: Sequence[str]) -> np.ndarray:
    """Index in ``values`` by the length of the value (-1 for a length none has); the lengths must differ."""
    table = np.full(16, -1, dtype=np.int8)
    for i, value in enumerate(values):
        if not 0 < len(value) < 16 or table[len(value)] != -1:
            raise ValueError(f"bid values must differ in length (1 to 15 characters) to be read packed: {value!r}")
        table[len(value)] = i
    return table


_BID_BY_LENGTH = _by_length(BID_VALUES)
_BIDS_A_QUERY = 1_000_000


def propose_assignment(
    actor: User | None,
    ws: Workshop,
    *,
    top_k: int | None = None,
    on_phase: Callable[[str], None] | None = None,
    fair: bool = False,
    balanced: bool = False,
) -> AssignmentProposal:
    """Solve, and keep the result as a proposal the chair previews, edits and applies. ``on_phase`` hears
    which step is running (a background job shows it to the chair). ``top_k`` None: automatic (every pair on
    a small workshop, the best 50 per paper on a large one, 16 chosen approximately at conference size).
    ``fair``: the fairest assignment (the worst-served paper first, then the total) rather than the best total;
    ``balanced``: every reviewer's load within one of the others' where the candidates allow."""
    phase = on_phase or (lambda _: None)
    with memory.computing():
        return _propose_assignment(actor, ws, top_k, phase, fair=fair, balanced=balanced)


def _propose_assignment(
    actor: User | None, ws: Workshop, top_k: int | None, phase: Callable[[str], None], *, fair: bool, balanced: bool
) -> AssignmentProposal:
    base = assignment_state()  # what the proposal is computed against; applying it checks it is still so
    problem, edges = build_problem(ws, top_k=top_k, on_phase=phase, fair=fair, balanced=balanced)
    phase(f"Solving: {len(problem.demand)} papers, {len(problem.capacity)} reviewers, {len(edges)} candidate pairs")
    result = solve(problem)
    result.top_k = edges.top_k
    phase("Saving the proposal")
    proposal = AssignmentProposal(
        result=serialize_result(result, edges.reasons_for(result.pairs), approximate=edges.approximate) | {"base": base},
        message=" ".join(x for x in (result.explain_shortfall(problem.topics), result.load_note) if x),
        created_by_id=actor.id if actor else None,
    )
    db.session.add(proposal)
    db.session.flush()
    return proposal


def serialize_result(result: Result, reasons: dict[tuple[int, int], Any], *, approximate: bool = False) -> dict[str, Any]:
    def reason(p: int, r: int) -> dict[str, Any]:
        x = reasons.get((p, r))
        return (
            {}
            if x is None
            else {
                "affinity": round(x.affinity, 4),
                "bid": x.bid,
                "common_topics": x.common_topics,
                "paper_topics": x.paper_topics,
                "text": round(x.text_similarity, 4),
            }
        )

    return {
        "pairs": [[p, r] for p, r in result.pairs],
        "reasons": {f"{p}:{r}": reason(p, r) for p, r in result.pairs},
        "shortfall": {str(p): n for p, n in result.shortfall.items()},
        "not_willing": [[p, r] for p, r in result.not_willing_used],
        "total_affinity": round(result.total_affinity, 4),
        "candidates": result.candidates_considered,
        "top_k": result.top_k,
        "approximate": approximate,
        "seconds": round(result.seconds, 3),
        "mode": "fair" if result.fair else "total",
        "balanced_load": result.balanced_load,
        "worst_paper": None if result.worst_paper is None else round(result.worst_paper, 4),
        "below_minimum": {str(r): n for r, n in result.below_minimum.items()},
        "alternative": {k: None if v is None else round(v, 4) for k, v in result.alternative.items()},
    }


def discard_proposal(actor: User, proposal: AssignmentProposal) -> None:
    if proposal.state != ProposalState.DRAFT:
        raise InvalidTransition("This proposal was applied or discarded already.")
    proposal.state = ProposalState.DISCARDED
    audit.record(actor, "assignment.discard", f"Discarded automatic assignment proposal {proposal.id}")
    db.session.flush()


def edit_proposal(
    actor: User | None,
    proposal: AssignmentProposal,
    *,
    remove: tuple[int, int] | None = None,
    add: tuple[int, int] | None = None,
    never: tuple[int, int] | None = None,
) -> None:
    """Take a pair out of a draft proposal (``remove``; ``never``: and mark it "never assign"), or put one in.
    A pair taken out stays out of later automatic assignments."""
    if never is not None:
        remove = never
    if proposal.state != ProposalState.DRAFT:
        raise InvalidTransition("This proposal was applied or discarded already.")
    result = dict(proposal.result)
    pairs = [tuple(p) for p in result["pairs"]]
    if remove is not None:
        if remove not in pairs:  # (a forged or stale pair: nothing to take out, nothing to remember)
            raise DomainError("That pair is not in this proposal (any more).")
        pairs.remove(remove)
        exclude(actor, remove[0], remove[1], ExclusionReason.NEVER if never else ExclusionReason.REMOVED)
    if add is not None:
        sub, user = db.session.get(Submission, add[0]), db.session.get(User, add[1])
        if sub is None or user is None or not user.is_reviewer:
            raise DomainError("Choose a submission and a reviewer.")
        reasons = conflict_reasons(user, sub)
        if reasons:
            raise Conflicted(f"{user.name} conflicts with #{sub.id}: {'; '.join(reasons)}.")
        if add not in pairs and assignment_of(*add) is None:
            pairs.append(add)
            result["reasons"] = {**result["reasons"], f"{add[0]}:{add[1]}": {"manual": True}}
    result["pairs"] = [list(p) for p in sorted(pairs)]
    proposal.result = result
    db.session.flush()


def _next_ordinal(sub_id: int) -> int:
    return (
        db.session.scalar(sa.select(sa.func.max(ReviewAssignment.ordinal)).where(ReviewAssignment.submission_id == sub_id)) or 0
    ) + 1


def apply_proposal(actor: User, ws: Workshop, proposal: AssignmentProposal, now: datetime | None = None) -> int:
    """Create the proposed assignments and queue one mail per reviewer listing their new papers. At conference
    size (65,000 assignments, 18,000 mails) that is a few dozen statements and no ORM object per assignment,
    mail, reviewer or paper: the objects alone took seconds."""
    with memory.computing():
        return _apply_proposal(actor, ws, proposal, now)


def assignment_state() -> list[int]:
    """A fingerprint of every assignment there is (how many, the newest id, the sum of ids): a proposal records
    the one it was computed against, and is applied only on that same state."""
    count, newest, total = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.max(ReviewAssignment.id), 0),
            sa.func.coalesce(sa.func.sum(ReviewAssignment.id), 0),
        )
    ).one()
    return [int(count), int(newest), int(total)]


def _lock_assignments() -> None:
    """Held to the commit: one change to the assignments as a whole (applying a proposal) at a time; a second
    waits, then finds the state changed. (SQLite has one writer at a time anyway.)"""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("LOCK TABLE review_assignment IN SHARE ROW EXCLUSIVE MODE"))


def _apply_proposal(actor: User, ws: Workshop, proposal: AssignmentProposal, now: datetime | None) -> int:
    now = now or utcnow()
    _lock_assignments()
    # Claim the proposal: of two applies at once (a double click, two chairs), one changes its state.
    claimed = db.session.execute(
        sa.update(AssignmentProposal)
        .where(AssignmentProposal.id == proposal.id, AssignmentProposal.state == ProposalState.DRAFT)
        .values(state=ProposalState.APPLIED, applied_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(proposal)
    if not claimed:
        raise InvalidTransition("This proposal was applied or discarded already.")
    base = proposal.result.get("base")
    if base is not None and base != assignment_state():
        raise Conflicted(
            "The assignment changed since this proposal was computed (another proposal was applied, "
            "or reviewers were added or removed by hand): run it again."
        )
    existing = {(p, r) for p, r in db.session.execute(sa.select(ReviewAssignment.submission_id, ReviewAssignment.reviewer_id))}
    last = dict(
        db.session.execute(
            sa.select(ReviewAssignment.submission_id, sa.func.max(ReviewAssignment.ordinal)).group_by(
                ReviewAssignment.submission_id
            )
        ).all()
    )
    ordinals: dict[int, int] = {}
    rows: list[tuple[int, int, int]] = []
    new: dict[int, list[int]] = defaultdict(list)
    for paper, reviewer in proposal.result["pairs"]:
        if (paper, reviewer) in existing:
            continue
        ordinals[paper] = ordinals.get(paper, last.get(paper) or 0) + 1
        rows.append((paper, reviewer, ordinals[paper]))
        new[reviewer].append(paper)
    if rows:
        row = json_rows(rows).c.value
        db.session.execute(
            sa.insert(ReviewAssignment).from_select(
                ["submission_id", "reviewer_id", "ordinal", "origin", "created_at"],
                sa.select(
                    row[0].as_integer(),
                    row[1].as_integer(),
                    row[2].as_integer(),
                    sa.literal(AssignmentOrigin.AUTOMATIC, ReviewAssignment.origin.type),
                    sa.literal(now, ReviewAssignment.created_at.type),
                ),
            )
        )
    _check_loads(ws, set(ordinals), set(new))
    audit.record(
        actor,
        "assignment.apply",
        f"Applied automatic assignment proposal {proposal.id}: {len(rows)} new assignment(s)",
        proposal=proposal.id,
    )
    refresh_scores(ordinals)
    people = _by_ids(User, list(new), User.name, User.email)
    subs = _by_ids(Submission, list(ordinals), Submission.title)
    mail_templates.queue_many(
        ws,
        "assignment",
        ws=ws,
        home=external_url("review.index"),
        mails=(
            _assignment_mail(ws, people[reviewer_id], [subs[p] for p in sorted(papers)])
            for reviewer_id, papers in sorted(new.items())
        ),
    )
    return len(rows)


def _check_loads(ws: Workshop, papers: set[int], reviewers: set[int]) -> None:
    """Refuse (the caller rolls back) when the new assignments take a paper past the reviews per paper or a
    reviewer past their maximum load: a proposal edited by hand may ask for that; it never happens."""
    if not papers:
        return
    db.session.flush()
    # The database names only the papers and reviewers over their limits (none, unless something is wrong), of
    # which those of this change count: no list of tens of thousands of ids is sent.
    active = ReviewAssignment.suspended_at.is_(None)
    count = sa.func.count()
    over_papers = [
        p
        for (p,) in db.session.execute(
            sa.select(ReviewAssignment.submission_id)
            .where(active)
            .group_by(ReviewAssignment.submission_id)
            .having(count > ws.reviews_per_paper)
        )
        if p in papers
    ]
    over_people = [
        name
        for user_id, name in db.session.execute(
            sa.select(User.id, User.name)
            .join(ReviewAssignment, ReviewAssignment.reviewer_id == User.id)
            .where(active)
            .group_by(User.id, User.name, User.max_load)
            .having(count > sa.func.coalesce(User.max_load, ws.default_max_load))
        )
        if user_id in reviewers
    ]
    if over_papers or over_people:
        parts = (
            [f"papers past {ws.reviews_per_paper} reviewers: {', '.join(f'#{p}' for p in sorted(over_papers)[:20])}"]
            if over_papers
            else []
        ) + ([f"reviewers past their maximum load: {', '.join(sorted(over_people)[:20])}"] if over_people else [])
        raise Conflicted(
            f"Nothing was applied: this would leave {'; and '.join(parts)}. Edit the proposal or run the assignment again."
        )


def _by_ids(model: Any, ids: list[int], *columns: Any) -> dict[int, Any]:
    """The rows of ``model`` with these ids, by id, with the id and ``columns`` read as plain values (an ORM
    object each costs a second for 40,000), a few thousand a query (databases limit the parameters of one)."""
    stmt, plain = sa.select(model.id, *columns), _partial(model, ["id", *(column.key for column in columns)])
    return {
        row[0]: plain._make(row)
        for i in range(0, len(ids), 5000)
        for row in db.session.execute(stmt.where(model.id.in_(ids[i : i + 5000])))
    }


def _partial(model: Any, names: list[str]) -> Any:
    """A named tuple of ``names`` that stands for an object of ``model`` (one tuple each: fewer objects for the
    garbage collector to walk); any other attribute loads the object (a query each), so a mail template that asks
    for more than was read still gets it."""

    def load(self: Any, name: str) -> Any:  # only for a name not read
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(db.session.get(model, self.id), name)

    return type(model.__name__, (namedtuple(model.__name__, names),), {"__slots__": (), "__getattr__": load})


def assign_reviewer(actor: User, ws: Workshop, sub: Submission, reviewer: User, now: datetime | None = None) -> ReviewAssignment:
    """A chair's manual assignment; a conflict is refused with its reason."""
    if not reviewer.is_reviewer:
        raise DomainError(f"{reviewer.name} is not a reviewer.")
    reasons = conflict_reasons(reviewer, sub)
    if reasons:
        raise Conflicted(f"{reviewer.name} conflicts with #{sub.id}: {'; '.join(reasons)}.")
    if assignment_of(sub.id, reviewer.id) is not None:
        raise Conflicted(f"{reviewer.name} already reviews #{sub.id}.")
    lift_exclusion(sub.id, reviewer.id)  # a chair who assigns a pair by hand wants it
    assignment = ReviewAssignment(
        submission_id=sub.id,
        reviewer_id=reviewer.id,
        ordinal=_next_ordinal(sub.id),
        origin=AssignmentOrigin.MANUAL,
        created_at=now or utcnow(),
    )
    db.session.add(assignment)
    db.session.flush()
    kept_drafts.restore(assignment)  # the draft the reviewer had when removed from this paper, if any
    audit.record(
        actor, "assignment.add", f"Assigned {reviewer.name} to #{sub.id} as Reviewer {assignment.ordinal}", submission=sub
    )
    refresh_scores([sub.id])
    _queue_assignment_mail(ws, reviewer, [sub.id])
    return assignment


def unassign_reviewer(actor: User, assignment: ReviewAssignment) -> None:
    """Remove a reviewer who has not submitted a review (a draft goes with them). Conditional on that at the
    moment of the change, not on what was read before: a review submitted in between is never deleted (there is
    no cascade from an assignment to its review; the database refuses to orphan one). Later automatic
    assignments leave the pair out."""
    sub_id, name, ordinal, reviewer_id = (
        assignment.submission_id,
        assignment.reviewer.name,
        assignment.ordinal,
        assignment.reviewer_id,
    )
    _remove(assignment, InvalidTransition("This reviewer has submitted a review; it cannot be unassigned."))
    exclude(actor, sub_id, reviewer_id, ExclusionReason.REMOVED)
    audit.record(actor, "assignment.remove", f"Unassigned {name} (Reviewer {ordinal}) from #{sub_id}", submission=sub_id)
    refresh_scores([sub_id])


def decline_assignment(reviewer: User, ws: Workshop, sub: Submission, reason: str, *, conflict: bool = False) -> None:
    """The reviewer gives the paper back before submitting a review (a draft goes), with a reason the chairs
    read; the chairs who may see the paper's reviewers are told by mail, and later automatic assignments leave
    the pair out. ``conflict``: the reviewer declares a conflict of interest the portal missed; it is recorded
    as a conflict (``DECLARED_BY_REVIEWER``), so the reviewer no longer sees the paper anywhere, and the chairs
    see it on the conflicts page (and may lift it)."""
    assignment = assignment_of(sub.id, reviewer.id)
    if assignment is None:
        raise InvalidTransition("You do not review this paper (any more).")
    ordinal = assignment.ordinal
    _remove(assignment, InvalidTransition("Your review of this paper is submitted: ask the chairs to remove you."))
    exclude(reviewer, sub.id, reviewer.id, ExclusionReason.DECLINED, note=reason)
    if conflict:
        declare_conflict(reviewer, sub, reason, DECLARED_BY_REVIEWER)
    what = "declared a conflict with" if conflict else "declined"
    audit.record(reviewer, "assignment.decline", f"{reviewer.name} (Reviewer {ordinal}) {what} #{sub.id}", submission=sub)
    refresh_scores([sub.id])
    chairs = db.session.scalars(sa.select(User).where(User.is_chair).order_by(User.id)).all()
    for chair in chairs:
        if chair.id != reviewer.id and permissions.can_chair_paper(chair, sub):
            emails.queue(
                kind="declined",
                to=chair.email,
                reply_to=reviewer.email,
                template="declined",
                subject=f"[{ws.label}] {reviewer.name} {what} #{sub.id}",
                ws=ws,
                sub=sub,
                reviewer=reviewer,
                reason=reason,
                conflict=conflict,
                assignments=external_url("chair.pick_reviewer", number=sub.id),
            )


def declare_conflict(person: User, sub: Submission, reason: str, declared_by: str) -> None:
    """``person`` (a reviewer or an area chair giving the paper back) declares a conflict of interest with ``sub``
    the portal missed: recorded as a conflict (a ``ConflictOverride`` noted ``declared_by``, in their words), so
    they no longer see the paper anywhere; the chairs see it on the conflicts page, and may lift it."""
    note = f"{declared_by}{': ' + reason if reason else ''}"[:500]
    override = db.session.scalar(
        sa.select(ConflictOverride).where(ConflictOverride.submission_id == sub.id, ConflictOverride.reviewer_id == person.id)
    )
    if override is None:
        db.session.add(
            ConflictOverride(submission_id=sub.id, reviewer_id=person.id, conflicted=True, note=note, created_by_id=person.id)
        )
    else:
        override.conflicted, override.note, override.created_by_id = True, note, person.id
    db.session.flush()


def _remove(assignment: ReviewAssignment, refused: DomainError) -> None:
    """Delete an assignment and its draft review (kept apart first: ``kept_drafts``), only if no submitted review
    is there at that moment."""
    if assignment.review is not None and assignment.review.state == ReviewState.SUBMITTED:
        raise refused
    aid = assignment.id
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(ReviewAssignment.id).where(ReviewAssignment.id == aid).with_for_update())
    kept_drafts.keep(assignment)  # the draft is kept apart, to read and to restore (issue 20, 6)
    drafts = sa.select(Review.id).where(Review.assignment_id == aid, Review.state == ReviewState.DRAFT)
    db.session.execute(
        sa.delete(ReviewRevision).where(ReviewRevision.review_id.in_(drafts)).execution_options(synchronize_session=False)
    )
    db.session.execute(sa.delete(Review).where(Review.id.in_(drafts)).execution_options(synchronize_session=False))
    gone = db.session.execute(
        sa.delete(ReviewAssignment)
        .where(ReviewAssignment.id == aid, ~sa.exists().where(Review.assignment_id == aid))
        .execution_options(synchronize_session=False)
    ).rowcount
    if not gone:
        raise refused
    db.session.expunge(assignment)


def restore_assignment(actor: User, assignment: ReviewAssignment) -> None:
    """Lift the suspension of an assignment whose conflict is resolved (a chair lifted it, or the author list
    or the addresses changed back)."""
    if assignment.suspended_at is None:
        raise InvalidTransition("This assignment is not suspended.")
    sub = db.session.get(Submission, assignment.submission_id)
    reasons = conflict_reasons(assignment.reviewer, sub)
    if reasons:
        raise Conflicted(
            f"{assignment.reviewer.name} still conflicts with #{sub.id}: {'; '.join(reasons)}. Lift the "
            "conflict on the conflicts page first, or remove the assignment."
        )
    assignment.suspended_at, assignment.suspended_reason = None, ""
    audit.record(
        actor,
        "assignment.restore",
        f"Restored Reviewer {assignment.ordinal} ({assignment.reviewer.name}) of #{sub.id}",
        submission=sub,
    )
    refresh_scores([sub.id])


def set_manager(actor: User, sub: Submission, person: User | None) -> None:
    """Name the program-committee member who handles ``sub`` alone (None: nobody)."""
    if person is not None:
        if not (person.is_reviewer or person.is_chair):
            raise DomainError(f"{person.name} is not on the program committee; make them a reviewer first.")
        reasons = conflict_reasons(person, sub)
        if (
            permissions.is_author(person, sub)
            or reasons
            or sub.id in set(db.session.scalars(permissions.chair_conflicted_ids(person)))
        ):
            raise Conflicted(f"{person.name} conflicts with #{sub.id}" + (f": {'; '.join(reasons)}." if reasons else "."))
    sub.manager_id = person.id if person else None
    audit.record(
        actor,
        "paper.manager",
        f"Named {person.name} <{person.email}> the manager of #{sub.id}" if person else f"#{sub.id} has no manager any more",
        submission=sub,
    )
    db.session.flush()


def exclude(actor: User | None, sub_id: int, reviewer_id: int, reason: ExclusionReason, note: str = "") -> None:
    """Leave the pair out of every later automatic assignment (kept once; the latest reason stands)."""
    row = db.session.scalar(
        sa.select(AssignmentExclusion).where(
            AssignmentExclusion.submission_id == sub_id, AssignmentExclusion.reviewer_id == reviewer_id
        )
    )
    if row is None:
        db.session.add(
            AssignmentExclusion(
                submission_id=sub_id,
                reviewer_id=reviewer_id,
                reason=reason,
                note=note,
                created_by_id=actor.id if actor else None,
            )
        )
    else:
        row.reason, row.note = reason, note
    db.session.flush()


def lift_exclusion(sub_id: int, reviewer_id: int, *, actor: User | None = None) -> bool:
    """Let the automatic assignment consider the pair again; whether it was left out (``actor``: a chair lifting
    it by itself, recorded in the audit log)."""
    lifted = bool(
        db.session.execute(
            sa.delete(AssignmentExclusion).where(
                AssignmentExclusion.submission_id == sub_id, AssignmentExclusion.reviewer_id == reviewer_id
            )
        ).rowcount
    )
    if lifted and actor is not None:
        audit.record(
            actor, "assignment.allow", f"Allowed #{sub_id} to reviewer {reviewer_id} in automatic runs again", submission=sub_id
        )
    return lifted


def exclusions(sub_ids: list[int] | None = None) -> list[AssignmentExclusion]:
    stmt = sa.select(AssignmentExclusion).order_by(AssignmentExclusion.submission_id, AssignmentExclusion.reviewer_id)
    if sub_ids is not None:
        stmt = stmt.where(AssignmentExclusion.submission_id.in_(sub_ids))
    return list(db.session.scalars(stmt))


def suspended_assignments(viewer: User) -> list[ReviewAssignment]:
    """The suspended assignments on the papers ``viewer`` handles, oldest first."""
    rows = db.session.scalars(
        sa.select(ReviewAssignment)
        .where(ReviewAssignment.suspended_at.is_not(None))
        .order_by(ReviewAssignment.suspended_at, ReviewAssignment.id)
        .options(selectinload(ReviewAssignment.reviewer), selectinload(ReviewAssignment.submission))
    )
    return [a for a in rows if permissions.can_chair_paper(viewer, a.submission)]


def _queue_assignment_mail(ws: Workshop, reviewer: User, papers: list[int]) -> None:
    subs = [db.session.get(Submission, p) for p in sorted(papers)]
    mail_templates.queue_many(
        ws,
        "assignment",
        ws=ws,
        home=external_url("review.index"),
        mails=[_assignment_mail(ws, reviewer, subs)],
    )


def _assignment_mail(ws: Workshop, reviewer: Any, subs: Sequence[Any]) -> dict[str, Any]:
    """One reviewer's mail for ``emails.queue_many`` (which adds ``ws`` and ``home``), listing ``subs``."""
    return {
        "to": reviewer.email,
        "reply_to": ws.contact_email,
        "reviewer": reviewer,
        "subs": subs,
        "subject": f"[{ws.label}] {len(subs)} paper{'s' if len(subs) != 1 else ''} to review",
    }


# --- conflicts, as the chairs change them -------------------------------------------------------------


def add_conflict_override(actor: User, sub: Submission, reviewer: User, conflicted: bool, note: str = "") -> None:
    if not conflicted and AUTHOR in conflict_reasons(reviewer, sub):
        raise DomainError(f"{reviewer.name} is an author of #{sub.id}; that conflict cannot be lifted.")
    if conflicted and assignment_of(sub.id, reviewer.id) is not None:
        raise Conflicted(f"{reviewer.name} is assigned to #{sub.id}; unassign them first.")
    row = db.session.scalar(
        sa.select(ConflictOverride).where(ConflictOverride.submission_id == sub.id, ConflictOverride.reviewer_id == reviewer.id)
    )
    if row is None:
        row = ConflictOverride(submission_id=sub.id, reviewer_id=reviewer.id, conflicted=conflicted)
        db.session.add(row)
    row.conflicted, row.note, row.created_by_id = conflicted, note, actor.id
    audit.record(
        actor,
        "conflict.add" if conflicted else "conflict.lift",
        f"{'Added a conflict of' if conflicted else 'Lifted the conflict of'} {reviewer.name} with #{sub.id}"
        + (f": {note}" if note else ""),
        submission=sub,
    )
    db.session.flush()


def clear_conflict_override(actor: User, sub: Submission, reviewer: User) -> None:
    audit.record(
        actor, "conflict.clear", f"Undid the chairs' change to the conflict of {reviewer.name} with #{sub.id}", submission=sub
    )
    db.session.execute(
        sa.delete(ConflictOverride).where(ConflictOverride.submission_id == sub.id, ConflictOverride.reviewer_id == reviewer.id)
    )
    db.session.flush()


# --- external reviewers -------------------------------------------------------------------------------


def invite_external(actor: User, ws: Workshop, sub: Submission, name: str, email: str) -> str:
    """Add a reviewer to one paper by email: assign at once when the account exists, else invite them
    (accepting the invitation creates the account, grants the reviewer role and assigns the paper)."""
    user = user_by_email(email)
    if user is not None:
        reasons = conflict_reasons(user, sub)
        if reasons:
            raise Conflicted(f"{user.name} conflicts with #{sub.id}: {'; '.join(reasons)}.")
        set_role(actor, user, "reviewer", True)
        assign_reviewer(actor, ws, sub, user)
        return f"{user.name} has an account: they are now a reviewer of #{sub.id} and got a mail."
    _, skipped = invite_reviewers(
        actor, ws, [InviteLine(line=f"{name} <{email}>", name=name, email=email.lower())], submission=sub
    )
    if skipped:
        raise DomainError(f"{email} was not invited: {skipped[0].problem}.")
    audit.record(actor, "assignment.invite", f"Invited {name} <{email}> to review #{sub.id}", submission=sub)
    return f"{name} is invited to review #{sub.id}; accepting assigns them the paper."


def assign_invited(user: User, ws: Workshop, sub_id: int) -> None:
    """Called when an external reviewer accepts: assign the paper they were invited for, unless conflicted."""
    sub = db.session.get(Submission, sub_id)
    if sub is None or assignment_of(sub.id, user.id) is not None or conflict_reasons(user, sub):
        return
    assign_reviewer(user, ws, sub, user)


# --- its background job -------------------------------------------------------------------------------


@job("assignment", "Automatic assignment")
def run_assignment(
    row: Job, progress: Progress, *, workshop_id: int, fair: bool = False, balanced: bool = False
) -> dict[str, Any]:
    ws = db.session.get(Workshop, workshop_id)
    actor = db.session.get(User, row.created_by_id) if row.created_by_id else None
    proposal = propose_assignment(actor, ws, on_phase=lambda phase: progress(phase=phase), fair=fair, balanced=balanced)
    db.session.commit()
    # No count here: every chair reads this page, also one conflicted with some papers (the proposal's page gives
    # each chair the figures of the papers they handle).
    return {
        "message": f"Proposal {proposal.id} is ready: review it before applying.",
        "url": path_for("chair.proposal", proposal_id=proposal.id),
    }


@dataclass
class ProposalReport:
    """What a chair weighs before applying a proposal, over the papers they handle."""

    mode: str
    total_affinity: float
    worst_paper: float | None
    alternative: dict[str, float | None]
    affinity_quantiles: list[float]  # min, 25 %, median, 75 %, max of the new pairs' affinities
    worst_papers: list[tuple[int, float, list[float]]]  # (paper, summed affinity, each new reviewer's affinity)
    load_histogram: list[tuple[int, int]]  # (load after applying, reviewers with it)
    load_range: tuple[int, int]
    idle: int  # reviewers with no paper after applying
    eager_granted: int
    eager_bids: int | None  # None: no bids (an area-chair proposal)
    not_willing: int
    below_minimum: int
    balanced_load: int | None
    pairs: int


def proposal_report(
    proposal: Any, papers: list[int], loads_after: dict[int, int], people: list[int], *, partial: bool = False, bids: bool = True
) -> ProposalReport:
    """The quality report of ``proposal`` over ``papers`` (those the viewing chair handles), with each reviewer's
    load after applying (``loads_after``, of the same papers) for ``people``. ``partial``: the chair does not
    handle every paper, so no figure of the whole proposal is given (the worst-served paper is the worst of
    theirs by its new reviewers; nobody is said to be below a minimum, which would tell who reviews the rest).
    The area chairs' proposals (``AreaChairProposal``, issue 22.5) have the same report, without ``bids``."""
    result = proposal.result
    visible = set(papers)
    reasons = result.get("reasons", {})
    sums: dict[int, list[float]] = {p: [] for p in visible}
    granted = 0
    for p, r in result["pairs"]:
        if p not in visible:
            continue
        why = reasons.get(f"{p}:{r}", {})
        sums[p].append(float(why.get("affinity", 0.0)))
        granted += why.get("bid") == "eager"
    new = sorted(a for values in sums.values() for a in values)
    quantiles = [round(float(np.quantile(new, q)), 4) for q in (0, 0.25, 0.5, 0.75, 1)] if new else []
    worst = sorted(((p, round(sum(v), 4), sorted(v, reverse=True)) for p, v in sums.items() if v), key=lambda x: (x[1], x[0]))
    histogram = defaultdict(int)
    for r in people:
        histogram[loads_after.get(r, 0)] += 1
    eager = (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Bid).where(Bid.value == BidValue.EAGER, Bid.submission_id.in_(papers))
        )
        if bids
        else None
    )
    loads = [loads_after.get(r, 0) for r in people]
    return ProposalReport(
        mode=result.get("mode", "total"),
        total_affinity=round(sum(new), 4),
        worst_paper=(min((x[1] for x in worst), default=None) if partial else result.get("worst_paper")),
        alternative={} if partial else result.get("alternative", {}),
        affinity_quantiles=quantiles,
        worst_papers=worst[:10],
        load_histogram=sorted(histogram.items()),
        load_range=(min(loads, default=0), max(loads, default=0)),
        idle=sum(1 for x in loads if x == 0),
        eager_granted=granted,
        eager_bids=None if eager is None else int(eager),
        not_willing=sum(1 for p, _ in result.get("not_willing", []) if p in visible),
        below_minimum=0 if partial else len(result.get("below_minimum", {})),
        balanced_load=result.get("balanced_load"),
        pairs=sum(len(v) for v in sums.values()),
    )
