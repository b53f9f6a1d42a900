"""outreach: adaptive variant splits — each adaptive strategy's split per step over time
(`outreach_variant_splits`), and the variant each due step was given when it was planned
(`outreach_due_steps.variant`), so a re-run sends the same variant whatever the split became

Revision ID: a7c3d9e50001
Revises: d5e1e7a20001
Create Date: 2026-12-06 05:00:00

Steps planned before this revision have no variant; they choose theirs by the fixed weights when
they run, as before.
"""

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime


revision = "a7c3d9e50001"
down_revision = "d5e1e7a20001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "outreach_variant_splits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("strategy_id", sa.Integer(), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("computed_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("shares", sa.JSON(), nullable=False),
        sa.Column("successes", sa.JSON(), nullable=False),
        sa.Column("trials", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["outreach_strategies.id"],
            name=op.f("fk_outreach_variant_splits_strategy_id_outreach_strategies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_variant_splits")),
    )
    op.create_index(
        "ix_outreach_variant_splits_step",
        "outreach_variant_splits",
        ["strategy_id", "step_index", "computed_at"],
        unique=False,
    )
    with op.batch_alter_table("outreach_due_steps") as batch_op:
        batch_op.add_column(sa.Column("variant", sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table("outreach_due_steps") as batch_op:
        batch_op.drop_column("variant")
    op.drop_index("ix_outreach_variant_splits_step", table_name="outreach_variant_splits")
    op.drop_table("outreach_variant_splits")
