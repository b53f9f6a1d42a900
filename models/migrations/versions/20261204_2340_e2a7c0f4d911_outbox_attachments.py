"""outbox: the files an outgoing message carries (blob store references)

Revision ID: e2a7c0f4d911
Revises: ffe0c0de0001
Create Date: 2026-12-04 23:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e2a7c0f4d911'
down_revision = 'ffe0c0de0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attachments', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('attachments')
