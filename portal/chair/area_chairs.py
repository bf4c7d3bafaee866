"""Chairs: a paper's area chair (issue 21.2), chosen from a search of the area chairs with their conflicts."""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from portal import permissions, work
from portal.chair.blueprint import bp
from portal.chair.forms import AreaChairLoadsForm, RunAssignmentForm
from portal.chair.jobs import launch
from portal.chair.reviewing import other_proposals, render_comparison
from portal.db import db, like_pattern, page_of, parse_id
from portal.domain import DomainError
from portal.forms import ButtonForm, require_button
from portal.models import (
    AreaChairAssignment,
    AreaChairExclusion,
    AreaChairProposal,
    ExtraReviewRequest,
    ProposalState,
    Submission,
    SubmissionState,
    User,
)
from portal.services import area_chair_assignment, area_chairs, assignment_lists, assignments, audit, meta_reviews
from portal.web import form_page, get_submission, me, redirect_after, require_workshop


@bp.get("/assignments/papers/<int:number>/area-chair")
def pick_area_chair(number: int) -> str:
    """The area-chair picker of one paper: the area chairs searched by name or address, with their load, the
    paper's topics they share and any conflict, best first."""
    ws = require_workshop()
    sub = get_submission(number, permissions.can_chair_paper)
    if sub.state != SubmissionState.SUBMITTED:
        abort(404)
    found = area_chairs.picker(
        sub,
        q=(request.args.get("q") or "").strip()[:200],
        page=request.args.get("page", 1, type=int) or 1,
        show_conflicted=request.args.get("conflicted") == "1",
    )
    row = area_chairs.area_chair_of(sub)
    return render_template(
        "chair/pick_area_chair.html", ws=ws, sub=sub, found=found, current=row.area_chair if row else None, button=ButtonForm()
    )


def _back(number: int) -> str:
    if request.form.get("from") == "paper":
        return url_for(".paper", number=number, _anchor="area-chair")
    return url_for(".pick_area_chair", number=number)


@bp.post("/papers/<int:number>/area-chair")
def set_area_chair(number: int) -> Response:
    """Make the area chair chosen the paper's (``person``), or, with ``clear``, take its area chair away."""
    require_button()
    ws = require_workshop()
    sub = get_submission(number, permissions.can_chair_paper)
    clear = request.form.get("clear") == "1"
    person = None if clear else db.session.get(User, parse_id(request.form.get("person")) or 0)

    def choose() -> None:
        if person is None and not clear:
            raise DomainError("Choose an area chair from the list.")
        area_chairs.set_area_chair(me(), ws, sub, person)

    outcome = work.attempt(choose)
    done = f"{person.name} is the area chair of #{sub.id}." if person else f"#{sub.id} has no area chair any more."
    return redirect_after(outcome, done, _back(number))


@bp.post("/papers/<int:number>/extra-reviews/<int:request_id>/done")
def resolve_extra_review(number: int, request_id: int) -> Response:
    """Mark an area chair's request for an extra review done (a reviewer was added, or the chairs decided not to)."""
    require_button()
    sub = get_submission(number, permissions.can_chair_paper)
    row = db.session.get(ExtraReviewRequest, request_id)
    if row is None or row.submission_id != sub.id:
        abort(404)
    outcome = work.attempt(lambda: area_chairs.resolve_extra_review(me(), row))
    return redirect_after(outcome, f"The extra review asked for #{sub.id} is marked done.", url_for(".paper", number=sub.id))


EXCLUSIONS_SHOWN = 100  # pairs left out listed on the area chairs page (with the count of all)
AREA_CHAIRS_PER_PAGE = 50
COMPARE_SHOWN = 200  # pairs listed on each side of a comparison (with the count of all)
PROPOSAL_PAPERS_PER_PAGE = 50
PROPOSAL_PEOPLE_PER_PAGE = 50


def _progress_page(loads_form: AreaChairLoadsForm, problems: list[str] | tuple[str, ...] = ()) -> tuple[str, int]:
    """Every area chair: the papers they oversee, the reviews in, the meta-reviews written and what they recommend,
    with their loads (the defaults and each one's own), the automatic assignment and the pairs it leaves out."""
    ws = require_workshop()
    labels = meta_reviews.recommendation_labels(ws, area_chairs.overseen_papers(ws))
    rows = area_chairs.progress(ws, me(), labels)
    hidden = permissions.chair_conflicted_ids(me())
    without = area_chairs.papers_without_area_chair(ws, hidden)
    left_out, left_out_total = area_chair_assignment.exclusions(hidden, EXCLUSIONS_SHOWN)
    overseen = set(area_chairs.area_chairs_of([x.submission_id for x in left_out]))  # (the others need one: a link)
    drafts = list(
        db.session.execute(
            sa.select(AreaChairProposal.id, AreaChairProposal.created_at)
            .where(AreaChairProposal.state == ProposalState.DRAFT)
            .order_by(AreaChairProposal.id.desc())
            .limit(10)
        )
    )
    share = area_chair_assignment.even_share(ws)
    q = (request.args.get("q") or "").strip()[:200]
    wanted = q.casefold()
    found = [r for r in rows if not q or wanted in r.user.name.casefold() or wanted in r.user.email]
    page, pages = page_of(len(found), AREA_CHAIRS_PER_PAGE, request.args.get("page", 1, type=int))
    return form_page(
        "chair/area_chairs.html",
        form=loads_form,
        problems=problems,
        ws=ws,
        rows=rows,
        shown=found[(page - 1) * AREA_CHAIRS_PER_PAGE : page * AREA_CHAIRS_PER_PAGE],
        found=len(found),
        q=q,
        page=page,
        pages=pages,
        without=without,
        run=RunAssignmentForm(formdata=None, balanced=True),
        share=share,
        most=lambda u: area_chair_assignment.max_load_of(ws, u, share),
        least=lambda u: area_chair_assignment.min_load_of(ws, u, share),
        left_out=left_out,
        left_out_total=left_out_total,
        overseen=overseen,
        drafts=drafts,
        button=ButtonForm(),
    )


@bp.get("/area-chairs")
def area_chairs_progress() -> tuple[str, int]:
    return _progress_page(AreaChairLoadsForm.from_model(require_workshop()))


@bp.post("/area-chairs/loads")
def area_chair_loads() -> Response | tuple[str, int]:
    """Save the area chairs' default loads and each one's own (those posted)."""
    ws = require_workshop()
    form = AreaChairLoadsForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _progress_page(form)
    people = list(db.session.scalars(sa.select(User).where(User.is_area_chair).order_by(User.id)))
    maximums, problems = form.loads(people, "acmax")
    minimums, more = form.loads(people, "acmin")
    problems += more
    if problems:
        return _progress_page(form, problems)
    loads = area_chair_assignment.AreaChairLoads(form.default_max.data, form.default_min.data or 0, maximums, minimums)
    outcome = work.attempt(lambda: area_chair_assignment.update_loads(me(), ws, loads))
    if not outcome.ok:
        return _progress_page(form, [outcome.problem])
    flash("The area chairs' loads are saved.", "success")
    return redirect(
        url_for(
            ".area_chairs_progress",
            q=(request.args.get("q") or "").strip()[:200] or None,
            page=request.args.get("page", type=int),
            _anchor="loads",
        )
    )


@bp.post("/area-chairs/auto")
def auto_area_chairs() -> Response:
    """Propose an area chair for every paper without one (of the papers the chair handles), by the assignment's solver:
    a proposal to preview and apply; nothing changes before."""
    form = RunAssignmentForm()
    back = url_for(".area_chairs_progress")
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        flash("Choose what to optimise for: the best total or the fairest.", "error")
        return redirect(back)
    ws = require_workshop()
    try:
        area_chair_assignment.check_runnable(me(), ws)
    except DomainError as refused:
        flash(str(refused), "error")
        return redirect(back)
    return launch("area_chairs", me(), workshop_id=ws.id, fair=form.mode.data == "fair", balanced=bool(form.balanced.data))


@bp.post("/area-chairs/exclusions/<int:ac_exclusion_id>/lift")
def lift_area_chair_exclusion(ac_exclusion_id: int) -> Response:
    """Let the automatic runs propose a pair again that a chair took out."""
    require_button()
    row = db.session.get(AreaChairExclusion, ac_exclusion_id)
    if row is None:
        abort(404)
    sub = get_submission(row.submission_id, permissions.can_chair_paper)
    name = row.area_chair.name

    def lift() -> None:
        area_chairs.lift_exclusion(sub.id, row.area_chair_id)
        audit.record(
            me(), "assignment.allow", f"Allowed {name} as area chair of #{sub.id} in automatic runs again", submission=sub
        )

    outcome = work.attempt(lift)
    return redirect_after(
        outcome,
        f"{name} may be proposed as the area chair of #{sub.id} again.",
        url_for(".area_chairs_progress", _anchor="left-out"),
    )


# --- the proposals --------------------------------------------------------------------------------------------


def _proposal(proposal_id: int) -> AreaChairProposal:
    return db.session.get(AreaChairProposal, proposal_id) or abort(404)


@bp.get("/area-chairs/proposals/<int:ac_proposal_id>")
def area_chair_proposal(ac_proposal_id: int) -> str:
    """An area-chair proposal as what would change, paper by paper (the papers that get an area chair, or every
    paper with its area chair now), searched and paged; the area chairs' loads before and after, paged; the quality
    report. Only the papers this chair handles, and loads over those."""
    ws = require_workshop()
    p = _proposal(ac_proposal_id)
    handled = assignment_lists.handled_ids(ws, me())
    proposed = {paper: person for paper, person in p.result["pairs"] if paper in handled}
    current = {
        paper: person
        for paper, person in db.session.execute(sa.select(AreaChairAssignment.submission_id, AreaChairAssignment.area_chair_id))
        if paper in handled
    }
    now: Counter[int] = Counter(current.values())
    after = now + Counter(proposed.values())
    people = db.session.execute(
        sa.select(User.id, User.name, User.ac_max_load, User.ac_min_load).where(User.is_area_chair).order_by(User.id)
    ).all()
    names = {u.id: u.name for u in people}
    show = "all" if request.args.get("show") == "all" else "changed"
    q = (request.args.get("q") or "").strip()[:200]
    missing = {int(k) for k in p.result.get("shortfall", {})} & handled
    ids = sorted(handled if show == "all" else set(proposed) | missing)
    if q:
        number = parse_id(q.removeprefix("#")) if q.lstrip("#").isdigit() else None
        if number is not None:
            ids = [i for i in ids if i == number]
        else:
            matching = set(
                db.session.scalars(
                    sa.select(Submission.id).where(
                        Submission.workshop_id == ws.id, sa.func.lower(Submission.title).like(like_pattern(q), escape="\\")
                    )
                )
            )
            ids = [i for i in ids if i in matching]
    page, pages = page_of(len(ids), PROPOSAL_PAPERS_PER_PAGE, request.args.get("page", 1, type=int))
    shown = ids[(page - 1) * PROPOSAL_PAPERS_PER_PAGE : page * PROPOSAL_PAPERS_PER_PAGE]
    subs = {s.id: s for s in db.session.scalars(sa.select(Submission).where(Submission.id.in_(shown)))}
    ordered = sorted(people, key=lambda u: (after[u.id] == now[u.id], u.name.lower(), u.id))
    rpage, rpages = page_of(len(ordered), PROPOSAL_PEOPLE_PER_PAGE, request.args.get("rpage", 1, type=int))
    share = area_chair_assignment.even_share(ws)
    partial = bool(db.session.scalar(sa.select(permissions.chair_conflicted_ids(me()).exists())))
    return render_template(
        "chair/area_chair_proposal.html",
        ws=ws,
        p=p,
        subs=subs,
        names=names,
        proposed=proposed,
        current=current,
        missing=missing,
        shown=shown,
        total=len(ids),
        page=page,
        pages=pages,
        show=show,
        q=q,
        changed=len(proposed),
        without=len(proposed) + len(missing),
        handled=len(handled),
        people=ordered[(rpage - 1) * PROPOSAL_PEOPLE_PER_PAGE : rpage * PROPOSAL_PEOPLE_PER_PAGE],
        people_total=len(ordered),
        changing=sum(1 for u in people if after[u.id] != now[u.id]),
        rpage=rpage,
        rpages=rpages,
        now=now,
        after=after,
        most=lambda u: area_chair_assignment.max_load_of(ws, u, share),
        least=lambda u: area_chair_assignment.min_load_of(ws, u, share),
        partial=partial,
        report=assignments.proposal_report(p, sorted(handled), dict(after), [u.id for u in people], partial=partial, bids=False),
        others=other_proposals(p),
        compare_url=url_for(".compare_area_chair_proposals", ac_proposal_id=p.id),
        button=ButtonForm(),
    )


@bp.get("/area-chairs/proposals/<int:ac_proposal_id>/compare")
def compare_area_chair_proposals(ac_proposal_id: int) -> str:
    """Two area-chair proposals side by side: their quality reports and the pairs in one and not the other (over
    the papers this chair handles), as for reviewers."""
    ws = require_workshop()
    first = _proposal(ac_proposal_id)
    context: dict[str, Any] = {
        "ws": ws,
        "others": other_proposals(first),
        "compare_url": url_for(".compare_area_chair_proposals", ac_proposal_id=first.id),
        "open_url": lambda n: url_for(".area_chair_proposal", ac_proposal_id=n),
        "who": "area chair",
    }
    chosen = parse_id(request.args.get("with"))
    if chosen is None:  # no proposal chosen yet: the choice
        return render_template("chair/proposal_compare.html", proposals=(first,), **context)
    second = _proposal(chosen)
    handled = assignment_lists.handled_ids(ws, me())
    people = list(db.session.scalars(sa.select(User.id).where(User.is_area_chair).order_by(User.id)))
    now = Counter(
        person
        for paper, person in db.session.execute(sa.select(AreaChairAssignment.submission_id, AreaChairAssignment.area_chair_id))
        if paper in handled
    )
    partial = bool(db.session.scalar(sa.select(permissions.chair_conflicted_ids(me()).exists())))
    return render_comparison(first, second, handled, now, people, partial, bids=False, **context)


@bp.post("/area-chairs/proposals/<int:ac_proposal_id>/<any(apply, discard, remove, never):action>")
def change_area_chair_proposal(ac_proposal_id: int, action: str) -> Response:
    """Apply a proposal (mails the area chairs), discard it, or take a paper's proposed area chair out of it
    (``never``: marked so; either way never proposed again)."""
    require_button()
    ws = require_workshop()
    p = _proposal(ac_proposal_id)
    back = url_for(".area_chair_proposal", ac_proposal_id=ac_proposal_id)
    if action == "apply":
        outcome = work.attempt(lambda: area_chair_assignment.apply(me(), ws, p))
        return redirect_after(
            outcome,
            lambda n: f"{n} paper{'s' if n != 1 else ''} got an area chair; each area chair got a mail listing their new papers.",
            url_for(".area_chairs_progress") if outcome.ok else back,
        )
    if action == "discard":
        outcome = work.attempt(lambda: area_chair_assignment.discard(me(), p))
        return redirect_after(
            outcome, "The proposal is discarded; nothing changed.", url_for(".area_chairs_progress") if outcome.ok else back
        )
    sub = get_submission(parse_id(request.form.get("number")) or 0, permissions.can_chair_paper)
    person = parse_id(request.form.get("person")) or 0
    outcome = work.attempt(lambda: area_chair_assignment.take_out(me(), p, (sub.id, person), never=action == "never"))
    return redirect_after(
        outcome,
        f"#{sub.id} has no proposed area chair now; that area chair is never proposed for it again.",
        back,
    )
