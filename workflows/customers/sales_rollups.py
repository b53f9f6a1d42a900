"""The sales report's rollups of `transactions` (`customer_values`: lifetime value and last
purchase per customer and currency; `daily_revenue`: revenue per day and currency), kept in the
same database transaction as the writes that change the facts, so a report never lags.

Each refresh recomputes the touched rows from the raw transactions (one customer's few rows, or
one day's few hundred) instead of adding deltas: a missed or doubled delta would drift forever,
a recomputation is right by construction. Callers name what they touched:
`transactions.record_transaction` / `update_transaction` / `delete_transaction`, a merge (both
customers) and a purge (the purged customer's days). `rebuild` recomputes everything (bulk
loads: the benchmarks, the migration's backfill does the same in SQL).

Amounts are summed as integers of ten-thousandths (`ROUND(amount * 10000)`): exact on SQLite,
whose NUMERIC is a binary double, and on PostgreSQL alike."""

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import BigInteger, case, cast, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from models import CustomerValue, DailyRevenue, Transaction, TransactionKind, TransactionStatus

# `transactions.SALE_KINDS` (that module imports this one, so it is not imported from there).
SALE_KINDS = (TransactionKind.ORDER, TransactionKind.INVOICE, TransactionKind.PAYMENT)
# A refresh's IN list stays well under SQLite's bound-parameter limit.
CHUNK = 500


def units(amount: Any) -> Any:
    """An amount as an exact integer of ten-thousandths."""
    return cast(func.round(amount * 10000), BigInteger)


def _live_completed() -> list[Any]:
    return [Transaction.deleted_at.is_(None), Transaction.status == TransactionStatus.COMPLETED]


def _customer_values_select(where: Iterable[Any]) -> Any:
    """(customer_id, currency, net_units, last_sale_on) as `transactions.lifetime_value` and
    `last_purchase_on` define them: the most settled stage of a sale per currency, minus
    refunds."""

    def total(kind: TransactionKind) -> Any:
        return func.sum(case((Transaction.kind == kind, units(Transaction.amount))))

    net = func.coalesce(
        total(TransactionKind.PAYMENT),
        total(TransactionKind.INVOICE),
        total(TransactionKind.ORDER),
        literal(0),
    ) - func.coalesce(total(TransactionKind.REFUND), literal(0))
    last_sale = func.max(case((Transaction.kind.in_(SALE_KINDS), Transaction.occurred_on)))
    return (
        select(Transaction.customer_id, Transaction.currency, net, last_sale)
        .where(*_live_completed(), *where)
        .group_by(Transaction.customer_id, Transaction.currency)
    )


def _daily_revenue_select(where: Iterable[Any]) -> Any:
    signed = case(
        (Transaction.kind == TransactionKind.REFUND, -units(Transaction.amount)),
        else_=units(Transaction.amount),
    )
    return (
        select(Transaction.occurred_on, Transaction.currency, func.sum(signed), func.count())
        .where(
            *_live_completed(),
            Transaction.kind.in_([TransactionKind.PAYMENT, TransactionKind.REFUND]),
            *where,
        )
        .group_by(Transaction.occurred_on, Transaction.currency)
    )


_VALUE_COLUMNS = ["customer_id", "currency", "net_units", "last_sale_on"]
_REVENUE_COLUMNS = ["day", "currency", "revenue_units", "transactions"]


def refresh_customers(session: Session, customer_ids: Iterable[int]) -> None:
    """Recompute `customer_values` of these customers; flushes first, never commits."""
    ids = sorted({int(i) for i in customer_ids if i is not None})
    session.flush()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        session.execute(delete(CustomerValue).where(CustomerValue.customer_id.in_(chunk)))
        session.execute(
            insert(CustomerValue).from_select(
                _VALUE_COLUMNS, _customer_values_select([Transaction.customer_id.in_(chunk)])
            )
        )


def refresh_days(session: Session, days: Iterable[date]) -> None:
    """Recompute `daily_revenue` of these days; flushes first, never commits."""
    chosen = sorted({d for d in days if d is not None})
    session.flush()
    for start in range(0, len(chosen), CHUNK):
        chunk = chosen[start : start + CHUNK]
        session.execute(delete(DailyRevenue).where(DailyRevenue.day.in_(chunk)))
        session.execute(
            insert(DailyRevenue).from_select(
                _REVENUE_COLUMNS, _daily_revenue_select([Transaction.occurred_on.in_(chunk)])
            )
        )


def refresh_transaction(session: Session, customer_id: int, *days: date) -> None:
    """After one transaction changed: its customer, and its day before and after the change."""
    refresh_customers(session, [customer_id])
    refresh_days(session, days)


def days_of_customer(session: Session, customer_id: int) -> list[date]:
    """The days a customer's transactions fall on (read before a purge deletes them)."""
    return list(
        session.scalars(
            select(Transaction.occurred_on).where(Transaction.customer_id == customer_id).distinct()
        )
    )


def rebuild(session: Session) -> None:
    """Recompute both rollups from every transaction (after bulk loads)."""
    session.flush()
    session.execute(delete(CustomerValue))
    session.execute(delete(DailyRevenue))
    session.execute(insert(CustomerValue).from_select(_VALUE_COLUMNS, _customer_values_select([])))
    session.execute(insert(DailyRevenue).from_select(_REVENUE_COLUMNS, _daily_revenue_select([])))
