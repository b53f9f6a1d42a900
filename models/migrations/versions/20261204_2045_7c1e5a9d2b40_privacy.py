"""privacy: legal holds, erasure jobs, the customer access log, retention policies

Revision ID: 7c1e5a9d2b40
Revises: 5018f19f7681
Create Date: 2026-12-04 20:45:00

"""
from alembic import op
import sqlalchemy as sa

import models.base


revision = '7c1e5a9d2b40'
down_revision = '5018f19f7681'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('customers') as batch_op:
        batch_op.add_column(sa.Column('legal_hold_at', models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('legal_hold_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('erased_at', models.base.UTCDateTime(timezone=True), nullable=True))
    op.create_table('erasure_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('steps_done', sa.Integer(), nullable=False),
    sa.Column('steps_total', sa.Integer(), nullable=False),
    sa.Column('certificate', sa.JSON(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_erasure_jobs_requested_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erasure_jobs'))
    )
    op.create_index('ix_erasure_jobs_customer_id', 'erasure_jobs', ['customer_id'], unique=False)
    op.create_table('customer_access_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('via', sa.String(length=10), nullable=False),
    sa.Column('detail', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_customer_access_log_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_access_log'))
    )
    op.create_index('ix_customer_access_log_customer', 'customer_access_log', ['customer_id', 'at'], unique=False)
    op.create_index('ix_customer_access_log_user', 'customer_access_log', ['user_id', 'at'], unique=False)
    op.create_index('ix_customer_access_log_at', 'customer_access_log', ['at'], unique=False)
    op.create_table('retention_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('target', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('is_enabled', sa.Boolean(), nullable=False),
    sa.Column('last_run_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_result', sa.JSON(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_policies')),
    sa.UniqueConstraint('target', 'channel', name=op.f('uq_retention_policies_target_channel'))
    )


def downgrade():
    op.drop_table('retention_policies')
    op.drop_index('ix_customer_access_log_at', table_name='customer_access_log')
    op.drop_index('ix_customer_access_log_user', table_name='customer_access_log')
    op.drop_index('ix_customer_access_log_customer', table_name='customer_access_log')
    op.drop_table('customer_access_log')
    op.drop_index('ix_erasure_jobs_customer_id', table_name='erasure_jobs')
    op.drop_table('erasure_jobs')
    with op.batch_alter_table('customers') as batch_op:
        batch_op.drop_column('erased_at')
        batch_op.drop_column('legal_hold_reason')
        batch_op.drop_column('legal_hold_at')

