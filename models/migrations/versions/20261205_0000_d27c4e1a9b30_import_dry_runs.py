"""import dry runs: the worker's progress and result on the import job

Revision ID: d27c4e1a9b30
Revises: ffe0c0de0001
Create Date: 2026-12-05 00:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd27c4e1a9b30'
down_revision = 'ffe0c0de0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dry_run', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.drop_column('dry_run')
