"""Chairs: reviewing settings, conflicts, assignment (automatic and manual), reminders, the chair's paper view."""

from portal.chair import audit, console, content, decisions, exports, jobs, mail, views  # noqa: F401 - the routes
from portal.chair.blueprint import bp

__all__ = ["bp"]
