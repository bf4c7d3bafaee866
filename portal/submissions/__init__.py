"""Paper submission against the CFP topics: the author's area, uploads, revisions, camera-ready."""

from portal.submissions import materials, views  # noqa: F401 - the routes
from portal.submissions.blueprint import bp

__all__ = ["bp"]
