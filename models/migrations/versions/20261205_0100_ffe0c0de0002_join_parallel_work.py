"""join the migrations of work done in parallel

Revision ID: ffe0c0de0002
Revises: 5a7ed0e10001, 5afe0e5c0a01, a4e1c7b2d930, c0ffee13a001, c4a8e2f61d07, d27c4e1a9b30, e2a7c0f4d911
Create Date: 2026-12-04 23:00:00

"""

revision = 'ffe0c0de0002'
down_revision = ('5a7ed0e10001', '5afe0e5c0a01', 'a4e1c7b2d930', 'c0ffee13a001', 'c4a8e2f61d07', 'd27c4e1a9b30', 'e2a7c0f4d911')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
