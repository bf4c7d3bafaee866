"""author response: the workshop's response phase (opens, deadline, word limit) and each paper's one response

Revision ID: b3c1d2e4f5a6
Revises: a21f0c3e5b71
Create Date: 2026-12-06 17:40:00.000000

"""

from alembic import op
import sqlalchemy as sa

import portal.db


# revision identifiers, used by Alembic.
revision = "b3c1d2e4f5a6"
down_revision = "a21f0c3e5b71"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.add_column(sa.Column("response_opens_at", portal.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("response_deadline", portal.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("response_words", sa.Integer(), server_default="500", nullable=False))
    op.create_table(
        "author_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submission.id"], name=op.f("fk_author_response_submission_id_submission"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_author_response_updated_by_id_user"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_author_response")),
        sa.UniqueConstraint("submission_id", name=op.f("uq_author_response_submission_id")),
    )


def downgrade():
    op.drop_table("author_response")
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.drop_column("response_words")
        batch_op.drop_column("response_deadline")
        batch_op.drop_column("response_opens_at")
