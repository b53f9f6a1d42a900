"""index communications by customer, direction, deletion and time (the reply check), and
enrolments by stop reason and time (the reply Pareto)

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
    with op.batch_alter_table('outreach_enrolments', schema=None) as batch_op:
        batch_op.create_index(
            'ix_outreach_enrolments_stop_reason_stopped_at',
            ['stop_reason', 'stopped_at'],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table('outreach_enrolments', schema=None) as batch_op:
        batch_op.drop_index('ix_outreach_enrolments_stop_reason_stopped_at')
    with op.batch_alter_table('communications', schema=None) as batch_op:
        batch_op.drop_index('ix_communications_customer_direction')
