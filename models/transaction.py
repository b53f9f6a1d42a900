"""Orders, invoices, payments and refunds: Decimal amounts in an ISO 4217 currency."""

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, value_enum


class TransactionKind(enum.StrEnum):
    ORDER = "order"
    INVOICE = "invoice"
    PAYMENT = "payment"
    REFUND = "refund"


class TransactionStatus(enum.StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Transaction(Base):
    __tablename__ = "transactions"
    __table_args__ = (
        Index("ix_transactions_customer_date", "customer_id", "occurred_on", "id"),
        Index("ix_transactions_occurred_on", "occurred_on"),  # revenue per month
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[TransactionKind] = mapped_column(value_enum(TransactionKind))
    status: Mapped[TransactionStatus] = mapped_column(
        value_enum(TransactionStatus), default=TransactionStatus.COMPLETED
    )
    # Never float: Numeric keeps every cent (4 places cover every ISO 4217 minor unit).
    amount: Mapped[Decimal] = mapped_column(Numeric(19, 4, asdecimal=True))
    currency: Mapped[str] = mapped_column(String(3))
    occurred_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class CustomerValue(Base):
    """Rollup of `transactions` per customer and currency, for the sales report: the lifetime
    value as `workflows.customers.transactions.lifetime_value` defines it and the newest
    completed sale. Kept by `workflows.customers.sales_rollups` in the transaction that changes
    the customer's transactions; exact integers (ten-thousandths), so sums are exact on SQLite."""

    __tablename__ = "customer_values"
    __table_args__ = (
        # The distribution per currency (buckets, median and p90 by ORDER BY … OFFSET).
        Index("ix_customer_values_currency_net", "currency", "net_units"),
    )

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    # Lifetime value in ten-thousandths of the currency's unit (amounts have 4 places).
    net_units: Mapped[int] = mapped_column(BigInteger)
    # Newest completed order, invoice or payment in this currency; None: refunds only.
    last_sale_on: Mapped[date | None] = mapped_column(Date)


class DailyRevenue(Base):
    """Rollup of `transactions` per day and currency: completed, live payments minus refunds
    (revenue per month is a sum of these days). Kept like `CustomerValue`."""

    __tablename__ = "daily_revenue"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    revenue_units: Mapped[int] = mapped_column(BigInteger)  # ten-thousandths, refunds negative
    transactions: Mapped[int]
