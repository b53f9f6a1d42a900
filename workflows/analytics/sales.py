"""Sales and customer KPIs: opportunities by stage with conversion, win rate and time in each
stage (the sales workflow), revenue per month per currency, the lifetime-value distribution and
customers without a purchase for N days.

Money: currencies are never converted or added together; every money figure carries its
currency. Revenue, lifetime value and dormant customers read the rollups of
`workflows.customers.sales_rollups` (kept in the transactions that change the facts, so never
stale) instead of grouping every transaction per call. Revenue per month is completed payments
minus completed refunds, by the month they occurred in (cash received). Lifetime value follows
`workflows.customers.transactions.lifetime_value` (the most settled stage of a sale per
currency, minus refunds).

Pipeline value: the open opportunities (lead, qualified, proposal, negotiation) by the calendar
month of their expected close date and their currency — count and sum of the amounts, also per
stage — from one grouped query over `ix_requirements_pipeline`. It is the pipeline as it stands
today, so the report's date range does not apply (an opportunity created last year and still
open is in it); the team, agent, priority, category, SLA-policy filters and the viewer's read
scope do. Months before the current one (in the report's time zone) are overdue and marked so.
Open opportunities without an amount or without an expected close date cannot be placed, so
they are counted apart (`unscheduled`) instead of in a month.
"""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, distinct, func, literal, select
from sqlalchemy.orm import Session

from models import Customer, CustomerValue, DailyRevenue, Requirement, RequirementEvent
from workflows.analytics.filters import RequirementFilter
from workflows.analytics.quantiles import percentiles
from workflows.analytics.ranges import (
    DayRange,
    as_decimal,
    dialect_of,
    epoch_seconds,
    exact_sum,
    month_of,
)
from workflows.analytics.tables import ratio, table
from workflows.customers.transactions import amount_text
from workflows.tracking.sales_workflow import OPEN_STAGES, SALES

FUNNEL = [*OPEN_STAGES, "won"]
# Lifetime-value buckets (upper bounds, in the currency's own units).
LTV_BUCKETS = (0, 100, 1000, 10000, 100000)
# The rollups keep money as integers of ten-thousandths (`sales_rollups.units`).
UNITS = 10000
DEFAULT_DORMANT_DAYS = 90
DORMANT_LIST = 50
# Why an open opportunity is not in a month of the pipeline (`unscheduled` rows).
UNSCHEDULED = ("no_amount", "no_close_date", "no_amount_no_close_date")


def sales_report(
    session: Session,
    days: DayRange,
    filters: RequirementFilter,
    *,
    today: date,
    dormant_days: int = DEFAULT_DORMANT_DAYS,
) -> dict[str, Any]:
    opportunities = and_(
        Requirement.workflow == SALES.key,
        Requirement.created_at >= days.start,
        Requirement.created_at < days.end,
        *filters.conditions(),
    )
    return {
        "range": days.describe(),
        "filters": filters.describe(),
        "stages": _stages(session, opportunities),
        "win_rate": _win_rate(session, opportunities),
        "time_in_stage": _time_in_stage(session, opportunities),
        "pipeline_value": _pipeline(session, filters, today),
        "revenue": _revenue(session, days),
        "lifetime_value": _lifetime_value(session),
        "dormant": _dormant(session, today, dormant_days),
    }


def _stages(session: Session, opportunities: Any) -> dict[str, Any]:
    """How many opportunities entered each stage at some point (every one starts as a lead;
    one won straight from proposal never entered negotiation), how many are there now, and
    the conversion from the stage before (None when none entered that one)."""
    total = session.scalar(select(func.count()).where(opportunities)) or 0
    reached = dict(
        session.execute(
            select(RequirementEvent.to_state, func.count(distinct(Requirement.id)))
            .join(Requirement, Requirement.id == RequirementEvent.requirement_id)
            .where(opportunities, RequirementEvent.to_state.in_(FUNNEL[1:]))
            .group_by(RequirementEvent.to_state)
        ).all()
    )
    reached[SALES.initial] = total
    now = dict(
        session.execute(
            select(Requirement.state, func.count()).where(opportunities).group_by(Requirement.state)
        ).all()
    )
    rows = []
    for position, stage in enumerate([*FUNNEL, "lost"]):
        before = reached.get(FUNNEL[position - 1]) if 0 < position < len(FUNNEL) else None
        count = reached.get(stage, 0) if stage != "lost" else now.get("lost", 0)
        rows.append(
            [stage, count, now.get(stage, 0), None if before is None else ratio(count, before)]
        )
    return table(["stage", "reached", "now", "conversion_from_previous"], rows)


def _win_rate(session: Session, opportunities: Any) -> dict[str, Any]:
    counts = dict(
        session.execute(
            select(Requirement.state, func.count())
            .where(opportunities, Requirement.state.in_(["won", "lost"]))
            .group_by(Requirement.state)
        ).all()
    )
    won, lost = counts.get("won", 0), counts.get("lost", 0)
    return {"won": won, "lost": lost, "rate": ratio(won, won + lost)}


def _time_in_stage(session: Session, opportunities: Any) -> dict[str, Any]:
    """Calendar time (not business time) from entering a stage to leaving it, for stays that
    have ended."""
    dialect = dialect_of(session)
    transitions = (
        select(
            RequirementEvent.to_state.label("stage"),
            epoch_seconds(RequirementEvent.at, dialect).label("entered"),
            func.lead(epoch_seconds(RequirementEvent.at, dialect))
            .over(partition_by=RequirementEvent.requirement_id, order_by=RequirementEvent.id)
            .label("left"),
        )
        .join(Requirement, Requirement.id == RequirementEvent.requirement_id)
        .where(
            opportunities,
            (RequirementEvent.from_state.is_(None))
            | (RequirementEvent.from_state != RequirementEvent.to_state),
        )
        .subquery()
    )
    stays = dict(
        (stage, (count, mean))
        for stage, count, mean in session.execute(
            select(
                transitions.c.stage,
                func.count(),
                func.avg(transitions.c.left - transitions.c.entered),
            )
            .where(transitions.c.left.is_not(None))
            .group_by(transitions.c.stage)
        )
    )
    rows = []
    for stage in OPEN_STAGES:
        count, mean = stays.get(stage, (0, None))
        rows.append([stage, count, None if mean is None else round(float(mean), 1)])
    return table(["stage", "stays_ended", "mean_seconds"], rows)


def _pipeline(session: Session, filters: RequirementFilter, today: date) -> dict[str, Any]:
    """Open opportunities by expected close month and currency (never summed across
    currencies), from one GROUP BY; the few dozen groups are then folded into the tables."""
    dialect = dialect_of(session)
    # An amount counts with its currency (the workflow never stores one without the other).
    priced = and_(Requirement.amount.is_not(None), Requirement.currency.is_not(None))
    placed = and_(priced, Requirement.expected_close_on.is_not(None))
    # -1: in a month; else the index of its `UNSCHEDULED` reason.
    missing = case(
        (placed, literal(-1)),
        (Requirement.expected_close_on.is_not(None), literal(0)),
        (priced, literal(1)),
        else_=literal(2),
    ).label("missing")
    month = case((placed, month_of(Requirement.expected_close_on, dialect)), else_=None).label(
        "month"
    )
    currency = case((placed, Requirement.currency), else_=None).label("currency")
    groups = session.execute(
        select(
            missing,
            month,
            currency,
            Requirement.state,
            func.count(),
            exact_sum(case((placed, Requirement.amount), else_=None), dialect),
        )
        .where(
            Requirement.workflow == SALES.key,
            Requirement.state.in_(OPEN_STAGES),
            *filters.conditions(),
        )
        .group_by(missing, month, currency, Requirement.state)
    ).all()
    current = f"{today.year:04d}-{today.month:02d}"
    by_month: dict[tuple[str, str], list[Any]] = {}
    by_stage: dict[tuple[str, str, str], list[Any]] = {}
    unscheduled = dict.fromkeys(UNSCHEDULED, 0)
    for why, group_month, code, state, count, total in groups:
        if why >= 0:
            unscheduled[UNSCHEDULED[why]] += count
            continue
        amount = as_decimal(total, dialect)
        cell = by_month.setdefault((group_month, code), [0, Decimal(0)])
        cell[0] += count
        cell[1] += amount
        stage_cell = by_stage.setdefault((group_month, code, state), [0, Decimal(0)])
        stage_cell[0] += count
        stage_cell[1] += amount
    order = {stage: n for n, stage in enumerate(OPEN_STAGES)}
    overdue = [v for (m, _), v in by_month.items() if m < current]
    return {
        "current_month": current,
        "by_month": table(
            ["month", "currency", "opportunities", "amount", "overdue"],
            [
                [m, c, n, amount_text(total), m < current]
                for (m, c), (n, total) in sorted(by_month.items())
            ],
        ),
        "by_stage": table(
            ["month", "currency", "stage", "opportunities", "amount"],
            [
                [m, c, stage, n, amount_text(total)]
                for (m, c, stage), (n, total) in sorted(
                    by_stage.items(), key=lambda item: (*item[0][:2], order[item[0][2]])
                )
            ],
        ),
        "unscheduled": table(
            ["missing", "opportunities"], [[why, n] for why, n in unscheduled.items()]
        ),
        "overdue_opportunities": sum(n for n, _ in overdue),
        "open_opportunities": sum(n for n, _ in by_month.values()) + sum(unscheduled.values()),
    }


def _revenue(session: Session, days: DayRange) -> dict[str, Any]:
    """From the per-day rollup (`sales_rollups`): a few hundred rows for any range, summed into
    months inside the range (a partial first or last month counts only its days in range)."""
    month = month_of(DailyRevenue.day, dialect_of(session)).label("month")
    rows = session.execute(
        select(
            month,
            DailyRevenue.currency,
            func.sum(DailyRevenue.revenue_units),
            func.sum(DailyRevenue.transactions),
        )
        .where(DailyRevenue.day >= days.first, DailyRevenue.day <= days.last)
        .group_by(month, DailyRevenue.currency)
        .order_by(month, DailyRevenue.currency)
    ).all()
    return table(
        ["month", "currency", "revenue", "transactions"],
        [[m, c, amount_text(_decimal(total)), int(n)] for m, c, total, n in rows],
    )


def _decimal(total_units: Any) -> Decimal:
    return Decimal(int(total_units or 0)) / UNITS


def _lifetime_value(session: Session) -> dict[str, Any]:
    """From `customer_values` (one row per customer and currency, lifetime value as
    `transactions.lifetime_value` defines it): buckets, then median and p90 walking
    `ix_customer_values_currency_net`."""
    net = CustomerValue.net_units
    bucket = case(
        *[(net <= bound * UNITS, literal(n)) for n, bound in enumerate(LTV_BUCKETS)],
        else_=literal(len(LTV_BUCKETS)),
    ).label("bucket")
    counts = session.execute(
        select(CustomerValue.currency, bucket, func.count())
        .group_by(CustomerValue.currency, bucket)
        .order_by(CustomerValue.currency, bucket)
    ).all()
    buckets = [[currency, _bucket_label(int(index)), count] for currency, index, count in counts]
    summary = []
    for currency in sorted({row[0] for row in counts}):
        ltv = select(net).where(CustomerValue.currency == currency)
        median, p90 = percentiles(session, ltv, (0.5, 0.9))
        customers = sum(row[2] for row in counts if row[0] == currency)
        summary.append([currency, customers, _money(median, UNITS), _money(p90, UNITS)])
    return {
        "buckets": table(["currency", "bucket", "customers"], buckets),
        "summary": table(["currency", "customers", "median", "p90"], summary),
    }


def _money(value: float | None, scale: int) -> str | None:
    if value is None:
        return None
    return f"{value / scale:.2f}"


def _bucket_label(index: int) -> str:
    if index == 0:
        return "≤ 0"
    if index == len(LTV_BUCKETS):
        return f"> {LTV_BUCKETS[-1]:,}"
    return f"{LTV_BUCKETS[index - 1]:,} to {LTV_BUCKETS[index]:,}"


def _dormant(session: Session, today: date, days: int) -> dict[str, Any]:
    """Customers who bought before but not in the last `days` days (deleted ones left out),
    from `customer_values` (their last sale per currency)."""
    cutoff = today - timedelta(days=days)
    last = func.max(CustomerValue.last_sale_on).label("last_purchase_on")
    dormant = (
        select(CustomerValue.customer_id, last)
        .group_by(CustomerValue.customer_id)
        .having(last < cutoff)
        .subquery()
    )
    live = and_(Customer.id == dormant.c.customer_id, Customer.deleted_at.is_(None))
    count = session.scalar(select(func.count()).select_from(dormant).join(Customer, live)) or 0
    rows = session.execute(
        select(Customer.id, Customer.name, dormant.c.last_purchase_on)
        .join(Customer, live)
        .order_by(dormant.c.last_purchase_on, Customer.id)
        .limit(DORMANT_LIST)
    ).all()
    return {
        "days": days,
        "count": count,
        "customers": table(
            ["id", "name", "last_purchase_on", "days_since"],
            [[ident, name, _iso(day), (today - _as_date(day)).days] for ident, name, day in rows],
        ),
    }


def _as_date(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _iso(value: Any) -> str:
    return _as_date(value).isoformat()
