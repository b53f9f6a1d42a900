"""analytics: stored business durations and breach causes on SLA clocks, report indexes

Revision ID: b7e3a91c5d20
Revises: a1c9e0d4b7f2
Create Date: 2026-12-04 21:00:00

The backfill reads plain columns with Core (never the ORM models, which later migrations may
change) and computes with the pure business-time and breach-cause functions.
"""
from datetime import UTC, datetime, time

import sqlalchemy as sa
from alembic import op

from workflows.tracking import breach_causes
from workflows.tracking.business_time import (
    BusinessCalendar,
    OpeningPeriod,
    business_time_between,
)

# revision identifiers, used by Alembic.
revision = 'b7e3a91c5d20'
down_revision = 'a1c9e0d4b7f2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('elapsed_seconds', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('breach_cause', sa.String(length=40), nullable=True))
    with op.batch_alter_table('requirements', schema=None) as batch_op:
        batch_op.create_index('ix_requirements_created_at', ['created_at'], unique=False)
    with op.batch_alter_table('requirement_events', schema=None) as batch_op:
        batch_op.create_index('ix_requirement_events_at', ['at'], unique=False)
    with op.batch_alter_table('transactions', schema=None) as batch_op:
        batch_op.create_index('ix_transactions_occurred_on', ['occurred_on'], unique=False)
    _backfill(op.get_bind())


def downgrade():
    with op.batch_alter_table('transactions', schema=None) as batch_op:
        batch_op.drop_index('ix_transactions_occurred_on')
    with op.batch_alter_table('requirement_events', schema=None) as batch_op:
        batch_op.drop_index('ix_requirement_events_at')
    with op.batch_alter_table('requirements', schema=None) as batch_op:
        batch_op.drop_index('ix_requirements_created_at')
    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.drop_column('breach_cause')
        batch_op.drop_column('elapsed_seconds')


def _aware(value):
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _json(value):
    import json

    return json.loads(value) if isinstance(value, str) else (value or [])


def _calendars(bind):
    holidays = {}
    for calendar_id, day in bind.execute(sa.text('SELECT calendar_id, day FROM holidays')):
        if isinstance(day, str):
            day = datetime.fromisoformat(day).date()
        holidays.setdefault(calendar_id, set()).add(day)
    by_version = {}
    rows = bind.execute(
        sa.text(
            'SELECT v.id, c.id, c.time_zone, c.periods FROM sla_policy_versions v '
            'JOIN calendars c ON c.id = v.calendar_id'
        )
    )
    for version_id, calendar_id, zone, periods in rows:
        by_version[version_id] = BusinessCalendar(
            zone,
            tuple(
                OpeningPeriod(
                    p['weekday'],
                    time.fromisoformat(p['start']),
                    time(0) if p['end'] == '24:00' else time.fromisoformat(p['end']),
                )
                for p in _json(periods)
            ),
            frozenset(holidays.get(calendar_id, ())),
        )
    return by_version


def _backfill(bind):
    """Stopped clocks get the business time they counted; breached ones their cause. The last
    running stretch (from its start, resume or re-plan to the stop) is replayed from the
    clock's history, as `workflows.tracking.sla` counted it."""
    calendars = _calendars(bind)
    clocks = bind.execute(
        sa.text(
            'SELECT id, requirement_id, policy_version_id, metric, cycle, status, used_seconds, '
            'started_at, met_at, breached_at, history FROM sla_clocks '
            "WHERE status IN ('met', 'cancelled') OR breached_at IS NOT NULL"
        )
    ).all()
    for (clock_id, requirement_id, version_id, metric, cycle, status, used, started_at,
         met_at, breached_at, history) in clocks:
        calendar = calendars.get(version_id)
        if calendar is None:
            continue
        history = _json(history)
        values = {}
        if status in ('met', 'cancelled'):
            running_since, stopped_at = None, None
            for entry in history:
                what, at = entry.get('what'), _aware(entry.get('at'))
                if what in ('started', 'resumed'):
                    running_since = at
                elif what == 'paused':
                    running_since = None
                elif what == 're-planned' and running_since is not None:
                    running_since = at
                elif what in ('met', 'met late', 'cancelled'):
                    stopped_at = at
            elapsed = used or 0
            if running_since is not None and stopped_at is not None:
                elapsed += round(
                    business_time_between(calendar, running_since, stopped_at).total_seconds()
                )
            values['elapsed_seconds'] = elapsed
        if breached_at is not None:
            values['breach_cause'] = _cause(
                bind, requirement_id, history, metric, cycle, _aware(started_at),
                _aware(breached_at), calendar,
            )
        if values:
            assignments = ', '.join(f'{key} = :{key}' for key in values)
            bind.execute(
                sa.text(f'UPDATE sla_clocks SET {assignments} WHERE id = :id'),
                {**values, 'id': clock_id},
            )


def _cause(bind, requirement_id, history, metric, cycle, started_at, breached_at, calendar):
    events = bind.execute(
        sa.text(
            'SELECT at, from_state, to_state FROM requirement_events '
            'WHERE requirement_id = :r ORDER BY id'
        ),
        {'r': requirement_id},
    ).all()
    return breach_causes.classify_events(
        history=history,
        metric=metric,
        cycle=cycle,
        started_at=started_at,
        breached_at=breached_at,
        calendar=calendar,
        events=[(_aware(at), from_state, to_state) for at, from_state, to_state in events],
    )
