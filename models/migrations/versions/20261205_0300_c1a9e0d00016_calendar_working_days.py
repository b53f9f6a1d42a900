"""extra working days on business calendars (China's adjusted working weekends, 调休)

Revision ID: c1a9e0d00016
Revises: a3a1e7c50001
Create Date: 2026-12-05 03:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c1a9e0d00016'
down_revision = 'a3a1e7c50001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_working_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('calendar_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('periods', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['calendar_id'], ['calendars.id'], name=op.f('fk_calendar_working_days_calendar_id_calendars'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_working_days')),
    sa.UniqueConstraint('calendar_id', 'day', name=op.f('uq_calendar_working_days_calendar_id_day'))
    )


def downgrade():
    op.drop_table('calendar_working_days')
