"""One normalisation of email addresses (portal/addresses.py): spaces, case, Unicode NFC and the IDNA form of the
domain, so that the same mailbox typed two ways is one address everywhere: author rows, declared conflicts,
accounts, and the conflicts computed from them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from portal.addresses import normalize_email, valid_email
from portal.db import db, utcnow
from portal.models import Submission, SubmissionAuthor, SubmissionState, User, Workshop
from portal.queries.conflicts import AUTHOR, conflict_map, org_domain
from portal.services import identities
from portal.services.accounts import create_user
from portal.services.submissions import AuthorInput, check_authors

# Before this change (ffada5b) every test here fails: portal/addresses.py did not exist (addresses were only
# lower-cased, so "xn--" and Unicode domains, and composed and decomposed accents, never compared equal).


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (" Ada@ALPHA-Institute.ORG ", "ada@alpha-institute.org"),
        ("ada@alpha-institute.org.", "ada@alpha-institute.org"),  # the root's dot
        ("\tAda@Alpha-Institute.org\n", "ada@alpha-institute.org"),
        ("ada@xn--bcher-lab-q9a.org", "ada@bücher-lab.org"),  # the IDNA (punycode) form of the domain ...
        ("ADA@BÜCHER-LAB.ORG", "ada@bücher-lab.org"),  # ... and its Unicode form, in capitals
        ("ADA@XN--BCHER-LAB-Q9A.ORG", "ada@bücher-lab.org"),
        ("jose\u0301@alpha-institute.org", "jos\u00e9@alpha-institute.org"),  # decomposed accent -> composed (NFC)
        ("bu\u0308cher@xn--bcher-lab-q9a.org", "b\u00fccher@bücher-lab.org"),
    ],
)
def test_normalize_email(typed: str, expected: str) -> None:
    assert normalize_email(typed) == expected


def test_normalize_email_idna_and_unicode_domains_compare_equal() -> None:
    forms = ["Greta@xn--bcher-lab-q9a.org", "greta@BÜCHER-lab.org", "  GRETA@bücher-lab.org. ", "greta@bu\u0308cher-lab.org"]
    assert {normalize_email(f) for f in forms} == {"greta@bücher-lab.org"}
    # The organisation a conflict compares is then the same too.
    assert {org_domain(normalize_email(f)) for f in forms} == {"bücher-lab.org"}


def test_normalize_email_keeps_what_is_not_an_address_for_validation_to_refuse() -> None:
    assert normalize_email("  No-At-Sign  ") == "no-at-sign"
    assert normalize_email("ada@-Bad-.ORG") == "ada@-bad-.org"  # IDNA refuses it: kept, lower-cased


def test_valid_email_normalises_a_well_formed_address() -> None:
    assert valid_email(" Ada@ALPHA-Institute.ORG ") == "ada@alpha-institute.org"
    assert valid_email("ada@xn--bcher-lab-q9a.org") == valid_email("ADA@Bücher-Lab.org") == "ada@bücher-lab.org"


@pytest.mark.parametrize("typed", ["not an address", "ada@", "@alpha-institute.org", "ada@@alpha-institute.org", ""])
def test_valid_email_refuses_what_is_not_an_address_with_a_sentence(typed: str) -> None:
    with pytest.raises(ValueError, match=r"^“.*” is not an email address\.$") as refused:
        valid_email(typed)
    assert str(refused.value) == f"“{typed.strip()}” is not an email address."


def test_author_typed_with_the_idna_domain_is_the_account_registered_with_the_unicode_one(app: Flask) -> None:
    """An author row typed as ``Bjorn@XN--BCHER-LAB-Q9A.ORG`` links to the account of ``bjorn@BÜCHER-lab.org``,
    and a colleague registered as ``greta@xn--bcher-lab-q9a.org`` shares the author's domain."""
    with app.app_context():
        bjorn = create_user(
            email="bjorn@BÜCHER-lab.org", name="Björn Bücher", password="x" * 16, affiliation="Bücher Lab", roles=("reviewer",)
        )
        greta = create_user(
            email="greta@xn--bcher-lab-q9a.org",
            name="Greta Gast",
            password="x" * 16,
            affiliation="Another Place",
            roles=("reviewer",),
        )
        authors = [AuthorInput("Björn Bücher", " Bjorn@XN--BCHER-LAB-Q9A.ORG ", "Bücher Lab")]
        assert check_authors(authors, bjorn) == []  # he is on the list, by the same address typed otherwise
        assert authors[0].email == "bjorn@bücher-lab.org"
        ws = db.session.scalars(sa.select(Workshop)).one()
        sub = Submission(
            workshop_id=ws.id,
            type_id=ws.submission_types[0].id,
            primary_topic_id=ws.topics[0].id,
            title="Long context at Bücher Lab",
            abstract="Attention.",
            state=SubmissionState.SUBMITTED,
            submitted_at=utcnow(),
            authors=[SubmissionAuthor(position=1, name=a.name, email=a.email, affiliation=a.affiliation) for a in authors],
        )
        db.session.add(sub)
        db.session.flush()
        identities.bind_submission(sub)
        db.session.commit()
        ids = (sub.id, bjorn.id, greta.id)

    with app.app_context():
        sub_id, bjorn_id, greta_id = ids
        linked = db.session.scalars(sa.select(SubmissionAuthor.user_id).where(SubmissionAuthor.submission_id == sub_id))
        assert list(linked) == [bjorn_id]
        emails = dict(db.session.execute(sa.select(User.id, User.email).where(User.id.in_([bjorn_id, greta_id]))).all())
        assert emails == {bjorn_id: "bjorn@bücher-lab.org", greta_id: "greta@bücher-lab.org"}
        assert conflict_map([sub_id], [bjorn_id, greta_id]) == {
            (sub_id, bjorn_id): [AUTHOR],
            (sub_id, greta_id): ["shares the email domain bücher-lab.org with author Björn Bücher (bjorn@bücher-lab.org)"],
        }
