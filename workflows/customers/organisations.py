"""Organisations: the only code that writes them. Validates every field first and writes
nothing when one is wrong; each change is audited, and a rename refreshes its customers'
search documents."""

import re
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from models import Customer, Organisation, User
from workflows.customers import custom_fields, search_index
from workflows.customers.profiles import normalise_phone
from workflows.platform import audit
from workflows.platform.clock import Clock
from workflows.platform.errors import StaleEdit, ValidationFailed
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_
from workflows.platform.text_folding import fold


def name_key(text: str) -> str:
    """`text` as the name search compares it: accents folded, then lower case (folding first,
    so that `Ñ` and `ẞ` lower to `n` and `ss` in Python rather than not at all in SQLite)."""
    return fold(text).lower()


def name_matches(q: str) -> ColumnElement[bool]:
    """Organisations whose name contains `q`, ignoring case and accents both ways."""
    return Organisation.name_key.contains(name_key(q.strip()), autoescape=True)


FIELDS = ("name", "website", "phone", "address", "notes", "owner_id", "custom")
WEBSITE_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*\.[^\s]{2,}$", re.IGNORECASE)


def clean(
    session: Session,
    data: dict[str, Any],
    *,
    current: Organisation | None = None,
    default_region: str | None = None,
) -> dict[str, Any]:
    """Validated values for the fields in `data` (name always when creating);
    ValidationFailed naming each bad field, unknown fields included."""
    errors: dict[str, list[str]] = {}
    for field in sorted(set(data) - set(FIELDS)):
        errors[field] = [Message(N_("Unknown field."))]
    values: dict[str, Any] = {}

    def text(field: str, limit: int) -> str | None:
        value = str(data.get(field) or "").strip() or None
        if value and len(value) > limit:
            errors.setdefault(field, []).append(
                Message(N_("Use at most %(limit)s characters."), limit=limit)
            )
        return value

    if "name" in data or current is None:
        values["name"] = text("name", 200)
        if not values["name"]:
            errors.setdefault("name", []).append(Message(N_("This field is required.")))
    if "website" in data:
        website = text("website", 300)
        if website and "://" not in website:
            website = f"https://{website}"
        if website and not WEBSITE_RE.match(website):
            errors.setdefault("website", []).append(
                Message(N_("Enter a web address such as example.com."))
            )
        values["website"] = website
    if "phone" in data:
        phone = text("phone", 40)
        if phone:
            try:
                phone = normalise_phone(phone, default_region)
            except ValueError as exc:
                errors.setdefault("phone", []).append(exc.args[0] if exc.args else str(exc))
        values["phone"] = phone
    if "address" in data:
        values["address"] = text("address", 1000)
    if "notes" in data:
        values["notes"] = text("notes", 20_000)
    if "owner_id" in data:
        values["owner_id"] = _owner(session, data["owner_id"], errors)
    if "custom" in data or current is None:
        raw = data.get("custom") or {}
        if not isinstance(raw, dict):
            errors["custom"] = [Message(N_("Send an object of custom field values."))]
            raw = {}
        values["custom"], custom_errors = custom_fields.clean(
            session, "organisation", raw, current.custom if current else None
        )
        errors.update(custom_errors)
    if errors:
        raise ValidationFailed(errors)
    return values


def _owner(session: Session, value: Any, errors: dict[str, list[str]]) -> int | None:
    if value in (None, ""):
        return None
    try:
        user = session.get(User, int(value))
    except (TypeError, ValueError):
        user = None
    if user is None or not user.is_active:
        errors["owner_id"] = [Message(N_("Choose an active user."))]
        return None
    return user.id


def snapshot(organisation: Organisation) -> dict[str, Any]:
    """The audited view of an organisation."""
    return {field: getattr(organisation, field) for field in FIELDS if field != "custom"} | {
        "custom": dict(organisation.custom or {})
    }


def _audit(
    session: Session,
    organisation: Organisation,
    action: str,
    *,
    actor_id: int | None,
    clock: Clock,
    changes: dict[str, Any] | None = None,
) -> None:
    audit.record(
        session,
        action=action,
        entity_type="organisation",
        entity_id=organisation.id,
        actor_id=actor_id,
        clock=clock,
        changes=changes,
    )


def _refresh_members(session: Session, organisation: Organisation, clock: Clock) -> None:
    """Customers are found by their organisation's name."""
    members = session.scalars(
        select(Customer).where(
            Customer.organisation_id == organisation.id, Customer.deleted_at.is_(None)
        )
    )
    for customer in members:
        search_index.refresh(session, customer, clock=clock)


def create_organisation(
    session: Session,
    data: dict[str, Any],
    *,
    actor_id: int | None,
    clock: Clock,
    default_region: str | None = None,
) -> Organisation:
    """Flushes, never commits; the creator owns it unless `owner_id` says otherwise."""
    values = clean(session, data, default_region=default_region)
    if actor_id is not None and "owner_id" not in values:
        values["owner_id"] = actor_id
    now = clock.now()
    organisation = Organisation(created_at=now, updated_at=now, **values)
    organisation.name_key = name_key(organisation.name)
    session.add(organisation)
    session.flush()
    _audit(
        session,
        organisation,
        "create",
        actor_id=actor_id,
        clock=clock,
        changes=audit.diff({}, snapshot(organisation)),
    )
    return organisation


def update_organisation(
    session: Session,
    organisation: Organisation,
    data: dict[str, Any],
    *,
    expected_version: int,
    actor_id: int | None,
    clock: Clock,
    default_region: str | None = None,
) -> Organisation:
    """Apply the fields in `data` to the version the editor saw; StaleEdit if it moved on."""
    if organisation.version != expected_version:
        raise StaleEdit(expected_version, organisation.version)
    if organisation.deleted_at is not None:
        raise ValidationFailed.field(
            "organisation", Message(N_("This organisation is in the trash."))
        )
    values = clean(session, data, current=organisation, default_region=default_region)
    before = snapshot(organisation)
    for field, value in values.items():
        setattr(organisation, field, value)
    organisation.name_key = name_key(organisation.name)
    changes = audit.diff(before, snapshot(organisation))
    if changes:
        organisation.updated_at = clock.now()
        session.flush()
        _audit(session, organisation, "update", actor_id=actor_id, clock=clock, changes=changes)
        if "name" in changes:
            _refresh_members(session, organisation, clock)
    return organisation


def delete_organisation(
    session: Session, organisation: Organisation, *, actor_id: int | None, clock: Clock
) -> None:
    """Move to the trash (restorable); its customers keep the link."""
    if organisation.deleted_at is not None:
        return
    organisation.deleted_at = clock.now()
    session.flush()
    _audit(session, organisation, "delete", actor_id=actor_id, clock=clock)


def restore_organisation(
    session: Session, organisation: Organisation, *, actor_id: int | None, clock: Clock
) -> None:
    if organisation.deleted_at is None:
        return
    organisation.deleted_at = None
    session.flush()
    _audit(session, organisation, "restore", actor_id=actor_id, clock=clock)
