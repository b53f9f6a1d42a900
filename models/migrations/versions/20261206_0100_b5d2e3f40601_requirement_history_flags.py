"""requirement history flags for the support report's reopen rate: was_resolved, was_reopened

Revision ID: b5d2e3f40601
Revises: b5d2e8a40001
Create Date: 2026-12-06 01:00:00

The reopen rate counted, per call, the distinct requirements of the range with a transition
into a done state and those with a "reopen" event (two COUNT(DISTINCT …) over every event of
the range's requirements: ~190 ms CPU for 90 days of 100,000 requirements on SQLite). From now
on `workflows.tracking.requirements._record` sets the two flags in the same transaction as the
event; this backfills them from the stored events and adds them to `ix_requirements_report`,
so the report reads them with the other per-requirement counts from that index.

The done states are those of the declared workflows today (support: resolved; sales: lost,
won; task: done), copied here as data: this revision must do what it did when it ran.
"""
import sqlalchemy as sa
from alembic import op

revision = 'b5d2e3f40601'
down_revision = 'b5d2e8a40001'
branch_labels = None
depends_on = None

DONE_STATES = ('done', 'lost', 'resolved', 'won')
OLD_REPORT_INDEX = [
    'created_at',
    'team_id',
    'assignee_id',
    'priority',
    'category',
    'workflow',
    'sla_policy_version_id',
    'resolved_at',
]


def upgrade():
    op.add_column(
        'requirements',
        sa.Column('was_resolved', sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        'requirements',
        sa.Column('was_reopened', sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    states = ", ".join(f"'{state}'" for state in DONE_STATES)
    op.execute(
        "UPDATE requirements SET "
        "was_resolved = EXISTS (SELECT 1 FROM requirement_events e "
        " WHERE e.requirement_id = requirements.id "
        f" AND e.to_state IN ({states}) "
        " AND (e.from_state IS NULL OR e.from_state <> e.to_state)), "
        "was_reopened = EXISTS (SELECT 1 FROM requirement_events e "
        " WHERE e.requirement_id = requirements.id AND e.trigger = 'reopen')"
    )
    op.drop_index('ix_requirements_report', table_name='requirements')
    op.create_index(
        'ix_requirements_report',
        'requirements',
        [*OLD_REPORT_INDEX, 'was_resolved', 'was_reopened'],
        unique=False,
    )
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        has_statistics = bind.execute(
            sa.text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
        ).first()
        if has_statistics:
            # Planner statistics for the rebuilt index (see a4c1b2d3e402).
            op.execute('ANALYZE requirements')


def downgrade():
    op.drop_index('ix_requirements_report', table_name='requirements')
    op.create_index('ix_requirements_report', 'requirements', OLD_REPORT_INDEX, unique=False)
    with op.batch_alter_table('requirements', schema=None) as batch_op:
        batch_op.drop_column('was_reopened')
        batch_op.drop_column('was_resolved')
