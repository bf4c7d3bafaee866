"""The local demo: the LongLLM 2024 content, deadlines relative to today, and fixed demo accounts.

Every row it creates is marked ``is_demo``; it refuses to touch a database holding anything else.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from portal.db import db
from portal.models import DateKind, ImportantDate, Invitation, LoginFailure, User, UserPaper, Workshop
from portal.services.content import load_content, read_content_file

DEMO_PASSWORD = "demo-password"  # noqa: S105 - printed by `flask demo`, for local trial only

#: Demo milestones, as days from today; each falls at 23:59 in the workshop's zone (AoE).
DEMO_DATES = (
    (DateKind.SUBMISSION_OPEN, "Submissions open", -7),
    (DateKind.ABSTRACT_DEADLINE, "Abstract registration deadline", 7),
    (DateKind.PAPER_DEADLINE, "Paper submission deadline", 14),
    (DateKind.NOTIFICATION, "Author notification", 45),
    (DateKind.CAMERA_READY, "Camera-ready deadline", 60),
    (DateKind.WORKSHOP, "Workshop day", 90),
)

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
    ("Maya Goldberg", "Technion"), ("Nikhil Mehta", "Carnegie Mellon University"),
    ("Olivia Brooks", "University of Washington"), ("Pedro Alves", "University of Lisbon"),
    ("Qing Li", "Peking University"), ("Rosa Martínez", "Universitat Pompeu Fabra"),
    ("Samuel Adeyemi", "University of Lagos"), ("Tara Nguyen", "Stanford University"),
    ("Umar Siddiqui", "LUMS"), ("Vera Novak", "Charles University"),
    ("William Park", "KAIST"), ("Xenia Petrova", "Sofia University"),
    ("Yusuf Demir", "Bilkent University"), ("Zoe Fischer", "University of Amsterdam"),
    ("Aditi Kulkarni", "IIT Bombay"), ("Ben Carter", "University of Oxford"),
    ("Camille Dubois", "Sorbonne Université"), ("Diego Rossi", "Politecnico di Milano"),
    ("Emma Johansson", "Chalmers University of Technology"), ("Felix Wagner", "TU Munich"),
]  # fmt: skip
PAPER_STEMS = [
    "Sparse attention patterns for {0}-token contexts",
    "Benchmarking retrieval against long context on {0}-page documents",
    "Memory-augmented transformers that remember {0} turns",
    "Extending rotary embeddings beyond {0} positions",
]


def demo_accounts() -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(email, name, affiliation, roles) of every demo account."""
    accounts = [("chair@example.org", *CHAIR, ("chair", "reviewer"))]
    accounts += [(f"reviewer{i}@example.org", n, a, ("reviewer",)) for i, (n, a) in enumerate(REVIEWERS, 1)]
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


def set_demo_dates(workshop: Workshop, now: datetime) -> None:
    today = now.astimezone(workshop.zone).date()
    workshop.dates.clear()
    db.session.flush()
    for kind, label, days in DEMO_DATES:
        at = datetime.combine(today + timedelta(days=days), time(23, 59), tzinfo=workshop.zone)
        workshop.dates.append(ImportantDate(kind=kind, label=label, at=at))
    db.session.flush()


def load_demo(content_file: str, now: datetime, *, password_hash_method: str) -> Workshop:
    """(Re)build the demo workshop and its accounts. Flushes; the caller commits."""
    check_demo_only()
    workshop, _ = load_content(read_content_file(content_file), is_demo=True)
    set_demo_dates(workshop, now)
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
            email=email, name=name, affiliation=affiliation, password_hash=password_hash, email_confirmed_at=now,
            is_reviewer="reviewer" in roles, is_chair="chair" in roles, is_demo=True,
        )  # fmt: skip
        # Each person knows two topics, spread over the seven.
        user.topics = sorted({topics[i % len(topics)], topics[(i + 3) % len(topics)]}, key=lambda t: t.position)
        if user.is_reviewer:
            user.expertise_statement = (
                f"I work on {user.topics[0].title.lower()} and {user.topics[-1].title.lower()}: "
                f"{user.topics[0].description.lower()}."
            )
            user.papers = [
                UserPaper(position=j, title=PAPER_STEMS[(i + j) % len(PAPER_STEMS)].format(2 ** (14 + (i + j) % 6)),
                          abstract=f"We study {t.description.lower()} and report what scales.")
                for j, t in enumerate(user.topics, start=1)
            ]  # fmt: skip
        db.session.add(user)
    db.session.flush()
    return workshop
