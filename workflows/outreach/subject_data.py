"""The outreach domain's part of a data-subject export: the customer's enrolments in strategies,
each with its events (steps sent, skips, stops, replies) and the messages sent to them.

Nothing to erase here beyond what other steps do: enrolments and events hold statuses, times
and step numbers (the strategies' statistics); the messages' addresses and texts are outbox
rows, which the erasure's outbox step anonymises."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Enrolment, EnrolmentEvent, OutboxMessage, Strategy
from workflows.customers.subject_data import row_dict
from workflows.platform.subject_data import Section, Subject, register

ENROLMENT_FIELDS = (
    "id",
    "strategy_id",
    "customer_id",
    "status",
    "enrolled_at",
    "steps_done",
    "last_sent_at",
    "delivered_at",
    "bounced_at",
    "stopped_at",
    "stop_reason",
)
EVENT_FIELDS = ("at", "kind", "step_index", "variant", "channel", "detail", "communication_id")
MESSAGE_FIELDS = ("id", "channel", "to_address", "subject", "body_text", "status", "sent_at")


def export_enrolments(session: Session, subject: Subject) -> list[dict[str, Any]]:
    enrolments = session.scalars(
        select(Enrolment)
        .where(Enrolment.customer_id.in_(subject.customer_ids))
        .order_by(Enrolment.enrolled_at, Enrolment.id)
    ).all()
    ids = [e.id for e in enrolments]
    events: dict[int, list[EnrolmentEvent]] = {}
    for event in session.scalars(
        select(EnrolmentEvent)
        .where(EnrolmentEvent.enrolment_id.in_(ids))
        .order_by(EnrolmentEvent.at, EnrolmentEvent.id)
    ):
        events.setdefault(event.enrolment_id, []).append(event)
    outbox_ids = [e.outbox_id for rows in events.values() for e in rows if e.outbox_id]
    messages = {
        m.id: m
        for m in session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(outbox_ids)))
    }
    names = dict(
        session.execute(
            select(Strategy.id, Strategy.name).where(
                Strategy.id.in_({e.strategy_id for e in enrolments})
            )
        ).all()
    )
    return [
        {
            **row_dict(enrolment, ENROLMENT_FIELDS),
            "strategy": names.get(enrolment.strategy_id),
            "events": [
                {
                    **row_dict(event, EVENT_FIELDS),
                    "message": (
                        row_dict(messages[event.outbox_id], MESSAGE_FIELDS)
                        if event.outbox_id in messages
                        else None
                    ),
                }
                for event in events.get(enrolment.id, [])
            ],
        }
        for enrolment in enrolments
    ]


register(Section("outreach", export_enrolments, position=60))
