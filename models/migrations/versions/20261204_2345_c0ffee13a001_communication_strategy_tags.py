"""communication strategy tags: the strategy, step and variant that sent a message

Revision ID: c0ffee13a001
Revises: ffe0c0de0001
Create Date: 2026-12-04 23:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c0ffee13a001'
down_revision = 'ffe0c0de0001'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs (no foreign key), so SQLite does not rebuild the communications table.
    with op.batch_alter_table('communications') as batch_op:
        batch_op.add_column(sa.Column('strategy_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('strategy_step_index', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('strategy_variant', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('communications') as batch_op:
        batch_op.drop_column('strategy_variant')
        batch_op.drop_column('strategy_step_index')
        batch_op.drop_column('strategy_id')
