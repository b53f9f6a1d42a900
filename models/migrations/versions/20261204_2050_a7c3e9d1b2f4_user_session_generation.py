"""users.session_generation: raising it ends every session of the user

Revision ID: a7c3e9d1b2f4
Revises: 5018f19f7681
Create Date: 2026-12-04 20:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "a7c3e9d1b2f4"
down_revision = "5018f19f7681"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_generation")
