"""All models, imported here so Alembic and the app see every table."""

from portal.models.email import EmailState, OutgoingEmail
from portal.models.sponsor import SponsorInquiry
from portal.models.user import (
    ConflictKind,
    Invitation,
    InvitationState,
    LoginFailure,
    User,
    UserConflict,
    UserPaper,
)
from portal.models.workshop import (
    AOE_ZONE,
    DateKind,
    ImportantDate,
    Person,
    PersonRole,
    Question,
    SponsorOption,
    SubmissionType,
    Topic,
    Workshop,
)

__all__ = [
    "AOE_ZONE",
    "ConflictKind",
    "Invitation",
    "InvitationState",
    "LoginFailure",
    "User",
    "UserConflict",
    "UserPaper",
    "DateKind",
    "EmailState",
    "ImportantDate",
    "OutgoingEmail",
    "Person",
    "PersonRole",
    "Question",
    "SponsorInquiry",
    "SponsorOption",
    "SubmissionType",
    "Topic",
    "Workshop",
]
