"""sales report rollups: lifetime value and last purchase per customer and currency, revenue
per day and currency (kept by `workflows.customers.sales_rollups`), backfilled from the
transactions

Revision ID: a4c1b2d3e401
Revises: a3a1e7c50001
Create Date: 2026-12-05 03:00:00

The backfill is plain SQL over plain columns (never the ORM models, which later migrations may
change); it computes what `sales_rollups.rebuild` computes. Amounts become integers of
ten-thousandths, exact on SQLite (binary NUMERIC) and PostgreSQL alike.
"""
import sqlalchemy as sa
from alembic import op

revision = 'a4c1b2d3e401'
down_revision = 'a3a1e7c50001'
branch_labels = None
depends_on = None

UNITS = 'CAST(ROUND(amount * 10000) AS BIGINT)'
LIVE_COMPLETED = "deleted_at IS NULL AND status = 'completed'"


def upgrade():
    op.create_table(
        'customer_values',
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('net_units', sa.BigInteger(), nullable=False),
        sa.Column('last_sale_on', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ['customer_id'],
            ['customers.id'],
            name=op.f('fk_customer_values_customer_id_customers'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('customer_id', 'currency', name=op.f('pk_customer_values')),
    )
    with op.batch_alter_table('customer_values', schema=None) as batch_op:
        batch_op.create_index(
            'ix_customer_values_currency_net', ['currency', 'net_units'], unique=False
        )
    op.create_table(
        'daily_revenue',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('revenue_units', sa.BigInteger(), nullable=False),
        sa.Column('transactions', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'currency', name=op.f('pk_daily_revenue')),
    )
    _backfill()


def _backfill():
    def total(kind):
        return f"SUM(CASE WHEN kind = '{kind}' THEN {UNITS} END)"

    op.execute(
        'INSERT INTO customer_values (customer_id, currency, net_units, last_sale_on) '
        f"SELECT customer_id, currency, COALESCE({total('payment')}, {total('invoice')}, "
        f"{total('order')}, 0) - COALESCE({total('refund')}, 0), "
        "MAX(CASE WHEN kind IN ('order', 'invoice', 'payment') THEN occurred_on END) "
        f'FROM transactions WHERE {LIVE_COMPLETED} GROUP BY customer_id, currency'
    )
    op.execute(
        'INSERT INTO daily_revenue (day, currency, revenue_units, transactions) '
        f"SELECT occurred_on, currency, SUM(CASE WHEN kind = 'refund' THEN -{UNITS} "
        f'ELSE {UNITS} END), COUNT(*) FROM transactions '
        f"WHERE {LIVE_COMPLETED} AND kind IN ('payment', 'refund') "
        'GROUP BY occurred_on, currency'
    )


def downgrade():
    op.drop_table('daily_revenue')
    with op.batch_alter_table('customer_values', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_values_currency_net')
    op.drop_table('customer_values')
