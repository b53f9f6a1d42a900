"""requirement search documents and the escalated-clocks index

Revision ID: 7c1e5a9d3b20
Revises: 5018f19f7681
Create Date: 2026-12-04 21:00:00

"""
from alembic import op
import sqlalchemy as sa

import models.base


# revision identifiers, used by Alembic.
revision = '7c1e5a9d3b20'
down_revision = '5018f19f7681'
branch_labels = None
depends_on = None

# Same text as models.sla.ESCALATED_PREDICATE (a migration does not import the model's value:
# the index must stay what it was when this revision ran).
ESCALATED = "status IN ('running', 'breached') AND (breached_at IS NOT NULL OR warned_at IS NOT NULL)"


def upgrade():
    op.create_table('requirement_search_documents',
    sa.Column('requirement_id', sa.Integer(), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['requirement_id'], ['requirements.id'], name=op.f('fk_requirement_search_documents_requirement_id_requirements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('requirement_id', name=op.f('pk_requirement_search_documents'))
    )
    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.create_index('ix_sla_clocks_escalated', ['status', 'requirement_id', 'due_at', 'breached_at', 'warned_at', 'id'], unique=False, sqlite_where=sa.text(ESCALATED), postgresql_where=sa.text(ESCALATED))

    with op.batch_alter_table('requirements', schema=None) as batch_op:
        batch_op.create_index('ix_requirements_id_team', ['id', 'team_id'], unique=False)

    if op.get_bind().dialect.name == "sqlite":
        # As for customers: external-content FTS5 with the trigram tokenizer, kept in step
        # with the documents table by triggers.
        op.execute("CREATE VIRTUAL TABLE requirement_search_fts USING fts5(document, "
                   "content='requirement_search_documents', content_rowid='requirement_id', "
                   "tokenize='trigram')")
        op.execute("CREATE TRIGGER requirement_search_ai AFTER INSERT ON requirement_search_documents "
                   "BEGIN INSERT INTO requirement_search_fts(rowid, document) "
                   "VALUES (new.requirement_id, new.document); END")
        op.execute("CREATE TRIGGER requirement_search_ad AFTER DELETE ON requirement_search_documents "
                   "BEGIN INSERT INTO requirement_search_fts(requirement_search_fts, rowid, document) "
                   "VALUES ('delete', old.requirement_id, old.document); END")
        op.execute("CREATE TRIGGER requirement_search_au AFTER UPDATE ON requirement_search_documents "
                   "BEGIN INSERT INTO requirement_search_fts(requirement_search_fts, rowid, document) "
                   "VALUES ('delete', old.requirement_id, old.document); "
                   "INSERT INTO requirement_search_fts(rowid, document) "
                   "VALUES (new.requirement_id, new.document); END")
    else:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_requirement_search_documents_trgm ON requirement_search_documents "
                   "USING gin (document gin_trgm_ops)")
    # Existing requirements get their documents: title, description and the text of their
    # communications (what workflows/tracking/search_index.py builds, without its length cap).
    if op.get_bind().dialect.name == "sqlite":
        nl, agg = "char(10)", "group_concat({}, char(10))"
    else:
        nl, agg = "chr(10)", "string_agg({}, chr(10))"
    texts = agg.format("trim(coalesce(c.subject, '') || ' ' || coalesce(c.body_text, ''))")
    op.execute(
        "INSERT INTO requirement_search_documents (requirement_id, document, updated_at) "
        f"SELECT r.id, r.title || coalesce({nl} || r.description, '') || coalesce({nl} || "
        f"(SELECT {texts} FROM communications c "
        "WHERE c.requirement_id = r.id AND c.deleted_at IS NULL), ''), r.updated_at "
        "FROM requirements r"
    )


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("requirement_search_ai", "requirement_search_ad", "requirement_search_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS requirement_search_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_requirement_search_documents_trgm")
    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.drop_index('ix_sla_clocks_escalated', sqlite_where=sa.text(ESCALATED), postgresql_where=sa.text(ESCALATED))
    with op.batch_alter_table('requirements', schema=None) as batch_op:
        batch_op.drop_index('ix_requirements_id_team')
    op.drop_table('requirement_search_documents')
