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
    "DateKind",
    "EmailState",
    "ImportantDate",
    "Invitation",
    "InvitationState",
    "LoginFailure",
    "OutgoingEmail",
    "Person",
    "PersonRole",
    "Question",
    "SponsorInquiry",
    "SponsorOption",
    "SubmissionType",
    "Topic",
    "User",
    "UserConflict",
    "UserPaper",
    "Workshop",
]
