"""Jinja helpers: initials avatars, paragraphs from plain text, deadlines shown in the workshop's zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from markupsafe import Markup

from portal.templating import avatar, format_datetime, initials, moment, paragraphs


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Niloofar Mireshghallah", "NM"),
        ("Yejin Choi", "YC"),
        ("Plato", "P"),
        ("Jean-Luc Picard", "JP"),
        ("julian mcauley", "JM"),
        ("Émile Zola", "ÉZ"),
        ("", "?"),
        ("  ", "?"),
    ],
)
def test_initials_of_name(name: str, expected: str) -> None:
    assert initials(name) == expected


def test_avatar_is_decorative_svg_with_initials() -> None:
    svg = avatar("Niloofar Mireshghallah", size=48)

    assert isinstance(svg, Markup)
    assert svg.startswith('<svg class="avatar" width="48" height="48" viewBox="0 0 100 100" aria-hidden="true"')
    assert svg.count(">NM</text>") == 1
    assert svg.endswith("</svg>")
    assert avatar("Niloofar Mireshghallah", size=48) == svg  # same person, same colour


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Mallory <script>alert(1)</script>", ">M</text>"),
        ('"><script>alert(1)</script>', ">?</text>"),
        ("Eve <img src=x onerror=alert(1)>", ">EO</text>"),
    ],
)
def test_avatar_hostile_name_is_never_raw(name: str, shown: str) -> None:
    svg = avatar(name)

    assert "<script" not in svg
    assert "<img" not in svg
    assert 'aria-hidden="true"' in svg
    assert shown in svg


def test_paragraphs_blank_lines_make_escaped_paragraphs() -> None:
    html = paragraphs("a\n\nb<script>")

    assert html == Markup("<p>a</p>\n<p>b&lt;script&gt;</p>")


def test_paragraphs_single_newline_is_a_line_break() -> None:
    assert paragraphs("one\r\ntwo\r\n\r\n\r\nthree") == Markup("<p>one<br>\ntwo</p>\n<p>three</p>")


def test_paragraphs_empty_text_is_empty() -> None:
    assert (paragraphs(None), paragraphs("  \n\n ")) == (Markup(""), Markup(""))


def test_format_datetime_deadline_in_aoe(app: Flask) -> None:
    deadline = datetime(2024, 2, 4, 11, 59, tzinfo=UTC)  # 3 February, 23:59 Anywhere on Earth
    with app.app_context():
        shown = format_datetime(deadline)
        tag = moment(deadline)

    assert shown == "Sat 3 Feb 2024, 23:59 AoE"
    assert tag == Markup(
        '<time datetime="2024-02-04T11:59:00+00:00" data-local>Sat 3 Feb 2024, 23:59 AoE</time> '
        '<span class="utc">(Sun 4 Feb 2024, 11:59 UTC)</span>'
    )
