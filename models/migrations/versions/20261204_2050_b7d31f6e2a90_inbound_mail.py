"""inbound mail: received messages, attachments, suppressions, communications.message_id

Hand-checked for SQLite (batch mode) and PostgreSQL. `communications.message_id` (unique where
not null) is the same column the replies branch adds for outgoing mail: keep one when merging.

Revision ID: b7d31f6e2a90
Revises: a1c9e0d4b7f2
Create Date: 2026-12-04 20:50:00

"""
from alembic import op
import sqlalchemy as sa

import models.base


# revision identifiers, used by Alembic.
revision = 'b7d31f6e2a90'
down_revision = 'a1c9e0d4b7f2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('communication_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=127), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('refusal', sa.String(length=200), nullable=True),
    sa.Column('is_inline', sa.Boolean(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['communication_id'], ['communications.id'], name=op.f('fk_attachments_communication_id_communications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachments_communication_id'), ['communication_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachments_sha256'), ['sha256'], unique=False)

    op.create_table('inbound_emails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.Enum('message', 'automatic', 'bounce', 'unmatched', name='inboundkind', native_enum=False, length=20), nullable=False),
    sa.Column('from_address', sa.String(length=254), nullable=False),
    sa.Column('from_name', sa.String(length=200), nullable=True),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=True),
    sa.Column('matched_by', sa.String(length=20), nullable=True),
    sa.Column('communication_id', sa.Integer(), nullable=True),
    sa.Column('requirement_id', sa.Integer(), nullable=True),
    sa.Column('full_text', sa.Text(), nullable=True),
    sa.Column('full_html', sa.Text(), nullable=True),
    sa.Column('raw_sha256', sa.String(length=64), nullable=True),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('received_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['communication_id'], ['communications.id'], name=op.f('fk_inbound_emails_communication_id_communications'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requirement_id'], ['requirements.id'], name=op.f('fk_inbound_emails_requirement_id_requirements'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_emails')),
    sa.UniqueConstraint('message_id', name=op.f('uq_inbound_emails_message_id'))
    )
    with op.batch_alter_table('inbound_emails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_emails_communication_id'), ['communication_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_emails_requirement_id'), ['requirement_id'], unique=False)
        batch_op.create_index('ix_inbound_emails_sender_received', ['from_address', 'received_at'], unique=False)

    op.create_table('email_suppressions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('detail', sa.String(length=300), nullable=True),
    sa.Column('inbound_email_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['inbound_email_id'], ['inbound_emails.id'], name=op.f('fk_email_suppressions_inbound_email_id_inbound_emails'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_suppressions')),
    sa.UniqueConstraint('email', name=op.f('uq_email_suppressions_email'))
    )
    with op.batch_alter_table('communications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.String(length=300), nullable=True))
        batch_op.create_index('uq_communications_message_id', ['message_id'], unique=True, sqlite_where=sa.text('message_id IS NOT NULL'), postgresql_where=sa.text('message_id IS NOT NULL'))



def downgrade():
    with op.batch_alter_table('communications', schema=None) as batch_op:
        batch_op.drop_index('uq_communications_message_id', sqlite_where=sa.text('message_id IS NOT NULL'), postgresql_where=sa.text('message_id IS NOT NULL'))
        batch_op.drop_column('message_id')

    op.drop_table('email_suppressions')
    with op.batch_alter_table('inbound_emails', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_emails_sender_received')
        batch_op.drop_index(batch_op.f('ix_inbound_emails_requirement_id'))
        batch_op.drop_index(batch_op.f('ix_inbound_emails_communication_id'))

    op.drop_table('inbound_emails')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_sha256'))
        batch_op.drop_index(batch_op.f('ix_attachments_communication_id'))

    op.drop_table('attachments')
