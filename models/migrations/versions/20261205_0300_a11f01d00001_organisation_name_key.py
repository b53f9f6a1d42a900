"""organisations.name_key: the name with accents folded and lower-cased, so the organisation
search folds both ways (`Nunez` finds "Núñez GmbH", `Núñez` finds "Nunez Ltd")

Revision ID: a11f01d00001
Revises: a3a1e7c50001
Create Date: 2026-12-05 03:00:00

"""
import sqlalchemy as sa
from alembic import op

from workflows.platform.text_folding import fold

revision = 'a11f01d00001'
down_revision = 'a3a1e7c50001'
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('name_key', sa.String(length=400), server_default='', nullable=False)
        )
    # Existing names, folded as workflows.customers.organisations.name_key does (in Python:
    # neither database folds accents by itself), a batch at a time.
    bind = op.get_bind()
    organisations = sa.table(
        'organisations', sa.column('id', sa.Integer), sa.column('name', sa.String),
        sa.column('name_key', sa.String),
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(organisations.c.id, organisations.c.name)
            .where(organisations.c.id > last)
            .order_by(organisations.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        bind.execute(
            organisations.update()
            .where(organisations.c.id == sa.bindparam('ident'))
            .values(name_key=sa.bindparam('key')),
            [{'ident': ident, 'key': fold(name or '').lower()} for ident, name in rows],
        )
        last = rows[-1][0]


def downgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('name_key')
