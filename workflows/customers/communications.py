"""Communication records: the only code that writes them. Validates every field first and writes
nothing when one is wrong; each change is audited and refreshes the customer's search document
and last-contacted time."""

import html
import re
import unicodedata
import zoneinfo
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import nh3
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from models import (
    Communication,
    CommunicationChannel,
    Customer,
    Direction,
    Requirement,
)
from workflows.customers import search_index
from workflows.platform import audit
from workflows.platform.clock import Clock
from workflows.platform.errors import StaleEdit, ValidationFailed
from workflows.platform.field_messages import Message, message_of
from workflows.platform.i18n import N_

FIELDS = (
    "channel",
    "direction",
    "occurred_at",
    "duration_seconds",
    "duration_minutes",
    "subject",
    "body",
    "participants",
    "requirement_id",
)
TIMED_CHANNELS = {
    CommunicationChannel.CALL,
    CommunicationChannel.VISIT,
    CommunicationChannel.MEETING,
}
# A record logged a little ahead (a meeting about to start, a clock slightly off) is fine; one
# logged weeks ahead is a typo in the date.
FUTURE_TOLERANCE = timedelta(days=1)
MAX_DURATION_SECONDS = 7 * 24 * 3600
MAX_BODY_CHARS = 100_000
MAX_PARTICIPANTS = 50
BLOCK_END_RE = re.compile(
    r"<\s*(br|/p|/div|/li|/h[1-6]|/tr|/blockquote)\b[^>]*>([ \t]*\r?\n)?", re.IGNORECASE
)
LOOKS_LIKE_HTML_RE = re.compile(r"<\s*[a-zA-Z!/]")


def parse_instant(value: Any, zone_name: str) -> datetime:
    """An aware UTC datetime from an aware datetime, or from a naive datetime or ISO string
    read in `zone_name`; ValueError with a message for the user otherwise."""
    if isinstance(value, str):
        text = value.strip().replace(" ", "T", 1)
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            value = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(
                Message(N_("Enter a date and time such as 2026-01-05 14:30."))
            ) from exc
    if not isinstance(value, datetime):
        raise ValueError(Message(N_("Enter a date and time such as 2026-01-05 14:30.")))
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=zoneinfo.ZoneInfo(zone_name))
    return value.astimezone(UTC)


# Channels whose record is its text: one with neither subject nor body says nothing.
WRITTEN_CHANNELS = (CommunicationChannel.NOTE, CommunicationChannel.EMAIL, CommunicationChannel.SMS)


def _blank(text: str | None) -> bool:
    """Nothing a reader would see: spaces, and format characters such as zero-width space."""
    return not text or all(ch.isspace() or unicodedata.category(ch) == "Cf" for ch in text)


def _line_end(match: re.Match[str]) -> str:
    """A block's end starts a new line of the plain text — unless the HTML already breaks the
    line there (`<br>\n`, as a plain-text email turned into HTML is written): one line break,
    not two."""
    return match.group(0) + ("\n" if match.group(2) is None else "")


def sanitise_body(body: str) -> tuple[str, str]:
    """(safe HTML, plain text) of a body typed as HTML or as plain text."""
    if not LOOKS_LIKE_HTML_RE.search(body):
        text = body.strip()
        return html.escape(text).replace("\n", "<br>\n"), text
    safe = nh3.clean(body)
    text = html.unescape(nh3.clean(BLOCK_END_RE.sub(_line_end, safe), tags=set()))
    text = re.sub(r"[ \t]+\n", "\n", text)
    return safe, re.sub(r"\n{3,}", "\n\n", text).strip()


class _Cleaner:
    def __init__(self, clock: Clock, viewer_zone: str) -> None:
        self.clock = clock
        self.viewer_zone = viewer_zone
        self.errors: dict[str, list[str]] = {}

    def fail(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def choice(self, enum: Any, value: Any, field: str) -> Any:
        try:
            return enum(str(value).strip().lower())
        except ValueError:
            self.fail(
                field,
                Message(
                    N_("Choose one of: %(choices)s."), choices=", ".join(m.value for m in enum)
                ),
            )
            return None

    def occurred_at(self, value: Any) -> datetime | None:
        if value in (None, ""):
            return self.clock.now()
        try:
            instant = parse_instant(value, self.viewer_zone)
        except ValueError as exc:
            self.fail("occurred_at", message_of(exc))
            return None
        if instant > self.clock.now() + FUTURE_TOLERANCE:
            self.fail(
                "occurred_at", Message(N_("This is in the future; log what already happened."))
            )
        return instant

    def duration(self, data: dict[str, Any]) -> tuple[str | None, int | None]:
        """(the field used, seconds) from duration_seconds or duration_minutes."""
        given = [
            f for f in ("duration_seconds", "duration_minutes") if data.get(f) not in (None, "")
        ]
        if not given:
            return None, None
        if len(given) > 1:
            self.fail(
                "duration_minutes",
                Message(N_("Give the duration in seconds or in minutes, not both.")),
            )
            return given[0], None
        field = given[0]
        raw = data[field]
        try:
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise InvalidOperation
            amount = Decimal(str(raw).strip())
            if not amount.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            self.fail(field, Message(N_("Enter a whole number.")))
            return field, None
        if amount < 0:
            self.fail(field, Message(N_("A duration cannot be negative.")))
            return field, None
        seconds = int((amount * 60 if field == "duration_minutes" else amount).to_integral_value())
        if seconds > MAX_DURATION_SECONDS:
            self.fail(field, Message(N_("That is longer than a week; check the unit.")))
            return field, None
        return field, seconds

    def text(self, value: Any, field: str, limit: int) -> str | None:
        text = (str(value).strip() if value is not None else "") or None
        if text and len(text) > limit:
            self.fail(field, Message(N_("Use at most %(limit)s characters."), limit=limit))
        return text

    def participants(self, value: Any) -> list[str]:
        if value in (None, ""):
            return []
        if isinstance(value, str):
            items = [v.strip() for v in re.split(r"[,;\n]", value)]
        elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            items = [v.strip() for v in value]
        else:
            self.fail("participants", Message(N_("Send a list of names or email addresses.")))
            return []
        items = list(dict.fromkeys(v for v in items if v))
        if len(items) > MAX_PARTICIPANTS or any(len(v) > 200 for v in items):
            self.fail(
                "participants",
                Message(N_("At most %(count)s of 200 characters each."), count=MAX_PARTICIPANTS),
            )
        return items

    def requirement_id(self, value: Any) -> int | None:
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            self.fail("requirement_id", Message(N_("Give a requirement number.")))
            return None
        try:
            ident = int(str(value).strip())
        except ValueError:
            self.fail("requirement_id", Message(N_("Give a requirement number.")))
            return None
        if ident <= 0:
            self.fail("requirement_id", Message(N_("Give a requirement number.")))
        return ident


def clean(
    data: dict[str, Any],
    *,
    clock: Clock,
    viewer_zone: str = "UTC",
    current: Communication | None = None,
) -> dict[str, Any]:
    """Validated column values for the fields in `data` (all fields when creating);
    ValidationFailed naming each bad field."""
    try:
        zoneinfo.ZoneInfo(viewer_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        viewer_zone = "UTC"
    c = _Cleaner(clock, viewer_zone)
    for field in sorted(set(data) - set(FIELDS)):
        c.fail(field, Message(N_("Unknown field.")))
    values: dict[str, Any] = {}
    creating = current is None
    if creating or "channel" in data:
        raw = data.get("channel")
        if raw in (None, ""):
            c.fail("channel", Message(N_("Choose a channel.")))
        else:
            values["channel"] = c.choice(CommunicationChannel, raw, "channel")
    channel = values.get("channel", current.channel if current else None)
    if creating or "direction" in data:
        raw = data.get("direction")
        if raw in (None, ""):
            note = channel is CommunicationChannel.NOTE
            values["direction"] = Direction.INTERNAL if note else Direction.OUTBOUND
        else:
            values["direction"] = c.choice(Direction, raw, "direction")
    if creating or "occurred_at" in data:
        values["occurred_at"] = c.occurred_at(data.get("occurred_at"))
    duration_field, seconds = c.duration(data)
    if duration_field is not None:
        if channel is not None and channel not in TIMED_CHANNELS:
            c.fail(duration_field, Message(N_("Only calls, visits and meetings have a duration.")))
        values["duration_seconds"] = seconds
    elif creating or any(f in data for f in ("duration_seconds", "duration_minutes")):
        values["duration_seconds"] = None
    elif channel not in TIMED_CHANNELS:
        values["duration_seconds"] = None  # the channel changed to one without a duration
    if creating or "subject" in data:
        values["subject"] = c.text(data.get("subject"), "subject", 300)
    if creating or "body" in data:
        body = data.get("body")
        if body is not None and not isinstance(body, str):
            c.fail("body", Message(N_("Send the body as text or HTML.")))
            body = None
        if body and len(body) > MAX_BODY_CHARS:
            c.fail("body", Message(N_("Use at most %(limit)s characters."), limit=MAX_BODY_CHARS))
            body = None
        values["body_html"], values["body_text"] = sanitise_body(body) if body else (None, None)
    if creating or "participants" in data:
        values["participants"] = c.participants(data.get("participants"))
    if creating or "requirement_id" in data:
        values["requirement_id"] = c.requirement_id(data.get("requirement_id"))
    # The record as it will be (an edit may empty a field it does not name either).
    subject = values.get("subject", current and current.subject)
    body_text = values.get("body_text", current and current.body_text)
    if (
        (creating or {"subject", "body", "channel"} & set(data))
        and _blank(subject)
        and _blank(body_text)
        and channel in WRITTEN_CHANNELS
        and "body" not in c.errors
    ):
        c.fail("body", Message(N_("Write what was said.")))
    if c.errors:
        raise ValidationFailed(c.errors)
    return values


def snapshot(communication: Communication) -> dict[str, Any]:
    """The audited view of a communication."""
    return {
        "customer_id": communication.customer_id,
        "channel": communication.channel,
        "direction": communication.direction,
        "occurred_at": communication.occurred_at,
        "duration_seconds": communication.duration_seconds,
        "subject": communication.subject,
        "body_html": communication.body_html,
        "participants": list(communication.participants or []),
        "requirement_id": communication.requirement_id,
    }


def counts_as_contact(communication: Communication) -> bool:
    return (
        communication.channel is not CommunicationChannel.NOTE
        and communication.direction is not Direction.INTERNAL
    )


def refresh_last_contacted(session: Session, customer: Customer) -> None:
    """Set `last_contacted_at` to the newest live contact (notes and internal records aside).

    A Core UPDATE on purpose: logging a call must not bump the customer's version, or an agent
    editing the profile at the same moment would be told their edit is stale."""
    session.flush()
    newest = session.scalar(
        select(func.max(Communication.occurred_at)).where(
            Communication.customer_id == customer.id,
            Communication.deleted_at.is_(None),
            Communication.channel != CommunicationChannel.NOTE,
            Communication.direction != Direction.INTERNAL,
        )
    )
    if newest != customer.last_contacted_at:
        session.execute(
            update(Customer)
            .where(Customer.id == customer.id)
            .values(last_contacted_at=newest)
            .execution_options(synchronize_session=False)
        )
        set_committed_value(customer, "last_contacted_at", newest)


def _after_change(session: Session, customer: Customer, clock: Clock) -> None:
    refresh_last_contacted(session, customer)
    search_index.refresh(session, customer, clock=clock)


def log_communication(
    session: Session,
    customer: Customer,
    data: dict[str, Any],
    *,
    actor_id: int | None,
    clock: Clock,
    viewer_zone: str = "UTC",
    check_link: Callable[[int], None] | None = None,
) -> Communication:
    """Add a record to `customer`'s timeline; flushes, never commits.

    Its effect on a linked requirement is `workflows.tracking.conversations`' job, and so is
    who may link one: `check_link(requirement_id)` raises before anything is written."""
    if customer.deleted_at is not None:
        raise ValidationFailed.field(
            "customer", Message(N_("This customer is in the trash; restore it first."))
        )
    values = clean(data, clock=clock, viewer_zone=viewer_zone)
    now = clock.now()
    _check_requirement(session, customer, values.get("requirement_id"))
    if check_link is not None and values.get("requirement_id") is not None:
        check_link(values["requirement_id"])
    communication = Communication(
        customer_id=customer.id, author_id=actor_id, created_at=now, updated_at=now, **values
    )
    session.add(communication)
    session.flush()
    audit.record(
        session,
        action="create",
        entity_type="communication",
        entity_id=communication.id,
        actor_id=actor_id,
        clock=clock,
        changes=audit.diff({}, snapshot(communication)),
    )
    _after_change(session, customer, clock)
    return communication


def _check_requirement(session: Session, customer: Customer, requirement_id: int | None) -> None:
    if requirement_id is None:
        return
    owner = session.scalar(select(Requirement.customer_id).where(Requirement.id == requirement_id))
    if owner != customer.id:
        raise ValidationFailed.field(
            "requirement_id", Message(N_("No such requirement for this customer."))
        )


def update_communication(
    session: Session,
    communication: Communication,
    data: dict[str, Any],
    *,
    expected_version: int,
    actor_id: int | None,
    clock: Clock,
    viewer_zone: str = "UTC",
    check_link: Callable[[int], None] | None = None,
) -> Communication:
    """Apply the fields in `data` to the version the editor saw; StaleEdit if it moved on.
    Moving the record to or from a requirement asks `check_link` about each one first."""
    if communication.version != expected_version:
        raise StaleEdit(expected_version, communication.version)
    if communication.deleted_at is not None:
        raise ValidationFailed.field("communication", Message(N_("This record is deleted.")))
    values = clean(data, clock=clock, viewer_zone=viewer_zone, current=communication)
    if "requirement_id" in values:
        customer = session.get(Customer, communication.customer_id)
        _check_requirement(session, customer, values["requirement_id"])
        if check_link is not None and values["requirement_id"] != communication.requirement_id:
            for ident in (communication.requirement_id, values["requirement_id"]):
                if ident is not None:
                    check_link(ident)
    before = snapshot(communication)
    for field, value in values.items():
        setattr(communication, field, value)
    changes = audit.diff(before, snapshot(communication))
    if changes:
        communication.updated_at = clock.now()
        session.flush()
        audit.record(
            session,
            action="update",
            entity_type="communication",
            entity_id=communication.id,
            actor_id=actor_id,
            clock=clock,
            changes=changes,
        )
        _after_change(session, communication.customer, clock)
    return communication


def delete_communication(
    session: Session,
    communication: Communication,
    *,
    actor_id: int | None,
    clock: Clock,
    expected_version: int | None = None,
) -> None:
    """Soft delete (kept for the audit log, hidden from the timeline and search)."""
    if expected_version is not None and communication.version != expected_version:
        raise StaleEdit(expected_version, communication.version)
    if communication.deleted_at is not None:
        return
    communication.deleted_at = clock.now()
    session.flush()
    audit.record(
        session,
        action="delete",
        entity_type="communication",
        entity_id=communication.id,
        actor_id=actor_id,
        clock=clock,
    )
    _after_change(session, communication.customer, clock)


def restore_communication(
    session: Session, communication: Communication, *, actor_id: int | None, clock: Clock
) -> None:
    """Bring a deleted record back to the timeline and search (audited); flushes."""
    if communication.deleted_at is None:
        return
    communication.deleted_at = None
    communication.updated_at = clock.now()
    session.flush()
    audit.record(
        session,
        action="restore",
        entity_type="communication",
        entity_id=communication.id,
        actor_id=actor_id,
        clock=clock,
    )
    _after_change(session, communication.customer, clock)


def list_communications(
    session: Session,
    customer_id: int,
    *,
    limit: int = 50,
    before: tuple[datetime, int] | None = None,
) -> list[Communication]:
    """Live records, newest first; `before` is the (occurred_at, id) of the last one seen."""
    query = select(Communication).where(
        Communication.customer_id == customer_id, Communication.deleted_at.is_(None)
    )
    if before is not None:
        at, ident = before
        query = query.where(
            (Communication.occurred_at < at)
            | ((Communication.occurred_at == at) & (Communication.id < ident))
        )
    order = (Communication.occurred_at.desc(), Communication.id.desc())
    return list(session.scalars(query.order_by(*order).limit(limit)))
