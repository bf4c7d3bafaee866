"""A radio button sits beside its label at every width: on a 320 px phone the reviewer's form (the shared forms
macro's ``group``) put an option whose label was longer than the line under its button, its words on a line of
their own. Each option of every radio group, at 320, 360 and 1280 px: the button and the first line of its label
share a line (their boxes overlap vertically, the label to the right of the button), and the page does not scroll
sideways."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, expect

from portal.db import db
from portal.models import Audience, FieldKind, Phase, User, Workshop
from portal.services import review_form
from tests.e2e.conftest import sign_in
from tests.e2e.test_phone_width import OVERFLOW_JS
from tests.views.test_reviewing import PEOPLE, build

# The layout does not depend on the database.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

LONG_POINTS = [
    "Nothing could be rerun from what the paper gives",
    "Partly: the main table could be rerun with effort",
    "Fully, from the released code, data and instructions",
]

#: Each radio button with the box of its label's first line, in the page's coordinates.
OPTIONS_JS = """() => [...document.querySelectorAll('fieldset.group :is([type=radio], [type=checkbox])')].map((input) => {
  const label = document.querySelector(`label[for="${input.id}"]`);
  const range = document.createRange();
  range.selectNodeContents(label);
  const first = range.getClientRects()[0];
  const box = input.getBoundingClientRect();
  return {id: input.id, text: label.textContent.trim(),
          radio: [box.left, box.top, box.right, box.bottom], label: [first.left, first.top, first.right, first.bottom]};
})"""


def test_every_radio_shares_a_line_with_its_label_on_the_review_form_at_320_360_and_1280_px(
    app: Flask, browser: Browser, live_server: str, contexts: list[BrowserContext]
) -> None:
    world = build(app, Phase.REVIEWING, assigned=True)
    with app.test_request_context():
        ws = db.session.scalars(sa.select(Workshop)).one()
        chair = db.session.get(User, world.uid("carla"))
        field = review_form.FieldInput(
            label="Reproducibility", kind=FieldKind.SCORE, visibility=Audience.CHAIRS, labels=LONG_POINTS
        )
        review_form.add_field(chair, ws, field)
        db.session.commit()
    url = f"/review/papers/{world.n('p1')}/review"  # (Rita's review, not started)
    for width in (320, 360, 1280):
        context = browser.new_context(
            base_url=live_server, viewport={"width": width, "height": 800}, locale="en-US", timezone_id="UTC"
        )
        contexts.append(context)
        page = context.new_page()
        sign_in(page, live_server, PEOPLE["rita"])
        page.goto(url)
        expect(page.get_by_label(LONG_POINTS[2])).to_be_visible()
        options = page.evaluate(OPTIONS_JS)
        texts = [o["text"] for o in options]
        assert texts[-3:] == [f"{n}: {point}" for n, point in enumerate(LONG_POINTS, 1)] and len(texts) == 13, texts
        apart = [
            (o["text"], o["radio"], o["label"])
            for o in options
            if not (o["label"][1] < o["radio"][3] and o["radio"][1] < o["label"][3] and o["label"][0] >= o["radio"][2])
        ]
        assert apart == [], (width, apart)
        seen = page.evaluate(OVERFLOW_JS)
        assert seen["scroll"] <= seen["width"], (width, seen["widest"])
