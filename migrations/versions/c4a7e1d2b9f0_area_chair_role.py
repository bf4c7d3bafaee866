"""area chair role (issue 21.2): user.is_area_chair, and the role an invitation grants

Revision ID: c4a7e1d2b9f0
Revises: b3c1d2e4f5a6
Create Date: 2026-12-06 17:50:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c4a7e1d2b9f0"
down_revision = "b3c1d2e4f5a6"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_area_chair", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(length=16), server_default="reviewer", nullable=False))
        batch_op.create_check_constraint("role_known", "role IN ('reviewer', 'area_chair')")


def downgrade():
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_invitation_role_known"), type_="check")
        batch_op.drop_column("role")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("is_area_chair")
