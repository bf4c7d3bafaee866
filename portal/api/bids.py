"""Bids: the reviewer's bid list (the page's search, filters and order, a page at a time) and one bid."""

from __future__ import annotations

from typing import Literal

from flask import Response, abort
from pydantic import Field

from portal import permissions, work
from portal.api.core import Answer, Strict, answer, decode_cursor, encode_cursor, operation, refuse
from portal.db import utcnow
from portal.models import BidValue, Phase
from portal.services import bidding
from portal.web import me, require_workshop

TAG = "Bids"


class BidsQuery(Strict):
    q: str = Field("", max_length=200, description="words in the title, abstract or keywords")
    topic: int | None = Field(None, description="a topic id (primary or secondary)")
    show: Literal["", "none", "bid", "eager", "willing", "in_a_pinch", "not_willing"] = ""
    sort: Literal["match", "number", "title", "bid"] = "match"
    cursor: str | None = Field(None, max_length=200)


class BidOut(Answer):
    number: int
    title: str
    abstract: str
    keywords: str
    topics: list[str]
    match: float
    bid: BidValue | None


class BidList(Answer):
    items: list[BidOut]
    total: int = Field(description="the papers you may bid on")
    matching: int = Field(description="of which the search and filters keep")
    next_cursor: str | None


class BidSaved(Answer):
    number: int
    bid: BidValue | None


class BidIn(Strict):
    bid: BidValue | None = Field(description="null takes the bid back")


def _reviewer() -> None:
    if not permissions.is_reviewer(me()):
        refuse(403, "Bids are for reviewers.")


@operation("/bids", tag=TAG, response=BidList, query=BidsQuery)
def bid_list(query: BidsQuery) -> Response:
    """The papers you may bid on, with your bids: the bid list's search, filters and order, 50 a page."""
    ws = require_workshop()
    _reviewer()
    after = decode_cursor(query.cursor)
    wanted = int(after[0]) if after else 1
    if ws.phase == Phase.SUBMISSION:
        return answer(BidList(items=[], total=0, matching=0, next_cursor=None))
    listing = bidding.bid_list(ws, me(), q=query.q.lower(), topic=query.topic, show=query.show, sort=query.sort, page=wanted)
    if listing.page != wanted:  # past the end: nothing more (the page shows the last page instead)
        listing.rows = []
    items = [
        BidOut(
            number=r.number, title=r.title, abstract=r.abstract, keywords=r.keywords, topics=r.topics, match=r.match, bid=r.bid
        )
        for r in listing.rows
    ]
    following = encode_cursor(listing.page + 1) if listing.rows and listing.page < listing.pages else None
    return answer(BidList(items=items, total=listing.total, matching=listing.matching, next_cursor=following))


@operation("/bids/<int:number>", "PUT", tag=TAG, response=BidSaved, body=BidIn, errors=(409,))
def place_bid(number: int, body: BidIn) -> Response:
    """Bid on a paper (or take the bid back) while bidding is open; 404 for a paper you may not bid on."""
    ws = require_workshop()
    _reviewer()
    user = me()
    if not bidding.may_bid_on(ws, user, number):
        abort(404)
    outcome = work.attempt(lambda: bidding.place_bid(user, ws, number, body.bid, utcnow()))
    if isinstance(outcome.error, bidding.NotBiddable):
        abort(404)
    if not outcome.ok:
        refuse(409, outcome.problem)
    return answer(BidSaved(number=number, bid=body.bid))
