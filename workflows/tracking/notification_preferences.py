"""Which notifications each user wants, per event, in the app and by email; no stored choice
means the event's default. Flushes, never commits."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import NotificationPreference, User
from workflows.platform.errors import ValidationFailed
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_


@dataclass(frozen=True)
class Channels:
    in_app: bool
    email: bool


# Event key -> its default channels. The SLA events' email is the SLA notice the policy's
# ladder writes (one email, not two): a user who turns it off stops getting that notice.
EVENTS: dict[str, Channels] = {
    "assigned": Channels(in_app=True, email=False),
    "reassigned_away": Channels(in_app=False, email=False),
    "at_risk": Channels(in_app=True, email=True),
    "breached": Channels(in_app=True, email=True),
    "escalated": Channels(in_app=True, email=True),
    "customer_replied": Channels(in_app=True, email=False),
    "mentioned": Channels(in_app=True, email=False),
}
# The SLA notice kinds (sla_notices) and the events they are.
NOTICE_EVENTS = {"warning": "at_risk", "breach": "breached", "escalation": "escalated"}


def preferences(session: Session, user_id: int) -> dict[str, Channels]:
    """Every event's channels for the user: their choice, or the default."""
    chosen = {
        p.event: Channels(p.in_app, p.email)
        for p in session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user_id)
        )
    }
    return {event: chosen.get(event, default) for event, default in EVENTS.items()}


def set_preferences(session: Session, user_id: int, chosen: dict[str, Channels]) -> None:
    """Store the user's channels for the events given; unknown events are refused."""
    unknown = sorted(set(chosen) - set(EVENTS))
    if unknown:
        raise ValidationFailed(
            {"event": [Message(N_("Unknown events: %(names)s."), names=", ".join(unknown))]}
        )
    rows = {
        p.event: p
        for p in session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user_id)
        )
    }
    for event, channels in chosen.items():
        row = rows.get(event)
        if row is None:
            row = NotificationPreference(user_id=user_id, event=event)
            session.add(row)
        row.in_app, row.email = channels.in_app, channels.email
    session.flush()


def wants_email(session: Session, user: User, event: str) -> bool:
    return preferences(session, user.id)[event].email
