"""Median and percentiles in SQL on every backend: count the values, then read the one or two
around the wanted rank with ORDER BY … LIMIT 2 OFFSET k (SQLite has no percentile_cont). The
result interpolates linearly between ranks, like PostgreSQL's percentile_cont and numpy's
default, so the same data gives the same figure everywhere."""

import math
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session


def percentiles(session: Session, values: Select[Any], fractions: tuple[float, ...]) -> list:
    """`values` selects one numeric column (NULLs excluded by the caller); one figure per
    fraction (0.5 = median), or None for no values."""
    sub = values.subquery()
    column = sub.c[0]
    count = session.scalar(select(func.count()).select_from(sub)) or 0
    found: list[float | None] = []
    for fraction in fractions:
        if count == 0:
            found.append(None)
            continue
        position = fraction * (count - 1)
        below = math.floor(position)
        pair = session.scalars(select(column).order_by(column).limit(2).offset(below)).all()
        low = float(pair[0])
        high = float(pair[1]) if len(pair) > 1 else low
        found.append(low + (high - low) * (position - below))
    return found


def grouped_percentiles(
    session: Session, key: Any, value: Any, where: Any, fractions: tuple[float, ...], *joins: Any
) -> dict[Any, tuple[int, list[float | None]]]:
    """Per group: (count, one figure per fraction), in one query. PostgreSQL has the ordered-set
    aggregate for it (`percentile_cont … WITHIN GROUP`, the same linear interpolation: 90 days
    of 100,000 requirements ~2x faster than ranking). Elsewhere each row is ranked within its
    group by a window function and only the rows next to a wanted rank come back (a few per
    group), so the sort happens in the database, not in Python."""
    if session.get_bind().dialect.name == "postgresql":
        return _ordered_set(session, key, value, where, fractions, joins)
    rank = func.row_number().over(partition_by=key, order_by=value).label("rank")
    total = func.count().over(partition_by=key).label("total")
    ranked = select(key.label("key"), value.label("value"), rank, total).where(where)
    for target, condition in joins:
        ranked = ranked.join(target, condition)
    sub = ranked.subquery()
    wanted = [
        (sub.c.rank - 1 >= func.floor(fraction * (sub.c.total - 1)))
        & (sub.c.rank - 1 <= func.floor(fraction * (sub.c.total - 1)) + 1)
        for fraction in fractions
    ]
    rows = session.execute(
        select(sub.c.key, sub.c.rank, sub.c.total, sub.c.value).where(or_(*wanted))
    ).all()
    by_key: dict[Any, dict[int, float]] = {}
    totals: dict[Any, int] = {}
    for group, position, count, found in rows:
        by_key.setdefault(group, {})[int(position) - 1] = float(found)
        totals[group] = int(count)
    result = {}
    for group, values in by_key.items():
        count = totals[group]
        figures: list[float | None] = []
        for fraction in fractions:
            position = fraction * (count - 1)
            below = math.floor(position)
            low = values[below]
            high = values.get(below + 1, low)
            figures.append(low + (high - low) * (position - below))
        result[group] = (count, figures)
    return result


def _ordered_set(
    session: Session, key: Any, value: Any, where: Any, fractions: tuple[float, ...], joins: tuple
) -> dict[Any, tuple[int, list[float | None]]]:
    query = select(
        key,
        func.count(),
        *[func.percentile_cont(fraction).within_group(value) for fraction in fractions],
    )
    for target, condition in joins:
        query = query.join(target, condition)
    rows = session.execute(query.where(where).group_by(key)).all()
    return {
        group: (int(count), [float(figure) for figure in figures])
        for group, count, *figures in rows
    }
