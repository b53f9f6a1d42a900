"""outreach strategies, enrolments, due steps, events and the email suppression list

Revision ID: 7b3e5c2a9d10
Revises: b7d31f6e2a90
Create Date: 2026-12-04 21:00:00

"""
from alembic import op
import sqlalchemy as sa

import models.base


# revision identifiers, used by Alembic.
revision = '7b3e5c2a9d10'
down_revision = 'b7d31f6e2a90'  # inbound mail creates email_suppressions
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('outreach_strategies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('draft', 'active', 'paused', 'archived', name='strategystatus', native_enum=False, length=20), nullable=False),
    sa.Column('current_version_id', sa.Integer(), nullable=True),
    sa.Column('enrol_total', sa.Integer(), nullable=False),
    sa.Column('enrol_done', sa.Integer(), nullable=False),
    sa.Column('enrol_running', sa.Boolean(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_outreach_strategies_owner_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outreach_strategies'))
    )
    op.create_table('outreach_strategy_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('strategy_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_outreach_strategy_versions_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['strategy_id'], ['outreach_strategies.id'], name=op.f('fk_outreach_strategy_versions_strategy_id_outreach_strategies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outreach_strategy_versions')),
    sa.UniqueConstraint('strategy_id', 'number', name=op.f('uq_outreach_strategy_versions_strategy_id_number'))
    )
    # The suppression list is inbound mail's (bounces); outreach adds unsubscribes and their
    # customer, and the reason becomes the enum both write.
    with op.batch_alter_table('email_suppressions', schema=None) as batch_op:
        batch_op.alter_column('reason', existing_type=sa.String(length=20), type_=sa.Enum('unsubscribed', 'bounced', 'complaint', 'manual', name='suppressionreason', native_enum=False, length=20), existing_nullable=False)
        batch_op.add_column(sa.Column('customer_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_email_suppressions_customer_id_customers'), 'customers', ['customer_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index(batch_op.f('ix_email_suppressions_customer_id'), ['customer_id'], unique=False)

    op.create_table('outreach_enrolments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('strategy_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('active', 'holdout', 'completed', 'stopped', name='enrolmentstatus', native_enum=False, length=20), nullable=False),
    sa.Column('enrolled_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('steps_done', sa.Integer(), nullable=False),
    sa.Column('last_sent_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('stopped_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('stop_reason', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_outreach_enrolments_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['strategy_id'], ['outreach_strategies.id'], name=op.f('fk_outreach_enrolments_strategy_id_outreach_strategies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['outreach_strategy_versions.id'], name=op.f('fk_outreach_enrolments_version_id_outreach_strategy_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outreach_enrolments')),
    sa.UniqueConstraint('strategy_id', 'customer_id', name=op.f('uq_outreach_enrolments_strategy_id_customer_id'))
    )
    with op.batch_alter_table('outreach_enrolments', schema=None) as batch_op:
        batch_op.create_index('ix_outreach_enrolments_customer', ['customer_id', 'status'], unique=False)
        batch_op.create_index('ix_outreach_enrolments_strategy_status', ['strategy_id', 'status'], unique=False)

    op.create_table('outreach_due_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('strategy_id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('step_index', sa.Integer(), nullable=False),
    sa.Column('due_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('pending', 'enqueued', 'done', 'paused', 'cancelled', 'failed', name='duestepstatus', native_enum=False, length=20), nullable=False),
    sa.Column('lease_until', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=2000), nullable=True),
    sa.ForeignKeyConstraint(['enrolment_id'], ['outreach_enrolments.id'], name=op.f('fk_outreach_due_steps_enrolment_id_outreach_enrolments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['strategy_id'], ['outreach_strategies.id'], name=op.f('fk_outreach_due_steps_strategy_id_outreach_strategies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outreach_due_steps')),
    sa.UniqueConstraint('enrolment_id', 'step_index', name=op.f('uq_outreach_due_steps_enrolment_id_step_index'))
    )
    with op.batch_alter_table('outreach_due_steps', schema=None) as batch_op:
        batch_op.create_index('ix_outreach_due_steps_enqueued_lease_until', ['lease_until'], unique=False, sqlite_where=sa.text("status = 'enqueued'"), postgresql_where=sa.text("status = 'enqueued'"))
        batch_op.create_index('ix_outreach_due_steps_pending_due_at', ['due_at'], unique=False, sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
        batch_op.create_index('ix_outreach_due_steps_strategy_status', ['strategy_id', 'status'], unique=False)

    op.create_table('outreach_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('strategy_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('step_index', sa.Integer(), nullable=True),
    sa.Column('variant', sa.String(length=20), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=True),
    sa.Column('detail', sa.String(length=300), nullable=True),
    sa.Column('communication_id', sa.Integer(), nullable=True),
    sa.Column('outbox_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['communication_id'], ['communications.id'], name=op.f('fk_outreach_events_communication_id_communications'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_outreach_events_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['enrolment_id'], ['outreach_enrolments.id'], name=op.f('fk_outreach_events_enrolment_id_outreach_enrolments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['strategy_id'], ['outreach_strategies.id'], name=op.f('fk_outreach_events_strategy_id_outreach_strategies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outreach_events'))
    )
    with op.batch_alter_table('outreach_events', schema=None) as batch_op:
        batch_op.create_index('ix_outreach_events_channel_kind_at', ['channel', 'kind', 'at'], unique=False)
        batch_op.create_index('ix_outreach_events_customer_kind_at', ['customer_id', 'kind', 'at'], unique=False)
        batch_op.create_index('ix_outreach_events_enrolment', ['enrolment_id', 'id'], unique=False)

    


def downgrade():
    
    with op.batch_alter_table('outreach_events', schema=None) as batch_op:
        batch_op.drop_index('ix_outreach_events_enrolment')
        batch_op.drop_index('ix_outreach_events_customer_kind_at')
        batch_op.drop_index('ix_outreach_events_channel_kind_at')

    op.drop_table('outreach_events')
    with op.batch_alter_table('outreach_due_steps', schema=None) as batch_op:
        batch_op.drop_index('ix_outreach_due_steps_strategy_status')
        batch_op.drop_index('ix_outreach_due_steps_pending_due_at', sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
        batch_op.drop_index('ix_outreach_due_steps_enqueued_lease_until', sqlite_where=sa.text("status = 'enqueued'"), postgresql_where=sa.text("status = 'enqueued'"))

    op.drop_table('outreach_due_steps')
    with op.batch_alter_table('outreach_enrolments', schema=None) as batch_op:
        batch_op.drop_index('ix_outreach_enrolments_strategy_status')
        batch_op.drop_index('ix_outreach_enrolments_customer')

    op.drop_table('outreach_enrolments')
    with op.batch_alter_table('email_suppressions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_suppressions_customer_id'))
        batch_op.drop_constraint(batch_op.f('fk_email_suppressions_customer_id_customers'), type_='foreignkey')
        batch_op.drop_column('customer_id')
        batch_op.alter_column('reason', existing_type=sa.Enum('unsubscribed', 'bounced', 'complaint', 'manual', name='suppressionreason', native_enum=False, length=20), type_=sa.String(length=20), existing_nullable=False)

    op.drop_table('outreach_strategy_versions')
    op.drop_table('outreach_strategies')
    
