"""the escalation index also covers rung and acknowledged rung (acknowledged clocks leave the counts)

Revision ID: 5afe0e5c0a01
Revises: ffe0c0de0001
Create Date: 2026-12-04 23:50:00

"""
from alembic import op
import sqlalchemy as sa

revision = '5afe0e5c0a01'
down_revision = 'ffe0c0de0001'
branch_labels = None
depends_on = None

# models.sla.ESCALATED_PREDICATE, word for word (SQLite matches a partial index by its terms).
ESCALATED = "status IN ('running', 'breached') AND (breached_at IS NOT NULL OR warned_at IS NOT NULL)"
BEFORE = ['status', 'requirement_id', 'due_at', 'breached_at', 'warned_at', 'id']
AFTER = [*BEFORE, 'rung', 'acknowledged_rung']


def _replace(columns):
    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.drop_index('ix_sla_clocks_escalated', sqlite_where=sa.text(ESCALATED), postgresql_where=sa.text(ESCALATED))
        batch_op.create_index('ix_sla_clocks_escalated', columns, unique=False, sqlite_where=sa.text(ESCALATED), postgresql_where=sa.text(ESCALATED))


def upgrade():
    _replace(AFTER)


def downgrade():
    _replace(BEFORE)
