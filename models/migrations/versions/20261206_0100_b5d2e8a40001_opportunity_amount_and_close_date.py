"""sales opportunities: amount, currency and expected close date on requirements, and the index
the sales report's pipeline value reads

Revision ID: b5d2e8a40001
Revises: e7b2c4d10001
Create Date: 2026-12-06 01:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b5d2e8a40001'
down_revision = 'e7b2c4d10001'
branch_labels = None
depends_on = None

PIPELINE = ['workflow', 'state', 'expected_close_on', 'currency', 'amount']


def upgrade():
    with op.batch_alter_table('requirements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('amount', sa.Numeric(precision=19, scale=4), nullable=True))
        batch_op.add_column(sa.Column('currency', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('expected_close_on', sa.Date(), nullable=True))
        batch_op.create_index('ix_requirements_pipeline', PIPELINE, unique=False)


def downgrade():
    with op.batch_alter_table('requirements', schema=None) as batch_op:
        batch_op.drop_index('ix_requirements_pipeline')
        batch_op.drop_column('expected_close_on')
        batch_op.drop_column('currency')
        batch_op.drop_column('amount')
