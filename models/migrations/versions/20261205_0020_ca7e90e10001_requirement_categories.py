"""requirement categories: the admin-managed list, seeded with the categories in use

Revision ID: ca7e90e10001
Revises: f01dac7e0001
Create Date: 2026-12-05 00:20:00

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa

import models.base


revision = 'ca7e90e10001'
down_revision = 'f01dac7e0001'
branch_labels = None
depends_on = None


def upgrade():
    categories = op.create_table('requirement_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requirement_categories')),
    sa.UniqueConstraint('name', name=op.f('uq_requirement_categories_name'))
    )
    # Every free-text category already on a requirement joins the list, spelled as used
    # (surrounding spaces dropped), so no existing requirement holds a category the list lacks.
    bind = op.get_bind()
    requirements = sa.table('requirements', sa.column('category', sa.String))
    used = bind.execute(
        sa.select(requirements.c.category).where(requirements.c.category.is_not(None)).distinct()
    ).scalars()
    names = sorted({name.strip() for name in used if name and name.strip()})
    for name in names:
        bind.execute(
            requirements.update()
            .where(requirements.c.category != name, sa.func.trim(requirements.c.category) == name)
            .values(category=name)
        )
    # A fixed instant, not the wall clock: the entries joined the list with this revision.
    if names:
        op.bulk_insert(
            categories,
            [{'name': n, 'created_at': datetime(2026, 12, 5, tzinfo=UTC)} for n in names],
        )


def downgrade():
    op.drop_table('requirement_categories')
