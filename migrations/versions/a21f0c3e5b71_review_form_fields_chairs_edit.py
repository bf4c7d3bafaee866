"""review form: the fields chairs edit (review_field), answers to added fields (review.answers), paper_field_score

Console figures of a score field (paper_field_score); the workshop's form seeded with today's seven fields.

Revision ID: a21f0c3e5b71
Revises: 7e8bf8d3f5c6
Create Date: 2026-12-06 17:10:00.000000

"""

from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa

import portal.db


# revision identifiers, used by Alembic.
revision = "a21f0c3e5b71"
down_revision = "7e8bf8d3f5c6"
branch_labels = None
depends_on = None

RECOMMENDATIONS = ["Strong reject", "Weak reject", "Borderline", "Weak accept", "Strong accept"]
CONFIDENCES = ["Educated guess", "Somewhat unsure", "Fairly confident", "Confident", "Expert, certain"]
# The form as it was before chairs could shape it (portal.models.review_form.DEFAULT_FORM, frozen here).
DEFAULT_FORM = [
    ("recommendation", "score", "Overall recommendation", True, {"labels": RECOMMENDATIONS, "best": "high"}, "reviewers"),
    ("confidence", "score", "Confidence", True, {"labels": CONFIDENCES, "best": "high"}, "reviewers"),
    ("summary", "text", "Summary of the paper", False, {}, "reviewers"),
    ("strengths", "text", "Strengths", False, {}, "reviewers"),
    ("weaknesses", "text", "Weaknesses", False, {}, "reviewers"),
    ("comments_to_authors", "text", "Comments to the authors", False, {}, "authors"),
    ("confidential_comments", "text", "Confidential comments to the chairs", False, {}, "chairs"),
]


def upgrade():
    review_field = op.create_table(
        "review_field",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("form", sa.String(length=16), server_default="review", nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "score",
                "text",
                "choice",
                "multi",
                "yesno",
                name="review_field_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("help", sa.Text(), server_default="", nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("min_words", sa.Integer(), nullable=True),
        sa.Column("max_words", sa.Integer(), nullable=True),
        sa.Column(
            "visibility",
            sa.Enum(
                "authors",
                "reviewers",
                "chairs",
                name="review_field_visibility",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("is_console_column", sa.Boolean(), nullable=False),
        sa.Column("retired_at", portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("min_words IS NULL OR min_words >= 0", name=op.f("ck_review_field_min_words_positive")),
        sa.CheckConstraint("max_words IS NULL OR max_words > 0", name=op.f("ck_review_field_max_words_positive")),
        sa.ForeignKeyConstraint(
            ["workshop_id"], ["workshop.id"], name=op.f("fk_review_field_workshop_id_workshop"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_field")),
        sa.UniqueConstraint("workshop_id", "form", "key", name=op.f("uq_review_field_workshop_id_form_key")),
    )
    with op.batch_alter_table("review_field", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_field_workshop_id"), ["workshop_id"], unique=False)

    op.create_table(
        "paper_field_score",
        sa.Column("field_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("mean", sa.Double(), nullable=True),
        sa.Column("weighted", sa.Double(), nullable=True),
        sa.Column("spread", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["field_id"], ["review_field.id"], name=op.f("fk_paper_field_score_field_id_review_field"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submission.id"], name=op.f("fk_paper_field_score_submission_id_submission"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("field_id", "submission_id", name=op.f("pk_paper_field_score")),
    )
    with op.batch_alter_table("paper_field_score", schema=None) as batch_op:
        batch_op.create_index("ix_paper_field_score_field_mean", ["field_id", "mean"], unique=False)

    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answers", sa.JSON(), server_default="{}", nullable=False))

    # Every workshop gets today's form, so nothing changes for one that never touches it. The answers already
    # given stay where they are (the seven fields keep theirs in the review's columns).
    now = datetime.now(UTC)
    rows = []
    for (workshop_id,) in op.get_bind().execute(sa.text("SELECT id FROM workshop")):
        for position, (key, kind, label, required, options, visibility) in enumerate(DEFAULT_FORM, start=1):
            rows.append(
                {
                    "workshop_id": workshop_id,
                    "form": "review",
                    "key": key,
                    "kind": kind,
                    "label": label,
                    "help": "",
                    "required": required,
                    "position": position,
                    "options": options,
                    "min_words": None,
                    "max_words": None,
                    "visibility": visibility,
                    "is_console_column": False,
                    "retired_at": None,
                    "created_at": now,
                }
            )
    if rows:
        op.bulk_insert(review_field, rows)


def downgrade():
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_column("answers")

    with op.batch_alter_table("paper_field_score", schema=None) as batch_op:
        batch_op.drop_index("ix_paper_field_score_field_mean")

    op.drop_table("paper_field_score")
    with op.batch_alter_table("review_field", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_field_workshop_id"))

    op.drop_table("review_field")
