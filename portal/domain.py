"""The errors a rule of the workshop raises (services, jobs) and views show: the lowest layer, so that every
layer may raise or catch them."""


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
