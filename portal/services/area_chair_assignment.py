"""The automatic area-chair assignment (issue 22.5), on the reviewers' machinery: the same affinity (topics,
expertise statement and own papers; no bids), the same conflict rules, the same solver with minimum and maximum
loads, the balanced option and the fairness mode. Each paper the chair handles that has no area chair gets one;
the area chairs papers have already are kept and count in their loads. A run makes a proposal the chair
previews, edits (a pair taken out is never proposed again) and applies, or discards: nothing changes until it
is applied. One function per change; each flushes, none commits."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from portal import permissions
from portal.assign import memory
from portal.assign.affinity import PairArrays, PaperInfo, ReviewerInfo, Weights, automatic_top_k, score_edges
from portal.assign.solver import Graph, Problem, Result, solve
from portal.db import db, utcnow
from portal.domain import Conflicted, DomainError, InvalidTransition
from portal.jobs import Progress, job, path_for
from portal.models import (
    AreaChairAssignment,
    AreaChairExclusion,
    AreaChairProposal,
    ExclusionReason,
    Job,
    ProposalState,
    Submission,
    SubmissionState,
    Topic,
    User,
    UserPaper,
    Workshop,
)
from portal.models.submission import submission_topic
from portal.models.user import user_topic
from portal.queries.conflicts import conflicted_pairs, gather
from portal.services import audit, mail_templates
from portal.services.area_chairs import exclude
from portal.services.assignments import paper_text, reviewer_text, serialize_result
from portal.urls import external_url

NAMED = 20  # papers or area chairs named in a message (with the count of the rest)
# Every pair of a paper and an area chair is a candidate up to this many pairs (21,575 papers x 556 area chairs,
# one for every 39 papers: 30 s and 2.3 GB at 21,575 x 540 on the development machine, 40 s balanced). Keeping
# only each paper's K best, as for reviewers, serves few papers when some area chairs are near everyone's best
# (their topics cover most papers): at 21,575 x 540 in the large demo, the 50 best a paper (and each area chair's
# 80 best) served 2,507 papers, the 180 best 8,507, every pair all 21,575.
ALL_PAIRS_UP_TO = 12_000_000

# --- loads ----------------------------------------------------------------------------------------------------


def even_share(ws: Workshop) -> int:
    """The submitted papers over the area chairs, rounded up (at least 1): the maximum load when the chairs set none."""
    papers = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Submission)
        .where(Submission.workshop_id == ws.id, Submission.state == SubmissionState.SUBMITTED)
    )
    people = db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.is_area_chair))
    return max(1, -(-int(papers or 0) // max(1, int(people or 0))))


def max_load_of(ws: Workshop, person: Any, share: int) -> int:
    """The most papers ``person`` (a User or a row with ``ac_max_load``) oversees: their own maximum, else the
    workshop's area-chair default, else the even ``share``."""
    if person.ac_max_load is not None:
        return int(person.ac_max_load)
    return ws.ac_default_max_load if ws.ac_default_max_load is not None else share


def min_load_of(ws: Workshop, person: Any, share: int) -> int:
    """The fewest papers the automatic assignment gives ``person`` (never above their maximum)."""
    least = person.ac_min_load if person.ac_min_load is not None else ws.ac_default_min_load
    return min(int(least or 0), max_load_of(ws, person, share))


@dataclass
class AreaChairLoads:
    default_max: int | None  # None: the even share
    default_min: int
    maximums: dict[int, int | None]  # area chair id -> their own maximum (None: the default); absent: unchanged
    minimums: dict[int, int | None]


def update_loads(actor: User, ws: Workshop, s: AreaChairLoads) -> None:
    """Set the area chairs' default loads and each one's own (as the reviewers' on the reviewing settings)."""
    if s.default_max is not None and s.default_min > s.default_max:
        raise DomainError("The default minimum load of the area chairs cannot be above their default maximum load.")
    share = even_share(ws)
    people = {
        u.id: u
        for u in db.session.scalars(
            sa.select(User).where(User.is_area_chair, User.id.in_(list(s.maximums) + list(s.minimums))).order_by(User.id)
        )
    }
    default_max = s.default_max if s.default_max is not None else share
    for uid, person in people.items():
        most = s.maximums.get(uid, person.ac_max_load)
        least = s.minimums.get(uid, person.ac_min_load)
        most = default_max if most is None else most
        least = s.default_min if least is None else least
        if least > most:
            raise DomainError(f"The minimum load of {person.name} ({least}) is above their maximum load ({most}).")
    ws.ac_default_max_load, ws.ac_default_min_load = s.default_max, s.default_min
    for uid, person in people.items():
        if uid in s.maximums:
            person.ac_max_load = s.maximums[uid]
        if uid in s.minimums:
            person.ac_min_load = s.minimums[uid]
    audit.record(
        actor,
        "settings.area_chairs",
        f"Area chairs' loads: default {s.default_min} to "
        + (str(s.default_max) if s.default_max is not None else "the even share"),
    )
    db.session.flush()


# --- a run ----------------------------------------------------------------------------------------------------


def assignment_state() -> list[int]:
    """A fingerprint of the area chairs there are (how many, the newest row, and which pairs): a proposal records
    the one it was computed against and is applied only on that same state (a chair who chose or removed an area
    chair by hand meanwhile makes it stale)."""
    count, newest, ids, pairs = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.max(AreaChairAssignment.id), 0),
            sa.func.coalesce(sa.func.sum(AreaChairAssignment.id), 0),
            sa.func.coalesce(
                sa.func.sum(
                    sa.cast(AreaChairAssignment.submission_id, sa.BigInteger) * 1_000_003 + AreaChairAssignment.area_chair_id
                ),
                0,
            ),
        )
    ).one()
    return [int(count), int(newest), int(ids), int(pairs)]


def _grouped(stmt: sa.Select) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = defaultdict(list)
    for key, value in db.session.execute(stmt):
        out[key].append(value)
    return out


def _wanted(actor: User | None, ws: Workshop) -> sa.Select[tuple[int]]:
    """The submitted papers without an area chair (of those ``actor`` handles)."""
    wanted = sa.select(Submission.id).where(
        Submission.workshop_id == ws.id,
        Submission.state == SubmissionState.SUBMITTED,
        Submission.id.not_in(sa.select(AreaChairAssignment.submission_id)),
    )
    if actor is not None:
        wanted = wanted.where(Submission.id.not_in(permissions.chair_conflicted_ids(actor)))
    return wanted


def check_runnable(actor: User | None, ws: Workshop) -> None:
    """Refuse a run with nothing to do: every paper has an area chair, or there are no area chairs."""
    if not db.session.scalar(sa.select(_wanted(actor, ws).exists())):
        raise DomainError("Every submitted paper you handle has an area chair.")
    if not db.session.scalar(sa.select(sa.select(User.id).where(User.is_area_chair).exists())):
        raise DomainError("There are no area chairs yet: make some on the members page.")


def build_problem(actor: User | None, ws: Workshop, *, fair: bool = False, balanced: bool = False) -> tuple[Problem, Any]:
    """The area-chair assignment as the reviewers' solver takes it: a demand of one for each submitted paper
    without an area chair that ``actor`` handles, each area chair's maximum and minimum load, their current papers
    kept (``fixed``: they count in the loads), candidates scored as for reviewers (no bids), never a conflicted pair
    (the reviewers' rules) nor one left out by a chair."""
    check_runnable(actor, ws)
    wanted = _wanted(actor, ws)
    subs = db.session.execute(
        sa.select(Submission.id, Submission.title, Submission.abstract, Submission.keywords, Submission.primary_topic_id)
        .where(Submission.id.in_(wanted))
        .order_by(Submission.id)
    ).all()
    people = db.session.execute(
        sa.select(User.id, User.expertise_statement, User.ac_max_load, User.ac_min_load)
        .where(User.is_area_chair)
        .order_by(User.id)
    ).all()
    ids = [s.id for s in subs]
    uids = [u.id for u in people]
    secondary = _grouped(
        sa.select(submission_topic.c.submission_id, submission_topic.c.topic_id).where(submission_topic.c.submission_id.in_(ids))
    )
    topics = _grouped(sa.select(user_topic.c.user_id, user_topic.c.topic_id).where(user_topic.c.user_id.in_(uids)))
    own = _grouped(
        sa.select(UserPaper.user_id, UserPaper.title + "\n" + UserPaper.abstract)
        .where(UserPaper.user_id.in_(uids))
        .order_by(UserPaper.user_id, UserPaper.position)
    )
    conflicts = conflicted_pairs(
        gather(
            sa.select(Submission.id).where(Submission.id.in_(wanted)), sa.select(User.id).where(User.is_area_chair), reasons=False
        )
    )
    left_out = db.session.execute(
        sa.select(AreaChairExclusion.submission_id, AreaChairExclusion.area_chair_id).where(
            AreaChairExclusion.submission_id.in_(ids)
        )
    ).all()
    if left_out:
        conflicts = PairArrays(
            np.concatenate([conflicts.paper, np.array([p for p, _ in left_out], dtype=np.int64)]),
            np.concatenate([conflicts.reviewer, np.array([r for _, r in left_out], dtype=np.int64)]),
        )
    share = even_share(ws)
    edges = score_edges(
        [PaperInfo(s.id, paper_text(s), {s.primary_topic_id, *secondary.get(s.id, [])}) for s in subs],
        [ReviewerInfo(u.id, reviewer_text(u.expertise_statement, own.get(u.id, [])), set(topics.get(u.id, []))) for u in people],
        PairArrays(np.zeros(0, np.int64), np.zeros(0, np.int64)),
        conflicts,
        Weights(0.0, ws.weight_topics, ws.weight_text),
        top_k=None if len(subs) * len(people) <= ALL_PAIRS_UP_TO else automatic_top_k(len(subs), len(people)),
        # Past that, each area chair's own best papers too, twice their room (each paper's K best alone gather on a
        # few area chairs, who fill up; that still may leave papers without one: the proposal says so).
        least={u.id: n for u in people if (n := min(len(subs), 2 * max_load_of(ws, u, share)))},
    )
    fixed = [
        tuple(r) for r in db.session.execute(sa.select(AreaChairAssignment.submission_id, AreaChairAssignment.area_chair_id))
    ]
    titles = dict(db.session.execute(sa.select(Topic.id, Topic.title)).all())
    problem = Problem(
        demand={s.id: 1 for s in subs},
        capacity={u.id: max_load_of(ws, u, share) for u in people},
        minimum={u.id: min_load_of(ws, u, share) for u in people},
        candidates=edges,
        fixed=[(p, a) for p, a in fixed if a in set(uids)],
        topics={s.id: titles.get(s.primary_topic_id, "?") for s in subs},
        balanced=balanced,
        fair=fair,
    )
    return problem, edges


def explain(problem: Problem, result: Result, names: dict[int, str]) -> str:
    """Why papers are left without an area chair, or area chairs below their minimum, in the chair's terms: the room
    the maximum loads leave against the papers that need one, the papers no area chair may take (each conflicted or
    left out), the topics short, and who stays below their minimum."""
    parts: list[str] = []
    if result.shortfall:
        short = sorted(result.shortfall)
        listed = ", ".join(f"#{p}" for p in short[:NAMED]) + (f" and {len(short) - NAMED} more" if len(short) > NAMED else "")
        parts.append(f"{len(short)} paper{'s' if len(short) != 1 else ''} would get no area chair: {listed}.")
        used = Counter(a for _, a in problem.fixed)
        room = sum(max(0, most - used[a]) for a, most in problem.capacity.items())
        need = len(problem.demand)
        if room < need:
            parts.append(
                f"The area chairs' maximum loads leave room for {room} more paper{'s' if room != 1 else ''} and {need} "
                "need an area chair: raise the maximum loads (the default or some area chairs' own), or add area chairs."
            )
        graph = problem.candidates if isinstance(problem.candidates, Graph) else Graph.of(problem.candidates)
        with_candidates = set(graph.paper.tolist())
        alone = [p for p in short if p not in with_candidates]
        if alone:
            listed = ", ".join(f"#{p}" for p in alone[:NAMED]) + (f" and {len(alone) - NAMED} more" if len(alone) > NAMED else "")
            parts.append(
                f"{len(alone)} of them {'have' if len(alone) != 1 else 'has'} no area chair who may oversee "
                f"{'them' if len(alone) != 1 else 'it'} (every one conflicted, or left out by a chair): {listed}; "
                "choose one by hand, or make another member an area chair."
            )
        if room >= need and len(alone) < len(short):
            parts.append("The others' possible area chairs are full with papers only they can take.")
        by_topic: Counter[str] = Counter(problem.topics.get(p, "?") for p in short)
        parts.append(
            "Short by topic: " + "; ".join(f"{t}: {n}" for t, n in sorted(by_topic.items(), key=lambda kv: (-kv[1], kv[0]))) + "."
        )
    if result.below_minimum:
        below = sorted(result.below_minimum, key=lambda a: (names.get(a, ""), a))
        missing = sum(result.below_minimum.values())
        listed = ", ".join(f"{names.get(a, a)} ({result.below_minimum[a]} short)" for a in below[:NAMED])
        parts.append(
            f"{len(below)} area chair{'s stay' if len(below) != 1 else ' stays'} below their minimum load "
            f"({missing} paper{'s' if missing != 1 else ''} short): {listed}."
        )
        asked = sum(max(0, n - Counter(a for _, a in problem.fixed)[a]) for a, n in problem.minimum.items())
        if asked > len(problem.demand):
            parts.append(f"The minimums ask for {asked} more papers; only {len(problem.demand)} need an area chair.")
        else:
            parts.append("Their conflicts and the pairs left out leave too few papers they may take.")
        parts.append("Lower the minimum loads, or choose their papers by hand.")
    return " ".join(parts)


def propose(
    actor: User | None,
    ws: Workshop,
    *,
    fair: bool = False,
    balanced: bool = False,
    on_phase: Callable[[str], None] | None = None,
) -> AreaChairProposal:
    """Solve, and keep the result as a proposal the chair previews and applies (or discards)."""
    phase = on_phase or (lambda _: None)
    phase("Reading the papers, the area chairs and their conflicts")
    base = assignment_state()
    with memory.computing():
        problem, edges = build_problem(actor, ws, fair=fair, balanced=balanced)
        phase(f"Solving: {len(problem.demand)} papers, {len(problem.capacity)} area chairs, {len(edges)} candidate pairs")
        result = solve(problem)
    result.top_k = edges.top_k
    names = dict(db.session.execute(sa.select(User.id, User.name).where(User.id.in_(list(problem.capacity)))).all())
    proposal = AreaChairProposal(
        result=serialize_result(result, edges.reasons_for(result.pairs), approximate=edges.approximate) | {"base": base},
        message=explain(problem, result, names),
        created_by_id=actor.id if actor else None,
    )
    db.session.add(proposal)
    db.session.flush()
    if actor is not None:
        audit.record(actor, "assignment.area_chairs", f"Computed area-chair proposal {proposal.id} ({len(result.pairs)} papers)")
    return proposal


@job("area_chairs", "Automatic area-chair assignment")
def run_area_chairs(
    row: Job, progress: Progress, *, workshop_id: int, fair: bool = False, balanced: bool = False
) -> dict[str, Any]:
    ws = db.session.get(Workshop, workshop_id)
    actor = db.session.get(User, row.created_by_id) if row.created_by_id else None
    proposal = propose(actor, ws, fair=fair, balanced=balanced, on_phase=lambda phase: progress(phase=phase))
    db.session.commit()
    return {
        "message": f"Area-chair proposal {proposal.id} is ready: review it before applying.",
        "url": path_for("chair.area_chair_proposal", ac_proposal_id=proposal.id),
    }


# --- the proposal ---------------------------------------------------------------------------------------------


def _draft(proposal: AreaChairProposal) -> None:
    if proposal.state != ProposalState.DRAFT:
        raise InvalidTransition("This proposal was applied or discarded already.")


def discard(actor: User, proposal: AreaChairProposal) -> None:
    _draft(proposal)
    proposal.state = ProposalState.DISCARDED
    audit.record(actor, "assignment.area_chairs", f"Discarded area-chair proposal {proposal.id}")
    db.session.flush()


def take_out(actor: User, proposal: AreaChairProposal, pair: tuple[int, int], *, never: bool = False) -> None:
    """Take a paper's proposed area chair out of a draft proposal; the pair stays out of every later run
    (``never``: marked so)."""
    _draft(proposal)
    result = dict(proposal.result)
    pairs = [tuple(p) for p in result["pairs"]]
    if pair not in pairs:  # (a forged or stale pair: nothing to take out, nothing to remember)
        raise DomainError("That area chair is not proposed for that paper in this proposal (any more).")
    pairs.remove(pair)
    result["pairs"] = [list(p) for p in pairs]
    proposal.result = result
    exclude(actor, pair[0], pair[1], ExclusionReason.NEVER if never else ExclusionReason.REMOVED)
    db.session.flush()


def apply(actor: User, ws: Workshop, proposal: AreaChairProposal) -> int:
    """Make the proposed area chairs (one mail to each, listing their new papers), on the state the proposal was
    computed against only; a second apply (a double click, two chairs) is refused."""
    claimed = db.session.execute(
        sa.update(AreaChairProposal)
        .where(AreaChairProposal.id == proposal.id, AreaChairProposal.state == ProposalState.DRAFT)
        .values(state=ProposalState.APPLIED, applied_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(proposal)
    if not claimed:
        raise InvalidTransition("This proposal was applied or discarded already.")
    if proposal.result.get("base") != assignment_state():
        raise Conflicted(
            "The area chairs changed since this proposal was computed (one was chosen or removed by hand, or another "
            "proposal was applied): run it again."
        )
    pairs = [(int(paper), int(person)) for paper, person in proposal.result["pairs"]]
    if pairs:  # a conflict that appeared since the run (a declaration, a changed affiliation, a chair's setting)
        found = conflicted_pairs(gather(sorted({p for p, _ in pairs}), sorted({a for _, a in pairs}), reasons=False))
        now_conflicted = sorted(set(pairs) & set(zip(found.paper.tolist(), found.reviewer.tolist(), strict=True)))
        if now_conflicted:
            listed = ", ".join(f"#{p}" for p, _ in now_conflicted[:NAMED])
            raise Conflicted(
                f"Nothing was applied: the area chair proposed for {listed} conflicts with it now. Run the assignment again."
            )
    made: dict[int, list[int]] = defaultdict(list)
    for paper, person in pairs:
        db.session.add(AreaChairAssignment(submission_id=paper, area_chair_id=person, created_by_id=actor.id))
        made[person].append(paper)
    db.session.flush()
    people = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(list(made))))}
    subs = {
        s.id: s for s in db.session.scalars(sa.select(Submission).where(Submission.id.in_([p for v in made.values() for p in v])))
    }
    for person, papers in sorted(made.items()):
        user = people[person]
        mail_templates.queue(
            ws,
            "area_chair_assigned",
            to=user.email,
            reply_to=ws.contact_email,
            subject=f"[{ws.label}] You are the area chair of {len(papers)} paper{'s' if len(papers) != 1 else ''}",
            ws=ws,
            person=user,
            subs=[subs[p] for p in sorted(papers)],
            home=external_url("review.area_chair_home"),
        )
    count = sum(len(v) for v in made.values())
    audit.record(actor, "paper.area_chair", f"Applied area-chair proposal {proposal.id}: {count} paper(s) got an area chair")
    return count


# --- what the chairs read ------------------------------------------------------------------------------------


def exclusions(hidden: sa.Select[tuple[int]], limit: int) -> tuple[list[AreaChairExclusion], int]:
    """The pairs left out of the automatic runs (but those of the papers ``hidden`` from the viewer), the newest
    ``limit`` of them, and how many there are."""
    where = AreaChairExclusion.submission_id.not_in(hidden)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(AreaChairExclusion).where(where))
    rows = list(
        db.session.scalars(
            sa.select(AreaChairExclusion)
            .where(where)
            .order_by(AreaChairExclusion.id.desc())
            .limit(limit)
            .options(selectinload(AreaChairExclusion.area_chair))
        )
    )
    return rows, int(total or 0)
