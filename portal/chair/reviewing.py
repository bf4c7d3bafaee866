"""Chairs: the reviewing settings, conflicts, assignment (automatic and by hand, external reviewers, a paper's
manager), proposals and reminders."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from portal import once, permissions, work
from portal.chair import confirm
from portal.chair.blueprint import bp
from portal.chair.forms import ExternalReviewerForm, PairForm, ReviewSettingsForm, RunAssignmentForm
from portal.chair.jobs import launch
from portal.db import db, like_pattern, page_of, parse_id, utcnow
from portal.domain import DomainError
from portal.forms import ButtonForm, require_button
from portal.models import (
    AreaChairProposal,
    AssignmentExclusion,
    AssignmentProposal,
    Bid,
    ConflictOverride,
    ProposalState,
    ReviewAssignment,
    ReviewState,
    Submission,
    SubmissionState,
    User,
    Workshop,
)
from portal.services import accounts, area_chairs, assignment_lists, assignments, responses, review_settings, reviews
from portal.web import form_page, get_submission, me, redirect_after, require_workshop

EXCLUSIONS_SHOWN = 200  # pairs left out listed on the assignments page (with the count of all)
PROPOSAL_PAPERS_PER_PAGE = 25
PROPOSAL_REVIEWERS_PER_PAGE = 50
COMPARE_SHOWN = 200  # pairs listed on each side of a comparison (with the count of all)
UPDATED_SHOWN = 50  # reviews updated after the author response, listed on the settings page

# --- reviewing settings -------------------------------------------------------------------------------


@bp.route("/reviewing", methods=["GET", "POST"], endpoint="reviewing")
def reviewing_settings() -> str | Response | tuple[str, int]:
    ws = require_workshop()
    # Each reviewer's own loads, a page at a time (searched): saving changes the rows shown only.
    loads = assignment_lists.load_page(ws, me(), assignment_lists.ReviewerQuery.from_args(request.args))
    people = [row.user for row in loads.rows]
    form = ReviewSettingsForm.from_model(ws) if request.method == "GET" else ReviewSettingsForm()
    problems: list[str] = []
    if form.validate_on_submit():
        maximums, problems = form.loads(people)
        minimums, more = form.loads(people, "min")
        problems += more
        if not problems:
            outcome = work.attempt(
                lambda: review_settings.update_review_settings(me(), ws, form.to_input(ws, maximums, minimums))
            )
            if outcome.ok:
                flash("The reviewing settings are saved.", "success")
                return redirect(url_for(".reviewing", **loads.query.args()))
            problems.append(outcome.problem)
    return form_page(
        "chair/reviewing.html",
        form=form,
        problems=problems,
        ws=ws,
        loads=loads,
        bids=_bids_of(people),
        now=utcnow(),
        response_count=responses.count_with_response(ws, me()),
        updated=responses.updated_after_response(ws, me(), limit=UPDATED_SHOWN),
    )


@bp.post("/reviewing/responses/tell")
def tell_reviewers_responses() -> str | Response:
    """Once the author responses are final: mail each reviewer the papers of theirs with a response, after the
    confirmation page says how many mails go out."""
    require_button()
    ws = require_workshop()
    back = url_for(".reviewing", _anchor="response")
    if not confirm.confirmed():
        papers = responses.count_with_response(ws, me())
        return confirm.page(
            "Tell the reviewers about the authors' responses",
            f"Each reviewer of the {papers} paper{'s' if papers != 1 else ''} with a response gets one mail listing them, "
            "asking them to read the response and update their review if it changes their view. The mails cannot be "
            "taken back.",
            [],
            "send the mails",
            cancel=back,
        )
    outcome = work.attempt(lambda: responses.tell_reviewers(me(), ws))
    return redirect_after(outcome, f"{outcome.value} reviewer{'s' if outcome.value != 1 else ''} told about the responses.", back)


def _bids_of(people: list[User]) -> dict[int, int]:
    """Bids placed by each of ``people``, counted on the papers this chair handles only: a count would tell an
    author-chair who bids on their own paper."""
    hidden = permissions.chair_conflicted_ids(me())
    return dict(
        db.session.execute(  # type: ignore[arg-type]
            sa.select(Bid.reviewer_id, sa.func.count())
            .where(Bid.submission_id.not_in(hidden), Bid.reviewer_id.in_([u.id for u in people]))
            .group_by(Bid.reviewer_id)
        ).all()
    )


# --- conflicts ----------------------------------------------------------------------------------------


@bp.route("/conflicts", methods=["GET", "POST"])
def conflicts() -> str | Response:
    ws = require_workshop()
    form = PairForm()
    if not form.validate_on_submit():
        return _conflicts_page(ws, form)
    sub = db.session.get(Submission, form.number.data)
    reviewer = accounts.user_by_email(form.reviewer.data)
    if sub is not None and not permissions.can_chair_paper(me(), sub):
        abort(404)
    if sub is None or sub.workshop_id != ws.id or reviewer is None:
        flash("There is no such submission or no account with that address.", "error")
        return redirect(url_for(".conflicts"))
    outcome = work.attempt(lambda: assignments.add_conflict_override(me(), sub, reviewer, True, form.note.data or ""))
    return redirect_after(outcome, f"{reviewer.name} now conflicts with #{sub.id}.", url_for(".conflicts"))


def _conflicts_page(ws: Workshop, form: PairForm) -> str:
    found = assignment_lists.conflict_page(
        ws,
        me(),
        q=(request.args.get("q") or "").strip()[:200],
        who=(request.args.get("who") or "").strip()[:200],
        page=request.args.get("page", 1, type=int) or 1,
    )
    handled = sa.select(Submission.id).where(Submission.id.not_in(permissions.chair_conflicted_ids(me())))
    lifted = db.session.scalars(
        sa.select(ConflictOverride)
        .where(ConflictOverride.submission_id.in_(handled), ConflictOverride.conflicted.is_(False))
        .order_by(ConflictOverride.submission_id, ConflictOverride.id)
        .options(selectinload(ConflictOverride.reviewer))
    ).all()
    return render_template("chair/conflicts.html", ws=ws, found=found, form=form, lifted=lifted, button=ButtonForm())


@bp.post("/conflicts/<int:number>/<int:reviewer_id>/<any(lift, clear):action>")
def change_conflict(number: int, reviewer_id: int, action: str) -> Response:
    require_button()
    sub = get_submission(number, permissions.can_chair_paper)
    reviewer = db.session.get(User, reviewer_id) or abort(404)
    if action == "lift":
        outcome = work.attempt(lambda: assignments.add_conflict_override(me(), sub, reviewer, False, "lifted by a chair"))
        done = f"The conflict of {reviewer.name} with #{sub.id} is lifted."
    else:
        outcome = work.attempt(lambda: assignments.clear_conflict_override(me(), sub, reviewer))
        done = f"The chairs' change to {reviewer.name} and #{sub.id} is undone."
    return redirect_after(outcome, done, url_for(".conflicts"))


# --- assignments --------------------------------------------------------------------------------------


@bp.get("/assignments", endpoint="assignments")
def assignments_page() -> str:
    return _assignments_page(ExternalReviewerForm())


def _assignments_page(external: ExternalReviewerForm, problems: tuple[str, ...] = ()) -> str:
    """The assignments page: the automatic run, pairs left out, reminders, and one page of the papers (searched,
    filtered by topic and by how many reviewers they have); ``external`` is the external-reviewer form (a refused
    one keeps what was typed, with its errors and ``problems``)."""
    ws = require_workshop()
    papers = assignment_lists.paper_page(ws, me(), assignment_lists.PaperQuery.from_args(request.args))
    handled = sa.select(Submission.id).where(Submission.id.not_in(permissions.chair_conflicted_ids(me())))
    excluded_count = db.session.scalar(
        sa.select(sa.func.count()).select_from(AssignmentExclusion).where(AssignmentExclusion.submission_id.in_(handled))
    )
    excluded = db.session.scalars(
        sa.select(AssignmentExclusion)
        .where(AssignmentExclusion.submission_id.in_(handled))
        .order_by(AssignmentExclusion.submission_id, AssignmentExclusion.reviewer_id)
        .limit(EXCLUSIONS_SHOWN)
    ).all()
    drafts = db.session.scalars(
        sa.select(AssignmentProposal)
        .where(AssignmentProposal.state == ProposalState.DRAFT)
        .order_by(AssignmentProposal.id.desc())
    ).all()
    reviewer_count = db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.is_reviewer))
    return render_template(
        "chair/assignments.html",
        ws=ws,
        papers=papers,
        area_chairs=area_chairs.area_chairs_of([row.sub.id for row in papers.rows]),
        p=papers.query,
        show_papers=assignment_lists.SHOW_PAPERS,
        reviewer_count=reviewer_count,
        button=ButtonForm(),
        drafts=drafts,
        external=external,
        external_problems=problems,
        unfinished=assignment_lists.unfinished_counts(ws, me()),
        run_form=RunAssignmentForm(),
        excluded=excluded,
        excluded_count=excluded_count,
        people_by_id={u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_({x.reviewer_id for x in excluded})))},
    )


@bp.get("/assignments/reviewers")
def reviewer_loads() -> str:
    """Every reviewer's load against their minimum and maximum, paged, searched and filtered."""
    ws = require_workshop()
    loads = assignment_lists.load_page(ws, me(), assignment_lists.ReviewerQuery.from_args(request.args))
    return render_template(
        "chair/reviewer_loads.html",
        ws=ws,
        loads=loads,
        r=loads.query,
        show=assignment_lists.SHOW_REVIEWERS,
        sorts=assignment_lists.SORT_REVIEWERS,
    )


@bp.get("/assignments/papers/<int:number>")
def pick_reviewer(number: int) -> str:
    """The reviewer picker of one paper: everyone with their bid, affinity, load and any conflict, best first."""
    ws = require_workshop()
    sub = get_submission(number, permissions.can_chair_paper)
    if sub.state != SubmissionState.SUBMITTED:
        abort(404)
    q = (request.args.get("q") or "").strip()[:200]
    found = assignment_lists.picker(
        ws,
        me(),
        sub,
        q=q,
        page=request.args.get("page", 1, type=int) or 1,
        show_conflicted=request.args.get("conflicted") == "1",
    )
    current = db.session.scalars(
        sa.select(ReviewAssignment)
        .where(ReviewAssignment.submission_id == sub.id)
        .order_by(ReviewAssignment.ordinal)
        .options(selectinload(ReviewAssignment.review), selectinload(ReviewAssignment.reviewer))
    ).all()
    return render_template("chair/pick_reviewer.html", ws=ws, sub=sub, found=found, current=current, button=ButtonForm())


def _has_draft(assignment: ReviewAssignment) -> bool:
    return assignment.review is not None and assignment.review.state == ReviewState.DRAFT


def _paper_anchor(sub: Submission) -> str:
    """Where a change to one paper's reviewers returns: its picker when the form came from there, else the
    assignments page showing that paper."""
    if request.form.get("from") == "picker":
        return url_for(".pick_reviewer", number=sub.id)
    return url_for(".assignments", q=f"#{sub.id}", _anchor=f"paper-{sub.id}")


@bp.post("/assignments/add")
def add_assignment() -> Response:
    require_button()
    ws = require_workshop()
    sub = get_submission(parse_id(request.form.get("number")) or 0, permissions.can_chair_paper)
    reviewer = db.session.get(User, parse_id(request.form.get("reviewer")) or 0)
    if reviewer is None:
        flash("Choose a reviewer.", "error")
        return redirect(_paper_anchor(sub))
    outcome = work.attempt(lambda: assignments.assign_reviewer(me(), ws, sub, reviewer))
    return redirect_after(outcome, lambda a: f"{reviewer.name} reviews #{sub.id} as Reviewer {a.ordinal}.", _paper_anchor(sub))


@bp.post("/assignments/<int:assignment_id>/remove")
def remove_assignment(assignment_id: int) -> Response | str:
    require_button()
    assignment = db.session.get(ReviewAssignment, assignment_id) or abort(404)
    sub = get_submission(assignment.submission_id, permissions.can_chair_paper)
    if _has_draft(assignment) and not confirm.confirmed():
        return confirm.page(
            f"Remove {assignment.reviewer.name} from #{sub.id}",
            f"{assignment.reviewer.name} (Reviewer {assignment.ordinal}) has a draft review of #{sub.id} "
            f"“{sub.title}”. Removing them keeps the draft: it is shown on the paper's chair page, and it becomes "
            "theirs again if you assign them again.",
            [],
            f"remove {assignment.reviewer.name}",
            cancel=_paper_anchor(sub),
        )
    done = f"{assignment.reviewer.name} no longer reviews #{sub.id}."  # (read before the row is gone)
    outcome = work.attempt(lambda: assignments.unassign_reviewer(me(), assignment))
    return redirect_after(outcome, done, _paper_anchor(sub))


@bp.post("/assignments/<int:assignment_id>/restore")
def restore_assignment(assignment_id: int) -> Response:
    require_button()
    assignment = db.session.get(ReviewAssignment, assignment_id) or abort(404)
    sub = get_submission(assignment.submission_id, permissions.can_chair_paper)
    outcome = work.attempt(lambda: assignments.restore_assignment(me(), assignment))
    done = f"Reviewer {assignment.ordinal} of #{sub.id} is restored: they see the paper again."
    return redirect_after(outcome, done, url_for(".home", _anchor="suspended"))


@bp.post("/assignments/exclusions/<int:exclusion_id>/lift")
def lift_exclusion(exclusion_id: int) -> Response:
    """Let later automatic runs propose a pair left out again (of a paper this chair handles)."""
    require_button()
    row = db.session.get(AssignmentExclusion, exclusion_id) or abort(404)
    sub = get_submission(row.submission_id, permissions.can_chair_paper)
    reviewer = db.session.get(User, row.reviewer_id) or abort(404)
    outcome = work.attempt(lambda: assignments.lift_exclusion(sub.id, reviewer.id, actor=me()))
    done = f"Later automatic runs may propose {reviewer.name} for #{sub.id} again."
    return redirect_after(outcome, done, url_for(".assignments", _anchor="left-out"))


@bp.post("/papers/<int:number>/manager")
def set_manager(number: int) -> Response:
    """Name (or, with an empty address, clear) the manager of a paper: any chair may, also one conflicted with
    it (that is what a manager is for); the audit log keeps who did."""
    require_button()
    sub = db.session.get(Submission, number) or abort(404)
    if sub.workshop_id != require_workshop().id:
        abort(404)
    address = (request.form.get("email") or "").strip()

    def name_manager() -> User | None:
        if not address and sub.manager_id is None:
            raise DomainError("Give the email address of the program-committee member who will manage the paper.")
        person = accounts.user_by_email(address) if address else None
        if address and person is None:
            raise DomainError(f"No account uses {address[:320]}.")
        assignments.set_manager(me(), sub, person)
        return person

    outcome = work.attempt(name_manager)
    return redirect_after(
        outcome,
        lambda person: f"{person.name} now manages #{sub.id}." if person else f"#{sub.id} has no manager any more.",
        url_for(".home"),
    )


@bp.post("/assignments/run")
def run_assignment() -> Response:
    form = RunAssignmentForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)  # (as every button: the friendly 400 page)
        flash("Choose what to optimise for: the best total or the fairest.", "error")
        return redirect(url_for(".assignments"))
    return launch(
        "assignment", me(), workshop_id=require_workshop().id, fair=form.mode.data == "fair", balanced=bool(form.balanced.data)
    )


def _reviewers(count: int) -> str:
    return f"{count} reviewer{'s' if count != 1 else ''}"


@bp.post("/assignments/remind")
def remind() -> Response | str:
    require_button()
    if not confirm.confirmed():
        return _confirm_remind()

    def remind_all() -> int:
        count = reviews.remind_reviewers(me(), require_workshop())
        once.record(url_for(".assignments"), f"reminders went to {_reviewers(count)}")  # pressed twice: reminds once
        return count

    outcome = work.attempt(remind_all)
    return redirect_after(
        outcome, lambda n: f"Reminders sent to {_reviewers(n)} with unfinished reviews.", url_for(".assignments")
    )


def _confirm_remind() -> str:
    """Who "Remind" mails, and about which papers: the reviewers ``remind_reviewers`` would write to now."""
    owed = reviews.unfinished_by_reviewer(me())
    people = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(list(owed)[: confirm.LIMIT])))}
    items = [
        f"{people[rid].name} <{people[rid].email}>: {', '.join(f'#{a.submission_id}' for a in owed[rid])}"
        for rid in sorted(people, key=lambda rid: (people[rid].name.casefold(), rid))
    ]
    count = len(owed)
    what = (
        f"{_reviewers(count)} with unfinished reviews will each get one reminder mail listing their own unfinished "
        "reviews (the papers after each name)."
        if count
        else "No reviewer of the papers you handle has an unfinished review: there is nobody to remind."
    )
    return confirm.page(
        "Remind the reviewers",
        what,
        items,
        f"remind {_reviewers(count)}",
        hidden={once.FIELD: once.once_token()},
        cancel=url_for(".assignments"),
        empty_blocks=True,
        total=count,
    )


@bp.post("/assignments/external")
def external() -> Response | tuple[str, int]:
    ws = require_workshop()
    form = ExternalReviewerForm()
    if not form.validate_on_submit():
        return _assignments_page(form), 422  # what the chair typed, each error linked from the summary
    sub = get_submission(form.number.data, permissions.can_chair_paper)
    outcome = work.attempt(
        lambda: assignments.invite_external(me(), ws, sub, form.name.data, form.email.data), unsaved="Nothing was sent."
    )
    if not outcome.ok:
        return _assignments_page(form, (outcome.problem,)), 422
    flash(outcome.value, "success")
    return redirect(_paper_anchor(sub))


# --- proposals ----------------------------------------------------------------------------------------


def _proposal(proposal_id: int) -> AssignmentProposal:
    return db.session.get(AssignmentProposal, proposal_id) or abort(404)


@bp.get("/proposals/<int:proposal_id>")
def proposal(proposal_id: int) -> str:
    """A proposal as what would change: by default only the papers that get new reviewers (all on request),
    searched and paged, then the reviewers whose load changes, paged; the quality report covers everything."""
    ws = require_workshop()
    p = _proposal(proposal_id)
    # A chair who is an author of a paper does not see (or pick) who reviews it.
    handled = assignment_lists.handled_ids(ws, me())
    by_paper: dict[int, list[int]] = defaultdict(list)
    for paper, reviewer in p.result["pairs"]:
        if paper in handled:
            by_paper[paper].append(reviewer)
    # Loads count only the papers this chair handles: a load would tell an author-chair who reviews their paper.
    now = assignment_lists.loads(ws, me())
    added: dict[int, int] = defaultdict(int)
    for reviewers_of in by_paper.values():
        for reviewer in reviewers_of:
            added[reviewer] += 1
    load = {rid: now.get(rid, 0) + added.get(rid, 0) for rid in set(now) | set(added)}
    people = db.session.execute(
        sa.select(User.id, User.name, User.max_load, User.min_load).where(User.is_reviewer).order_by(User.id)
    ).all()
    names = {u.id: u.name for u in people}

    show = "all" if request.args.get("show") == "all" else "changed"
    q = (request.args.get("q") or "").strip()[:200]
    ids = sorted(handled if show == "all" else by_paper)
    if q:
        number = parse_id(q.removeprefix("#")) if q.lstrip("#").isdigit() else None
        if number is not None:
            ids = [i for i in ids if i == number]
        else:
            matching = set(
                db.session.scalars(
                    sa.select(Submission.id).where(
                        Submission.id.in_(handled), sa.func.lower(Submission.title).like(like_pattern(q), escape="\\")
                    )
                )
            )
            ids = [i for i in ids if i in matching]
    papers = _slice(ids, request.args.get("page", 1, type=int), PROPOSAL_PAPERS_PER_PAGE)
    subs = {s.id: s for s in db.session.scalars(sa.select(Submission).where(Submission.id.in_(papers.items)))}
    existing: dict[int, list[ReviewAssignment]] = defaultdict(list)
    for a in db.session.scalars(
        sa.select(ReviewAssignment)
        .where(ReviewAssignment.submission_id.in_(papers.items))
        .order_by(ReviewAssignment.ordinal)
        .options(selectinload(ReviewAssignment.reviewer))
    ):
        existing[a.submission_id].append(a)

    def most(u: Any) -> int:
        return u.max_load if u.max_load is not None else ws.default_max_load

    def least(u: Any) -> int:
        return min(u.min_load if u.min_load is not None else ws.default_min_load, most(u))

    # Every reviewer, those whose load changes first.
    ordered = sorted(people, key=lambda u: (not added.get(u.id), u.name.lower(), u.id))
    loads_shown = _slice(ordered, request.args.get("rpage", 1, type=int), PROPOSAL_REVIEWERS_PER_PAGE)
    # A chair conflicted with any paper sees the figures of the papers they handle only (always so worded, so
    # that the wording itself tells nothing about this proposal).
    partial = bool(db.session.scalar(sa.select(permissions.chair_conflicted_ids(me()).exists())))
    return render_template(
        "chair/proposal.html",
        ws=ws,
        p=p,
        subs=subs,
        names=names,
        by_paper=by_paper,
        papers=papers,
        show=show,
        q=q,
        changed=len(by_paper),
        reviewers_changing=len(added),
        handled=len(handled),
        loads_shown=loads_shown,
        load=load,
        now=now,
        most=most,
        least=least,
        existing=existing,
        button=ButtonForm(),
        partial=partial,
        visible_pairs=sum(len(v) for v in by_paper.values()),
        report=assignments.proposal_report(p, sorted(handled), load, [u.id for u in people], partial=partial),
        others=other_proposals(p),
    )


@dataclass
class _Slice:
    items: list[Any]
    page: int
    pages: int
    total: int


def _slice(items: list[Any], page: int | None, size: int) -> _Slice:
    """One page of ``items`` (a page past the end is the last one)."""
    page, pages = page_of(len(items), size, page)
    return _Slice(items[(page - 1) * size : page * size], page, pages, len(items))


def other_proposals(p: AssignmentProposal | AreaChairProposal) -> list[Any]:
    """The 50 newest proposals of ``p``'s kind (reviewers' or area chairs') but ``p``, to compare it with: id,
    state, time and mode only (a proposal's pairs are megabytes at conference size, and the choice needs none)."""
    model = type(p)
    return list(
        db.session.execute(
            sa.select(model.id, model.state, model.created_at, model.result["mode"].as_string().label("mode"))
            .where(model.id != p.id)
            .order_by(model.id.desc())
            .limit(50)
        )
    )


@bp.get("/proposals/<int:proposal_id>/compare")
def compare_proposals(proposal_id: int) -> str:
    """Two proposals side by side: their quality reports and the pairs in one and not the other."""
    ws = require_workshop()
    first = _proposal(proposal_id)
    others = other_proposals(first)
    chosen = parse_id(request.args.get("with"))
    if chosen is None:  # no proposal chosen yet: the choice
        return render_template("chair/proposal_compare.html", ws=ws, proposals=(first,), others=others)
    second = _proposal(chosen)
    handled = assignment_lists.handled_ids(ws, me())
    people = [u.id for u in db.session.execute(sa.select(User.id).where(User.is_reviewer).order_by(User.id))]
    now = assignment_lists.loads(ws, me())
    partial = bool(db.session.scalar(sa.select(permissions.chair_conflicted_ids(me()).exists())))
    return render_comparison(first, second, handled, now, people, partial, ws=ws, others=others)


def render_comparison(
    first: Any,
    second: Any,
    handled: set[int],
    now: Mapping[int, int],
    people: list[int],
    partial: bool,
    *,
    bids: bool = True,
    **context: Any,
) -> str:
    """Two proposals (reviewers' or area chairs') side by side over the papers this chair handles: each one's
    quality report with the loads it would leave (``now`` plus its pairs), and the pairs in one and not the other,
    ``COMPARE_SHOWN`` of each side named."""
    reports, pairs = [], []
    for p in (first, second):
        visible = {(s, r) for s, r in p.result["pairs"] if s in handled}
        after = dict(now)
        for _, r in visible:
            after[r] = after.get(r, 0) + 1
        reports.append(assignments.proposal_report(p, sorted(handled), after, people, partial=partial, bids=bids))
        pairs.append(visible)
    only = (sorted(pairs[0] - pairs[1]), sorted(pairs[1] - pairs[0]))
    shown = [pair for side in only for pair in side[:COMPARE_SHOWN]]
    subs = {s.id: s for s in db.session.scalars(sa.select(Submission).where(Submission.id.in_({s for s, _ in shown})))}
    people_shown = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_({r for _, r in shown})))}
    return render_template(
        "chair/proposal_compare.html",
        proposals=(first, second),
        reports=reports,
        only=only,
        shown_at_most=COMPARE_SHOWN,
        common=len(pairs[0] & pairs[1]),
        subs=subs,
        people=people_shown,
        partial=partial,
        **context,
    )


@bp.post("/proposals/<int:proposal_id>/<any(apply, discard, remove, never, add):action>")
def change_proposal(proposal_id: int, action: str) -> Response:
    require_button()
    ws = require_workshop()
    p = _proposal(proposal_id)
    back = url_for(".proposal", proposal_id=proposal_id, _anchor=f"paper-{request.form.get('number', '')}")
    if action == "apply":
        outcome = work.attempt(lambda: _apply(ws, p))
        return redirect_after(outcome, _applied, url_for(".assignments") if outcome.ok else back)
    if action == "discard":
        outcome = work.attempt(lambda: assignments.discard_proposal(me(), p))
        return redirect_after(outcome, "The proposal is discarded.", url_for(".assignments") if outcome.ok else back)
    outcome = work.attempt(lambda: _edit(p, action))
    if not outcome.ok:
        flash(outcome.problem, "error")
    return redirect(back)


def _applied(count: int) -> str:
    return f"{count} assignment{'s' if count != 1 else ''} applied; each reviewer got a mail listing their papers."


def _apply(ws: Workshop, p: AssignmentProposal) -> int:
    count = assignments.apply_proposal(me(), ws, p)
    once.record(url_for(".assignments"), f"proposal {p.id} was applied")
    return count


def _edit(p: AssignmentProposal, action: str) -> None:
    """Take a pair out of the proposal (and, with never, out of every later run), or put one in (``action``:
    remove, never, add). The reviewer is named by id (the buttons) or by address (the "add by hand" field)."""
    sub = get_submission(parse_id(request.form.get("number")) or 0, permissions.can_chair_paper)
    named = (request.form.get("reviewer") or "").strip()
    reviewer_id = parse_id(named)
    if reviewer_id is None and "@" in named:
        found = accounts.user_by_email(named[:320])
        reviewer_id = found.id if found is not None else None
    assignments.edit_proposal(me(), p, **{action: (sub.id, reviewer_id or 0)})
