"""The last line of erasure: hunt a customer's contact points (emails, phone numbers) down in
every text and JSON column of every table, wherever they were copied (someone else's note, a
forwarded email, an audit entry, an imported CSV, a cached API response, a saved filter), and
replace each line that holds one with "[erased]"."""

import json
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

# Rows scanned and rewritten per statement.
CHUNK = 500
# Staff accounts are not the customer's data: a colleague who is also a customer keeps their login.
SKIPPED_TABLES = frozenset({"users", "alembic_version"})


def _text_columns(table: Table) -> list[Any]:
    return [c for c in table.columns if isinstance(c.type, String | Text | JSON)]


def _matches(column: Any, identifiers: tuple[str, ...]) -> ColumnElement[bool]:
    text = func.lower(cast(column, Text))
    return or_(*(text.contains(value.lower(), autoescape=True) for value in identifiers))


def scrub_text(value: str, identifiers: tuple[str, ...]) -> str:
    lowered = [i.lower() for i in identifiers]
    lines = value.split("\n")
    return "\n".join(ERASED if any(i in line.lower() for i in lowered) else line for line in lines)


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


def scrub_table(session: Session, table: Table, identifiers: tuple[str, ...]) -> int:
    """Rewrite the rows of `table` that mention an identifier; returns how many."""
    if not identifiers:
        return 0
    columns = _text_columns(table)
    unique = _unique_columns(table)
    key = list(table.primary_key.columns)
    changed = 0
    after: tuple[Any, ...] | None = None
    while True:
        query = (
            select(*key, *columns)
            .where(or_(*(_matches(c, identifiers) for c in columns)))
            .order_by(*key)
            .limit(CHUNK)
        )
        if after is not None:
            query = query.where(_after(key, after))
        rows = session.execute(query).all()
        for row in rows:
            values = {}
            for column in columns:
                old = row._mapping[column]
                if old is None:
                    continue
                new = (
                    scrub_json(old, identifiers)
                    if isinstance(column.type, JSON)
                    else scrub_text(old, identifiers)
                )
                if column.name in unique and new != old:
                    # "[erased]" twice would break the constraint; the row's key keeps it unique.
                    new = f"{ERASED} {table.name} " + " ".join(str(row._mapping[k]) for k in key)
                length = getattr(column.type, "length", None)
                if isinstance(new, str) and length and len(new) > length:
                    new = ERASED
                if json.dumps(new, sort_keys=True) != json.dumps(old, sort_keys=True):
                    values[column.name] = new
            if values:
                session.execute(
                    update(table).where(and_(*(k == row._mapping[k] for k in key))).values(**values)
                )
                changed += 1
        if len(rows) < CHUNK:
            return changed
        after = tuple(rows[-1]._mapping[k] for k in key)


def _after(key: list[Any], last: tuple[Any, ...]) -> ColumnElement[bool]:
    """Keyset paging over a (possibly composite) primary key."""
    return tuple_(*key) > tuple_(*last)
