"""Every figure a report returns is a small table (named columns, rows of plain values): the
API returns it, the page draws its chart from it, shows it as a table and downloads it as
CSV, so all three always show the same data."""

from collections.abc import Iterable, Sequence
from typing import Any


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> dict[str, Any]:
    return {"columns": list(columns), "rows": [list(row) for row in rows]}


def ratio(part: int | float, whole: int | float) -> float | None:
    return None if not whole else round(part / whole, 4)
