"""Revenue per enrolled customer, contacted against the holdout, per currency (never summed
across currencies): the difference with a 95 % interval, bootstrapped (revenue is skewed).

Revenue is what counts as a revenue goal (`workflows.outreach.outcomes.GOAL_TRANSACTIONS`):
completed, live orders, payments and invoices of the customer from the UTC day of enrolment
on. One aggregate statement returns a row per enrolment and currency with revenue; every other
enrolment of the arm counts as zero, so only the customers who bought reach Python.
"""

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from models import Enrolment, EnrolmentEvent, Transaction, TransactionStatus
from workflows.analytics import stats
from workflows.analytics.tables import table
from workflows.outreach import outcomes

HOLDOUT = "holdout"
CONTACTED = "contacted"
COLUMNS = [
    "currency",
    "contacted_enrolled",
    "contacted_per_customer",
    "holdout_enrolled",
    "holdout_per_customer",
    "difference",
    "low",
    "high",
    "method",
]


def revenue_effect(session: Session, strategy_id: int, contacted: int, holdout: int) -> dict:
    """The table: a row per currency any enrolled customer paid in since enrolling, given the
    arms' sizes (`contacted`, `holdout` enrolments). No holdout: no rows (nothing to compare)."""
    if not holdout or not contacted:
        return table(COLUMNS, [])
    amounts = _amounts(session, strategy_id)
    rows = []
    for currency in sorted(amounts):
        paid = amounts[currency]
        result, method = stats.mean_difference(
            _padded(paid[CONTACTED], contacted), _padded(paid[HOLDOUT], holdout)
        )
        rows.append(
            [
                currency,
                contacted,
                _money(result.contacted_mean),
                holdout,
                _money(result.holdout_mean),
                _money(result.difference),
                _money(result.low),
                _money(result.high),
                method if result.low is not None else None,
            ]
        )
    return table(COLUMNS, rows)


def _amounts(session: Session, strategy_id: int) -> dict[str, dict[str, list[Decimal]]]:
    held = Enrolment.id.in_(
        select(EnrolmentEvent.enrolment_id).where(
            EnrolmentEvent.strategy_id == strategy_id, EnrolmentEvent.kind == HOLDOUT
        )
    )
    arm = case((held, HOLDOUT), else_=CONTACTED)
    statement = (
        select(arm, Transaction.currency, func.sum(Transaction.amount))
        .join(Transaction, Transaction.customer_id == Enrolment.customer_id)
        .where(
            Enrolment.strategy_id == strategy_id,
            Transaction.status == TransactionStatus.COMPLETED,
            Transaction.kind.in_(outcomes.GOAL_TRANSACTIONS),
            Transaction.deleted_at.is_(None),
            Transaction.occurred_on >= outcomes.UtcDay(Enrolment.enrolled_at),
        )
        .group_by(Enrolment.id, arm, Transaction.currency)
    )
    found: dict[str, dict[str, list[Decimal]]] = defaultdict(lambda: defaultdict(list))
    for name, currency, total in session.execute(statement):
        found[currency][name].append(Decimal(total))
    return found


def _padded(amounts: list[Decimal], enrolled: int) -> list[float]:
    # Sorted: the seeded bootstrap sees the same order whatever order the database returned.
    return [float(a) for a in sorted(amounts)] + [0.0] * (enrolled - len(amounts))


def _money(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
