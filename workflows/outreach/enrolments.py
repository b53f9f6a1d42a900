"""Enrolments as agents see them: search a strategy's enrolments, a customer's enrolments,
remove one (an agent's stop), and a step previewed for a chosen customer."""

import zoneinfo
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from models import (
    Customer,
    DueStep,
    DueStepStatus,
    Enrolment,
    EnrolmentStatus,
    Strategy,
    StrategyVersion,
    User,
)
from workflows.outreach import execution, links, stops, templates
from workflows.outreach.strategies import current_version
from workflows.platform.clock import Clock
from workflows.platform.errors import ValidationFailed
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_


def _rows(session: Session, query: Any) -> list[dict[str, Any]]:
    next_due = (
        select(func.min(DueStep.due_at))
        .where(
            DueStep.enrolment_id == Enrolment.id,
            DueStep.status.in_(
                (DueStepStatus.PENDING, DueStepStatus.ENQUEUED, DueStepStatus.PAUSED)
            ),
        )
        .scalar_subquery()
    )
    rows = session.execute(
        query.add_columns(
            Customer.name, Customer.time_zone, StrategyVersion.number, Strategy.name, next_due
        )
    ).all()
    return [
        {
            "id": e.id,
            "strategy_id": e.strategy_id,
            "strategy_name": strategy_name,
            "customer_id": e.customer_id,
            "customer_name": name,
            "version": number,
            "status": str(e.status),
            "steps_done": e.steps_done,
            "next_due_at": due if e.status == EnrolmentStatus.ACTIVE else None,
            # Where the customer is: their zone, and the next step's time on their clock (what
            # the send window is about), e.g. "Tue 09:00".
            "time_zone": zone,
            "next_due_local": _on_their_clock(due, zone)
            if e.status == EnrolmentStatus.ACTIVE
            else None,
            "enrolled_at": e.enrolled_at,
            "stopped_at": e.stopped_at,
            "stop_reason": e.stop_reason,
        }
        for e, name, zone, number, strategy_name, due in rows
    ]


def _on_their_clock(due: datetime | None, zone: str | None) -> str | None:
    if due is None or not zone:
        return None
    try:
        return due.astimezone(zoneinfo.ZoneInfo(zone)).strftime("%a %H:%M")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def _base() -> Any:
    return (
        select(Enrolment)
        .join(Customer, Customer.id == Enrolment.customer_id)
        .join(StrategyVersion, StrategyVersion.id == Enrolment.version_id)
        .join(Strategy, Strategy.id == Enrolment.strategy_id)
    )


def search(
    session: Session,
    strategy_id: int,
    *,
    q: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    query = _base().where(Enrolment.strategy_id == strategy_id)
    if status:
        query = query.where(Enrolment.status == status)
    if q:
        pattern = f"%{q.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(Customer.name).like(pattern),
                func.lower(Customer.primary_email).like(pattern),
            )
        )
    return _rows(session, query.order_by(Enrolment.id).limit(limit).offset(offset))


def of_customer(session: Session, customer_id: int) -> list[dict[str, Any]]:
    query = _base().where(Enrolment.customer_id == customer_id).order_by(Enrolment.id.desc())
    return _rows(session, query)


def remove(session: Session, enrolment: Enrolment, *, actor: User | None, clock: Clock) -> bool:
    who = f"removed by {actor.name}" if actor is not None else "removed"
    return stops.stop(session, enrolment, "removed", clock=clock, detail=who)


def preview(
    session: Session,
    strategy: Strategy,
    customer: Customer,
    step_index: int,
    variant_key: str | None,
    *,
    settings: links.LinkSettings,
) -> dict[str, Any]:
    """A step of the current version rendered for `customer`, in their language."""
    steps = current_version(session, strategy).definition["steps"]
    if not 0 <= step_index < len(steps):
        raise ValidationFailed.field(
            "step", Message(N_("Choose a step from 0 to %(last)s."), last=len(steps) - 1)
        )
    step = steps[step_index]
    source: dict[str, Any] = step
    if variant_key:
        matches = [v for v in step.get("variants") or [] if v["key"] == variant_key]
        if not matches:
            raise ValidationFailed.field("variant", Message(N_("No such variant.")))
        source = matches[0]
    sender = session.get(User, strategy.owner_id) if strategy.owner_id else None
    address = customer.primary_email or ""
    url = links.unsubscribe_url(settings, customer.id) if address else ""
    context = templates.context_for(session, customer, sender=sender, unsubscribe_url=url)
    rendered = templates.render(templates.texts_for(source, customer.language), context)
    return {
        "channel": step["channel"],
        "language": customer.language,
        **rendered,
        "variant": variant_key or None,
        "outbox_key_example": execution.outbox_key(strategy.id, 0, step_index, variant_key or "-"),
    }
