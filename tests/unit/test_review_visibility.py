"""Who reads a review field's answers (issue 21.4), the rule every page, letter and export asks: a field's
audience and everyone above it (authors < reviewers < chairs); a retired field, the chairs only; nobody else."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.models import Audience, FieldKind, ReviewField
from portal.permissions import can_see_field, visible_fields

A, R, C = Audience.AUTHORS, Audience.REVIEWERS, Audience.CHAIRS


def field(visibility: Audience, *, retired: bool = False, key: str = "x") -> ReviewField:
    return ReviewField(
        key=key,
        form="review",
        kind=FieldKind.TEXT,
        label=key,
        visibility=visibility,
        retired_at=datetime(2026, 1, 1, tzinfo=UTC) if retired else None,
    )


@pytest.mark.parametrize(
    ("reader", "visibility", "retired", "sees"),
    [
        (A, A, False, True),
        (A, R, False, False),
        (A, C, False, False),
        (R, A, False, True),
        (R, R, False, True),
        (R, C, False, False),
        (C, A, False, True),
        (C, R, False, True),
        (C, C, False, True),
        (None, A, False, False),
        (None, C, False, False),
        (A, A, True, False),
        (R, R, True, False),
        (R, A, True, False),
        (C, A, True, True),
        (C, C, True, True),
    ],
)
def test_a_field_is_read_by_its_audience_and_those_above(
    reader: Audience | None, visibility: Audience, retired: bool, sees: bool
) -> None:
    assert can_see_field(reader, field(visibility, retired=retired)) is sees


def test_visible_fields_keep_the_forms_order() -> None:
    form = [field(C, key="c"), field(A, key="a"), field(R, key="r"), field(A, retired=True, key="old")]
    assert [f.key for f in visible_fields(A, form)] == ["a"]
    assert [f.key for f in visible_fields(R, form)] == ["a", "r"]
    assert [f.key for f in visible_fields(C, form)] == ["c", "a", "r", "old"]
    assert visible_fields(None, form) == []
