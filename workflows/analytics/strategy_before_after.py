"""For a strategy without a holdout, the weaker evidence: the same customers before and after
they enrolled. Per currency, revenue per enrolled customer and the share who bought in the
`days` before the UTC day of enrolment against the `days` from it on (the goal's window), over
the enrolments whose after-window has closed; the paired difference with a 95 % interval.

Weaker than a holdout: anything else that changed over time (season, price, other campaigns,
customers chosen because they were about to buy) shows up as an effect too. Revenue is what
`strategy_revenue` counts. One aggregate statement returns only enrolments that bought in
either window; a count gives the rest, who are zeros.
"""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from models import Enrolment, Transaction, TransactionStatus
from workflows.analytics import stats
from workflows.analytics.tables import table
from workflows.outreach import outcomes
from workflows.platform.clock import Clock

COLUMNS = [
    "currency",
    "customers",
    "window_days",
    "bought_before",
    "bought_after",
    "bought_before_rate",
    "bought_after_rate",
    "before_per_customer",
    "after_per_customer",
    "difference",
    "low",
    "high",
    "method",
]


class DaysBetween(FunctionElement[int]):
    """Whole days from the second date to the first (both SQL dates)."""

    type = Integer()
    inherit_cache = True
    name = "days_between"


@compiles(DaysBetween)
def _days_sqlite(element: DaysBetween, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (
        f"CAST(julianday({compiler.process(later, **kw)}) - "
        f"julianday({compiler.process(earlier, **kw)}) AS INTEGER)"
    )


@compiles(DaysBetween, "postgresql")
def _days_postgresql(element: DaysBetween, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return f"({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)})"


def before_after(session: Session, strategy_id: int, days: int, *, clock: Clock) -> dict:
    """The table: a row per currency bought in by an enrolled customer in either window."""
    cutoff = clock.now() - timedelta(days=days)
    closed = (Enrolment.strategy_id == strategy_id, Enrolment.enrolled_at <= cutoff)
    customers = session.scalar(select(func.count()).select_from(Enrolment).where(*closed)) or 0
    if not customers:
        return table(COLUMNS, [])
    rows = []
    for currency, found in sorted(_amounts(session, closed, days).items()):
        pairs = sorted(found)  # the seeded bootstrap sees the same order on every database
        before = [b for b, _ in pairs] + [0.0] * (customers - len(pairs))
        after = [a for _, a in pairs] + [0.0] * (customers - len(pairs))
        bought_before = sum(1 for b in before if b > 0)
        bought_after = sum(1 for a in after if a > 0)
        result, method = stats.paired_mean_difference(before, after)
        rows.append(
            [
                currency,
                customers,
                days,
                bought_before,
                bought_after,
                stats.wilson(bought_before, customers).rate,
                stats.wilson(bought_after, customers).rate,
                *(_money(v) for v in (result.holdout_mean, result.contacted_mean)),
                *(_money(v) for v in (result.difference, result.low, result.high)),
                method if result.low is not None else None,
            ]
        )
    return table(COLUMNS, rows)


def _amounts(session: Session, closed: tuple, days: int) -> dict[str, list[tuple[float, float]]]:
    offset = DaysBetween(Transaction.occurred_on, outcomes.UtcDay(Enrolment.enrolled_at))
    after = offset >= 0
    statement = (
        select(
            Transaction.currency,
            func.sum(case((after, 0), else_=Transaction.amount)),
            func.sum(case((after, Transaction.amount), else_=0)),
        )
        .select_from(Enrolment)
        .join(Transaction, Transaction.customer_id == Enrolment.customer_id)
        .where(
            *closed,
            Transaction.status == TransactionStatus.COMPLETED,
            Transaction.kind.in_(outcomes.GOAL_TRANSACTIONS),
            Transaction.deleted_at.is_(None),
            offset >= -days,
            offset < days,
        )
        .group_by(Enrolment.id, Transaction.currency)
    )
    found: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for currency, before, after_amount in session.execute(statement):
        found[currency].append((float(Decimal(before or 0)), float(Decimal(after_amount or 0))))
    return found


def _money(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
