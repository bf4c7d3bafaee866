"""mail templates (issue 21.7): the chairs' wording of the system mails, one row per workshop and kind

Revision ID: 5c1e7a2b9d40
Revises: bf4534379a92
Create Date: 2026-12-06 20:05:00.000000

"""

from alembic import op
import sqlalchemy as sa

import portal.db


# revision identifiers, used by Alembic.
revision = "5c1e7a2b9d40"
down_revision = "bf4534379a92"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "mail_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_mail_template_updated_by_id_user"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workshop_id"], ["workshop.id"], name=op.f("fk_mail_template_workshop_id_workshop"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_template")),
        sa.UniqueConstraint("workshop_id", "kind", name=op.f("uq_mail_template_workshop_id_kind")),
    )


def downgrade():
    op.drop_table("mail_template")
