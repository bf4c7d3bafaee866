"""A submission form that comes back with an error keeps the files chosen (issue 20.10): the author sees the kept
file with "use this file" ticked and need not choose the PDF again; the next save checks it again like a fresh
upload; a new file replaces it; a successful save, another person or another form never uses it."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.submissions import views as submission_views
from tests.conftest import text_of
from tests.pdfs import make_pdf
from tests.views.test_submissions import (
    ADA,
    BOB,
    PDF,
    ada,  # noqa: F401 - the fixture
    edit_form,
    form_fields,
    new_form,
    number_of,
    open_app,  # noqa: F401 - the fixture
    post,
    problems,
    revisions_shown,
    sha,
    signed_in,
    submitted,
    upload,
    upload_files,
)


def kept_files(app: Flask) -> list[str]:
    root = Path(app.config["UPLOAD_FOLDER"]) / "pending"
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_form_refused_for_its_title_keeps_the_pdf_and_the_next_save_uses_it(
    open_app: Flask,  # noqa: F811
    ada: FlaskClient,  # noqa: F811
) -> None:
    refused = post(ada, "/submissions/new", new_form(ada, open_app, title=""))
    assert refused.status_code == 422
    assert len(kept_files(open_app)) == 1 and upload_files(open_app) == []  # kept apart, nothing submitted
    assert problems(refused)  # the title's error is shown
    assert "Use the paper you chose last time: paper.pdf" in text_of(refused)
    assert 'name="keep_paper" value="1" checked' in refused.get_data(as_text=True)

    again = form_fields(refused)  # what the browser posts back: the fields, no file, "use this file" ticked
    assert again.get("keep_paper") == "1" and "paper" not in again
    again.update(title="Attention Sinks at a Million Tokens", action="save")
    number = number_of(post(ada, "/submissions/new", again))

    assert revisions_shown(ada.get(f"/submissions/{number}")) == [("paper", "4", sha(PDF))]
    # Saved once, the kept copy is gone: only the submission's own file (and its reviewers' copy) remain.
    assert "Use the paper you chose last time" not in text_of(ada.get("/submissions/new"))
    assert kept_files(open_app) == [] and len(upload_files(open_app)) == 2


def test_an_author_row_move_keeps_the_pdf_and_a_new_file_replaces_the_kept_one(
    open_app: Flask,  # noqa: F811
    ada: FlaskClient,  # noqa: F811
) -> None:
    data = new_form(ada, open_app)
    data["action"] = "add"  # "Add an author": the form comes back, nothing saved
    moved = post(ada, "/submissions/new", data)
    assert "Use the paper you chose last time: paper.pdf" in text_of(moved)

    other = make_pdf(5)
    again = form_fields(moved) | {"action": "save", "paper": upload(other, "second.pdf")}
    again.update(
        {k: v for k, v in new_form(ada, open_app, paper=None).items() if k in ("title", "abstract", "type", "primary_topic")}
    )
    number = number_of(post(ada, "/submissions/new", again))
    assert revisions_shown(ada.get(f"/submissions/{number}")) == [("paper", "5", sha(other))]


def test_a_kept_pdf_is_checked_again_and_unticked_it_is_not_used(
    open_app: Flask,  # noqa: F811
    ada: FlaskClient,  # noqa: F811
) -> None:
    refused = post(ada, "/submissions/new", new_form(ada, open_app, title=""))
    again = form_fields(refused)
    again.pop("keep_paper")
    again.update(title="A title at last", action="save")
    unticked = post(ada, "/submissions/new", again)
    assert problems(unticked) == ["Attach the paper as a PDF. Nothing was saved."]
    assert "Use the paper you chose last time: paper.pdf" in text_of(unticked)  # still offered

    # Ticked, it is checked again (against the author list as it is now) and saved.
    ticked = form_fields(unticked) | {"title": "A title at last", "action": "save"}
    number = number_of(post(ada, "/submissions/new", ticked))
    assert revisions_shown(ada.get(f"/submissions/{number}")) == [("paper", "4", sha(PDF))]


def test_a_kept_file_belongs_to_its_person_and_its_form(open_app: Flask, ada: FlaskClient) -> None:  # noqa: F811
    post(ada, "/submissions/new", new_form(ada, open_app, title=""))
    bob = signed_in(open_app, BOB["email"])
    assert "Use the paper you chose last time" not in text_of(bob.get("/submissions/new"))
    # Bob posts Ada's "use this file" tick: there is nothing kept for him, so no paper.
    forged = new_form(bob, open_app, paper=None) | {"keep_paper": "1"}
    assert problems(post(bob, "/submissions/new", forged)) == ["Attach the paper as a PDF. Nothing was saved."]
    # Ada's own edit form of another paper does not offer the file kept for a new submission.
    _, mine = submitted(open_app, ADA["email"])
    assert "Use the paper you chose last time" not in text_of(ada.get(f"/submissions/{mine}/edit"))
    edit = edit_form(ada, mine, title="")
    assert "keep_paper" not in edit


def test_a_kept_file_expires_after_an_hour(
    open_app: Flask,  # noqa: F811
    ada: FlaskClient,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    refused = post(ada, "/submissions/new", new_form(ada, open_app, title=""))
    assert len(kept_files(open_app)) == 1
    monkeypatch.setattr(submission_views, "PENDING_MINUTES", 0)
    page = ada.get("/submissions/new")
    assert "Use the paper you chose last time" not in text_of(page)
    assert kept_files(open_app) == []  # and its file is deleted
    late = form_fields(refused) | {"title": "Late", "action": "save"}
    assert problems(post(ada, "/submissions/new", late)) == ["Attach the paper as a PDF. Nothing was saved."]
