"""A communication logged on a requirement: the customer's timeline entry and what it does to
the requirement, in one unit of work.

The customers domain records the communication (and knows nothing of workflows); this module
adds the effect on the linked requirement: an inbound message fires `customer_replied` while
waiting on the customer and starts a next-response clock, an outbound one meets the response
clocks. Every caller that logs a communication (pages, API, import of a conversation) comes
through here, so no path links a message to a requirement without its effect."""

from typing import Any

from sqlalchemy.orm import Session

from models import Communication, Customer, Requirement
from workflows.customers import communications
from workflows.platform.clock import Clock
from workflows.tracking import requirements, search_index


def log_communication(
    session: Session,
    customer: Customer,
    data: dict[str, Any],
    *,
    actor_id: int | None,
    clock: Clock,
    viewer_zone: str = "UTC",
) -> Communication:
    """Add a record to `customer`'s timeline and apply it to its requirement, if it names one;
    flushes, never commits."""
    communication = communications.log_communication(
        session, customer, data, actor_id=actor_id, clock=clock, viewer_zone=viewer_zone
    )
    requirements.after_communication(session, communication, clock=clock)
    return communication


def update_communication(
    session: Session, communication: Communication, data: dict[str, Any], **kwargs: Any
) -> Communication:
    """Edit a communication (`customers.communications.update_communication`) and keep the
    search documents of the requirements it was and is linked to current."""
    before = communication.requirement_id
    communications.update_communication(session, communication, data, **kwargs)
    _refresh_search(session, {before, communication.requirement_id}, kwargs["clock"])
    return communication


def delete_communication(session: Session, communication: Communication, **kwargs: Any) -> None:
    """Delete a communication; its requirement's search document drops its text."""
    communications.delete_communication(session, communication, **kwargs)
    _refresh_search(session, {communication.requirement_id}, kwargs["clock"])


def _refresh_search(session: Session, requirement_ids: set[int | None], clock: Clock) -> None:
    for requirement_id in requirement_ids - {None}:
        requirement = session.get(Requirement, requirement_id)
        if requirement is not None:
            search_index.refresh(session, requirement, clock=clock)
