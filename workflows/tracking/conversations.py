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

from models import Communication, Customer, Direction, Requirement, User
from workflows.customers import communications
from workflows.platform.clock import Clock
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_
from workflows.tracking import clock_words as words
from workflows.tracking import requirements, search_index, visibility
from workflows.tracking.clock_words import say


def link_check(
    session: Session, actor_id: int | None, *, internal: bool = False
) -> Callable[[int], None]:
    """Raises NotPermitted unless `actor_id` may act on the requirement (None: the system,
    e.g. an inbound email matched to its thread, may). An `internal` record (a staff note)
    moves no clock, so reading the requirement is enough to leave one (the strict read policy:
    a shop where everyone sees everything still keeps notes to the requirement's team)."""

    def allowed(actor: User, requirement: Requirement) -> bool:
        if internal:
            return visibility.may_read(session, actor, requirement, everyone_sees_everything=False)
        return requirements.may_act(session, actor, requirement)

    def check(requirement_id: int) -> None:
        if actor_id is None:
            return
        requirement = session.get(Requirement, requirement_id)
        actor = session.get(User, actor_id)
        if requirement is None:
            return  # the customers domain names the missing requirement
        if actor is None or not allowed(actor, requirement):
            raise requirements.NotPermitted(
                Message(
                    N_(
                        "Only the assignee, a supervisor of the requirement's team or an admin "
                        "may link a communication to this requirement."
                    )
                )
            )

    return check


def _is_internal(data: dict[str, Any]) -> bool:
    """Whether the record is staff-only, which `after_communication` never lets move a clock."""
    return str(data.get("direction", "")) == Direction.INTERNAL


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
        check_link=link_check(session, actor_id, internal=_is_internal(data)),
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
    """Edit a record; moving it to or from a requirement needs the right to act on each. The
    search documents of the requirements it was and is linked to stay current."""
    before = communication.requirement_id
    communications.update_communication(
        session,
        communication,
        data,
        expected_version=expected_version,
        actor_id=actor_id,
        clock=clock,
        viewer_zone=viewer_zone,
        check_link=link_check(session, actor_id),
    )
    _refresh_search(session, {before, communication.requirement_id}, clock)
    return communication


def delete_communication(session: Session, communication: Communication, **kwargs: Any) -> None:
    """Delete a communication; its requirement's search document drops its text."""
    communications.delete_communication(session, communication, **kwargs)
    _refresh_search(session, {communication.requirement_id}, kwargs["clock"])


def restore_communication(session: Session, communication: Communication, **kwargs: Any) -> None:
    """Restore a deleted communication; its requirement's search document takes its text back."""
    communications.restore_communication(session, communication, **kwargs)
    _refresh_search(session, {communication.requirement_id}, kwargs["clock"])


def _refresh_search(session: Session, requirement_ids: set[int | None], clock: Clock) -> None:
    for requirement_id in requirement_ids - {None}:
        requirement = session.get(Requirement, requirement_id)
        if requirement is not None:
            search_index.refresh(session, requirement, clock=clock)


def requirement_for_reply(
    session: Session, requirement: Requirement, *, clock: Clock
) -> Requirement:
    """The requirement a customer's reply to `requirement` belongs on: the same one (reopened
    if it was resolved within the reopen window), the one it was merged into, or, once it can
    no longer be reopened, a new requirement that says which one it follows."""
    seen: set[int] = set()
    while requirement.state == "merged" and requirement.merged_into_id not in seen:
        seen.add(requirement.id)
        target = session.get(Requirement, requirement.merged_into_id)
        if target is None:
            break
        requirement = target
    definition = requirements.workflow_of(requirement)
    if requirement.state not in definition.final_states | definition.done_states:
        return requirement
    if "reopen" in definition.triggers_from(requirement.state):
        try:
            requirements.fire(
                session,
                requirement,
                "reopen",
                actor=None,
                clock=clock,
                note=say(words.CUSTOMER_REPLIED),
            )
            return requirement
        except requirements.TransitionRefused:
            pass  # past the reopen window: a new requirement follows it
    follower = requirements.open_requirement(
        session,
        customer_id=requirement.customer_id,
        title=requirement.title,
        clock=clock,
        actor=None,
        workflow=requirement.workflow,
        priority=requirement.priority,
        team_id=requirement.team_id,
        origin_channel="email",
        description=say(words.FOLLOWS, id=requirement.id, state=requirement.state),
    )
    follower.extra = {**(follower.extra or {}), "follows_requirement_id": requirement.id}
    session.flush()
    return follower


def record_inbound_email(
    session: Session,
    customer: Customer,
    requirement: Requirement | None,
    data: dict[str, Any],
    *,
    message_id: str,
    is_automatic: bool,
    clock: Clock,
) -> Communication:
    """An email received from `customer`, on their timeline and linked to `requirement`, with
    its effect: a reply reopens a resolved requirement (or opens a follower), fires
    `customer_replied` while waiting on the customer and starts a next-response clock. An
    automatic message (auto-reply, out of office) is recorded and moves nothing. Flushes."""
    if requirement is not None and not is_automatic:
        requirement = requirement_for_reply(session, requirement, clock=clock)
    data = {**data, "channel": "email", "direction": "inbound"}
    data["requirement_id"] = requirement.id if requirement is not None else None
    communication = communications.log_communication(
        session, customer, data, actor_id=None, clock=clock
    )
    communication.message_id = message_id
    session.flush()
    if not is_automatic:
        requirements.after_communication(session, communication, clock=clock)
    return communication
