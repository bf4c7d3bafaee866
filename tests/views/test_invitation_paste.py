"""Inviting reviewers as chairs paste them: Name <email>, Name email, bare addresses, spreadsheet rows (with a
header, quotes, tabs, more columns), and a message of the chairs' own that each mail (and a resent one) carries."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.services.accounts import parse_invitation_lines
from tests.conftest import SMTPRecorder, post_form, text_of
from tests.views.test_members import chair, flashes, invitation_id, invitation_rows, people, press  # noqa: F401 (fixtures)


@pytest.mark.parametrize(
    ("line", "name", "email"),
    [
        ("Ada Lovelace <ada@example.org>", "Ada Lovelace", "ada@example.org"),
        ("Ada Lovelace ada@example.org", "Ada Lovelace", "ada@example.org"),
        ("ada@example.org", "ada", "ada@example.org"),
        ("Ada Lovelace,ada@example.org", "Ada Lovelace", "ada@example.org"),
        ('"Lovelace, Ada",ada@example.org,Analytical Engines Ltd', "Lovelace, Ada", "ada@example.org"),
        ("ada@example.org;Ada Lovelace", "Ada Lovelace", "ada@example.org"),
        ("Ada Lovelace\tADA@Example.org\tAnalytical Engines", "Ada Lovelace", "ada@example.org"),
    ],
)
def test_every_pasted_shape_gives_a_name_and_an_address(line: str, name: str, email: str) -> None:
    [item] = parse_invitation_lines(line)

    assert (item.name, item.email, item.problem) == (name, email, None)


def test_a_header_row_is_skipped_and_a_line_without_an_address_is_named() -> None:
    pasted = "Name,Email,Affiliation\nAda Lovelace,ada@example.org,Engines\nAda Lovelace\nBcc: eve@example.org\n"

    items = parse_invitation_lines(pasted)

    assert [(i.name, i.email) for i in items if not i.problem] == [("Ada Lovelace", "ada@example.org")]
    # A mail header pasted along is no person: never invited (tests/views/test_security_regressions.py).
    assert [i.line for i in items if i.problem] == ["Ada Lovelace", "Bcc: eve@example.org"]


def test_a_pasted_spreadsheet_invites_everyone_with_the_chairs_message(
    chair: FlaskClient,  # noqa: F811
    people: Flask,  # noqa: F811
    smtp: SMTPRecorder,
) -> None:
    pasted = "name\temail\nBea Byron\tbea@example.org\nCai Chen cai@example.org"
    message = "We expect three reviews each by 1 June.\nThank you for helping!"

    response = post_form(chair, "/members/invitations", {"lines": pasted, "message": message}, follow_redirects=True)

    assert flashes(response) == ["2 invitations sent."]
    mails = sorted(smtp.wait_for(2), key=lambda m: m["To"])
    assert [m["To"] for m in mails] == ["bea@example.org", "cai@example.org"]
    assert all(message in m.get_content().replace("\r\n", "\n") for m in mails)
    assert "Dear Bea Byron," in mails[0].get_content()
    smtp.clear()
    action = f"/members/invitations/{invitation_id(people, 'bea@example.org')}/resend"
    press(chair, "/members/invitations", action, "Resend", follow_redirects=True)
    [again] = smtp.wait_for(1)
    assert message in again.get_content().replace("\r\n", "\n")


def test_a_message_over_two_thousand_characters_is_refused_and_nobody_is_invited(
    chair: FlaskClient,  # noqa: F811
    people: Flask,  # noqa: F811
    smtp: SMTPRecorder,
) -> None:
    response = post_form(chair, "/members/invitations", {"lines": "bea@example.org", "message": "x" * 2001})

    assert response.status_code == 422
    assert "Keep the message under 2,000 characters." in text_of(response)
    assert "bea@example.org" not in [row[1] for row in invitation_rows(chair)]
    assert smtp.wait_for(1, timeout=0.3) == []
