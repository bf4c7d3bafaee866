"""The JSON API under ``/api/v1/``: thin views over the same services and permissions as the pages, signed in by
personal access tokens, described by the OpenAPI 3.1 document at ``/api/v1/openapi.json`` (docs/guide/api.md)."""

from portal.api import area_chairs, bids, chairs, core, mail, public, reviews, submissions  # noqa: F401 (the routes register themselves)
from portal.api.blueprint import bp

__all__ = ["bp"]
