"""Chinese names: a pinyin sort key for customers and short-query search keys

Revision ID: c1a7e5e00001
Revises: a3a1e7c50001
Create Date: 2026-12-05 03:00:00

`customers.name_sort` (models/name_readings.sort_key) replaces `name` in the name-order index;
`customer_search_keys` holds the one- and two-character pieces of Chinese names with their
pinyin and initials, and each Chinese name's search document gains a line of its pinyin.

The backfill imports `models.name_readings` (and so pypinyin, a dependency of the project)
rather than copying it: the readings are data, ~40 lines of surname exceptions and the
pypinyin table, and a copy would drift from what new rows get. A later change to the readings
brings its own backfill. ~100,000 customers take about half a minute.
"""
import sqlalchemy as sa
from alembic import op

from models.name_readings import CJK_RUN, cjk_grams, pinyin_forms, sort_key

revision = 'c1a7e5e00001'
down_revision = 'a3a1e7c50001'
branch_labels = None
depends_on = None

BATCH = 1000
KEY_CHARS = 60


def _keys(name):
    keys = set(cjk_grams(name)) | {f for f in pinyin_forms(name) if len(f) >= 2}
    return {k for k in keys if len(k) <= KEY_CHARS}


def _backfill():
    bind = op.get_bind()
    customers = sa.table(
        "customers", sa.column("id", sa.Integer), sa.column("name", sa.String),
        sa.column("name_sort", sa.String),
    )
    docs = sa.table(
        "customer_search_documents", sa.column("customer_id", sa.Integer),
        sa.column("document", sa.Text),
    )
    keys = sa.table(
        "customer_search_keys", sa.column("key", sa.String), sa.column("customer_id", sa.Integer)
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(customers.c.id, customers.c.name)
            .where(customers.c.id > last)
            .order_by(customers.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        last = rows[-1][0]
        bind.execute(
            customers.update()
            .where(customers.c.id == sa.bindparam("ident"))
            .values(name_sort=sa.bindparam("key")),
            [{"ident": ident, "key": sort_key(name)} for ident, name in rows],
        )
        chinese = {ident: name for ident, name in rows if CJK_RUN.search(name or "")}
        if not chinese:
            continue
        documents = bind.execute(
            sa.select(docs.c.customer_id, docs.c.document).where(
                docs.c.customer_id.in_(list(chinese))
            )
        ).all()
        new_keys = []
        for ident, document in documents:
            name = chinese[ident]
            head, _, rest = document.partition("\n")
            pinyin = " ".join(pinyin_forms(name))
            # The line search_index.build_document writes after the name.
            if pinyin and not rest.startswith(pinyin + "\n") and rest != pinyin:
                document = head + "\n" + pinyin + ("\n" + rest if rest else "")
                bind.execute(
                    docs.update().where(docs.c.customer_id == ident).values(document=document)
                )
            new_keys += [{"key": k, "customer_id": ident} for k in _keys(name)]
        if new_keys:
            bind.execute(keys.insert(), new_keys)


def upgrade():
    text_type = sa.String(300).with_variant(sa.String(300, collation="C"), "postgresql")
    # NOT NULL needs a default to add on SQLite; the models fill it on every insert.
    op.add_column("customers", sa.Column("name_sort", text_type, nullable=False, server_default=""))
    op.create_table(
        "customer_search_keys",
        sa.Column(
            "key",
            sa.String(KEY_CHARS).with_variant(sa.String(KEY_CHARS, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer_search_documents.customer_id"],
            name=op.f("fk_customer_search_keys_customer_id_customer_search_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", "customer_id", name=op.f("pk_customer_search_keys")),
    )
    op.create_index(
        "ix_customer_search_keys_customer_id", "customer_search_keys", ["customer_id"]
    )
    _backfill()
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("customers", "name_sort", server_default=None)
    op.drop_index("ix_customers_live_name", table_name="customers")
    op.create_index(
        "ix_customers_live_name_sort", "customers", ["deleted_at", "name_sort", "id"]
    )


def downgrade():
    op.drop_index("ix_customers_live_name_sort", table_name="customers")
    op.create_index("ix_customers_live_name", "customers", ["deleted_at", "name", "id"])
    op.drop_index("ix_customer_search_keys_customer_id", table_name="customer_search_keys")
    op.drop_table("customer_search_keys")
    # The pinyin lines in the documents are harmless to the earlier code: kept.
    op.drop_column("customers", "name_sort")
