"""The audit log: every create, update, delete, restore, merge and purge, field by field."""

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy.orm import Session

from models import AuditEntry
from workflows.platform.clock import Clock


def plain(value: Any) -> Any:
    """A JSON-safe copy of a column value."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for every field whose value changed."""
    return {
        key: [plain(before.get(key)), plain(after.get(key))]
        for key in sorted(set(before) | set(after))
        if plain(before.get(key)) != plain(after.get(key))
    }


def record(
    session: Session,
    *,
    action: str,
    entity_type: str,
    entity_id: int,
    actor_id: int | None,
    clock: Clock,
    changes: dict[str, Any] | None = None,
    note: str | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=clock.now(),
        actor_id=actor_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        changes=plain(changes or {}),
        note=note,
    )
    session.add(entry)
    return entry
