"""The portal on several workers: `scripts/cluster-up` starts two gunicorn instances against one PostgreSQL
database and one Redis, nginx in front balancing between them, and one RQ worker. A session signed in on one
instance continues on the other, papers are submitted through both, the assignment runs as a job on the
worker, one gunicorn is killed in the middle of a stream of sponsor inquiries, and afterwards nothing is
lost and every mail went out exactly once.

Skipped unless nginx (Debian's package), PostgreSQL (PORTAL_TEST_DATABASE_URL) and Redis (127.0.0.1:6379)
are all there; `.ci/run` installs nginx.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from portal.db import db, utcnow
from portal.models import (
    DateKind,
    EmailState,
    ImportantDate,
    Job,
    JobState,
    OutgoingEmail,
    Phase,
    ReviewAssignment,
    SponsorInquiry,
    StoredFile,
    Submission,
    SubmissionType,
    Topic,
    Workshop,
)
from tests.conftest import PG_URL, SMTPRecorder, make_app
from tests.factories import PASSWORD, make_user
from tests.pdfs import make_pdf
from tests.views.test_submissions import _Forms

pytestmark = pytest.mark.cluster
ROOT = Path(__file__).resolve().parent.parent.parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REDIS_DATABASES = range(15, 7, -1)  # the cluster test claims one of these Redis databases for its run
LOCK = "portal-cluster-test"
TOKEN_RE = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


def redis_up() -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", 6379)) == 0


MISSING = [
    what for what, there in (("nginx", Path(NGINX).exists()), ("PostgreSQL", bool(PG_URL)), ("Redis", redis_up())) if not there
]


@pytest.fixture
def cluster(tmp_path: Path, smtp_server: tuple[SMTPRecorder, int]) -> Iterator[dict[str, Any]]:
    if MISSING:
        pytest.skip(f"needs {', '.join(MISSING)}")
    base = sa.make_url(PG_URL)
    name = f"portal_cluster_{os.getpid()}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    recorder, mail_port = smtp_server
    recorder.clear()
    import redis

    # A Redis database of its own: two test runs at once (two checkouts, or CI beside a developer's run) each
    # claim one, so neither empties the other's queue. The claim expires if a run dies without releasing it.
    claimed = None
    for number in REDIS_DATABASES:
        client = redis.Redis.from_url(f"redis://127.0.0.1:6379/{number}")
        if client.set(LOCK, os.getpid(), nx=True, ex=900):
            claimed = client
            break
    if claimed is None:
        pytest.skip(f"every Redis database {REDIS_DATABASES[-1]}-{REDIS_DATABASES[0]} is claimed by another test run")
    for key in claimed.scan_iter():
        if key != LOCK.encode():  # no job or rate-limit counter left from an earlier run
            claimed.delete(key)
    redis_url = f"redis://127.0.0.1:6379/{number}"
    env = {
        **os.environ,
        "PORTAL_CONTACT_RATE_LIMIT": "1000 per hour",
        "PORTAL_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "PORTAL_LOGIN_MAX_FAILURES_PER_IP": "1000",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "scripts" / "cluster-up"),
            "--database",
            url,
            "--redis",
            redis_url,
            "--dir",
            str(tmp_path / "cluster"),
            "--mail-port",
            str(mail_port),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,  # (its parts log to files: only a failure to start is written here)
        text=True,
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        if not line.startswith("ready "):
            process.wait(60)
            why = process.stderr.read() if process.stderr else ""
            logs = {p.name: p.read_text(errors="replace")[-2000:] for p in sorted((tmp_path / "cluster").glob("*.log"))}
            pytest.fail(f"cluster-up said {line!r} and exited {process.returncode}: {why}\n{logs}")
        info = json.loads(line[len("ready ") :])
        app = make_app(url, MAIL_PORT=mail_port, UPLOAD_FOLDER=str(tmp_path / "cluster" / "uploads"))
        yield {**info, "app": app, "smtp": recorder, "dir": Path(info["dir"])}
        with app.app_context():
            db.engine.dispose()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
        claimed.delete(LOCK)
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def csrf(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=10).text
    match = TOKEN_RE.search(page)
    assert match, url
    return match.group(1)


def sign_in(session: requests.Session, base: str, email: str) -> None:
    response = session.post(
        f"{base}/auth/login",
        data={"csrf_token": csrf(session, f"{base}/auth/login"), "email": email, "password": PASSWORD},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:500]


def upload_form(session: requests.Session, url: str) -> dict[str, Any]:
    parser = _Forms()
    parser.feed(session.get(url, timeout=10).text)
    [fields] = [fields for attrs, fields in parser.forms if attrs.get("enctype") == "multipart/form-data"]
    data: dict[str, Any] = {}
    for key, value in fields:
        data[key] = [*data[key], value] if isinstance(data.get(key), list) else [data[key], value] if key in data else value
    return data


def submit(session: requests.Session, base: str, title: str, pdf: bytes, ids: dict[str, int]) -> int:
    data = upload_form(session, f"{base}/submissions/new")
    data.update(
        title=title,
        abstract="Attention over very long inputs, measured.",
        type=str(ids["type"]),
        primary_topic=str(ids["topic"]),
        keywords="long context",
        action="save",
    )
    response = session.post(
        f"{base}/submissions/new",
        data=data,
        files={"paper": ("paper.pdf", pdf, "application/pdf")},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text[:1000]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def wait_until(check: Any, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.3)


def test_two_instances_behind_nginx_lose_nothing_and_send_every_mail_once(cluster: dict[str, Any]) -> None:
    app, smtp = cluster["app"], cluster["smtp"]
    a, b = (f"http://127.0.0.1:{port}" for port in cluster["gunicorn"])
    front = f"http://127.0.0.1:{cluster['nginx']}"
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        ws.dates.append(ImportantDate(kind=DateKind.PAPER_DEADLINE, label="Paper", at=utcnow() + timedelta(days=1)))
        make_user("chair@example.org", name="Carla Chair", roles=("chair",))
        make_user("ann@example.org", name="Ann Author")
        make_user("ben@example.org", name="Ben Bauthor")
        topics = list(db.session.scalars(sa.select(Topic).order_by(Topic.position)))
        for n in range(4):
            make_user(f"rev{n}@example.org", name=f"Reviewer {n}", affiliation=f"Institute {n}", roles=("reviewer",)).topics = [
                topics[0]
            ]
        ids = {"type": db.session.scalar(sa.select(SubmissionType.id)), "topic": topics[0].id}
        db.session.commit()

    # Signed in on instance A, the session goes on on instance B (one secret key, sessions checked in the DB).
    ann = requests.Session()
    sign_in(ann, a, "ann@example.org")
    assert "Ann Author" in ann.get(f"{b}/submissions/", timeout=10).text
    # Papers through both instances (and one through nginx), stored on the shared volume.
    pdfs = {title: make_pdf(3 + i) for i, title in enumerate(("Ring attention at scale", "Sparse memories", "Recurrence"))}
    numbers = {submit(ann, a, "Ring attention at scale", pdfs["Ring attention at scale"], ids): "Ring attention at scale"}
    numbers[submit(ann, b, "Sparse memories", pdfs["Sparse memories"], ids)] = "Sparse memories"
    ben = requests.Session()
    sign_in(ben, front, "ben@example.org")
    numbers[submit(ben, front, "Recurrence", pdfs["Recurrence"], ids)] = "Recurrence"
    # One form sent twice, to each instance (a double click across the load balancer): one submission, and the
    # second answer is the first one's result.
    pdfs["Pressed twice"] = make_pdf(2)
    twice = upload_form(ben, f"{a}/submissions/new")
    twice.update(
        title="Pressed twice",
        abstract="Sent once, arrived twice.",
        type=str(ids["type"]),
        primary_topic=str(ids["topic"]),
        keywords="",
        action="save",
    )
    answers = [
        ben.post(
            f"{base}/submissions/new",
            data=twice,
            allow_redirects=False,
            timeout=30,
            files={"paper": ("paper.pdf", pdfs["Pressed twice"], "application/pdf")},
        )
        for base in (a, b)
    ]
    assert [r.status_code for r in answers] == [302, 302]
    assert answers[1].headers["Location"] == answers[0].headers["Location"]
    numbers[int(answers[0].headers["Location"].rsplit("/", 1)[1])] = "Pressed twice"

    # The reviewing phase, and the automatic assignment as a job on the worker.
    with app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        ws.date_of(DateKind.PAPER_DEADLINE).at = utcnow() - timedelta(minutes=1)  # type: ignore[union-attr]
        ws.phase, ws.review_deadline, ws.reviews_per_paper = Phase.REVIEWING, utcnow() + timedelta(days=7), 2
        db.session.commit()
    chair = requests.Session()
    sign_in(chair, front, "chair@example.org")
    token = csrf(chair, f"{front}/chair/assignments")
    started = chair.post(f"{front}/chair/assignments/run", data={"csrf_token": token}, allow_redirects=False, timeout=10)
    job_url = started.headers["Location"]
    assert re.fullmatch(r"/chair/jobs/\d+", job_url), job_url
    wait_until(lambda: chair.get(f"{front}{job_url}.json", timeout=10).json()["state"] == "done")
    proposal = re.search(r'href="(/chair/proposals/\d+)"', chair.get(f"{front}{job_url}", timeout=10).text)
    assert proposal, "the finished job links to its proposal"
    applied = chair.post(
        f"{front}{proposal.group(1)}/apply",
        data={"csrf_token": csrf(chair, f"{front}{proposal.group(1)}")},
        allow_redirects=False,
        timeout=30,
    )
    assert applied.status_code == 302
    # "Apply" pressed again, on the other instance: refused, nothing applied twice (two reviewers a paper, below).
    again = chair.post(
        f"{b}{proposal.group(1)}/apply",
        data={"csrf_token": csrf(chair, f"{b}{proposal.group(1)}")},
        allow_redirects=False,
        timeout=30,
    )
    assert again.status_code == 302

    # A stream of sponsor inquiries through nginx; instance A is killed half-way.
    visitor = requests.Session()
    answered = []
    for n in range(16):
        if n == 8:
            os.kill(cluster["pids"]["gunicorn-a"], signal.SIGKILL)
        page = visitor.get(f"{front}/sponsors/", timeout=10).text
        token = TOKEN_RE.search(page).group(1)  # type: ignore[union-attr]
        interest = re.search(r'<option value="([^"]+)"', page.split('name="interest"', 1)[1]).group(1)  # type: ignore[union-attr]
        response = visitor.post(
            f"{front}/sponsors/",
            data={
                "csrf_token": token,
                "name": f"Sam Sponsor {n}",
                "organization": f"Org {n}",
                "email": f"sam{n}@example.com",
                "interest": interest,
                "message": "We would like to support the workshop.",
                "website": "",
            },
            allow_redirects=False,
            timeout=30,
        )
        if response.status_code in (200, 302, 303):
            answered.append(f"Org {n}")

    # Afterwards: every answered inquiry and every paper is there with its file; all mail delivered once.
    with app.app_context():

        def outbox_empty() -> bool:
            db.session.rollback()
            return (
                db.session.scalar(
                    sa.select(sa.func.count()).select_from(OutgoingEmail).where(OutgoingEmail.state == EmailState.QUEUED)
                )
                == 0
            )

        wait_until(outbox_empty)
        stored = sorted(db.session.scalars(sa.select(SponsorInquiry.organization)))
        assert stored == sorted(answered)
        assert len(answered) >= 15  # at most the request in flight when A died can be lost, never half-saved
        subs = {s.id: s for s in db.session.scalars(sa.select(Submission))}
        assert {n: subs[n].title for n in numbers} == numbers
        for number, title in numbers.items():
            file = db.session.get(StoredFile, subs[number].paper.file_id)  # type: ignore[union-attr]
            assert file.sha256 == hashlib.sha256(pdfs[title]).hexdigest()  # type: ignore[union-attr]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReviewAssignment)) == 2 * len(numbers)
        assert set(db.session.scalars(sa.select(Job.state))) == {JobState.DONE}
        rows = db.session.scalars(sa.select(OutgoingEmail)).all()
        assert {r.state for r in rows} == {EmailState.SENT}
    arrived = smtp.wait_for(len(rows), timeout=10)
    keys = Counter((str(m["To"]), str(m["Subject"])) for m in arrived)
    assert len(arrived) == len(rows)
    assert [k for k, n in keys.items() if n > 1] == []
