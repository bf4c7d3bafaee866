"""Placeholder, filled in by this session."""

from portal.chair import bp  # noqa: F401
