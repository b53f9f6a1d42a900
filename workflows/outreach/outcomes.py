"""What a customer did after enrolment, as SQL conditions: replied, reached the strategy's goal.

One definition serves both the stop checks (a customer id and an instant) and the results
(correlated with the enrolment's columns), so a stop and a figure never disagree about what
counts as a reply or a goal."""

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Date, exists, false
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from models import (
    Communication,
    CommunicationChannel,
    Requirement,
    Transaction,
    TransactionKind,
    TransactionStatus,
)

TASK_WORKFLOW = "task"  # our own task steps must not count as "a new requirement" or a goal
GOAL_TRANSACTIONS = (TransactionKind.ORDER, TransactionKind.PAYMENT, TransactionKind.INVOICE)


def replied(customer_id: Any, since: Any) -> ColumnElement[bool]:
    """Any inbound communication on the customer's timeline since `since` (logged by an agent,
    created by the API or matched from an email)."""
    return exists().where(
        Communication.customer_id == customer_id,
        Communication.direction == "inbound",
        Communication.deleted_at.is_(None),
        Communication.occurred_at >= since,
    )


def goal_reached(kpi: str | None, customer_id: Any, since: Any) -> ColumnElement[bool]:
    """The goal `kpi` reached since `since`; an unknown KPI is never reached."""
    if kpi == "reply_rate":
        return replied(customer_id, since)
    if kpi == "meeting_booked":
        return exists().where(
            Communication.customer_id == customer_id,
            Communication.channel.in_((CommunicationChannel.MEETING, CommunicationChannel.CALL)),
            Communication.deleted_at.is_(None),
            Communication.occurred_at >= since,
        )
    if kpi == "requirement_resolved":
        return exists().where(
            Requirement.customer_id == customer_id,
            Requirement.workflow != TASK_WORKFLOW,
            Requirement.resolved_at >= since,
        )
    if kpi in ("revenue", "reactivation"):
        return exists().where(
            Transaction.customer_id == customer_id,
            Transaction.status == TransactionStatus.COMPLETED,
            Transaction.kind.in_(GOAL_TRANSACTIONS),
            Transaction.deleted_at.is_(None),
            Transaction.occurred_on >= _day_of(since),
        )
    return false()


def _day_of(since: Any) -> Any:
    """The UTC day of an instant: a value's `.date()`, a column's `UtcDay`."""
    if isinstance(since, datetime):
        return since.date()
    return UtcDay(since)


class UtcDay(FunctionElement[Any]):
    """The UTC calendar day of a UTCDateTime column. PostgreSQL's plain `::date` would use the
    session's time zone, which the server chooses; SQLite stores naive UTC text already."""

    type = Date()
    inherit_cache = True
    name = "utc_day"


@compiles(UtcDay)
def _utc_day_sqlite(element: UtcDay, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(UtcDay, "postgresql")
def _utc_day_postgresql(element: UtcDay, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(timezone('UTC', {compiler.process(element.clauses, **kw)}) AS DATE)"
