"""The customer's (and an organisation's) timeline: communications, transactions, customer events
and requirement events merged newest first, one keyset page at a time."""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager

from models import (
    AuditEntry,
    Communication,
    CommunicationChannel,
    Customer,
    Requirement,
    RequirementEvent,
    Transaction,
)
from workflows.platform.errors import ValidationFailed
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_

# Sources of the timeline, in the order they sort among equal times (newest first = descending).
TIMELINE_KINDS = ("transaction", "communication", "event", "requirement")
EVENT_ACTIONS = ("create", "merge", "restore")


@dataclass(frozen=True)
class TimelineItem:
    # "communication", "transaction", "event" (an audit entry of the customer) or
    # "requirement" (a RequirementEvent: a transition, SLA warning, breach or escalation)
    kind: str
    at: datetime  # aware UTC; a transaction sorts at the start (00:00 UTC) of its day
    id: int
    record: Any  # the Communication, Transaction or AuditEntry


@dataclass(frozen=True)
class TimelinePage:
    items: list[TimelineItem]
    next_cursor: str | None  # pass as `before` for the next (older) page


def _encode_cursor(item: TimelineItem) -> str:
    raw = json.dumps([item.at.isoformat(), item.kind, item.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, kind, ident = json.loads(raw)
        instant = datetime.fromisoformat(at)
        if instant.tzinfo is None or kind not in TIMELINE_KINDS or not isinstance(ident, int):
            raise ValueError(cursor)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise ValidationFailed.field(
            "before", Message(N_("This cursor is not valid; start again."))
        ) from exc
    return instant.astimezone(UTC), kind, ident


def _rank(kind: str) -> int:
    return TIMELINE_KINDS.index(kind)


def _keyset(time_col: Any, id_col: Any, kind: str, cursor: tuple[Any, str, int]) -> Any:
    """Rows of source `kind` that sort strictly after `cursor` in (time, kind, id) descending."""
    at, cursor_kind, ident = cursor
    if _rank(kind) < _rank(cursor_kind):  # this kind sorts first among equal times
        return time_col < at
    if kind == cursor_kind:
        return (time_col < at) | ((time_col == at) & (id_col < ident))
    return time_col <= at


@dataclass(frozen=True)
class _Scope:
    """Whose timeline: a condition per source."""

    communications: Any
    transactions: Any
    events: Any
    requirements: Any  # which requirements' workflow events


def timeline(
    session: Session,
    customer_id: int,
    *,
    kinds: set[str] | None = None,
    channels: set[str] | None = None,
    limit: int = 30,
    before: str | None = None,
    requirements_readable: Any = None,
    communications_readable: Any = None,
) -> TimelinePage:
    """Communications, transactions and the customer's create/merge/restore events, newest
    first, keyset-paginated by (time, kind, id). `kinds` keeps some sources; `channels` keeps
    only communications on those channels. ValidationFailed for an unknown kind or a bad cursor.
    `requirements_readable` (the tracking domain's read policy, a WHERE clause on requirements)
    keeps the requirement events the viewer may see, and `communications_readable` (the same
    policy on communications: `visibility.readable_communications`) the communications.
    """
    scope = _Scope(
        _readable(Communication.customer_id == customer_id, communications_readable),
        Transaction.customer_id == customer_id,
        (AuditEntry.entity_type == "customer")
        & (AuditEntry.entity_id == customer_id)
        & AuditEntry.action.in_(EVENT_ACTIONS),
        _readable(Requirement.customer_id == customer_id, requirements_readable),
    )
    return _timeline(session, scope, kinds, channels, limit, before)


def organisation_timeline(
    session: Session,
    organisation_id: int,
    *,
    kinds: set[str] | None = None,
    channels: set[str] | None = None,
    limit: int = 30,
    before: str | None = None,
    requirements_readable: Any = None,
    communications_readable: Any = None,
) -> TimelinePage:
    """The same timeline over every live customer of an organisation, with the organisation's
    own create/restore events; see `timeline`."""
    members = select(Customer.id).where(
        Customer.organisation_id == organisation_id, Customer.deleted_at.is_(None)
    )
    scope = _Scope(
        _readable(Communication.customer_id.in_(members), communications_readable),
        Transaction.customer_id.in_(members),
        (AuditEntry.entity_type == "organisation")
        & (AuditEntry.entity_id == organisation_id)
        & AuditEntry.action.in_(EVENT_ACTIONS),
        _readable(Requirement.customer_id.in_(members), requirements_readable),
    )
    return _timeline(session, scope, kinds, channels, limit, before)


def _readable(condition: Any, readable: Any) -> Any:
    return condition if readable is None else condition & readable


def _timeline(
    session: Session,
    scope: _Scope,
    kinds: set[str] | None,
    channels: set[str] | None,
    limit: int,
    before: str | None,
) -> TimelinePage:
    kinds = set(kinds or TIMELINE_KINDS)
    if unknown := kinds - set(TIMELINE_KINDS):
        raise ValidationFailed.field(
            "kind",
            Message(
                N_("Unknown kinds %(unknown)s; use %(choices)s."),
                unknown=sorted(unknown),
                choices=", ".join(TIMELINE_KINDS),
            ),
        )
    cursor = _decode_cursor(before) if before else None
    limit = max(1, min(limit, 200))
    items: list[TimelineItem] = []
    if "communication" in kinds:
        items += _timeline_communications(session, scope, channels, cursor, limit)
    if "transaction" in kinds:
        items += _timeline_transactions(session, scope, cursor, limit)
    if "event" in kinds:
        items += _timeline_events(session, scope, cursor, limit)
    if "requirement" in kinds:
        items += _timeline_requirement_events(session, scope, cursor, limit)
    items.sort(key=lambda i: (i.at, _rank(i.kind), i.id), reverse=True)
    has_more = len(items) > limit
    items = items[:limit]
    return TimelinePage(items, _encode_cursor(items[-1]) if has_more else None)


def _timeline_communications(
    session: Session,
    scope: _Scope,
    channels: set[str] | None,
    cursor: tuple[datetime, str, int] | None,
    limit: int,
) -> list[TimelineItem]:
    query = select(Communication).where(scope.communications, Communication.deleted_at.is_(None))
    if channels:
        try:
            wanted = [CommunicationChannel(c) for c in channels]
        except ValueError as exc:
            allowed = ", ".join(c.value for c in CommunicationChannel)
            raise ValidationFailed.field(
                "channel", Message(N_("Choose from: %(choices)s."), choices=allowed)
            ) from exc
        query = query.where(Communication.channel.in_(wanted))
    if cursor:
        query = query.where(
            _keyset(Communication.occurred_at, Communication.id, "communication", cursor)
        )
    query = query.order_by(Communication.occurred_at.desc(), Communication.id.desc())
    return [
        TimelineItem("communication", c.occurred_at, c.id, c)
        for c in session.scalars(query.limit(limit + 1))
    ]


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def _timeline_transactions(
    session: Session, scope: _Scope, cursor: tuple[datetime, str, int] | None, limit: int
) -> list[TimelineItem]:
    query = select(Transaction).where(scope.transactions, Transaction.deleted_at.is_(None))
    if cursor:
        at, kind, ident = cursor
        day = at.date()
        if at != _day_start(day):
            # The cursor falls inside a day: that day's transactions (at 00:00) are older.
            query = query.where(Transaction.occurred_on <= day)
        else:
            query = query.where(
                _keyset(Transaction.occurred_on, Transaction.id, "transaction", (day, kind, ident))
            )
    query = query.order_by(Transaction.occurred_on.desc(), Transaction.id.desc())
    return [
        TimelineItem("transaction", _day_start(t.occurred_on), t.id, t)
        for t in session.scalars(query.limit(limit + 1))
    ]


def _timeline_events(
    session: Session, scope: _Scope, cursor: tuple[datetime, str, int] | None, limit: int
) -> list[TimelineItem]:
    query = select(AuditEntry).where(scope.events)
    if cursor:
        query = query.where(_keyset(AuditEntry.at, AuditEntry.id, "event", cursor))
    query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    return [TimelineItem("event", e.at, e.id, e) for e in session.scalars(query.limit(limit + 1))]


def _timeline_requirement_events(
    session: Session, scope: _Scope, cursor: tuple[datetime, str, int] | None, limit: int
) -> list[TimelineItem]:
    query = (
        select(RequirementEvent)
        .join(Requirement, Requirement.id == RequirementEvent.requirement_id)
        .where(scope.requirements)
        .options(contains_eager(RequirementEvent.requirement))
    )
    if cursor:
        query = query.where(
            _keyset(RequirementEvent.at, RequirementEvent.id, "requirement", cursor)
        )
    query = query.order_by(RequirementEvent.at.desc(), RequirementEvent.id.desc())
    return [
        TimelineItem("requirement", e.at, e.id, e) for e in session.scalars(query.limit(limit + 1))
    ]
