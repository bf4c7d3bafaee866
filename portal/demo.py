"""The local demo: the LongLLM 2024 content, deadlines relative to today, and fixed demo accounts.

Every row it creates is marked ``is_demo``; it refuses to touch a database holding anything else.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta
from pathlib import Path

import flask_migrate
import sqlalchemy as sa
from flask import current_app
from werkzeug.security import generate_password_hash

from portal.db import db
from portal.models import (
    AreaChairAssignment,
    AreaChairExclusion,
    AreaChairProposal,
    AssignmentProposal,
    AuditEvent,
    AuthorResponse,
    Bid,
    BidValue,
    ConflictOverride,
    DateKind,
    Decision,
    DiscussionComment,
    ExtraReviewRequest,
    ImportantDate,
    Invitation,
    Letter,
    LoginFailure,
    MetaReview,
    OutgoingEmail,
    PaperFieldScore,
    PaperScore,
    Person,
    Phase,
    Presentation,
    ProgramItem,
    ProgramPerson,
    ProgramPoster,
    ProgramSession,
    Review,
    ReviewAssignment,
    ReviewField,
    ReviewRevision,
    ReviewState,
    SponsorInquiry,
    SponsorState,
    SponsorTier,
    StoredFile,
    Submission,
    SubmissionState,
    User,
    UserAffiliation,
    UserEmail,
    UserPaper,
    Workshop,
)
from portal.models.submission import submission_topic
from portal.services.content import load_content, read_content_file
from portal.storage import storage

DEMO_PASSWORD = "demo-password"  # noqa: S105 - printed by `flask demo`, for local trial only  # nosec B105

#: Demo milestones, as days from today; each falls at 23:59 in the workshop's zone (AoE).
DEMO_DATES = (
    (DateKind.SUBMISSION_OPEN, "Submissions open", -7),
    (DateKind.ABSTRACT_DEADLINE, "Abstract registration deadline", 7),
    (DateKind.PAPER_DEADLINE, "Paper submission deadline", 14),
    (DateKind.NOTIFICATION, "Author notification", 45),
    (DateKind.CAMERA_READY, "Camera-ready deadline", 60),
    (DateKind.WORKSHOP, "Workshop day", 90),
)

DEMO_VENUE = "Hall B, Lisbon Congress Centre, Lisbon, Portugal"
DEMO_COLOCATED = "DemoConf"  # the demo's own conference: none of the real one's facts
CHAIR = ("Dana Whitfield", "University of Edinburgh")
REVIEWERS = [
    ("Amara Okafor", "University of Toronto"),
    ("Bruno Castellanos", "Universidad de Chile"),
    ("Chen Jiayi", "Tsinghua University"),
    ("Dmitri Volkov", "ETH Zurich"),
    ("Elif Yildiz", "Koç University"),
    ("Farah Haddad", "American University of Beirut"),
    ("Gustav Lindqvist", "KTH Royal Institute of Technology"),
    ("Hana Sato", "University of Tokyo"),
    ("Ines Moreau", "Inria Paris"),
    ("Jonas Becker", "Max Planck Institute for Intelligent Systems"),
    ("Kavya Raman", "Indian Institute of Science"),
    ("Liam O'Connell", "Trinity College Dublin"),
]
AUTHORS = [
    ("Maya Goldberg", "Technion"),
    ("Nikhil Mehta", "Carnegie Mellon University"),
    ("Olivia Brooks", "University of Washington"),
    ("Pedro Alves", "University of Lisbon"),
    ("Qing Li", "Peking University"),
    ("Rosa Martínez", "Universitat Pompeu Fabra"),
    ("Samuel Adeyemi", "University of Lagos"),
    ("Tara Nguyen", "Stanford University"),
    ("Umar Siddiqui", "LUMS"),
    ("Vera Novak", "Charles University"),
    ("William Park", "KAIST"),
    ("Xenia Petrova", "Sofia University"),
    ("Yusuf Demir", "Bilkent University"),
    ("Zoe Fischer", "University of Amsterdam"),
    ("Aditi Kulkarni", "IIT Bombay"),
    ("Ben Carter", "University of Oxford"),
    ("Camille Dubois", "Sorbonne Université"),
    ("Diego Rossi", "Politecnico di Milano"),
    ("Emma Johansson", "Chalmers University of Technology"),
    ("Felix Wagner", "TU Munich"),
]
PAPER_STEMS = [
    "Sparse attention patterns for {0}-token contexts",
    "Benchmarking retrieval against long context on {0}-page documents",
    "Memory-augmented transformers that remember {0} turns",
    "Extending rotary embeddings beyond {0} positions",
]


#: The demo's area chairs (issue 21.8): each oversees a quarter of the papers from the reviewing phase on.
AREA_CHAIRS = [
    ("Anjali Menon", "University of Cambridge"),
    ("Marco Bianchi", "University of Bologna"),
    ("Sofia Lindgren", "University of Helsinki"),
    ("Kwame Mensah", "University of Ghana"),
]


def demo_accounts() -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(email, name, affiliation, roles) of every demo account."""
    accounts = [("chair@example.org", *CHAIR, ("chair", "reviewer"))]
    accounts += [(f"reviewer{i}@example.org", n, a, ("reviewer",)) for i, (n, a) in enumerate(REVIEWERS, 1)]
    accounts += [(f"ac{i}@example.org", n, a, ("area_chair",)) for i, (n, a) in enumerate(AREA_CHAIRS, 1)]
    accounts += [(f"author{i}@example.org", n, a, ()) for i, (n, a) in enumerate(AUTHORS, 1)]
    return accounts


class DemoRefused(Exception):
    pass


def check_demo_only() -> None:
    """Refuse when the database holds a workshop or an account the demo did not create."""
    real_ws = db.session.scalar(sa.select(Workshop.slug).where(Workshop.is_demo.is_(False)).limit(1))
    if real_ws:
        raise DemoRefused(
            f"This database holds the workshop {real_ws!r}, which the demo did not create. The demo never "
            "overwrites real data: point PORTAL_SQLALCHEMY_DATABASE_URI at an empty database."
        )
    real_user = db.session.scalar(sa.select(User.email).where(User.is_demo.is_(False)).limit(1))
    if real_user:
        raise DemoRefused(
            f"This database holds the account {real_user}, which the demo did not create. The demo never "
            "overwrites real data: point PORTAL_SQLALCHEMY_DATABASE_URI at an empty database."
        )


def local_sqlite_file() -> Path | None:
    """The database file when the database is SQLite in a file under the instance folder (a local trial's), else None."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:") or url.database.startswith("file:"):
        return None
    path = Path(url.database).resolve()
    return path if path.is_relative_to(Path(current_app.instance_path).resolve()) else None


def start_over(path: Path) -> None:
    """Delete the local SQLite database ``path`` and the uploaded files it refers to, then build it again with the
    migrations (``flask db upgrade``). The caller has checked that ``path`` is ``local_sqlite_file()`` and asked."""
    keys = list(db.session.scalars(sa.select(StoredFile.storage_key)))
    db.session.remove()
    db.engine.dispose()  # no connection keeps the old file open
    store = storage()
    for key in keys:
        store.delete(key)
    for name in (path.name, f"{path.name}-journal", f"{path.name}-wal", f"{path.name}-shm"):
        path.with_name(name).unlink(missing_ok=True)
    flask_migrate.upgrade()


def set_demo_dates(workshop: Workshop, now: datetime) -> None:
    # The content file names no venue nor conference: the demo's own, so the home page's first screen has them.
    workshop.venue = workshop.venue or DEMO_VENUE
    workshop.colocated_with = workshop.colocated_with or DEMO_COLOCATED
    today = now.astimezone(workshop.zone).date()
    workshop.dates.clear()
    db.session.flush()
    for kind, label, days in DEMO_DATES:
        at = datetime.combine(today + timedelta(days=days), time(23, 59), tzinfo=workshop.zone)
        workshop.dates.append(ImportantDate(kind=kind, label=label, at=at))
    db.session.flush()


#: The demo's phases, in the order a workshop goes through them; each holds what the ones before it did.
PHASES = ("submission", "reviewing", "response", "meta-review", "decisions", "program")

#: How many days before ``now`` the demo's calendar starts at each phase (its paper deadline is 14 days after).
SHIFT = {"reviewing": -16, "response": -30, "meta-review": -36, "decisions": -40, "program": -40}

DEMO_SUBMISSIONS = [
    ("Sparse mixture of attention heads for 128k-token inputs", "efficient-training", "full", [9, 10]),
    ("Memory tokens that survive a thousand turns of dialogue", "augmentation", "full", [11]),
    ("Needle tests are not enough: a taxonomy of long-context failures", "resources-evaluation", "short", [12, 13]),
    ("Linear recurrences as attention: a unifying view", "architecture", "full", [14]),
    ("FlashAttention on commodity GPUs: what still bottlenecks", "hardware", "short", [15, 16]),
    ("Fairness audits of summaries of very long records", "others", "full", [17]),
    ("Extending RoPE by interpolation and a little fine-tuning", "embeddings", "full", [18, 19]),
    ("Ring attention with constant memory for million-token contexts", "architecture", "full", [0, 1]),
    ("LongBench-Med: evaluating long-context models on patient histories", "resources-evaluation", "full", [2]),
    ("Paged key-value caches for speculative decoding", "hardware", "short", [3, 4, 5]),
    ("When retrieval beats a longer window: a controlled study", "augmentation", "full", [6, 7]),
    ("Position interpolation without fine-tuning", "embeddings", "short", [8]),
]


@functools.lru_cache(maxsize=32)
def demo_pdf(title: str, abstract: str, pages: int) -> bytes:
    """An anonymous demo paper: title, abstract, body text and a references page. Kept once made: laying out the
    twelve papers' text took 2.3 s of CPU, most of a demo load, and a process that loads the demo again (the test
    suite's demo tests made 522 papers) gets the same papers (their creation date is the first load's)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_font("helvetica", size=11)
    body = (
        "Long-context language models must attend to many tokens. We describe a method, analyse its cost, "
        "and report experiments on standard long-context benchmarks. "
    ) * 12
    for page in range(1, pages + 1):
        pdf.add_page()
        if page == 1:
            pdf.set_font("helvetica", "B", 15)
            pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("helvetica", "I", 10)
            pdf.multi_cell(0, 6, "Anonymous authors. Paper under double-blind review.", new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("helvetica", size=11)
            pdf.multi_cell(0, 6, "Abstract. " + abstract, new_x="LMARGIN", new_y="NEXT")
        if page == pages:
            pdf.set_font("helvetica", "B", 12)
            pdf.cell(0, 8, "References", new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("helvetica", size=10)
            pdf.multi_cell(0, 5, "[1] A. Author. Attention over long inputs. 2023.", new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.multi_cell(0, 6, f"{page}. {body}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


REVIEW_STRENGTHS = [
    "Clear motivation.",
    "The method is simple.",
    "The experiments cover several context lengths.",
    "The ablations are thorough.",
    "The paper is well written.",
]
REVIEW_WEAKNESSES = [
    "The baselines are not tuned equally.",
    "The memory cost at 128k tokens is not reported.",
    "Only synthetic tasks are evaluated.",
    "No variance over seeds.",
    "The gains are small for the added complexity.",
    "Related work on retrieval is missing.",
    "Some claims go beyond the experiments.",
]
REVIEW_REQUESTS = [
    "Please add the memory figures and an ablation of the chunk size.",
    "Please report wall-clock time as well as FLOPs.",
    "A comparison with retrieval at equal compute would help.",
    "Please release the evaluation scripts.",
]


def _demo_reviewing(workshop: Workshop, now: datetime, *, complete: bool = False) -> None:
    """Bids in, the automatic assignment applied, some reviews submitted and some drafts, two discussions.
    ``complete``: every review is in, written over the twelve days after ``now``, with mixed recommendations."""
    from portal.queries import reviewers
    from portal.services.assignments import apply_proposal, propose_assignment
    from portal.services.bidding import biddable
    from portal.services.discussion import post_comment
    from portal.services.reviews import save_review

    workshop.phase = Phase.REVIEWING
    workshop.bidding_deadline = now - timedelta(days=1)
    workshop.review_deadline = now + timedelta(days=21)
    workshop.reviews_per_paper, workshop.default_max_load = 3, 4
    chair = db.session.scalar(sa.select(User).where(User.is_chair))
    people = reviewers()
    values = [BidValue.EAGER, BidValue.WILLING, None, BidValue.IN_A_PINCH, None, BidValue.NOT_WILLING]
    for i, reviewer in enumerate(people):
        for j, sub in enumerate(biddable(workshop, reviewer)):
            value = values[(i * 5 + j * 3) % len(values)]
            if value is not None:
                db.session.add(Bid(submission_id=sub.id, reviewer_id=reviewer.id, value=value, updated_at=now))
    db.session.flush()
    proposal = propose_assignment(chair, workshop)
    apply_proposal(chair, workshop, proposal, now=now)
    texts = {
        "summary": "The paper proposes a method for long inputs and evaluates it on standard benchmarks.",
        "strengths": "Clear motivation; the method is simple; the experiments cover several context lengths.",
        "weaknesses": "The baselines are not tuned equally; the memory cost at 128k tokens is not reported.",
        "comments_to_authors": "Please add the memory figures and an ablation of the chunk size.",
        "confidential_comments": "",
    }
    assignments = db.session.scalars(sa.select(ReviewAssignment).order_by(ReviewAssignment.id)).all()
    for k, a in enumerate(assignments):
        # Reviews in different words: each picks its strengths, weaknesses and requests from short lists.
        texts = {
            **texts,
            "strengths": " ".join(REVIEW_STRENGTHS[(k + j) % len(REVIEW_STRENGTHS)] for j in (0, 2)),
            "weaknesses": " ".join(REVIEW_WEAKNESSES[(k * 3 + j) % len(REVIEW_WEAKNESSES)] for j in (0, 1)),
            "comments_to_authors": REVIEW_REQUESTS[(k * 5) % len(REVIEW_REQUESTS)],
            DEMO_FIELD: REPRODUCIBILITY[(k * 2 + a.submission_id) % len(REPRODUCIBILITY)],
        }
        if complete:
            # Each paper has a quality the reviewers roughly agree on; every fifth paper splits them.
            quality = (4, 2, 5, 3, 1, 4, 3, 2, 5, 3, 4, 2)[a.submission_id % 12]
            noise = (0, 1, -1, 0, 0, -1, 1)[k % 7] * (3 if a.submission_id % 5 == 0 else 1)
            data = {**texts, "recommendation": min(5, max(1, quality + noise)), "confidence": 2 + k % 4}
            save_review(workshop, a, data, submit=True, version=None, now=now + timedelta(days=(k * 5) % 12, hours=k % 9))
            continue
        if k % 3 == 2:
            continue  # not started
        data = {**texts, "recommendation": 2 + k % 4, "confidence": 2 + k % 3}
        save_review(workshop, a, data, submit=k % 3 == 0, version=None, now=now)
    papers = sorted({a.submission_id for a in assignments})[:2]
    for sub_id in papers:
        sub = db.session.get(Submission, sub_id)
        first = next(a for a in assignments if a.submission_id == sub_id)
        post_comment(
            first.reviewer,
            workshop,
            sub,
            "The chunk-size ablation would settle my main doubt. "
            "Does anyone know whether the benchmark includes the 128k setting?",
            now=now,
        )
        post_comment(chair, workshop, sub, "Good point; please say in your review whether it changes your score.", now=now)


#: The demo review form's own field (issue 21.8): a choice the authors read, beside today's fields.
DEMO_FIELD = "reproducibility"
REPRODUCIBILITY = (
    "Easily: the code, data and settings are given",
    "With some effort: a few details are missing",
    "Hardly: key details are missing",
)


def _demo_review_form(workshop: Workshop) -> None:
    """Today's review form with one more field, "Reproducibility", which the authors read with the reviews."""
    from portal.models import Audience, FieldKind
    from portal.services import review_form

    chair = db.session.scalars(sa.select(User).where(User.is_chair, User.is_demo.is_(True))).one()
    data = review_form.FieldInput(
        label="Reproducibility",
        kind=FieldKind.CHOICE,
        help="Could a graduate student reproduce the main results from the paper and what it links to?",
        visibility=Audience.AUTHORS,
        choices=list(REPRODUCIBILITY),
    )
    if review_form.add_field(chair, workshop, data).key != DEMO_FIELD:
        raise DemoRefused(f"The demo review form has a field {DEMO_FIELD!r} already.")


def _demo_area_chairs(workshop: Workshop) -> None:
    """ac1 ... ac4 each oversee every fourth paper (the chair chose them on the papers' pages)."""
    from portal.services.area_chairs import set_area_chair

    chair = db.session.scalars(sa.select(User).where(User.is_chair, User.is_demo.is_(True))).one()
    chairs = list(db.session.scalars(sa.select(User).where(User.is_area_chair, User.is_demo.is_(True)).order_by(User.email)))
    subs = db.session.scalars(sa.select(Submission).where(Submission.state == SubmissionState.SUBMITTED).order_by(Submission.id))
    for i, sub in enumerate(subs):
        set_area_chair(chair, workshop, sub, chairs[i % len(chairs)])


RESPONSES = (
    "We thank the reviewers. On memory: at 128k tokens the method needs 38 GB against 61 GB for the baseline; we "
    "will add the table. The baselines were tuned with the same budget of 20 runs each; we will say so.",
    "Thank you for the careful reading. The chunk-size ablation is in the appendix (Table 7): results vary by less "
    "than one point between 512 and 4,096 tokens. The evaluation scripts will be released with the camera-ready.",
    "We agree that synthetic tasks alone are not enough. We have since run two real long-document tasks (legal "
    "contracts and patient histories); the gains hold (+2.1 and +1.4 points) and we will add them.",
)


def _demo_responses(workshop: Workshop, *, opens: datetime, deadline: datetime, written: datetime) -> None:
    """The response window from ``opens`` to ``deadline``; the first author of two papers in three wrote one at
    ``written``."""
    from portal.services.responses import save_response

    workshop.response_opens_at, workshop.response_deadline, workshop.response_words = opens, deadline, 500
    subs = db.session.scalars(sa.select(Submission).where(Submission.state == SubmissionState.SUBMITTED).order_by(Submission.id))
    for sub in subs:
        first = sub.authors[0].user if sub.authors else None
        if sub.id % 3 != 0 and first is not None:
            save_response(first, sub, RESPONSES[sub.id % len(RESPONSES)], version=None, now=written)
    db.session.flush()


def _demo_updated_reviews(workshop: Workshop, at: datetime) -> None:
    """Two reviewers of papers with a response raise their score after reading it (marked "updated after the
    response")."""
    from portal.services.reviews import save_review

    answered = sa.select(AuthorResponse.submission_id)
    reviews = db.session.scalars(
        sa.select(Review)
        .join(ReviewAssignment)
        .where(ReviewAssignment.submission_id.in_(answered), ReviewAssignment.ordinal == 1, Review.recommendation < 5)
        .order_by(ReviewAssignment.submission_id)
        .limit(2)
    ).all()
    for k, review in enumerate(reviews):
        data = review.content() | {
            "recommendation": review.recommendation + 1,
            "comments_to_authors": f"{review.comments_to_authors} After the response: the new figures settle my main doubt.",
        }
        save_review(workshop, review.assignment, data, submit=True, version=review.version, now=at + timedelta(hours=k))


def _demo_meta_reviews(workshop: Workshop, at: datetime, *, complete: bool) -> None:
    """Each area chair's meta-reviews of their papers, recommending by the reviews' mean. ``complete``: all
    submitted; else one paper in four not begun and one a draft; one area chair asks for an extra review."""
    from portal.services import area_chairs
    from portal.services.meta_reviews import save_meta_review

    means = dict(
        db.session.execute(
            sa.select(ReviewAssignment.submission_id, sa.func.avg(Review.recommendation))
            .join(Review)
            .where(Review.state == ReviewState.SUBMITTED)
            .group_by(ReviewAssignment.submission_id)
        ).all()
    )
    rows = db.session.execute(
        sa.select(AreaChairAssignment, Submission)
        .join(Submission, Submission.id == AreaChairAssignment.submission_id)
        .order_by(Submission.id)
    ).all()
    for k, (assigned, sub) in enumerate(rows):
        if not complete and k % 4 == 0:
            continue
        mean = float(means.get(sub.id, 3))
        accept = mean >= 3
        text = f"The reviewers' mean is {mean:.1f}. " + (
            "They agree the method is sound and the experiments convincing; the response answered the question on "
            "memory. Please add the promised figures."
            if accept
            else "They find the gains too small for the added complexity, and the response does not change that."
        )
        data = {
            "recommendation": 2 if accept else 1,
            "metareview": text,
            "confidential": "" if k % 3 else "A borderline case: I would not object to the other decision.",
        }
        save_meta_review(
            assigned.area_chair, workshop, sub, data, submit=complete or k % 4 != 1, version=None, now=at + timedelta(hours=k)
        )
    if not complete and rows:
        assigned, sub = rows[0]
        area_chairs.request_extra_review(
            assigned.area_chair,
            sub,
            "The reviews are split and none is by an expert on memory-efficient attention: one more review, please.",
        )


def _demo_decisions(workshop: Workshop, now: datetime) -> None:
    """Every review in and the review deadline past; the best third accepted (the very best as an oral), the
    weakest third rejected, the middle third left for the chair; letters not prepared or sent."""
    from portal.services import decisions

    workshop.review_deadline = now - timedelta(days=1)
    chair = db.session.scalar(sa.select(User).where(User.is_chair))
    means = db.session.execute(
        sa.select(ReviewAssignment.submission_id, sa.func.avg(Review.recommendation))
        .join(Review)
        .group_by(ReviewAssignment.submission_id)
        .order_by(sa.func.avg(Review.recommendation).desc(), ReviewAssignment.submission_id)
    ).all()
    third = len(means) // 3
    for rank, (sub_id, _) in enumerate(means):
        if third <= rank < len(means) - third:
            continue
        accepted = rank < third
        decisions.record_decision(
            chair,
            db.session.get(Submission, sub_id),
            decision=Decision.ACCEPTED if accepted else Decision.REJECTED,
            presentation=(Presentation.ORAL if rank == 0 else Presentation.POSTER) if accepted else None,
            note="Congratulations! Please address the reviewers' comments on memory cost." if rank == 0 else "",
            version=None,
            now=now - timedelta(hours=rank),
        )


def _demo_program(workshop: Workshop, now: datetime) -> None:
    """After the decisions: the papers left for the chair decided too (the better half accepted as posters), the two
    best accepted papers given talks, the accepted papers published, and the program built."""
    from portal.services import decisions

    chair = db.session.scalar(sa.select(User).where(User.is_chair))
    undecided = list(
        db.session.scalars(
            sa.select(Submission)
            .where(Submission.decision.is_(None), Submission.state == SubmissionState.SUBMITTED)
            .order_by(Submission.id)
        )
    )
    for k, sub in enumerate(undecided):
        accepted = k < (len(undecided) + 1) // 2
        decisions.record_decision(
            chair,
            sub,
            decision=Decision.ACCEPTED if accepted else Decision.REJECTED,
            presentation=Presentation.POSTER if accepted else None,
            note="",
            version=None,
            now=now,
        )
    accepted = list(
        db.session.scalars(sa.select(Submission).where(Submission.decision == Decision.ACCEPTED).order_by(Submission.id))
    )
    for sub in accepted[:2]:
        if sub.presentation != Presentation.ORAL:
            decisions.record_decision(
                chair,
                sub,
                decision=Decision.ACCEPTED,
                presentation=Presentation.ORAL,
                note=sub.decision_note,
                version=None,
                now=now,
            )
    workshop.accepted_published = True
    db.session.flush()
    _demo_schedule(workshop, chair)


#: The demo's keynote titles (the seed names the speakers, not their talks): made up for the demo, like its papers.
DEMO_KEYNOTES = (
    ("What we want from a million tokens", "Which tasks truly need long contexts, and what today's models do with them."),
    ("Remembering more with less", "Memory, retrieval and recurrence as ways past the context window, and what each costs."),
)


def _demo_schedule(workshop: Workshop, chair: User) -> None:
    """The workshop day: a morning with the opening, the first keynote, the talks of the oral papers and the first
    panel; an afternoon with the second keynote, the poster session (every poster on a board) and the second panel.
    The seed plans two panels without topics: they take two of its fundamental questions. Published."""
    from portal.models import ItemKind, PersonRole
    from portal.services import program

    day_at = workshop.date_of(DateKind.WORKSHOP)
    day: date = day_at.at.astimezone(workshop.zone).date() if day_at else workshop.starts_on or date(2024, 7, 27)
    speakers = workshop.people_in(PersonRole.SPEAKER)
    organizers = workshop.people_in(PersonRole.ORGANIZER)
    steering = workshop.people_in(PersonRole.STEERING)
    questions = list(workshop.questions)
    papers = program.accepted_papers(workshop)
    orals = [s for s in papers if s.presentation == Presentation.ORAL]
    posters = [s for s in papers if s.presentation == Presentation.POSTER]

    def at(h: int, m: int = 0) -> time:
        return time(h, m)

    def named(people: list) -> list[program.Named]:  # type: ignore[type-arg]
        return [program.Named(person_id=p.id) for p in people]

    def panel(question, panelists, moderator, starts: time, ends: time) -> program.ItemInput:  # type: ignore[no-untyped-def]
        return program.ItemInput(
            ItemKind.PANEL,
            starts=starts,
            ends=ends,
            title=f"Panel: {question.title}" if question else "Panel",
            abstract=question.text if question else "",
            panelists=named(panelists),
            moderator=program.Named(person_id=moderator.id) if moderator else None,
        )

    morning = program.add_session(chair, workshop, program.SessionInput("Morning session", day, at(9), at(12, 30), "Main hall"))
    program.add_item(
        chair,
        morning,
        program.ItemInput(
            ItemKind.OPENING, title="Opening remarks", starts=at(9), ends=at(9, 10), speakers=named(organizers[:1])
        ),
    )
    if speakers:
        title, abstract = DEMO_KEYNOTES[0]
        program.add_item(
            chair,
            morning,
            program.ItemInput(
                ItemKind.KEYNOTE, title=title, abstract=abstract, starts=at(9, 10), ends=at(10), speakers=named(speakers[:1])
            ),
        )
    for k, sub in enumerate(orals):
        start = 10 * 60 + 20 * k
        program.add_item(
            chair,
            morning,
            program.ItemInput(
                ItemKind.TALK,
                submission_id=sub.id,
                speaker_author_id=sub.authors[0].id,
                starts=at(*divmod(start, 60)),
                ends=at(*divmod(start + 20, 60)),
            ),
        )
    program.add_item(chair, morning, program.ItemInput(ItemKind.BREAK, title="Coffee break", starts=at(11), ends=at(11, 30)))
    program.add_item(
        chair,
        morning,
        panel(
            questions[0] if questions else None,
            steering[:2] + speakers[1:2],
            organizers[1] if len(organizers) > 1 else None,
            at(11, 30),
            at(12, 30),
        ),
    )
    afternoon = program.add_session(
        chair, workshop, program.SessionInput("Afternoon session", day, at(13, 30), at(17), "Main hall")
    )
    if len(speakers) > 1:
        title, abstract = DEMO_KEYNOTES[1]
        program.add_item(
            chair,
            afternoon,
            program.ItemInput(
                ItemKind.KEYNOTE,
                title=title,
                abstract=abstract,
                starts=at(13, 30),
                ends=at(14, 20),
                speakers=named(speakers[1:2]),
            ),
        )
    program.add_item(
        chair,
        afternoon,
        program.ItemInput(
            ItemKind.POSTERS,
            title="Poster session",
            starts=at(14, 20),
            ends=at(15, 30),
            posters=[(s.id, f"P{k}") for k, s in enumerate(posters, start=1)],
        ),
    )
    program.add_item(
        chair,
        afternoon,
        panel(
            questions[5] if len(questions) > 5 else None,
            steering[2:] + speakers[:1] + organizers[2:3],
            organizers[3:4][0] if len(organizers) > 3 else None,
            at(15, 30),
            at(16, 30),
        ),
    )
    program.add_item(
        chair,
        afternoon,
        program.ItemInput(
            ItemKind.CLOSING, title="Closing and best paper", starts=at(16, 30), ends=at(16, 45), speakers=named(organizers[:1])
        ),
    )
    program.set_published(chair, workshop, True)


def demo_logo(text: str) -> bytes:
    """A sponsor's logo for the demo: its name in white on the accent colour (a PNG, as a chair would upload)."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 160), (29, 78, 137))
    ImageDraw.Draw(image).text((240, 80), text, fill=(255, 255, 255), anchor="mm", font_size=80)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _demo_sponsor(workshop: Workshop, now: datetime) -> None:
    """One sponsor who wrote through the contact form, was followed up by the chair and is confirmed: gold, with
    a logo and a link, on the home and sponsors pages."""
    from portal.services import sponsors

    chair = db.session.scalar(sa.select(User).where(User.is_chair))
    inquiry, _ = sponsors.submit_inquiry(
        workshop,
        name="Priya Raman",
        organization="Longwave Compute",
        email="partnerships@longwave.example.org",
        interest="compute",
        message="We would like to offer GPU credits to the students who present posters, and to support the best paper award.",
    )
    inquiry.created_at = now - timedelta(days=30)
    sponsors.follow_up(
        chair,
        inquiry,
        sponsors.FollowUp(
            state=SponsorState.CONFIRMED,
            notes="Invoice sent; logo received.",
            thread_summary="50,000 GPU hours for poster presenters and the best paper award (USD 1,000). Confirmed by mail.",
            display_name="Longwave Compute",
            tier=SponsorTier.GOLD,
            website="https://longwave.example.org/",
        ),
        logo=demo_logo("Longwave"),
        now=now - timedelta(days=3),
    )


def _clear_submissions() -> None:
    store = storage()
    keys = list(db.session.scalars(sa.select(StoredFile.storage_key)))
    # SQLite does not enforce ON DELETE CASCADE here (no foreign_keys pragma), so the rows that hang off the
    # submissions go first, by hand, children before parents.
    for model in (
        ProgramPerson,
        ProgramPoster,
        ProgramItem,
        ProgramSession,
        AssignmentProposal,
        AreaChairProposal,
        AreaChairExclusion,
        ConflictOverride,
        AuditEvent,
        AuthorResponse,
        MetaReview,
        ExtraReviewRequest,
        AreaChairAssignment,
        ReviewRevision,
        Review,
        ReviewAssignment,
        DiscussionComment,
        Bid,
        Letter,
        PaperFieldScore,
        PaperScore,
        ReviewField,  # the demo's own review form is built again (a chair's changes go with the reviews)
    ):
        db.session.execute(sa.delete(model))
    db.session.execute(sa.delete(submission_topic))
    for sub in db.session.scalars(sa.select(Submission)):
        db.session.delete(sub)
    db.session.flush()
    # The people's photos and the sponsors' logos are stored files too; the demo's inquiries go with them.
    db.session.execute(sa.update(Person).values(photo_id=None, photo_small_id=None))
    db.session.execute(sa.delete(SponsorInquiry))
    db.session.execute(sa.delete(StoredFile))
    for key in keys:
        store.delete(key)


def _demo_submissions(workshop: Workshop, now: datetime) -> None:
    from portal.services import submissions as svc

    authors = {u.email: u for u in db.session.scalars(sa.select(User).where(User.email.like("author%")))}
    topics = {t.slug: t for t in workshop.topics}
    types = {t.slug: t for t in workshop.submission_types}
    for i, (title, topic, kind, who) in enumerate(DEMO_SUBMISSIONS):
        people = [authors[f"author{n + 1}@example.org"] for n in who]
        abstract = (
            f"We study {topics[topic].description.lower()}. Our approach is simple, fast and scales to "
            "long inputs; experiments show clear gains over strong baselines."
        )
        sub_type = types.get(kind) or workshop.submission_types[0]
        details = svc.Details(
            title=title,
            abstract=abstract,
            type_id=sub_type.id,
            primary_topic_id=topics[topic].id,
            secondary_topic_ids=[],
            keywords="long context, efficiency",
            authors=[svc.AuthorInput(p.name, p.email, p.affiliation) for p in people],
            declared_conflicts="",
        )
        pdf = demo_pdf(title, abstract, pages=min(sub_type.page_limit, 3 + i) + 1)
        checked = svc.check_paper(workshop, sub_type, details.authors, pdf, f"demo-{i + 1}.pdf")
        svc.create_submission(
            people[0], workshop, details, paper=checked, now=now - timedelta(hours=12 * (len(DEMO_SUBMISSIONS) - i))
        )


def load_demo(
    content_file: str, now: datetime, *, password_hash_method: str, phase: str = "submission", submissions: bool = True
) -> Workshop:
    """(Re)build the demo workshop and its accounts at ``phase``. Flushes; the caller commits. Without
    ``submissions``: the workshop and its accounts only (the large demo adds its own papers)."""
    check_demo_only()
    workshop, _ = load_content(read_content_file(content_file), is_demo=True)
    # In the reviewing phase the submission deadline is two days past; submissions were made before it. At the
    # decisions phase it is 26 days past, reviewing took the two weeks before yesterday, notification is in 5 days.
    shift = timedelta(days=SHIFT.get(phase, 0))
    set_demo_dates(workshop, now + shift)
    workshop.phase, workshop.bidding_deadline, workshop.review_deadline = Phase.SUBMISSION, None, None
    workshop.double_blind = True
    workshop.accepted_published = False  # (the accepted papers of the demo before were published, perhaps)
    workshop.program_published = False
    _clear_submissions()
    db.session.execute(sa.delete(Invitation))
    db.session.execute(sa.delete(LoginFailure))
    for user in db.session.scalars(sa.select(User).where(User.is_demo.is_(True))):
        db.session.delete(user)
    db.session.flush()
    # One hash for the shared demo password keeps `flask demo` fast (32 scrypt runs would take seconds).
    password_hash = generate_password_hash(DEMO_PASSWORD, method=password_hash_method)
    topics = workshop.topics
    for i, (email, name, affiliation, roles) in enumerate(demo_accounts()):
        user = User(
            email=email,
            name=name,
            affiliation=affiliation,
            password_hash=password_hash,
            email_confirmed_at=now,
            is_reviewer="reviewer" in roles,
            is_chair="chair" in roles,
            is_area_chair="area_chair" in roles,
            is_demo=True,
            # The history conflicts read: the confirmed address and the affiliation, from now.
            addresses=[UserEmail(email=email, confirmed_at=now)],
            affiliations=[UserAffiliation(affiliation=affiliation, since=now)] if affiliation else [],
        )
        # Each person knows two topics, spread over the seven.
        user.topics = sorted({topics[i % len(topics)], topics[(i + 3) % len(topics)]}, key=lambda t: t.position)
        if user.is_reviewer:
            user.expertise_statement = (
                f"I work on {user.topics[0].title.lower()} and {user.topics[-1].title.lower()}: "
                f"{user.topics[0].description.lower()}."
            )
            user.papers = [
                UserPaper(
                    position=j,
                    title=PAPER_STEMS[(i + j) % len(PAPER_STEMS)].format(2 ** (14 + (i + j) % 6)),
                    abstract=f"We study {t.description.lower()} and report what scales.",
                )
                for j, t in enumerate(user.topics, start=1)
            ]
        db.session.add(user)
    db.session.flush()
    _demo_review_form(workshop)
    if not submissions:
        workshop.phase = Phase.SUBMISSION if phase == "submission" else Phase.REVIEWING
        if phase != "submission":
            # Bidding closed the day before the reviews began; reviewing stays open three weeks at the reviewing
            # phase, a week at the response (to update after it), and closed yesterday after that.
            began = {"reviewing": 0, "response": 14, "meta-review": 20}.get(phase, 24)
            workshop.bidding_deadline = now - timedelta(days=1 + began)
            workshop.review_deadline = now + timedelta(days={"reviewing": 21, "response": 7}.get(phase, -1))
            workshop.reviews_per_paper, workshop.default_max_load = 3, 4
        db.session.flush()
        return workshop
    _demo_submissions(workshop, now + shift)
    day = timedelta(days=1)
    if phase == "reviewing":
        _demo_reviewing(workshop, now)
        _demo_area_chairs(workshop)
    elif phase == "response":
        # Every review in over the last two weeks; the reviews went to the authors yesterday and they respond
        # until three days from now; reviewing stays open a week for the reviewers to update theirs.
        _demo_reviewing(workshop, now - 14 * day, complete=True)
        _demo_area_chairs(workshop)
        _demo_responses(workshop, opens=now - day, deadline=now + 3 * day, written=now - timedelta(hours=6))
    elif phase == "meta-review":
        # The responses closed three days ago, two reviewers updated their review after reading them, reviewing
        # closed yesterday, and the area chairs are writing the meta-reviews (some in, some drafts, some not begun).
        _demo_reviewing(workshop, now - 20 * day, complete=True)
        _demo_area_chairs(workshop)
        _demo_responses(workshop, opens=now - 7 * day, deadline=now - 3 * day, written=now - 5 * day)
        _demo_updated_reviews(workshop, now - 2 * day)
        workshop.review_deadline = now - day
        _demo_meta_reviews(workshop, now - timedelta(hours=5), complete=False)
    elif phase in ("decisions", "program"):
        _demo_reviewing(workshop, now - 24 * day, complete=True)
        _demo_area_chairs(workshop)
        _demo_responses(workshop, opens=now - 11 * day, deadline=now - 7 * day, written=now - 9 * day)
        _demo_updated_reviews(workshop, now - 5 * day)
        _demo_meta_reviews(workshop, now - 3 * day, complete=True)
        _demo_decisions(workshop, now)
    if phase == "program":
        _demo_program(workshop, now)
        _demo_sponsor(workshop, now)
    # The demo's receipts and reviewers' mails would go to addresses nobody reads: drop them.
    db.session.execute(sa.delete(OutgoingEmail))
    db.session.flush()
    return workshop
