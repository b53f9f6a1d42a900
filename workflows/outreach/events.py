"""An enrolment's own timeline: enrolled, sent, skipped, held, replied, stopped and why."""

from sqlalchemy.orm import Session

from models import Enrolment, EnrolmentEvent
from workflows.platform.clock import Clock


def record(
    session: Session,
    enrolment: Enrolment,
    kind: str,
    *,
    clock: Clock,
    step_index: int | None = None,
    variant: str | None = None,
    channel: str | None = None,
    detail: str | None = None,
    communication_id: int | None = None,
    outbox_id: int | None = None,
) -> EnrolmentEvent:
    event = EnrolmentEvent(
        enrolment_id=enrolment.id,
        strategy_id=enrolment.strategy_id,
        customer_id=enrolment.customer_id,
        at=clock.now(),
        kind=kind,
        step_index=step_index,
        variant=variant,
        channel=channel,
        detail=(detail or None) and detail[:300],
        communication_id=communication_id,
        outbox_id=outbox_id,
    )
    session.add(event)
    return event
