"""customer addresses gain a region (state, province, 省) and a district (区/县), for the
Chinese layout (province, city, district, street) next to the Western one

Revision ID: c1a9e0d00017
Revises: c1a9e0d00016
Create Date: 2026-12-05 03:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c1a9e0d00017'
down_revision = 'c1a9e0d00016'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable and empty: every existing address keeps its street, city, postal code and
    # country as they are.
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('region', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('district', sa.String(length=120), nullable=True))


def downgrade():
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('district')
        batch_op.drop_column('region')
