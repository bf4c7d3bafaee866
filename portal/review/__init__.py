"""Reviewers: their papers, bidding, reviews, the paper page with the other reviews and the discussion."""

from portal.review import area_chair, views  # noqa: F401 - the routes
from portal.review.blueprint import bp

__all__ = ["bp"]
