"""Segments: saved customer filters stored as data (a JSON definition, never SQL text), evaluated
through workflows.customers.queries so a segment always means what the list shows."""

from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from models import Segment
from workflows.customers.queries import CustomerFilter, matching_ids
from workflows.platform.clock import Clock
from workflows.platform.errors import ValidationFailed
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_

FILTER_FIELDS = tuple(f.name for f in fields(CustomerFilter))
_INTS = ("owner_id", "organisation_id")
_TEXTS = ("q", "tag", "stage")
_TIMES = ("created_from", "created_to", "last_contacted_from", "last_contacted_to")
_SCALARS = (str, int, float)


def to_definition(flt: CustomerFilter) -> dict[str, Any]:
    """The stored form: only the fields that filter, datetimes as ISO 8601 text."""
    result: dict[str, Any] = {}
    for name in FILTER_FIELDS:
        value = getattr(flt, name)
        if value is None or value is False or value == "" or value == {}:
            continue
        result[name] = value.isoformat() if isinstance(value, datetime) else value
    return result


def _parse(name: str, value: Any, errors: dict[str, list[str]]) -> Any:
    def fail(message: str) -> None:
        errors.setdefault(name, []).append(message)

    if value is None:
        return None
    if name in _INTS:
        if isinstance(value, bool) or not isinstance(value, int):
            fail(Message(N_("Use a whole number.")))
        return value
    if name in _TEXTS:
        if not isinstance(value, str):
            fail(Message(N_("Use text.")))
        return value
    if name in _TIMES:
        try:
            moment = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            fail(Message(N_("Use an ISO 8601 date-time with a time zone offset.")))
        return moment
    if name == "trash":
        if not isinstance(value, bool):
            fail(Message(N_("Use true or false.")))
        return value
    # custom: {key: scalar or list of scalars}
    if not isinstance(value, dict) or not all(
        isinstance(k, str)
        and (
            isinstance(v, _SCALARS)
            or (isinstance(v, list) and all(isinstance(i, _SCALARS) for i in v))
        )
        and not isinstance(v, bool)
        for k, v in value.items()
    ):
        fail(Message(N_("Use an object of custom field keys and values.")))
    return value


def from_definition(definition: Any) -> CustomerFilter:
    """The filter a stored definition means; ValidationFailed naming each bad or unknown key."""
    if not isinstance(definition, dict):
        raise ValidationFailed.field("definition", Message(N_("Use an object of filter fields.")))
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name, value in definition.items():
        if name not in FILTER_FIELDS:
            errors[str(name)] = [
                Message(N_("Unknown filter; use: %(choices)s."), choices=", ".join(FILTER_FIELDS))
            ]
            continue
        values[name] = _parse(name, value, errors)
    if errors:
        raise ValidationFailed(errors)
    if values.get("custom") is None:
        values.pop("custom", None)
    if values.get("trash") is None:
        values.pop("trash", None)
    return CustomerFilter(**values)


def filter_of(segment: Segment) -> CustomerFilter:
    return from_definition(segment.definition)


def _check(session: Session, name: str, flt: CustomerFilter) -> tuple[str, dict[str, Any]]:
    """Validate the name and the filter (values too: stage, custom fields) before writing."""
    errors: dict[str, list[str]] = {}
    if name is not None and not isinstance(name, str):
        raise ValidationFailed.field("name", Message(N_("Send the name as text.")))
    name = (name or "").strip()
    if not name:
        errors["name"] = [Message(N_("This field is required."))]
    elif len(name) > 120:
        errors["name"] = [Message(N_("Use at most %(limit)s characters."), limit=120)]
    definition = to_definition(flt)
    try:
        from_definition(definition)
        matching_ids(session, flt)  # resolves stage and custom fields, raising on bad values
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    return name, definition


def create_segment(
    session: Session, name: str, flt: CustomerFilter, *, owner_id: int | None, clock: Clock
) -> Segment:
    """Save `flt` under `name`; flushes, never commits. ValidationFailed names each bad field."""
    name, definition = _check(session, name, flt)
    now = clock.now()
    segment = Segment(
        name=name, owner_id=owner_id, definition=definition, created_at=now, updated_at=now
    )
    session.add(segment)
    session.flush()
    return segment


def update_segment(
    session: Session,
    segment: Segment,
    *,
    clock: Clock,
    name: str | None = None,
    flt: CustomerFilter | None = None,
) -> Segment:
    """Rename and/or replace the filter; fields left as None stay as they are."""
    new_name, definition = _check(
        session,
        segment.name if name is None else name,
        filter_of(segment) if flt is None else flt,
    )
    if new_name != segment.name or definition != segment.definition:
        segment.name = new_name
        segment.definition = definition
        segment.updated_at = clock.now()
        session.flush()
    return segment


def evaluate(session: Session, segment: Segment) -> Select[tuple[int]]:
    """A SELECT of the ids of the customers in `segment` now (live customers unless it says
    trash); ValidationFailed if the stored definition no longer validates (e.g. a removed
    custom field)."""
    return matching_ids(session, filter_of(segment))


def delete_segment(session: Session, segment: Segment) -> None:
    """Remove the saved filter (the customers stay as they are); flushes, never commits."""
    session.delete(segment)
    session.flush()
