"""Stop conditions and stopping. A stop is immediate: the enrolment's due steps are cancelled and
any of its messages still waiting in the outbox are suppressed in the same transaction.

Replies are found by looking, not by being told: any inbound communication on the customer's
timeline since enrolment counts, whether an agent logged it, the API created it or the inbound
email path matched it."""

from datetime import datetime
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from models import (
    Customer,
    DueStep,
    DueStepStatus,
    Enrolment,
    EnrolmentStatus,
    OutboxMessage,
    OutboxStatus,
    Requirement,
    RequirementEvent,
    SuppressionReason,
)
from workflows.outreach import events, outcomes, suppressions
from workflows.outreach.outcomes import TASK_WORKFLOW
from workflows.platform.clock import Clock

OPEN_DUE_STEPS = (DueStepStatus.PENDING, DueStepStatus.ENQUEUED, DueStepStatus.PAUSED)


def stop(
    session: Session, enrolment: Enrolment, reason: str, *, clock: Clock, detail: str | None = None
) -> bool:
    """Stop `enrolment` for `reason` (replied, unsubscribed, bounced, requirement, goal_reached,
    removed, archived, …); False when it was not running."""
    if enrolment.status not in (EnrolmentStatus.ACTIVE, EnrolmentStatus.HOLDOUT):
        return False
    enrolment.status = EnrolmentStatus.STOPPED
    enrolment.stopped_at = clock.now()
    enrolment.stop_reason = reason
    session.execute(
        update(DueStep)
        .where(DueStep.enrolment_id == enrolment.id, DueStep.status.in_(OPEN_DUE_STEPS))
        .values(status=DueStepStatus.CANCELLED, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    prefix = f"outreach:{enrolment.strategy_id}:{enrolment.id}:"
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.idempotency_key.startswith(prefix, autoescape=True),
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.SUPPRESSED, last_error=f"outreach stopped: {reason}")
        .execution_options(synchronize_session=False)
    )
    events.record(session, enrolment, "stopped", clock=clock, detail=detail or reason)
    session.flush()
    return True


def stop_customer(session: Session, customer_id: int, reason: str, *, clock: Clock) -> int:
    """Stop every running enrolment of the customer; returns how many stopped."""
    rows = session.scalars(
        select(Enrolment).where(
            Enrolment.customer_id == customer_id,
            Enrolment.status.in_((EnrolmentStatus.ACTIVE, EnrolmentStatus.HOLDOUT)),
        )
    ).all()
    return sum(stop(session, row, reason, clock=clock) for row in rows)


def unsubscribe(session: Session, customer_id: int, email: str, *, clock: Clock) -> None:
    """The customer's unsubscribe: the address joins the suppression list, every running
    enrolment stops, and outreach mail to the address still waiting in the outbox is held."""
    customer = session.get(Customer, customer_id)
    suppressions.suppress(
        session,
        email,
        SuppressionReason.UNSUBSCRIBED,
        clock=clock,
        customer_id=customer.id if customer else None,
    )
    if customer is not None:
        stop_customer(session, customer.id, "unsubscribed", clock=clock)
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.to_address.in_({email, suppressions.normalise(email)}),
            OutboxMessage.idempotency_key.startswith("outreach:"),
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.SUPPRESSED, last_error="unsubscribed")
        .execution_options(synchronize_session=False)
    )
    session.flush()


def replied(session: Session, customer_id: int, since: datetime) -> bool:
    return bool(session.scalar(select(outcomes.replied(customer_id, since))))


def new_requirement(session: Session, customer_id: int, since: datetime) -> bool:
    """A requirement opened or reopened since `since` (outreach's own tasks aside)."""
    opened = exists().where(
        Requirement.customer_id == customer_id,
        Requirement.workflow != TASK_WORKFLOW,
        Requirement.created_at >= since,
    )
    reopened = exists().where(
        RequirementEvent.requirement_id == Requirement.id,
        Requirement.customer_id == customer_id,
        Requirement.workflow != TASK_WORKFLOW,
        RequirementEvent.trigger == "reopen",
        RequirementEvent.at >= since,
    )
    return bool(session.scalar(select(opened | reopened)))


def goal_reached(session: Session, goal: dict[str, Any], customer_id: int, since: datetime) -> bool:
    """Whether this customer reached the strategy's goal since enrolment."""
    return bool(session.scalar(select(outcomes.goal_reached(goal.get("kpi"), customer_id, since))))


def reason_to_stop(
    session: Session, enrolment: Enrolment, customer: Customer, definition: dict[str, Any]
) -> str | None:
    """Why this enrolment must stop now, or None: checked before every step is sent."""
    since = enrolment.enrolled_at
    if replied(session, customer.id, since):
        return "replied"
    suppressed = suppressions.reason_for(session, customer.primary_email)
    if suppressed is not None and any(s["channel"] == "email" for s in definition["steps"]):
        return str(suppressed)
    if definition.get("stop_on", {}).get("requirement", True) and new_requirement(
        session, customer.id, since
    ):
        return "requirement"
    if goal_reached(session, definition.get("goal") or {}, customer.id, since):
        return "goal_reached"
    return None


def sweep_replies(session: Session, *, clock: Clock, limit: int = 1000) -> int:
    """Stop running enrolments whose customer replied since enrolment, so that the strategy page
    shows them as replied before their next step comes due (which would stop them anyway)."""
    replied_since = outcomes.replied(Enrolment.customer_id, Enrolment.enrolled_at)
    rows = session.scalars(
        select(Enrolment)
        .where(
            Enrolment.status.in_((EnrolmentStatus.ACTIVE, EnrolmentStatus.HOLDOUT)), replied_since
        )
        .limit(limit)
    ).all()
    return sum(stop(session, row, "replied", clock=clock) for row in rows)
