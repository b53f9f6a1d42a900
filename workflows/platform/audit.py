"""The audit log: every create, update, delete, restore, merge and purge, field by field."""

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Text, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from models import AuditEntry
from workflows.platform.clock import Clock
from workflows.platform.subject_data import ERASED


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


def redact(
    session: Session, identifiers: Iterable[str], *, entity: tuple[str, int] | None = None
) -> int:
    """Keep the audit rows, lose the personal data: every value that mentions one of
    `identifiers` (a purged customer's emails and phone numbers) becomes "[erased]", wherever
    the entry is (a colleague's note, a merge, a communication's record); and every value of
    the entries about `entity` (entity type, id) does, names included. Flushes; returns how
    many entries changed. Scans the log with LIKE: a purge is rare and admin-only."""
    wanted = tuple(i.lower() for i in identifiers if i)
    conditions = [
        func.lower(cast(column, Text)).contains(value, autoescape=True)
        for value in wanted
        for column in (AuditEntry.changes, AuditEntry.note)
    ]
    if entity is not None:
        conditions.append(
            and_(AuditEntry.entity_type == entity[0], AuditEntry.entity_id == entity[1])
        )
    if not conditions:
        return 0
    changed = 0
    for entry in session.scalars(select(AuditEntry).where(or_(*conditions))):
        whole = entity is not None and (entry.entity_type, entry.entity_id) == entity
        changes = _redacted(entry.changes or {}, wanted, whole)
        note = _redacted(entry.note, wanted, whole)
        if changes != entry.changes or note != entry.note:
            entry.changes, entry.note = changes, note
            changed += 1
    session.flush()
    return changed


def _redacted(value: Any, wanted: tuple[str, ...], whole: bool) -> Any:
    if isinstance(value, dict):
        return {k: _redacted(v, wanted, whole) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v, wanted, whole) for v in value]
    if isinstance(value, str) and (whole or any(w in value.lower() for w in wanted)):
        return ERASED
    return value
