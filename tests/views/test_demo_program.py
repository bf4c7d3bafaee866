"""The demo after the decisions (``flask demo --phase program``, issue 24.7): every paper decided and the accepted ones
published, the workshop day built and published (the seed's two speakers' keynotes, the oral papers' talks, two panels
on two of the seed's fundamental questions, the posters on boards) with nothing to warn about; loading the demo at
another phase takes the program away."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from icalendar import Calendar

from portal.db import db
from portal.demo import DEMO_PASSWORD
from portal.models import Decision, ItemKind, Presentation, ProgramItem, ProgramRole, ProgramSession, Submission, Workshop
from portal.services import program
from tests.conftest import text_of
from tests.factories import login


def test_the_program_demo_builds_and_publishes_the_workshop_day(empty_app: Flask) -> None:
    runner = empty_app.test_cli_runner()
    result = runner.invoke(args=["demo", "--phase", "program"])
    assert result.exit_code == 0, result.output
    assert (
        "loaded at the program phase: every paper decided, the accepted papers published and the program built, "
        "12 submissions are in."
    ) in result.output
    with empty_app.app_context():
        ws = db.session.scalar(sa.select(Workshop))
        assert ws.program_published and ws.accepted_published
        subs = list(db.session.scalars(sa.select(Submission).order_by(Submission.id)))
        assert all(s.decision is not None for s in subs)
        accepted = [s for s in subs if s.decision == Decision.ACCEPTED]
        orals = [s.id for s in accepted if s.presentation == Presentation.ORAL]
        posters = [s.id for s in accepted if s.presentation == Presentation.POSTER]
        assert len(orals) == 2 and len(posters) >= 3 and len(orals) + len(posters) == len(accepted)
        sessions = program.sessions(ws)
        assert [s.title for s in sessions] == ["Morning session", "Afternoon session"]
        items = [i for s in sessions for i in s.items]
        by_kind = {kind: [i for i in items if i.kind == kind] for kind in ItemKind}
        keynote_speakers = [p.display_name for i in by_kind[ItemKind.KEYNOTE] for p in i.in_role(ProgramRole.SPEAKER)]
        assert keynote_speakers == ["Yejin Choi", "Luke Zettlemoyer"]
        assert [i.title for i in by_kind[ItemKind.PANEL]] == ["Panel: Innovative Design", "Panel: Evaluation"]
        assert all(
            len(i.in_role(ProgramRole.PANELIST)) == 3 and i.in_role(ProgramRole.MODERATOR) for i in by_kind[ItemKind.PANEL]
        )
        assert [i.submission_id for i in by_kind[ItemKind.TALK]] == orals
        assert all(i.speaker_author in i.submission.authors for i in by_kind[ItemKind.TALK])  # type: ignore[union-attr]
        (poster_session,) = by_kind[ItemKind.POSTERS]
        assert [(p.submission_id, p.board) for p in poster_session.posters] == [
            (n, f"P{k}") for k, n in enumerate(posters, start=1)
        ]
        assert program.warnings(ws, sessions) == []
        count = len(items)
        author = db.session.get(Submission, posters[0]).authors[0].email  # type: ignore[union-attr]
    visitor = empty_app.test_client()
    text = text_of(visitor.get("/program"))
    assert "Keynote What we want from a million tokens Yejin Choi" in text
    assert "Panel Panel: Evaluation Panelists:" in text
    assert len(Calendar.from_ical(visitor.get("/program.ics").data).walk("VEVENT")) == count
    # The demo's authors of accepted papers may add their materials (the accepted papers are published).
    client = empty_app.test_client()
    login(client, author, DEMO_PASSWORD)
    assert "Poster, slides and video of" in text_of(client.get(f"/submissions/{posters[0]}/materials"))

    result = runner.invoke(args=["demo", "--phase", "submission"])
    assert result.exit_code == 0, result.output
    with empty_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ProgramSession)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ProgramItem)) == 0
        assert not db.session.scalar(sa.select(Workshop.program_published))
    assert visitor.get("/program").status_code == 404


def test_the_program_phase_goes_with_the_small_demo_only(empty_app: Flask) -> None:
    result = empty_app.test_cli_runner().invoke(args=["demo", "--phase", "program", "--papers", "5"])
    assert result.exit_code == 2
    assert "--phase program goes with the small demo only (without --papers)." in result.output
