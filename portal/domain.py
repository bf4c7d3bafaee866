"""The errors a rule of the workshop raises (services, jobs) and views show: the lowest layer, so that every
layer may raise or catch them."""

#: What a refusal adds after its message where people may believe their work was kept: the unit of work was rolled
#: back whole. An error's ``unsaved`` says whether it does; ``portal.work.attempt`` adds it, once. No message
#: carries it, so nothing searches a message for it.
NOTHING_SAVED = "Nothing was saved."


class DomainError(Exception):
    """A rule of the workshop refused the change; the message is shown to the user as is."""

    #: The sentence shown after the message (``NOTHING_SAVED``), or "" when the message makes it plain.
    unsaved: str = ""


class Conflicted(DomainError):
    """The change collides with another record or another person's concurrent change."""


class ChangedMeanwhile(Conflicted):
    """The record changed (another tab, another person) since the form was opened: saving would overwrite what
    the person has not seen. What they typed is not kept, and they are told so."""

    unsaved = NOTHING_SAVED


class DeadlinePassed(DomainError):
    """The deadline for this change is over; ``deadline`` says when it was. What was typed before it is not kept,
    and the person is told so."""

    unsaved = NOTHING_SAVED

    def __init__(self, message: str, deadline: object = None) -> None:
        super().__init__(message)
        self.deadline = deadline


class InvalidTransition(DomainError):
    """The object is not in a state that allows this change."""
