"""Who a strategy reaches: a saved segment, or a trigger (a requirement resolved N days ago, no
transaction for N days, new customers, a requirement in a given state for N days)."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from models import Customer, Requirement, Segment, Transaction
from workflows.customers import segments
from workflows.platform.errors import ValidationFailed
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_


def _live() -> Any:
    return (Customer.deleted_at.is_(None), Customer.merged_into_id.is_(None))


def customer_ids(session: Session, audience: dict[str, Any], now: datetime) -> Select[tuple[int]]:
    """A SELECT of the ids of the customers in `audience` at `now`."""
    kind = audience["kind"]
    if kind == "segment":
        segment = session.get(Segment, audience["segment_id"])
        if segment is None:
            raise ValidationFailed.field(
                "audience.segment_id", Message(N_("The segment no longer exists."))
            )
        return segments.evaluate(session, segment)
    days = timedelta(days=int(audience.get("days") or 0))
    if kind == "requirement_resolved":
        # Resolved between N+1 and N days ago: planning runs every minute, and a customer is
        # enrolled once per strategy, so a day's slice catches each satisfaction check once.
        return (
            select(Requirement.customer_id)
            .join(Customer, Customer.id == Requirement.customer_id)
            .where(
                Requirement.resolved_at <= now - days,
                Requirement.resolved_at > now - days - timedelta(days=1),
                *_live(),
            )
            .distinct()
        )
    if kind == "no_transaction":
        last = (
            select(Transaction.customer_id, func.max(Transaction.occurred_on).label("last_on"))
            .where(Transaction.deleted_at.is_(None))
            .group_by(Transaction.customer_id)
            .subquery()
        )
        return (
            select(Customer.id)
            .join(last, last.c.customer_id == Customer.id)
            .where(last.c.last_on < (now - days).date(), *_live())
        )
    if kind == "new_customers":
        return select(Customer.id).where(Customer.created_at >= now - days, *_live())
    if kind == "requirement_state":
        # The last change stands in for "entered the state": a requirement untouched for N days.
        return (
            select(Requirement.customer_id)
            .join(Customer, Customer.id == Requirement.customer_id)
            .where(
                Requirement.state == audience.get("state"),
                Requirement.updated_at <= now - days,
                *_live(),
            )
            .distinct()
        )
    raise ValidationFailed.field(
        "audience.kind", Message(N_("Unknown audience %(kind)s."), kind=repr(kind))
    )
