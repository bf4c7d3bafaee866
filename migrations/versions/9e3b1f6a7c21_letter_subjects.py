"""letter subjects (issue 21.7): a subject the chairs word for each decision's and presentation's letter

The workshop's two (accept_subject, reject_subject) and each presentation's (letter_template.subject); empty: the
portal's own subject.

Revision ID: 9e3b1f6a7c21
Revises: 5c1e7a2b9d40
Create Date: 2026-12-06 21:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "9e3b1f6a7c21"
down_revision = "5c1e7a2b9d40"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.add_column(sa.Column("accept_subject", sa.String(length=500), server_default="", nullable=False))
        batch_op.add_column(sa.Column("reject_subject", sa.String(length=500), server_default="", nullable=False))
    with op.batch_alter_table("letter_template", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject", sa.String(length=500), server_default="", nullable=False))


def downgrade():
    with op.batch_alter_table("letter_template", schema=None) as batch_op:
        batch_op.drop_column("subject")
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.drop_column("reject_subject")
        batch_op.drop_column("accept_subject")
