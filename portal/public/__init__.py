"""The public, informational pages of the workshop."""

from portal.public import program, seo, views  # noqa: F401 - the routes
from portal.public.blueprint import bp

__all__ = ["bp"]
