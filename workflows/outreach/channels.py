"""How a step reaches the customer on each channel: email through the outbox, SMS through a
pluggable sender, a task as a requirement of the *task* workflow in the owner's or team's
queue. Each also leaves an outbound communication on the customer's timeline (a task is the
agent's to log when done)."""

import html
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session

from models import Communication, CommunicationChannel, Customer, Direction, Strategy, User
from workflows.customers.communications import refresh_last_contacted
from workflows.platform.clock import Clock
from workflows.tracking import requirements


class SmsSender(Protocol):
    """The seam for an SMS provider: send `body` to `number` or raise."""

    def send(
        self, session: Session, *, customer: Customer, number: str, body: str, clock: Clock
    ) -> None: ...


class RecordingSmsSender:
    """The built-in backend: no provider; the message is recorded as a communication only (the
    communication every channel writes), so an agent can see what would have gone out."""

    def send(
        self, session: Session, *, customer: Customer, number: str, body: str, clock: Clock
    ) -> None:
        return None


@dataclass(frozen=True)
class Origin:
    """Which strategy, step and variant a message comes from (its tags on the timeline), and
    for an email the outbox row carrying it and its Message-ID (its delivery status)."""

    strategy_id: int
    step_index: int
    variant: str | None
    outbox_id: int | None = None
    message_id: str | None = None


def record_communication(
    session: Session,
    customer: Customer,
    channel: CommunicationChannel,
    *,
    subject: str | None,
    body: str,
    author_id: int | None,
    participants: list[str],
    origin: Origin,
    clock: Clock,
) -> Communication:
    now = clock.now()
    communication = Communication(
        customer_id=customer.id,
        channel=channel,
        direction=Direction.OUTBOUND,
        occurred_at=now,
        subject=(subject or None) and subject[:300],
        body_text=body,
        # Sent as plain text, so shown as plain text (escaped), never interpreted as HTML.
        body_html=html.escape(body).replace("\n", "<br>\n"),
        author_id=author_id,
        participants=participants,
        outbox_id=origin.outbox_id,
        message_id=origin.message_id,
        strategy_id=origin.strategy_id,
        strategy_step_index=origin.step_index,
        strategy_variant=origin.variant,
        created_at=now,
        updated_at=now,
    )
    session.add(communication)
    session.flush()
    refresh_last_contacted(session, customer)
    return communication


def open_task(
    session: Session,
    strategy: Strategy,
    customer: Customer,
    step: dict[str, Any],
    texts: dict[str, str],
    *,
    clock: Clock,
) -> int:
    """A requirement of the task workflow with its own due time; returns its id."""
    assignee = step.get("assignee") or "owner"
    assignee_id = None
    team_id = None
    if assignee == "owner":
        assignee_id = strategy.owner_id
    elif assignee == "customer_owner":
        assignee_id = customer.owner_id or strategy.owner_id
    elif assignee.startswith("team:"):
        team_id = int(assignee.removeprefix("team:"))
    actor = session.get(User, strategy.owner_id) if strategy.owner_id else None
    requirement = requirements.open_requirement(
        session,
        customer_id=customer.id,
        title=texts.get("title") or "Outreach task",
        description=texts.get("body") or None,
        clock=clock,
        actor=actor,
        workflow="task",
        assignee_id=assignee_id,
        team_id=team_id,
        category="outreach",
        origin_channel="outreach",
    )
    due: datetime = clock.now() + timedelta(hours=int(step.get("due_hours") or 24))
    requirement.extra = {
        **(requirement.extra or {}),
        "due_at": due.isoformat(),
        "strategy_id": strategy.id,
    }
    if requirement.sla_due_at is None or requirement.sla_due_at > due:
        requirement.sla_due_at = due  # the queues sort by it
    session.flush()
    return requirement.id
