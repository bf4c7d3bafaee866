"""All models, imported here so Alembic and the app see every table."""

from portal.models.email import EmailState, OutgoingEmail
from portal.models.sponsor import SponsorInquiry
from portal.models.submission import (
    Decision,
    FileKind,
    Revision,
    StoredFile,
    Submission,
    SubmissionAuthor,
    SubmissionState,
)
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
    "Decision",
    "EmailState",
    "FileKind",
    "ImportantDate",
    "Invitation",
    "InvitationState",
    "LoginFailure",
    "OutgoingEmail",
    "Person",
    "PersonRole",
    "Question",
    "Revision",
    "SponsorInquiry",
    "SponsorOption",
    "StoredFile",
    "Submission",
    "SubmissionAuthor",
    "SubmissionState",
    "SubmissionType",
    "Topic",
    "User",
    "UserConflict",
    "UserPaper",
    "Workshop",
]
