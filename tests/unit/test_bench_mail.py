"""The mail bench runs the letters job as a worker runs it and checks what the SMTP server received: at a small
size here, so that a change to how jobs run cannot leave ``make bench`` broken unseen (it once stopped at the job's
first progress report, because it called the job function without claiming the job)."""

from __future__ import annotations

from pathlib import Path

from bench import bench_mail


def test_the_mail_bench_sends_every_letter_and_reports_both_figures(tmp_path: Path) -> None:
    figures = bench_mail.measure(f"sqlite:///{tmp_path / 'mail.db'}", 12)

    assert set(figures) == {"letters_queue_s", "mail_send_per_s"}
    assert figures["letters_queue_s"].value > 0 and figures["mail_send_per_s"].value > 0
    assert "12 letters" in figures["letters_queue_s"].note and "12 mails" in figures["mail_send_per_s"].note
