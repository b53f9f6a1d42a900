"""Median and percentiles in SQL on every backend: count the values, then read the one or two
around the wanted rank with ORDER BY … LIMIT 2 OFFSET k (SQLite has no percentile_cont). The
result interpolates linearly between ranks, like PostgreSQL's percentile_cont and numpy's
default, so the same data gives the same figure everywhere."""

import math
from typing import Any

from sqlalchemy import Select, func, select
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
