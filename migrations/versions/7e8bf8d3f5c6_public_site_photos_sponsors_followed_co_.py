"""public site: people's photos, sponsor inquiries followed by the chairs (state, notes, tier, link, logo), co-located with

Revision ID: 7e8bf8d3f5c6
Revises: 1fba4df4b388
Create Date: 2026-12-06 16:45:46.332524

"""

import sqlalchemy as sa
from alembic import op

import portal.db

# revision identifiers, used by Alembic.
revision = "7e8bf8d3f5c6"
down_revision = "1fba4df4b388"
branch_labels = None
depends_on = None

SPONSOR_STATE = sa.Enum(
    "new", "in_conversation", "confirmed", "declined", name="sponsor_state", native_enum=False, create_constraint=True, length=32
)
SPONSOR_TIER = sa.Enum(
    "gold", "silver", "bronze", "supporter", name="sponsor_tier", native_enum=False, create_constraint=True, length=32
)


def upgrade():
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("photo_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("photo_small_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_person_photo_small_id_stored_file"), "stored_file", ["photo_small_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_person_photo_id_stored_file"), "stored_file", ["photo_id"], ["id"], ondelete="SET NULL"
        )

    with op.batch_alter_table("sponsor_inquiry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state", SPONSOR_STATE, server_default="new", nullable=False))
        batch_op.add_column(sa.Column("notes", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("thread_summary", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("display_name", sa.String(length=200), server_default="", nullable=False))
        batch_op.add_column(sa.Column("tier", SPONSOR_TIER, nullable=True))
        batch_op.add_column(sa.Column("website", sa.String(length=500), server_default="", nullable=False))
        batch_op.add_column(sa.Column("logo_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", portal.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_sponsor_inquiry_state"), ["state"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_sponsor_inquiry_logo_id_stored_file"), "stored_file", ["logo_id"], ["id"], ondelete="SET NULL"
        )

    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.add_column(sa.Column("colocated_with", sa.String(length=300), server_default="", nullable=False))


def downgrade():
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.drop_column("colocated_with")

    with op.batch_alter_table("sponsor_inquiry", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_sponsor_inquiry_logo_id_stored_file"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_sponsor_inquiry_state"))
        batch_op.drop_constraint(batch_op.f("ck_sponsor_inquiry_sponsor_state"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_sponsor_inquiry_sponsor_tier"), type_="check")
        for column in ("updated_at", "logo_id", "website", "tier", "display_name", "thread_summary", "notes", "state"):
            batch_op.drop_column(column)

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_person_photo_id_stored_file"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_person_photo_small_id_stored_file"), type_="foreignkey")
        batch_op.drop_column("photo_small_id")
        batch_op.drop_column("photo_id")
