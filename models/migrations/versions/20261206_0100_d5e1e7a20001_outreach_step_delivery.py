"""outreach: each sent step's delivery (`sent` or `dead`, its outbox row's status) kept on the
step's event, and each enrolment's `delivered_at` / `bounced_at`, so a strategy's results read
them instead of joining every step's outbox row

Revision ID: d5e1e7a20001
Revises: b5d2e3f40601
Create Date: 2026-12-06 01:00:00

From now on the outbox writers (the sender, the bounce handler, an admin's retry) copy the
status to the event and the enrolment in their own transaction (`models.sync_delivery`); this
fills the rows written before, one statement per table. Before this revision no time of failure
was kept: `bounced_at` of an old enrolment is its message's last attempt (`next_attempt_at`),
its `delivered_at` the first `sent_at`.
"""

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime


revision = "d5e1e7a20001"
down_revision = "b5d2e3f40601"
branch_labels = None
depends_on = None

STRATEGY_KIND = ["strategy_id", "kind", "enrolment_id", "step_index", "variant", "channel"]


def upgrade():
    op.add_column("outreach_events", sa.Column("delivery", sa.String(length=10), nullable=True))
    op.execute(
        "UPDATE outreach_events SET delivery = "
        "(SELECT outbox.status FROM outbox WHERE outbox.id = outreach_events.outbox_id) "
        "WHERE kind = 'sent' AND outbox_id IS NOT NULL AND EXISTS (SELECT 1 FROM outbox "
        "WHERE outbox.id = outreach_events.outbox_id AND outbox.status IN ('sent', 'dead'))"
    )
    op.add_column(
        "outreach_enrolments", sa.Column("delivered_at", UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "outreach_enrolments", sa.Column("bounced_at", UTCDateTime(timezone=True), nullable=True)
    )
    op.execute(
        "UPDATE outreach_enrolments SET "
        f"delivered_at = ({_first('sent', 'coalesce(outbox.sent_at, outbox.next_attempt_at)')}), "
        f"bounced_at = ({_first('dead', 'outbox.next_attempt_at')}) "
        "WHERE id IN (SELECT enrolment_id FROM outreach_events "
        "WHERE kind = 'sent' AND delivery IS NOT NULL)"
    )
    op.drop_index("ix_outreach_events_strategy_kind", table_name="outreach_events")
    op.create_index(
        "ix_outreach_events_strategy_kind",
        "outreach_events",
        [*STRATEGY_KIND, "delivery"],
        unique=False,
    )
    op.create_index(
        "ix_outreach_events_outbox",
        "outreach_events",
        ["outbox_id"],
        unique=False,
        sqlite_where=sa.text("outbox_id IS NOT NULL"),
        postgresql_where=sa.text("outbox_id IS NOT NULL"),
    )


def _first(delivery, at):
    """The earliest `at` of the enrolment's sent steps whose delivery is `delivery`."""
    return (
        f"SELECT min({at}) FROM outreach_events JOIN outbox ON outbox.id = outreach_events.outbox_id "
        "WHERE outreach_events.enrolment_id = outreach_enrolments.id "
        f"AND outreach_events.kind = 'sent' AND outreach_events.delivery = '{delivery}'"
    )


def downgrade():
    op.drop_index(
        "ix_outreach_events_outbox",
        table_name="outreach_events",
        sqlite_where=sa.text("outbox_id IS NOT NULL"),
        postgresql_where=sa.text("outbox_id IS NOT NULL"),
    )
    op.drop_index("ix_outreach_events_strategy_kind", table_name="outreach_events")
    op.create_index(
        "ix_outreach_events_strategy_kind", "outreach_events", STRATEGY_KIND, unique=False
    )
    with op.batch_alter_table("outreach_enrolments", schema=None) as batch_op:
        batch_op.drop_column("bounced_at")
        batch_op.drop_column("delivered_at")
    with op.batch_alter_table("outreach_events", schema=None) as batch_op:
        batch_op.drop_column("delivery")
