"""replies: communications carry their Message-ID and outbox row; canned responses

Revision ID: b7d2f4a9c3e1
Revises: b7d31f6e2a90
Create Date: 2026-12-04 20:50:00

"""
from alembic import op
import sqlalchemy as sa

import models.base


# revision identifiers, used by Alembic.
revision = 'b7d2f4a9c3e1'
down_revision = 'b7d31f6e2a90'  # inbound mail adds communications.message_id
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('communications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outbox_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_communications_outbox_id_outbox'), 'outbox', ['outbox_id'], ['id'], ondelete='SET NULL')

    op.create_table('canned_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_canned_responses_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_canned_responses_owner_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_canned_responses_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_canned_responses'))
    )
    with op.batch_alter_table('canned_responses', schema=None) as batch_op:
        batch_op.create_index('ix_canned_responses_owner_id', ['owner_id'], unique=False)
        batch_op.create_index('ix_canned_responses_team_id', ['team_id'], unique=False)


def downgrade():
    with op.batch_alter_table('canned_responses', schema=None) as batch_op:
        batch_op.drop_index('ix_canned_responses_team_id')
        batch_op.drop_index('ix_canned_responses_owner_id')
    op.drop_table('canned_responses')

    with op.batch_alter_table('communications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_communications_outbox_id_outbox'), type_='foreignkey')
        batch_op.drop_column('outbox_id')
