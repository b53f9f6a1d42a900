"""Pareto analysis: which few categories, customers, organisations or causes account for 80 %
of requirements, breaches or revenue. Bars sorted by size with their cumulative share, the
80 % line and the "vital few" (the fewest items whose shares reach it).

Grouping, totals and the vital-few count are SQL (a window SUM over the grouped values); only
the top `LIMIT` bars come back as rows.
"""

from typing import Any

from sqlalchemy import Select, and_, case, desc, func, literal, select
from sqlalchemy.orm import Session

from models import Customer, Organisation, Requirement, SlaClock, Transaction, TransactionKind
from models import TransactionStatus as Status
from workflows.analytics import reply_sources
from workflows.analytics.filters import RequirementFilter
from workflows.analytics.ranges import DayRange, as_decimal, dialect_of, exact_sum
from workflows.analytics.tables import ratio, table
from workflows.customers.transactions import amount_text
from workflows.platform.errors import ValidationFailed
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_
from workflows.tracking import breach_causes

THRESHOLD = 0.8
LIMIT = 30
DIMENSIONS = (
    "requirements_by_category",
    "requirements_by_customer",
    "requirements_by_organisation",
    "breaches_by_cause",
    "revenue_by_customer",
    "revenue_by_organisation",
    *reply_sources.DIMENSIONS,
)
# The bars' labels stay English in the data (the CSV, the JSON); pages show them translated
# (web/reports/words.py `bar_label`, reports.js through the page's words).
CAUSE_LABELS = {
    breach_causes.POLICY_CHANGED: N_("policy changed"),
    breach_causes.REOPENED: N_("reopened"),
    breach_causes.OUTSIDE_HOURS: N_("arrived outside opening hours"),
    breach_causes.WAITED_UNASSIGNED: N_("waited unassigned"),
    breach_causes.WAITING_ON_CUSTOMER: N_("time waiting on the customer"),
    breach_causes.OTHER: N_("none of these (handling took too long)"),
}
NONE_LABEL = N_("(none)")


def pareto_report(
    session: Session,
    dimension: str,
    days: DayRange,
    filters: RequirementFilter,
    *,
    currency: str | None = None,
) -> dict[str, Any]:
    if dimension not in DIMENSIONS:
        raise ValidationFailed.field(
            "dimension", Message(N_("Choose one of: %(choices)s."), choices=", ".join(DIMENSIONS))
        )
    created = and_(
        Requirement.created_at >= days.start,
        Requirement.created_at < days.end,
        *filters.conditions(),
    )
    money = dimension.startswith("revenue")
    applied = filters.describe()
    if money:
        currency = currency or _busiest_currency(session, days)
        grouped = _revenue(session, dimension, days, currency)
    elif dimension in reply_sources.DIMENSIONS:
        grouped = reply_sources.grouped(dimension, days)
        applied = {}  # replies are no requirements: the requirement filters do not apply
    else:
        grouped = _counts(dimension, created)
    labels = CAUSE_LABELS if dimension == "breaches_by_cause" else {}
    result = _pareto(session, grouped, money=money, dialect=dialect_of(session), labels=labels)
    return {
        "dimension": dimension,
        "range": days.describe(),
        "filters": applied,
        "currency": currency if money else None,
        **result,
    }


def _counts(dimension: str, created: Any) -> Select[Any]:
    """(key, label, value) grouped, for counted dimensions."""
    if dimension == "requirements_by_category":
        return (
            select(Requirement.category, Requirement.category, func.count())
            .where(created)
            .group_by(Requirement.category)
        )
    if dimension == "requirements_by_customer":
        return (
            select(Customer.id, Customer.name, func.count())
            .select_from(Requirement)
            .join(Customer, Customer.id == Requirement.customer_id)
            .where(created)
            .group_by(Customer.id, Customer.name)
        )
    if dimension == "requirements_by_organisation":
        return (
            select(Organisation.id, Organisation.name, func.count())
            .select_from(Requirement)
            .join(Customer, Customer.id == Requirement.customer_id)
            .outerjoin(Organisation, Organisation.id == Customer.organisation_id)
            .where(created)
            .group_by(Organisation.id, Organisation.name)
        )
    return (
        select(SlaClock.breach_cause, SlaClock.breach_cause, func.count())
        .join(Requirement, Requirement.id == SlaClock.requirement_id)
        .where(created, SlaClock.breached_at.is_not(None))
        .group_by(SlaClock.breach_cause)
    )


def _busiest_currency(session: Session, days: DayRange) -> str | None:
    return session.scalar(
        select(Transaction.currency)
        .where(Transaction.occurred_on >= days.first, Transaction.occurred_on <= days.last)
        .group_by(Transaction.currency)
        .order_by(desc(func.count()), Transaction.currency)
        .limit(1)
    )


def _revenue(session: Session, dimension: str, days: DayRange, currency: str | None) -> Any:
    """Payments minus refunds in the range, in one currency (never summed across them)."""
    dialect = dialect_of(session)
    signed = case(
        (Transaction.kind == TransactionKind.REFUND, -Transaction.amount), else_=Transaction.amount
    )
    total = exact_sum(signed, dialect)
    where = (
        Transaction.deleted_at.is_(None),
        Transaction.status == Status.COMPLETED,
        Transaction.kind.in_([TransactionKind.PAYMENT, TransactionKind.REFUND]),
        Transaction.occurred_on >= days.first,
        Transaction.occurred_on <= days.last,
        Transaction.currency == (currency or ""),
    )
    if dimension == "revenue_by_customer":
        return (
            select(Customer.id, Customer.name, total)
            .select_from(Transaction)
            .join(Customer, Customer.id == Transaction.customer_id)
            .where(*where)
            .group_by(Customer.id, Customer.name)
        )
    return (
        select(Organisation.id, Organisation.name, total)
        .select_from(Transaction)
        .join(Customer, Customer.id == Transaction.customer_id)
        .outerjoin(Organisation, Organisation.id == Customer.organisation_id)
        .where(*where)
        .group_by(Organisation.id, Organisation.name)
    )


def _pareto(
    session: Session, grouped: Select[Any], *, money: bool, dialect: str, labels: dict[str, str]
) -> dict:
    """One statement: the groups are formed once and ranked with window functions (the total,
    the item count, each bar's running sum and, over those, the vital-few count), then only the
    top `LIMIT` rows come back. (Three statements over the same grouping cost three times the
    grouping: revenue by customer, 90 days, SQLite.)"""
    groups = grouped.subquery()
    key, label, value = groups.c[0], groups.c[1], groups.c[2]
    order = (desc(value), key)
    ranked = (
        select(
            key.label("key"),
            label.label("label"),
            value.label("value"),
            func.sum(value).over(order_by=order, rows=(None, 0)).label("running"),
            func.sum(value).over().label("total"),
            func.count().over().label("item_count"),
            func.row_number().over(order_by=order).label("position"),
        )
        .where(value > 0)  # a net refund is no share of the effect
        .subquery()
    )
    before = ranked.c.running - ranked.c.value
    vital = func.sum(case((before < literal(THRESHOLD) * ranked.c.total, 1), else_=0)).over()
    found = session.execute(
        select(
            ranked.c.key,
            ranked.c.label,
            ranked.c.value,
            ranked.c.total,
            ranked.c.item_count,
            vital,
        )
        .order_by(ranked.c.position)
        .limit(LIMIT)
    ).all()
    total_raw, items, vital_count = found[0][3:] if found else (None, 0, 0)
    total = as_decimal(total_raw, dialect) if money else int(total_raw or 0)
    rows = [
        [
            k,
            labels.get(name, name) if name is not None else NONE_LABEL,
            as_decimal(v, dialect) if money else v,
        ]
        for k, name, v, *_ in found
    ]
    return pareto(
        rows, total=total, items=int(items or 0), vital_count=int(vital_count or 0), money=money
    )


def pareto(
    rows: list[list[Any]], *, total: Any, items: int, vital_count: int, money: bool = False
) -> dict[str, Any]:
    """Bars (key, label, value, share, cumulative share) from rows sorted by value, largest
    first (money as Decimal, shown as text). `vital_count`: items it takes to reach the
    threshold."""
    cumulative = 0
    bars = []
    for key, label, value in rows:
        cumulative += value
        shown = amount_text(value) if money else value
        bars.append(
            [
                key,
                label,
                shown,
                ratio(float(value), float(total)),
                ratio(float(cumulative), float(total)),
            ]
        )
    return {
        "threshold": THRESHOLD,
        "total": amount_text(total) if money else total,
        "item_count": items,
        "vital_few_count": vital_count,
        "vital_few": [bar[1] for bar in bars[:vital_count]],
        "bars": table(["key", "label", "value", "share", "cumulative_share"], bars),
    }
