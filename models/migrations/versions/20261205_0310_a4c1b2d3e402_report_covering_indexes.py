"""covering indexes for the support and sales reports: requirements created in a range with their
filter columns, opportunities by workflow and creation, a requirement's clocks and transitions

Revision ID: a4c1b2d3e402
Revises: a4c1b2d3e401
Create Date: 2026-12-05 03:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a4c1b2d3e402'
down_revision = 'a4c1b2d3e401'
branch_labels = None
depends_on = None

INDEXES = [
    (
        'requirements',
        'ix_requirements_report',
        [
            'created_at',
            'team_id',
            'assignee_id',
            'priority',
            'category',
            'workflow',
            'sla_policy_version_id',
            'resolved_at',
        ],
    ),
    ('requirements', 'ix_requirements_workflow_created', ['workflow', 'created_at', 'state']),
    (
        'requirement_events',
        'ix_requirement_events_report',
        ['requirement_id', 'to_state', 'from_state', 'trigger'],
    ),
    (
        'requirement_events',
        'ix_requirement_events_at_report',
        ['at', 'to_state', 'from_state', 'requirement_id'],
    ),
    (
        'sla_clocks',
        'ix_sla_clocks_report',
        ['requirement_id', 'metric', 'status', 'breached_at', 'rung', 'elapsed_seconds'],
    ),
]


def upgrade():
    for table, name, columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False)
    _statistics()


def _statistics():
    """A SQLite database that has planner statistics gets them for the new indexes too: with
    statistics for the old indexes only, SQLite guesses at the new ones and may prefer an old
    index that reads every row (bench/README.md, "Query plans"). PostgreSQL's autovacuum
    analyses by itself."""
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return
    has_statistics = bind.execute(
        sa.text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
    ).first()
    if has_statistics:
        for table in sorted({table for table, _, _ in INDEXES}):
            op.execute(f'ANALYZE {table}')


def downgrade():
    for table, name, _ in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
