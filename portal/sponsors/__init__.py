"""Sponsors: the call to sponsor and the contact form to the organizers."""

from portal.sponsors import views  # noqa: F401 - the routes
from portal.sponsors.blueprint import bp

__all__ = ["bp"]
