"""A communication logged on a requirement: the customer's timeline entry and what it does to
the requirement, in one unit of work.

The customers domain records the communication (and knows nothing of workflows); this module
adds the effect on the linked requirement: an inbound message fires `customer_replied` while
waiting on the customer and starts a next-response clock, an outbound one meets the response
clocks. Every caller that logs or edits a communication (pages, API, import of a conversation)
comes through here, so no path links a message to a requirement without its effect, and none
without the permission check `fire()` makes: linking meets or moves SLA clocks, so only someone
who may act on the requirement may link to it (NotPermitted, nothing written)."""

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from models import Communication, Customer, Requirement, User
from workflows.customers import communications
from workflows.platform.clock import Clock
from workflows.tracking import requirements


def link_check(session: Session, actor_id: int | None) -> Callable[[int], None]:
    """Raises NotPermitted unless `actor_id` may act on the requirement (None: the system,
    e.g. an inbound email matched to its thread, may)."""

    def check(requirement_id: int) -> None:
        if actor_id is None:
            return
        requirement = session.get(Requirement, requirement_id)
        actor = session.get(User, actor_id)
        if requirement is None:
            return  # the customers domain names the missing requirement
        if actor is None or not requirements.may_act(session, actor, requirement):
            raise requirements.NotPermitted(
                "Only the assignee, a supervisor of the requirement's team or an admin may "
                "link a communication to this requirement."
            )

    return check


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
        session,
        customer,
        data,
        actor_id=actor_id,
        clock=clock,
        viewer_zone=viewer_zone,
        check_link=link_check(session, actor_id),
    )
    requirements.after_communication(session, communication, clock=clock)
    return communication


def update_communication(
    session: Session,
    communication: Communication,
    data: dict[str, Any],
    *,
    expected_version: int,
    actor_id: int | None,
    clock: Clock,
    viewer_zone: str = "UTC",
) -> Communication:
    """Edit a record; moving it to or from a requirement needs the right to act on each."""
    return communications.update_communication(
        session,
        communication,
        data,
        expected_version=expected_version,
        actor_id=actor_id,
        clock=clock,
        viewer_zone=viewer_zone,
        check_link=link_check(session, actor_id),
    )
