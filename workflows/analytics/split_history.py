"""An adaptive strategy's split over time, as the results JSON gives it (`split`): the shares in
effect per step and variant now, with the goal counts they came from, and the history — one
row per computation, one column per step and variant — for the chart, its table and its CSV."""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import VariantSplit
from workflows.analytics.tables import ratio, table
from workflows.outreach.definitions import DEFAULT_SPLIT

HISTORY_LIMIT = 500  # the latest computations shown; the table keeps every one
CURRENT_COLUMNS = ["step", "variant", "share", "successes", "trials", "goal_rate", "computed_at"]


def split_section(session: Session, strategy_id: int, definition: dict[str, Any]) -> dict[str, Any]:
    split = {**DEFAULT_SPLIT, **(definition.get("split") or {})}
    rows = list(
        session.scalars(
            select(VariantSplit)
            .where(VariantSplit.strategy_id == strategy_id)
            .order_by(VariantSplit.id.desc())
            .limit(HISTORY_LIMIT)
        )
    )[::-1]
    return {
        "mode": split["mode"],
        "floor": split["floor"],
        "current": table(CURRENT_COLUMNS, _current(rows)),
        "history": _history(rows),
    }


def _stamp(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


def _current(rows: list[VariantSplit]) -> list[list[Any]]:
    latest: dict[int, VariantSplit] = {}
    for row in rows:
        latest[row.step_index] = row
    found = []
    for step_index in sorted(latest):
        row = latest[step_index]
        for key, share in row.shares.items():
            successes, trials = row.successes.get(key, 0), row.trials.get(key, 0)
            found.append(
                [
                    step_index + 1,
                    key,
                    share,
                    successes,
                    trials,
                    ratio(successes, trials),
                    _stamp(row.computed_at),
                ]
            )
    return found


def column_name(step_index: int, key: str) -> str:
    return f"step_{step_index + 1}_{key}"


def _history(rows: list[VariantSplit]) -> dict[str, Any]:
    """One row per computation (`computed_at`), each step's variants' shares as columns."""
    columns: list[str] = []
    by_time: dict[str, dict[str, float]] = {}
    for row in rows:
        shares = by_time.setdefault(_stamp(row.computed_at), {})
        for key, share in row.shares.items():
            name = column_name(row.step_index, key)
            if name not in columns:
                columns.append(name)
            shares[name] = share
    columns.sort(key=lambda name: (int(name.split("_")[1]), name))
    return table(
        ["computed_at", *columns],
        [[at, *(shares.get(name) for name in columns)] for at, shares in by_time.items()],
    )
