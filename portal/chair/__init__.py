"""Chairs: the console, reviewing (settings, conflicts, assignment, proposals, reminders), the chair's paper view,
decisions and letters, group mail, the public site's content, exports, jobs and the audit log."""

from portal.chair import (  # noqa: F401 - the routes
    area_chairs,
    audit,
    console,
    content,
    decisions,
    exports,
    jobs,
    mail,
    mail_templates,
    paper,
    photos,
    program,
    review_form,
    reviewing,
    sponsors,
)
from portal.chair.blueprint import bp

__all__ = ["bp"]
