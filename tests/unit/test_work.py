"""The end of every POST view (portal/work.py): a service's change committed whole, or refused and rolled back
whole, with the sentence to show; "Nothing was saved." said once, from the error, never carried by a message."""

from __future__ import annotations

import ast
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm.exc import StaleDataError

from portal import work
from portal.db import db
from portal.domain import ChangedMeanwhile, DeadlinePassed, DomainError, InvalidTransition
from portal.models import Workshop
from portal.storage import StorageFull
from portal.templating import format_datetime

PORTAL = Path(__file__).resolve().parents[2] / "portal"
CLOSED = datetime(2024, 5, 31, 11, 59, tzinfo=UTC)


def name_of_workshop(app: Flask) -> str:
    with app.app_context():
        return db.session.scalars(sa.select(Workshop.name)).one()


def renamed_then(error: BaseException | None, value: object = None) -> Callable[[], object]:
    def action() -> object:
        db.session.scalars(sa.select(Workshop)).one().name = "Renamed"
        db.session.flush()
        if error is not None:
            raise error
        return value

    return action


def test_an_attempt_that_succeeds_is_committed_and_gives_its_value(app: Flask) -> None:
    with app.test_request_context():
        outcome = work.attempt(renamed_then(None, 7))
        assert (outcome.ok, outcome.value, outcome.error, outcome.problem) == (True, 7, None, "")
        assert outcome.report is not None and outcome.report.sent == []
    assert name_of_workshop(app) == "Renamed"


@pytest.mark.parametrize(
    ("error", "problem"),
    [
        (DomainError("Choose a reviewer."), "Choose a reviewer."),
        (InvalidTransition("This proposal was applied already."), "This proposal was applied already."),
        (ChangedMeanwhile("Another chair changed #3. Reload."), "Another chair changed #3. Reload. Nothing was saved."),
        (DeadlinePassed("Bidding is closed.", CLOSED), "Bidding is closed. Nothing was saved."),
        (StorageFull("The disk is full."), "The disk is full. Nothing was saved."),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else None,
)
def test_a_refusal_is_rolled_back_whole_and_says_nothing_was_saved_when_its_error_does(
    app: Flask, error: BaseException, problem: str
) -> None:
    before = name_of_workshop(app)
    with app.test_request_context():
        outcome = work.attempt(renamed_then(error))
        assert (outcome.ok, outcome.value, outcome.error, outcome.problem) == (False, None, error, problem)
        assert outcome.collided is False
    assert name_of_workshop(app) == before


def test_a_view_may_say_what_was_not_done_for_every_refusal_or_nothing(app: Flask) -> None:
    with app.test_request_context():
        assert work.attempt(renamed_then(DomainError("No such person.")), unsaved="Nothing was sent.").problem == (
            "No such person. Nothing was sent."
        )
        assert work.attempt(renamed_then(DeadlinePassed("It stays withdrawn.", CLOSED)), unsaved="").problem == (
            "It stays withdrawn."
        )


def test_a_deadline_is_told_in_the_workshops_zone_when_the_view_shows_it(app: Flask) -> None:
    with app.test_request_context():
        outcome = work.attempt(renamed_then(DeadlinePassed("Reviewing is closed.", CLOSED)), show_deadline=True)
        assert outcome.problem == f"Reviewing is closed. It was {format_datetime(CLOSED)}. Nothing was saved."
        assert format_datetime(CLOSED).endswith(" AoE")
        no_date = work.attempt(renamed_then(DeadlinePassed("Submissions are closed.")), show_deadline=True)
        assert no_date.problem == "Submissions are closed. Nothing was saved."


def test_a_change_lost_to_another_at_the_same_moment_is_told_in_words_never_the_databases(app: Flask) -> None:
    lost = StaleDataError("UPDATE statement on table 'submission' expected to update 1 row(s); 0 were matched.")
    taken = sa.exc.IntegrityError("INSERT INTO bid ...", {}, Exception("UNIQUE constraint failed: bid.reviewer_id"))
    with app.test_request_context():
        for error in (lost, taken):
            outcome = work.attempt(renamed_then(error))
            assert (outcome.ok, outcome.collided, outcome.problem) == (False, True, work.SIMULTANEOUS)
        assert work.attempt(renamed_then(lost), collision="Reload and decide again.").problem == "Reload and decide again."
    assert name_of_workshop(app) != "Renamed"


def test_a_form_token_found_taken_goes_on_to_the_first_posts_answer(app: Flask) -> None:
    taken = sa.exc.IntegrityError("INSERT INTO form_token ...", {}, Exception("UNIQUE constraint failed: form_token.token"))
    with app.test_request_context(), pytest.raises(sa.exc.IntegrityError):
        work.attempt(renamed_then(taken))


def texts_of(path: Path) -> list[tuple[int, str]]:
    """The string constants of a module and their lines, its docstrings left out."""
    tree = ast.parse(path.read_text())
    docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
    return [
        (n.lineno, n.value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings
    ]


def test_no_message_carries_nothing_was_saved_the_error_says_it() -> None:
    # The services and the storage raise the errors views show: none of their texts says that nothing was saved
    # (a view would say it twice, or search the text for it); the error's ``unsaved`` says it instead.
    modules = [*sorted((PORTAL / "services").glob("*.py")), PORTAL / "storage.py"]
    carrying = [f"{path.name}:{line}" for path in modules for line, text in texts_of(path) if "nothing was saved" in text.lower()]
    assert carrying == []
