"""Validation of admin-defined custom field values."""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import CustomFieldDefinition, FieldKind


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
            raise ValueError("Enter a number.")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise ValueError("Enter a number.") from exc
        if not number.is_finite():
            raise ValueError("Enter a number.")
        return int(number) if number == number.to_integral_value() else str(number)
    if kind is FieldKind.DATE:
        try:
            return date.fromisoformat(str(value).strip()).isoformat()
        except ValueError as exc:
            raise ValueError("Enter a date as YYYY-MM-DD.") from exc
    if kind is FieldKind.SINGLE_CHOICE:
        if str(value) not in definition.choices:
            raise ValueError(f"Choose one of: {', '.join(definition.choices)}.")
        return str(value)
    values = value if isinstance(value, list) else [v for v in str(value).split(",") if v.strip()]
    values = [str(v).strip() for v in values]
    if unknown := [v for v in values if v not in definition.choices]:
        raise ValueError(
            f"Unknown choices {unknown}; choose from: {', '.join(definition.choices)}."
        )
    return values


def clean(
    session: Session, entity: str, values: dict[str, Any], current: dict[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Merge `values` over `current`; returns (stored values, {"custom.<key>": [message]})."""
    result = dict(current or {})
    errors: dict[str, list[str]] = {}
    known = {d.key: d for d in definitions(session, entity)}
    for key, value in values.items():
        definition = known.get(key)
        if definition is None:
            errors[f"custom.{key}"] = ["There is no such custom field."]
            continue
        if _blank(value):
            result.pop(key, None)
            continue
        try:
            result[key] = clean_value(definition, value)
        except ValueError as exc:
            errors[f"custom.{key}"] = [str(exc)]
    for key, definition in known.items():
        if definition.is_required and _blank(result.get(key)) and f"custom.{key}" not in errors:
            errors[f"custom.{key}"] = [f"{definition.label} is required."]
    return result, errors
