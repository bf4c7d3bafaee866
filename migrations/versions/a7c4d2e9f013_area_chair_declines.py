"""area chairs can say no (issue 21.5): the reason an area chair gave for declining a paper they were to oversee

area_chair_exclusion.note, as assignment_exclusion.note for reviewers (empty: none given, or a chair's exclusion).

Revision ID: a7c4d2e9f013
Revises: 9e3b1f6a7c21
Create Date: 2026-12-06 22:50:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "a7c4d2e9f013"
down_revision = "9e3b1f6a7c21"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("area_chair_exclusion", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note", sa.String(length=500), server_default="", nullable=False))


def downgrade():
    with op.batch_alter_table("area_chair_exclusion", schema=None) as batch_op:
        batch_op.drop_column("note")
