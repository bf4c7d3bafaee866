"""Backup and restore (``flask --app portal backup DIR`` and ``restore DIR``): a whole workshop comes back in a
fresh instance row for row and byte for byte; a restore into an instance in use, or from a backup that was
tampered with, is refused and changes nothing; a backup taken while submissions keep arriving holds every file
its database refers to. On SQLite and, with PORTAL_TEST_DATABASE_URL, on PostgreSQL (a second database)."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import time as clock
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask

from portal import backup, work
from portal.db import db, utcnow
from portal.models import (
    Audience,
    Bid,
    BidValue,
    ConflictKind,
    DateKind,
    Decision,
    ExclusionReason,
    FieldKind,
    FormToken,
    ImportantDate,
    Phase,
    Presentation,
    Revision,
    Submission,
    SubmissionType,
    Topic,
    User,
    Workshop,
)
from portal.services import (
    accounts,
    api_tokens,
    area_chairs,
    assignments,
    decisions,
    discussion,
    mail_templates,
    meta_reviews,
    program,
    responses,
    review_form,
    reviews,
    sponsors,
)
from portal.services import submissions as subs
from tests.conftest import _truncate_all, make_app, own_pg_database
from tests.factories import PASSWORD, login, make_user
from tests.pdfs import make_pdf

# --- instances ------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_second_database() -> Iterator[str]:
    """A second PostgreSQL database of this run's own (portal_test_<pid>_restore), migrated once."""
    yield from own_pg_database("_restore")


@pytest.fixture
def fresh(database_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """A second, empty instance of the same kind: its own migrated database without rows, its own upload folder."""
    if database_url.startswith("sqlite"):
        path = tmp_path / "restored.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_second_database")
        _truncate_all(url)
    app = make_app(url, UPLOAD_FOLDER=str(tmp_path / "restored-uploads"))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def cli(app: Flask, *args: str, input: str | None = None) -> Result:
    return app.test_cli_runner().invoke(args=list(args), input=input)


def everything(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table in the database (as the database has them, all columns), in key order."""
    with app.app_context(), db.engine.connect() as conn:
        meta = sa.MetaData()
        meta.reflect(conn)
        return {
            name: [tuple(row) for row in conn.execute(sa.select(table).order_by(*(table.primary_key.columns or table.c)))]
            for name, table in sorted(meta.tables.items())
        }


def uploads(app: Flask) -> dict[str, bytes]:
    """Every file under the upload folder (temporary ones included), by its path there."""
    root = Path(app.config["UPLOAD_FOLDER"])
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def kind_of(app: Flask) -> str:
    return "sqlite" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else "postgresql"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_of(directory: Path) -> dict[str, Any]:
    return json.loads((directory / "manifest.json").read_text())


# --- the workshop -----------------------------------------------------------------------------------------

PEOPLE: dict[str, dict[str, Any]] = {
    "carla": {"email": "carla@example.org", "name": "Carla Chair", "affiliation": "Chair University", "roles": ("chair",)},
    "rita": {"email": "rita@example.org", "name": "Rita Reviewer", "affiliation": "Rita Research Centre", "roles": ("reviewer",)},
    "rex": {"email": "rex@example.org", "name": "Rex Reader", "affiliation": "Reader University", "roles": ("reviewer",)},
    "una": {"email": "una@example.org", "name": "Una Unassigned", "affiliation": "Una Polytechnic", "roles": ("reviewer",)},
    "ada": {"email": "ada@example.org", "name": "Ada Author", "affiliation": "Alpha Institute"},
    "otto": {"email": "otto@example.org", "name": "Otto Other", "affiliation": "Omega College"},
}
PAPER = make_pdf(3, text="Ring attention past a million tokens.", author="Ada Author", title="Ring Attention")
OTHER = make_pdf(2, text="Memory tokens for endless dialogue.", title="Memory Tokens")
SUPPLEMENT = make_pdf(1, text="Appendix: every ablation.", title="Appendix")
_checked: dict[str, subs.CheckedFile] = {}  # the PDF check runs in a child process: once per file per run


def set_paper_deadline(ws: Workshop, at: Any) -> None:
    existing = ws.date_of(DateKind.PAPER_DEADLINE)
    if existing is not None:
        existing.at = at
    else:
        ws.dates.append(ImportantDate(kind=DateKind.PAPER_DEADLINE, label="Paper submission deadline", at=at))


def submit(ws: Workshop, author: User, title: str, people: list[User], pdf: bytes, supplement: bytes | None = None) -> Submission:
    sub_type = db.session.scalars(sa.select(SubmissionType).order_by(SubmissionType.id)).first()
    topic, other = db.session.scalars(sa.select(Topic).order_by(Topic.position)).all()[:2]
    authors = [subs.AuthorInput(p.name, p.email, p.affiliation) for p in people]
    if title not in _checked:
        _checked[title] = subs.check_paper(ws, sub_type, authors, pdf, "paper.pdf")
    if supplement is not None and title + " (supplement)" not in _checked:
        _checked[title + " (supplement)"] = subs.check_supplementary(ws, supplement, "appendix.pdf")
    details = subs.Details(
        title=title,
        abstract=f"The abstract of {title}.",
        type_id=sub_type.id,
        primary_topic_id=topic.id,
        secondary_topic_ids=[other.id],
        keywords="long context",
        authors=authors,
        declared_conflicts="rival@rival-lab.org",
    )
    return subs.create_submission(
        author, ws, details, paper=_checked[title], supplementary=_checked[title + " (supplement)"] if supplement else None
    )


def build_workshop(app: Flask) -> dict[str, int]:
    """Accounts with expertise and conflicts, two papers (PDFs, a supplement, the reviewers' copies), assignments,
    a submitted review and a draft, a comment, a bid, a conflict override, an invitation, a sponsor inquiry,
    decisions with their letters delivered, and a failed sign-in."""
    with app.test_request_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        now = utcnow()
        set_paper_deadline(ws, now + timedelta(days=3))
        users = {key: make_user(**spec) for key, spec in PEOPLE.items()}
        topic = db.session.scalars(sa.select(Topic).order_by(Topic.position)).first()
        accounts.set_expertise(
            users["rita"],
            topic_ids=[topic.id],
            statement="Attention at scale.",
            papers=[accounts.PaperInput("Blockwise attention", "Attention in blocks.")],
        )
        accounts.set_conflicts(users["rex"], [(ConflictKind.INSTITUTION, "Omega College")])
        p1 = submit(ws, users["ada"], "Ring Attention Beyond a Million Tokens", [users["ada"], users["otto"]], PAPER, SUPPLEMENT)
        p2 = submit(ws, users["otto"], "Memory Tokens for Endless Dialogue", [users["otto"]], OTHER)
        set_paper_deadline(ws, now - timedelta(days=1))
        ws.phase, ws.review_deadline = Phase.REVIEWING, now + timedelta(days=10)
        carla, rita, rex, una = users["carla"], users["rita"], users["rex"], users["una"]
        # The review form gains a score for the authors, a column of the console (review_field, paper_field_score).
        review_form.add_field(
            carla,
            ws,
            review_form.FieldInput(
                label="Reproducible",
                kind=FieldKind.SCORE,
                labels=["No", "Partly", "Yes"],
                visibility=Audience.AUTHORS,
                console_column=True,
            ),
        )
        first = assignments.assign_reviewer(carla, ws, p1, rita)
        second = assignments.assign_reviewer(carla, ws, p2, rita)
        assignments.assign_reviewer(carla, ws, p1, una)
        reviews.save_review(
            ws,
            first,
            {"summary": "A clean schedule.", "strengths": "Scales.", "recommendation": 4, "confidence": 3, "reproducible": 3},
            submit=True,
            version=None,
        )
        # The authors' response (issue 21.3), and a chair's API token (issue 23).
        ws.response_opens_at, ws.response_deadline = now - timedelta(hours=1), now + timedelta(days=1)
        responses.save_response(users["ada"], p1, "We thank the reviewers.", None)
        api_tokens.create_token(carla, carla, name="backup script")
        reviews.save_review(ws, second, {"summary": "An unfinished draft."}, submit=False, version=None)
        discussion.post_comment(rita, ws, p1, "Does the speed-up hold on eight devices?")
        # Una also oversees p1 as its area chair (issue 21.2): a request for an extra review and a meta-review.
        una.is_area_chair = True
        area_chairs.set_area_chair(carla, ws, p1, una)
        area_chairs.request_extra_review(una, p1, "Nobody knows sequence parallelism.")
        meta_reviews.save_meta_review(una, ws, p1, {"recommendation": 2, "metareview": "Sound."}, submit=True, version=None)
        # She oversaw p2 for a moment: taken off it by hand, the pair is left out of later runs (issue 22.5).
        area_chairs.set_area_chair(carla, ws, p2, una)
        area_chairs.set_area_chair(carla, ws, p2, None)
        # The chairs worded the reviewers' assignment mail (issue 21.7).
        kind = mail_templates.kind_of("assignment")
        assert kind is not None
        mail_templates.save(carla, ws, kind, "[{{ workshop.label }}] Your papers", "Dear {{ reviewer.name }}, thank you.")
        db.session.add(Bid(submission_id=p1.id, reviewer_id=rex.id, value=BidValue.EAGER))
        assignments.add_conflict_override(carla, p1, rex, True, "Rex co-wrote the baseline.")
        # Una drafts a review of p2 and is removed: her draft is kept, and the pair is left out of later runs.
        third = assignments.assign_reviewer(carla, ws, p2, una)
        reviews.save_review(ws, third, {"summary": "Half a thought."}, submit=False, version=None)
        assignments.unassign_reviewer(carla, third)
        assignments.exclude(carla, p2.id, una.id, ExclusionReason.NEVER)
        accounts.invite_reviewers(carla, ws, accounts.parse_invitation_lines("Vera Visitor <vera@example.org>"))
        sponsors.submit_inquiry(
            ws,
            name="Sam Sponsor",
            organization="Tokens Inc.",
            email="sam@example.org",
            interest="other",
            message="We would like to sponsor the best paper award.",
        )
        decisions.record_decision(
            carla, p1, decision=Decision.ACCEPTED, presentation=Presentation.ORAL, note="Strong results.", version=None
        )
        decisions.record_decision(carla, p2, decision=Decision.REJECTED, presentation=None, note="", version=None)
        decisions.save_letter_templates(  # the oral papers' own template (a letter_template row)
            carla, ws, "", "", with_reviews=True, others={"accepted/oral": "Dear {{ authors }}, see you at the oral session."}
        )
        decisions.send_letters(carla, ws)
        # The program (issue 24): p1's talk and poster, a panel of a speaker and a typed name; p1's slides.
        day = (utcnow() + timedelta(days=60)).date()
        morning = program.add_session(carla, ws, program.SessionInput("Morning", day, clock(9), clock(12), "Hall A"))
        program.add_item(
            carla, morning, program.ItemInput(program.ItemKind.TALK, submission_id=p1.id, speaker_author_id=p1.authors[0].id)
        )
        program.add_item(carla, morning, program.ItemInput(program.ItemKind.POSTERS, title="Posters", posters=[(p1.id, "A1")]))
        program.add_item(
            carla,
            morning,
            program.ItemInput(
                program.ItemKind.PANEL,
                title="Panel",
                panelists=[program.Named(person_id=ws.people[0].id), program.Named(name="Ada Lovelace")],
            ),
        )
        ws.program_published = True
        subs.save_materials(
            users["ada"],
            p1,
            poster=None,
            slides=subs.check_material(ws, p1, PAPER, "slides.pdf", "slides"),
            video_url="https://video.example.org/p1",
            remove=set(),
            version=p1.version,
        )
        # The one-time token of the form that sent them (a second post of it would be shown this result).
        db.session.add(
            FormToken(
                token="letters-form-token",
                endpoint="chair.send_letters",
                user_id=carla.id,
                result_url="/chair/letters",
                message="the letters were sent",
            )
        )
        work.commit_and_deliver()
        numbers = {"p1": p1.id, "p2": p2.id}
    login(app.test_client(), "ada@example.org", "not her password")
    return numbers


def small_workshop(app: Flask) -> int:
    """One paper (its PDF and the reviewers' copy) by one author."""
    with app.test_request_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        set_paper_deadline(ws, utcnow() + timedelta(days=3))
        ada = make_user(**PEOPLE["ada"])
        number = submit(ws, ada, "Ring Attention Beyond a Million Tokens", [ada], PAPER).id
        db.session.commit()
        return number


# --- the tests ----------------------------------------------------------------------------------------------


def test_backup_then_restore_into_a_fresh_instance_brings_back_every_row_and_file(
    app: Flask, fresh: Flask, tmp_path: Path
) -> None:
    numbers = build_workshop(app)
    rows, files = everything(app), uploads(app)
    target = tmp_path / "backups" / "2024-05-01"

    made = cli(app, "backup", str(target))
    assert made.exit_code == 0, made.output
    manifest = manifest_of(target)
    data_rows = {name: len(r) for name, r in rows.items() if name != "alembic_version"}
    revision = rows["alembic_version"][0][0]
    size = sum(len(data) for data in files.values())
    assert made.output == (
        f"Backup written to {target}: {kind_of(app)} database at revision {revision} ({sum(data_rows.values())} "
        f"rows in {len(data_rows)} tables), {len(files)} files ({size / 1_000_000:.1f} MB).\n"
    )
    assert manifest["tables"] == data_rows
    assert manifest["alembic_revision"] == revision
    assert manifest["database"]["kind"] == kind_of(app)
    assert manifest["created_at"].endswith("Z")
    assert manifest["warnings"] == []
    assert {f["key"]: (f["size"], f["sha256"]) for f in manifest["files"]} == {
        path.split("/")[1]: (len(data), sha256(data)) for path, data in files.items()
    }
    assert sorted(p.name for p in target.parent.iterdir()) == ["2024-05-01"]  # no half-written directory beside it
    # What the workshop put in the database: every table but these holds rows.
    assert [name for name, n in data_rows.items() if not n] == ["area_chair_proposal", "assignment_proposal", "job"]
    assert len(files) == 6  # two papers, the supplement, the reviewers' copies of the two papers, p1's slides

    restored = cli(fresh, "restore", str(target))
    assert restored.exit_code == 0, restored.output
    assert restored.output == (
        f"Restored the backup of {manifest['created_at']} (portal {manifest['portal_version']}): "
        f"{sum(data_rows.values())} rows in {len(data_rows)} tables and {len(files)} files, every checksum verified.\n"
    )
    assert everything(fresh) == rows
    assert uploads(fresh) == files

    # The restored site works: Ada signs in with her password and downloads her paper as she uploaded it ...
    client = fresh.test_client()
    login(client, "ada@example.org")
    with fresh.app_context():
        paper = db.session.scalars(
            sa.select(Revision).where(Revision.submission_id == numbers["p1"]).order_by(Revision.id)
        ).first()
    download = client.get(f"/submissions/{numbers['p1']}/files/{paper.id}")
    assert download.data == PAPER
    # ... and a new account takes the next id (PostgreSQL's sequences were restored too).
    created = cli(fresh, "users", "create", "new@example.org", "--name", "New Person", "--password-stdin", input=f"{PASSWORD}\n")
    assert created.output == "Created new@example.org (author).\n"
    with fresh.app_context():
        new_id = db.session.scalar(sa.select(User.id).where(User.email == "new@example.org"))
    assert new_id == max(row[0] for row in rows["user"]) + 1


def test_restore_into_an_instance_in_use_is_refused_and_changes_nothing(app: Flask, tmp_path: Path) -> None:
    small_workshop(app)
    assert cli(app, "backup", str(tmp_path / "backup")).exit_code == 0
    rows, files = everything(app), uploads(app)
    occupied = ", ".join(
        f"{name} ({len(r)})"
        for name, r in sorted(rows.items())
        if r and name != "alembic_version" and name in manifest_of(tmp_path / "backup")["tables"]
    )

    refused = cli(app, "restore", str(tmp_path / "backup"))
    assert refused.exit_code == 1
    assert refused.output == (
        f"Error: The database is not empty: {occupied} hold rows. A backup is restored only into a new, migrated, "
        "empty database; nothing was changed.\n"
    )
    assert everything(app) == rows
    assert uploads(app) == files

    again = cli(app, "backup", str(tmp_path / "backup"))
    assert again.output == f"Error: {tmp_path / 'backup'} is not an empty directory: a backup goes into a new or empty one.\n"


def test_restore_of_a_damaged_backup_is_refused_and_changes_nothing(app: Flask, fresh: Flask, tmp_path: Path) -> None:
    small_workshop(app)
    good = tmp_path / "backup"
    assert cli(app, "backup", str(good)).exit_code == 0
    manifest = manifest_of(good)
    paper = manifest["files"][0]
    dump = manifest["database"]["path"]
    empty = everything(fresh)
    folder = Path(fresh.config["UPLOAD_FOLDER"])

    def flip_a_byte(directory: Path, path: str) -> None:
        data = bytearray((directory / path).read_bytes())
        data[len(data) // 2] ^= 0x01
        (directory / path).write_bytes(bytes(data))

    def edit_manifest(directory: Path, **changes: Any) -> None:
        (directory / "manifest.json").write_text(json.dumps({**manifest_of(directory), **changes}))

    cases = [
        (
            lambda d: flip_a_byte(d, paper["path"]),
            f"Error: The backup failed its checks ({paper['path']} does not match its checksum). Nothing was changed.",
        ),
        (
            lambda d: flip_a_byte(d, dump),
            f"Error: The backup failed its checks ({dump} does not match its checksum). Nothing was changed.",
        ),
        (
            lambda d: (d / paper["path"]).unlink(),
            f"Error: The backup failed its checks ({paper['path']} is missing). Nothing was changed.",
        ),
        (
            lambda d: edit_manifest(d, alembic_revision="0123456789ab"),
            f"Error: The backup is at database revision 0123456789ab (portal {manifest['portal_version']}) and this code "
            f"at {manifest['alembic_revision']}: restore it with the portal version that made it, then upgrade.",
        ),
        (lambda d: (d / "manifest.json").unlink(), "Error: {d} holds no manifest.json: it is not a complete backup."),
    ]
    for number, (damage, message) in enumerate(cases):
        copy = tmp_path / f"damaged-{number}"
        shutil.copytree(good, copy)
        damage(copy)
        refused = cli(fresh, "restore", str(copy))
        assert (refused.exit_code, refused.output) == (1, message.format(d=copy) + "\n")
        assert everything(fresh) == empty
        assert not folder.exists() or uploads(fresh) == {}

    # A file the backup does not hold, in the upload folder: refused too.
    (folder / "ab").mkdir(parents=True)
    (folder / "ab" / "ab00").write_bytes(b"someone else's file")
    refused = cli(fresh, "restore", str(good))
    assert refused.output == (
        f"Error: The upload folder {folder} already holds 1 file(s) that are not in this backup: "
        "restore into an empty upload folder. Nothing was changed.\n"
    )
    assert everything(fresh) == empty
    (folder / "ab" / "ab00").unlink()

    # The untouched backup still restores: the refusals left nothing behind that stands in its way.
    assert cli(fresh, "restore", str(good)).exit_code == 0
    assert everything(fresh) == everything(app)
    assert uploads(fresh) == uploads(app)


def test_backup_while_submissions_keep_arriving_holds_every_file_its_rows_name(
    app: Flask, fresh: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.test_request_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        set_paper_deadline(ws, utcnow() + timedelta(days=3))
        make_user(**PEOPLE["ada"])
        db.session.commit()
    committed: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def writer() -> None:
        """A stream of submissions, each committed with its files (paper and reviewers' copy)."""
        try:
            with app.test_request_context():
                ws = db.session.scalars(sa.select(Workshop)).one()
                ada = db.session.scalar(sa.select(User).where(User.email == "ada@example.org"))
                while not stop.is_set():
                    number = submit(ws, ada, "Ring Attention Beyond a Million Tokens", [ada], PAPER).id
                    db.session.commit()
                    committed.append(number)
        except BaseException as exc:  # reported by the test below
            errors.append(exc)

    def wait_for(count: int) -> None:
        deadline = time.monotonic() + 15
        while len(committed) < count and not errors and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(committed) >= count, errors

    copy_files = backup._copy_files

    def copy_after_more_uploads(*args: Any) -> Any:
        """Between the database snapshot and the file copy, two more submissions commit their files."""
        wait_for(len(committed) + 2)
        return copy_files(*args)

    monkeypatch.setattr(backup, "_copy_files", copy_after_more_uploads)
    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        wait_for(2)
        made = cli(app, "backup", str(tmp_path / "backup"))
    finally:
        stop.set()
        thread.join(timeout=15)
    assert errors == []
    assert made.exit_code == 0, made.output

    manifest = manifest_of(tmp_path / "backup")
    taken = manifest["tables"]["submission"]
    assert 2 <= taken <= len(committed) - 2  # the snapshot saw some submissions, later ones came after it
    assert manifest["tables"]["stored_file"] == len(manifest["files"]) == 2 * taken  # a paper and its reviewers' copy
    assert len(uploads(app)) > len(manifest["files"])  # files of later submissions are in storage, not in the backup
    for entry in manifest["files"]:
        assert sha256((tmp_path / "backup" / entry["path"]).read_bytes()) == entry["sha256"]

    # Restored, the instance has exactly the snapshot's submissions, and a file for every stored_file row.
    assert cli(fresh, "restore", str(tmp_path / "backup")).exit_code == 0
    with fresh.app_context():
        assert db.session.scalars(sa.select(Submission.id).order_by(Submission.id)).all() == sorted(committed)[:taken]
        keys = set(db.session.scalars(sa.text("SELECT storage_key FROM stored_file")))
    assert {path.split("/")[1] for path in uploads(fresh)} == keys
