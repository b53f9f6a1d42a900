"""The last line of erasure: hunt a customer's contact points (emails, phone numbers) down in
every text and JSON column of every table, wherever they were copied (someone else's note, a
forwarded email, an audit entry, an imported CSV, a cached API response, a saved filter), and
replace each line that holds one with "[erased]"."""

import functools
import json
import re
from typing import Any

from sqlalchemy import (
    JSON,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    cast,
    func,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from models import Base
from workflows.platform.subject_data import ERASED

# Rows searched per call (one transaction of the erasure job).
SCAN_ROWS = 20_000
# Staff accounts are not the customer's data: a colleague who is also a customer keeps their login.
SKIPPED_TABLES = frozenset({"users", "alembic_version"})


def _text_columns(table: Table) -> list[Any]:
    return [c for c in table.columns if isinstance(c.type, String | Text | JSON)]


def _matches(column: Any, identifiers: tuple[str, ...]) -> ColumnElement[bool]:
    text = func.lower(cast(column, Text))
    return or_(*(text.contains(value.lower(), autoescape=True) for value in identifiers))


@functools.lru_cache(maxsize=64)
def _pattern(identifiers: tuple[str, ...]) -> re.Pattern[str]:
    """Each identifier as a whole token: ana@example.com matches in "mail ana@example.com." but
    not in "bana@example.com" or "ana@example.com.br"; +4930123 not inside +49301234."""
    parts = []
    for value in identifiers:
        if "@" in value:
            parts.append(rf"(?<![\w.%+-]){re.escape(value)}(?![\w-]|\.\w)")
        else:
            parts.append(rf"(?<!\d){re.escape(value)}(?!\d)")
    return re.compile("|".join(parts), re.IGNORECASE)


def mentions(value: str, identifiers: tuple[str, ...]) -> bool:
    return bool(identifiers) and _pattern(identifiers).search(value) is not None


def scrub_text(value: str, identifiers: tuple[str, ...]) -> str:
    """Each line that mentions an identifier becomes "[erased]"."""
    pattern = _pattern(identifiers)
    lines = value.split("\n")
    return "\n".join(ERASED if pattern.search(line) else line for line in lines)


def scrub_json(value: Any, identifiers: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return scrub_text(value, identifiers)
    if isinstance(value, list):
        return [scrub_json(v, identifiers) for v in value]
    if isinstance(value, dict):
        return {
            scrub_text(str(k), identifiers): scrub_json(v, identifiers) for k, v in value.items()
        }
    return value


def tables() -> list[Table]:
    return [
        t for t in Base.metadata.sorted_tables if _text_columns(t) and t.name not in SKIPPED_TABLES
    ]


def _unique_columns(table: Table) -> set[str]:
    names = {c.name for c in table.columns if c.unique}
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint):
            names |= {c.name for c in constraint.columns}
    return names


def _scrubbed_values(
    table: Table, row: Any, identifiers: tuple[str, ...], unique: set[str]
) -> dict[str, Any]:
    values = {}
    key = list(table.primary_key.columns)
    for column in _text_columns(table):
        old = row._mapping[column]
        if old is None:
            continue
        if isinstance(column.type, JSON):
            new = scrub_json(old, identifiers)
        else:
            new = scrub_text(old, identifiers)
            length = getattr(column.type, "length", None)
            if length and len(new) > length:
                new = ERASED
            if column.name in unique and new != old:
                # "[erased]" twice would break the constraint; the row's key keeps it unique.
                new = f"{ERASED} " + " ".join(str(row._mapping[k]) for k in key)
        if json.dumps(new, sort_keys=True) != json.dumps(old, sort_keys=True):
            values[column.name] = new
    return values


def scrub_chunk(
    session: Session,
    table: Table,
    identifiers: tuple[str, ...],
    after: list[Any] | None,
    *,
    scan_rows: int | None = None,
) -> tuple[int, list[Any] | None]:
    """Search the next `scan_rows` rows of `table` (by primary key, after `after`) and rewrite
    those that mention an identifier. Returns how many rows changed and where to go on from
    (None: the table is done). Bounded, so one call's transaction never holds the write lock
    for a whole large table."""
    if not identifiers:
        return 0, None
    scan_rows = scan_rows or SCAN_ROWS
    columns = _text_columns(table)
    key = list(table.primary_key.columns)
    window = select(*key).order_by(*key)
    if after is not None:
        window = window.where(_after(key, tuple(after)))
    last = session.execute(window.offset(scan_rows - 1).limit(1)).first()
    query = select(*key, *columns).where(or_(*(_matches(c, identifiers) for c in columns)))
    if after is not None:
        query = query.where(_after(key, tuple(after)))
    if last is not None:
        query = query.where(tuple_(*key) <= tuple_(*last))
    unique = _unique_columns(table)
    changed = 0
    for row in session.execute(query.order_by(*key)).all():
        values = _scrubbed_values(table, row, identifiers, unique)
        if values:
            session.execute(
                update(table).where(and_(*(k == row._mapping[k] for k in key))).values(**values)
            )
            changed += 1
    return changed, (list(last) if last is not None else None)


def scrub_table(session: Session, table: Table, identifiers: tuple[str, ...]) -> int:
    """The whole table in one go (tests and small tables); returns how many rows changed."""
    changed, after = scrub_chunk(session, table, identifiers, None)
    while after is not None:
        more, after = scrub_chunk(session, table, identifiers, after)
        changed += more
    return changed


def _after(key: list[Any], last: tuple[Any, ...]) -> ColumnElement[bool]:
    """Keyset paging over a (possibly composite) primary key."""
    return tuple_(*key) > tuple_(*last)
