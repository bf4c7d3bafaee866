"""Business logic: one function per state change. Services flush, never commit; the caller owns the
transaction (a POST view or a CLI command)."""


class DomainError(Exception):
    """A rule of the workshop refused the change; the message is shown to the user as is."""


class Conflicted(DomainError):
    """The change collides with another record or another person's concurrent change."""


class DeadlinePassed(DomainError):
    """The deadline for this change is over; ``deadline`` says when it was."""

    def __init__(self, message: str, deadline: object = None) -> None:
        super().__init__(message)
        self.deadline = deadline


class InvalidTransition(DomainError):
    """The object is not in a state that allows this change."""
