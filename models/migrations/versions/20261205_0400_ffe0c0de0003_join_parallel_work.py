"""join the migrations of work done in parallel

Revision ID: ffe0c0de0003
Revises: 5e1f0ad7c201, a11f01d00001, a4c1b2d3e402, b1a2e1180001, c1a7e5e00001, c1a9e0d00017
Create Date: 2026-12-04 23:00:00

"""

revision = 'ffe0c0de0003'
down_revision = ('5e1f0ad7c201', 'a11f01d00001', 'a4c1b2d3e402', 'b1a2e1180001', 'c1a7e5e00001', 'c1a9e0d00017')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
