"""Validation of admin-defined custom field values."""

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import CustomFieldDefinition, FieldKind
from workflows.platform.clock import Clock
from workflows.platform.errors import ValidationFailed
from workflows.platform.field_messages import Message, message_of
from workflows.platform.i18n import N_


def definitions(session: Session, entity: str) -> list[CustomFieldDefinition]:
    return list(
        session.scalars(
            select(CustomFieldDefinition)
            .where(CustomFieldDefinition.entity == entity, CustomFieldDefinition.is_active)
            .order_by(CustomFieldDefinition.position, CustomFieldDefinition.id)
        )
    )


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == []


def clean_value(definition: CustomFieldDefinition, value: Any) -> Any:
    """The stored (JSON) form of `value`, or ValueError with a message for the user."""
    kind = definition.kind
    if kind is FieldKind.TEXT:
        return str(value).strip()
    if kind is FieldKind.NUMBER:
        if isinstance(value, bool):
            raise ValueError(Message(N_("Enter a number.")))
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise ValueError(Message(N_("Enter a number."))) from exc
        if not number.is_finite():
            raise ValueError(Message(N_("Enter a number.")))
        return int(number) if number == number.to_integral_value() else str(number)
    if kind is FieldKind.DATE:
        try:
            return date.fromisoformat(str(value).strip()).isoformat()
        except ValueError as exc:
            raise ValueError(Message(N_("Enter a date as YYYY-MM-DD."))) from exc
    if kind is FieldKind.SINGLE_CHOICE:
        if str(value) not in definition.choices:
            raise ValueError(
                Message(N_("Choose one of: %(choices)s."), choices=", ".join(definition.choices))
            )
        return str(value)
    values = value if isinstance(value, list) else [v for v in str(value).split(",") if v.strip()]
    values = [str(v).strip() for v in values]
    if unknown := [v for v in values if v not in definition.choices]:
        raise ValueError(
            Message(
                N_("Unknown choices %(unknown)s; choose from: %(choices)s."),
                unknown=unknown,
                choices=", ".join(definition.choices),
            )
        )
    return values


def clean(
    session: Session,
    entity: str,
    values: dict[str, Any],
    current: dict[str, Any] | None = None,
    *,
    known_definitions: list[CustomFieldDefinition] | None = None,
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Merge `values` over `current`; returns (stored values, {"custom.<key>": [message]}).
    `known_definitions` spares the query when checking many rows (an import)."""
    result = dict(current or {})
    errors: dict[str, list[str]] = {}
    if known_definitions is None:
        known_definitions = definitions(session, entity)
    known = {d.key: d for d in known_definitions}
    for key, value in values.items():
        definition = known.get(key)
        if definition is None:
            errors[f"custom.{key}"] = [Message(N_("There is no such custom field."))]
            continue
        if _blank(value):
            result.pop(key, None)
            continue
        try:
            result[key] = clean_value(definition, value)
        except ValueError as exc:
            errors[f"custom.{key}"] = [message_of(exc)]
    for key, definition in known.items():
        if definition.is_required and _blank(result.get(key)) and f"custom.{key}" not in errors:
            errors[f"custom.{key}"] = [
                Message(N_("%(label)s is required."), label=definition.label)
            ]
    return result, errors


ENTITIES = ("customer", "organisation")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,59}$")


def _clean_definition(
    label: str, kind: FieldKind | str, choices: list[str] | str | None
) -> tuple[str, FieldKind, list[str], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    label = (label or "").strip()
    if not label:
        errors["label"] = [Message(N_("Give the field a label."))]
    try:
        kind = FieldKind(kind)
    except ValueError:
        errors["kind"] = [
            Message(
                N_("Choose one of: %(choices)s."), choices=", ".join(k.value for k in FieldKind)
            )
        ]
        kind = FieldKind.TEXT
    if isinstance(choices, str):
        choices = [c.strip() for c in re.split(r"[,\n]", choices) if c.strip()]
    choices = list(dict.fromkeys(choices or []))
    if kind in (FieldKind.SINGLE_CHOICE, FieldKind.MULTI_CHOICE) and not choices:
        errors["choices"] = [Message(N_("A choice field needs at least one choice."))]
    if kind not in (FieldKind.SINGLE_CHOICE, FieldKind.MULTI_CHOICE):
        choices = []
    return label, kind, choices, errors


def define_field(
    session: Session,
    *,
    entity: str,
    key: str,
    label: str,
    kind: FieldKind | str,
    clock: Clock,
    choices: list[str] | str | None = None,
    is_required: bool = False,
) -> CustomFieldDefinition:
    """A new custom field; its key is permanent (stored values are keyed by it)."""
    label, kind, choices, errors = _clean_definition(label, kind, choices)
    key = (key or "").strip().lower()
    if entity not in ENTITIES:
        errors["entity"] = [Message(N_("Choose one of: %(choices)s."), choices=", ".join(ENTITIES))]
    if not KEY_RE.match(key):
        errors["key"] = [
            Message(N_("Use lower-case letters, digits and _, starting with a letter."))
        ]
    elif session.scalar(
        select(CustomFieldDefinition.id).where(
            CustomFieldDefinition.entity == entity, CustomFieldDefinition.key == key
        )
    ):
        errors["key"] = [Message(N_("This key is taken."))]
    if errors:
        raise ValidationFailed(errors)
    position = len(definitions(session, entity))
    definition = CustomFieldDefinition(
        entity=entity,
        key=key,
        label=label,
        kind=kind,
        choices=choices,
        is_required=is_required,
        position=position,
        is_active=True,
        created_at=clock.now(),
    )
    session.add(definition)
    session.flush()
    return definition


def update_field(
    session: Session,
    definition: CustomFieldDefinition,
    *,
    label: str,
    choices: list[str] | str | None,
    is_required: bool,
    is_active: bool,
) -> None:
    """Change how a field is shown and validated; its key and kind stay (values depend on them)."""
    label, _, choices, errors = _clean_definition(label, definition.kind, choices)
    if errors:
        raise ValidationFailed(errors)
    definition.label = label
    definition.choices = choices
    definition.is_required = is_required
    definition.is_active = is_active
    session.flush()
