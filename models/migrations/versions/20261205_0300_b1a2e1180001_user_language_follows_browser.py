"""users.language may be empty: the interface then follows the browser's Accept-Language

Revision ID: b1a2e1180001
Revises: a3a1e7c50001
Create Date: 2026-12-05 03:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = 'b1a2e1180001'
down_revision = 'a3a1e7c50001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column(
            'language', existing_type=sa.String(length=16), nullable=True, server_default=None
        )
    # Until now nobody could choose a language (there was no menu): every 'en' is the old
    # column default, not a choice, so those users follow their browser from now on.
    op.execute("UPDATE users SET language = NULL WHERE language = 'en'")


def downgrade():
    op.execute("UPDATE users SET language = 'en' WHERE language IS NULL")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column(
            'language', existing_type=sa.String(length=16), nullable=False, server_default='en'
        )
