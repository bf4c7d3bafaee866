"""Chair-only: the submission settings (deadlines, submission types, file limits, anonymity)."""

from portal.settings import views  # noqa: F401 - the routes
from portal.settings.blueprint import bp

__all__ = ["bp"]
