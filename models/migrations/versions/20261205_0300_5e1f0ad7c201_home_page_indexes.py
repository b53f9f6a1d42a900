"""home page indexes: each agent's load in one pass, today's breaches without row lookups

Revision ID: 5e1f0ad7c201
Revises: a3a1e7c50001
Create Date: 2026-12-05 03:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5e1f0ad7c201'
down_revision = 'a3a1e7c50001'
branch_labels = None
depends_on = None

# Same text as workflows.tracking.queue_order (ACTIVE, NOT_DUE_LAST), as in c4a8e2f61d07: the
# home page's per-assignee counts must repeat these expressions for a database to use the index.
ACTIVE = ("state IN ('in_progress', 'lead', 'negotiation', 'new', 'open', 'proposal', "
          "'qualified', 'waiting_on_customer')")
DUE = "coalesce(sla_due_at, '9999-12-31 23:59:59+00')"


def upgrade():
    # An expression index, unmanaged by the schema comparison (models.search.UNMANAGED_PREFIXES
    # covers ix_requirements_queue_*).
    op.execute(
        f"CREATE INDEX ix_requirements_queue_load ON requirements (team_id, assignee_id, {DUE}) "
        f"WHERE {ACTIVE}"
    )
    op.drop_index('ix_sla_clocks_breached_at', table_name='sla_clocks')
    op.create_index('ix_sla_clocks_breached_at', 'sla_clocks', ['breached_at', 'requirement_id'])


def downgrade():
    op.drop_index('ix_sla_clocks_breached_at', table_name='sla_clocks')
    op.create_index('ix_sla_clocks_breached_at', 'sla_clocks', ['breached_at'])
    op.execute("DROP INDEX ix_requirements_queue_load")
