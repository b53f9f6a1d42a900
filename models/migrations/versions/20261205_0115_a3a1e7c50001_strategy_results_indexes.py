"""index communications by customer, direction, deletion and time (the reply check) and outreach
events by strategy and kind (a strategy's results)

Revision ID: a3a1e7c50001
Revises: ffe0c0de0002
Create Date: 2026-12-05 01:15:00

"""
from alembic import op


revision = 'a3a1e7c50001'
down_revision = 'ffe0c0de0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('communications', schema=None) as batch_op:
        batch_op.create_index(
            'ix_communications_customer_direction',
            ['customer_id', 'direction', 'deleted_at', 'occurred_at'],
            unique=False,
        )
    with op.batch_alter_table('outreach_events', schema=None) as batch_op:
        batch_op.create_index(
            'ix_outreach_events_strategy_kind',
            ['strategy_id', 'kind', 'enrolment_id', 'step_index', 'variant', 'channel'],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table('outreach_events', schema=None) as batch_op:
        batch_op.drop_index('ix_outreach_events_strategy_kind')
    with op.batch_alter_table('communications', schema=None) as batch_op:
        batch_op.drop_index('ix_communications_customer_direction')
