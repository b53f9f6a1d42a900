"""join the migrations of work done in parallel

Revision ID: ffe0c0de0001
Revises: 7b3e5c2a9d10, 7c1e5a9d2b40, 7c1e5a9d3b20, a7c3e9d1b2f4, b7d2f4a9c3e1, b7d2f5a9c3e1, b7e3a91c5d20
Create Date: 2026-12-04 23:00:00

"""

revision = 'ffe0c0de0001'
down_revision = ('7b3e5c2a9d10', '7c1e5a9d2b40', '7c1e5a9d3b20', 'a7c3e9d1b2f4', 'b7d2f4a9c3e1', 'b7d2f5a9c3e1', 'b7e3a91c5d20')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
