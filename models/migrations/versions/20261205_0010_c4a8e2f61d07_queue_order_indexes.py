"""queue order indexes: each requirement queue walks one in its ORDER BY

Revision ID: c4a8e2f61d07
Revises: ffe0c0de0001
Create Date: 2026-12-05 00:10:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c4a8e2f61d07'
down_revision = 'ffe0c0de0001'
branch_labels = None
depends_on = None

# Same text as web.requirements.queries (ACTIVE_STATES, NOT_DUE): the queue's WHERE and ORDER BY
# must repeat these expressions exactly for a database to use the index. A migration keeps its
# own copy: the indexes must stay what they were when this revision ran. If the workflows'
# active states change, the queues stay correct and only sort again until a new revision.
ACTIVE = ("state IN ('in_progress', 'lead', 'negotiation', 'new', 'open', 'proposal', "
          "'qualified', 'waiting_on_customer')")
# A requirement with no SLA due time sorts after every due one (NULLS LAST, which SQLite's
# index order cannot give); the same constant on both databases, UTC on PostgreSQL.
DUE = "coalesce(sla_due_at, '9999-12-31 23:59:59+00')"
# Expression indexes are not models.Index objects: SQLite cannot reflect them, so schema
# comparison leaves them alone (models.search.UNMANAGED_PREFIXES), like the search indexes.
# (A later batch migration that recreates `requirements` on SQLite must create them again.)
INDEXES = {
    "ix_requirements_queue_all": f"{DUE}, created_at, id",
    "ix_requirements_queue_mine": f"assignee_id, {DUE}, created_at, id",
    "ix_requirements_queue_team": f"team_id, (assignee_id IS NOT NULL), {DUE}, created_at, id",
}


def upgrade():
    for name, columns in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON requirements ({columns}) WHERE {ACTIVE}")


def downgrade():
    for name in INDEXES:
        op.execute(f"DROP INDEX {name}")
