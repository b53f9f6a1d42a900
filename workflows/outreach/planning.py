"""Enrolment and planning, idempotent: a customer is enrolled once per strategy (unique row) and
each step of an enrolment is one due-step row (unique per enrolment and step), so running the
planner twice, or two planners at once, plans once. Bulk: a chunk of customers costs a few
statements, and the first step's due time is computed once per time zone, not per customer."""

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from models import (
    Calendar,
    DueStep,
    DueStepStatus,
    Enrolment,
    EnrolmentEvent,
    EnrolmentStatus,
    Holiday,
    Strategy,
    StrategyVersion,
    WorkingDay,
)
from workflows.outreach import definitions, eligibility, splits, windows
from workflows.outreach.sql import among
from workflows.platform.clock import Clock
from workflows.platform.publishing import wake_clock_after_commit
from workflows.tracking.business_time import BusinessCalendar
from workflows.tracking.calendars import business_calendar

CHUNK = 2000


def holidays_of(session: Session, window: dict[str, Any]) -> frozenset[date]:
    if not window.get("calendar_id"):
        return frozenset()
    return frozenset(
        session.scalars(select(Holiday.day).where(Holiday.calendar_id == window["calendar_id"]))
    )


def working_days_of(session: Session, window: dict[str, Any]) -> frozenset[date]:
    """The window calendar's extra working days, on which the window opens whatever the
    weekday."""
    if not window.get("calendar_id"):
        return frozenset()
    return frozenset(
        session.scalars(
            select(WorkingDay.day).where(WorkingDay.calendar_id == window["calendar_id"])
        )
    )


def delay_calendar(
    session: Session,
    step: dict[str, Any],
    window: dict[str, Any],
) -> BusinessCalendar | None:
    calendar_id = step["delay"].get("calendar_id") or window.get("calendar_id")
    calendar = session.get(Calendar, calendar_id) if calendar_id else None
    return business_calendar(calendar) if calendar else None


@dataclass
class Planner:
    """The due times of one strategy version's steps, cached per time zone."""

    definition: dict[str, Any]
    holidays: frozenset[date]
    calendars: dict[int, BusinessCalendar | None]
    working_days: frozenset[date] = frozenset()

    @classmethod
    def load(cls, session: Session, definition: dict[str, Any]) -> "Planner":
        window = definition["window"]
        return cls(
            definition,
            holidays_of(session, window),
            {
                i: delay_calendar(session, step, window)
                for i, step in enumerate(definition["steps"])
            },
            working_days_of(session, window),
        )

    def due_at(self, step_index: int, after: datetime, zone: str) -> datetime:
        """When step `step_index` is due, counting its delay from `after`, inside the window."""
        step = self.definition["steps"][step_index]
        ready = windows.after_delay(step["delay"], after, self.calendars.get(step_index))
        return self.send_time(ready, zone)

    def send_time(self, at: datetime, zone: str) -> datetime:
        return _send_time(
            _frozen(self.definition["window"]), zone, at, self.holidays, self.working_days
        )


def _frozen(window: dict[str, Any]) -> tuple[Any, ...]:
    return (tuple(window["weekdays"]), window["start"], window["end"])


@lru_cache(maxsize=4096)
def _send_time(
    window: tuple[Any, ...],
    zone: str,
    at: datetime,
    holidays: frozenset[date],
    working_days: frozenset[date] = frozenset(),
) -> datetime:
    weekdays, start, end = window
    return windows.next_send_time(
        {"weekdays": list(weekdays), "start": start, "end": end},
        zone,
        at,
        holidays,
        working_days,
    )


def _insert_ignoring_conflicts(
    session: Session, model: type, rows: list[dict[str, Any]], keys: list[str] | None
) -> None:
    """Insert `rows` in one statement, skipping those whose `keys` already exist (all rows when
    `keys` is None). SQLite: one executemany on the Core table, without RETURNING (which would
    make SQLAlchemy send the rows one statement each). PostgreSQL: one INSERT … SELECT unnest()
    with an array per column, as the outbox does: an executemany there costs a round trip per
    row (~0.2 ms here), an array a single one."""
    table = model.__table__  # type: ignore[attr-defined]
    if session.get_bind().dialect.name != "postgresql":
        statement = sqlite.insert(table)
        if keys:
            statement = statement.on_conflict_do_nothing(index_elements=keys)
        session.execute(statement, rows)
        return
    columns = list(rows[0])
    arrays = [
        func.unnest(bindparam(f"{name}_values", [r[name] for r in rows], ARRAY(table.c[name].type)))
        for name in columns
    ]
    statement = postgresql.insert(table).from_select(columns, select(*arrays))
    if keys:
        statement = statement.on_conflict_do_nothing(index_elements=keys)
    session.execute(statement)


def _draw(rng: random.Random | None, strategy_id: int, customer_id: int) -> float:
    """A uniform draw in [0, 1) for the holdout: from `rng` when given (tests), else from a hash
    of strategy and customer, so a planner that runs twice draws the same customers."""
    if rng is not None:
        return rng.random()
    digest = hashlib.sha256(f"holdout:{strategy_id}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def enrol(
    session: Session,
    strategy: Strategy,
    customer_ids: Sequence[int],
    *,
    clock: Clock,
    rng: random.Random | None = None,
) -> dict[str, int]:
    """Enrol the customers of `customer_ids` who may be reached and are not enrolled yet, on the
    strategy's current version, and plan each one's first step (the holdout gets none). Core
    statements, no ORM objects; flushes nothing else; the caller commits."""
    version = session.get(StrategyVersion, strategy.current_version_id)
    if version is None:
        raise LookupError(f"strategy {strategy.id} has no current version")
    definition = version.definition
    now = clock.now()
    already = set(
        session.scalars(
            select(Enrolment.customer_id).where(
                Enrolment.strategy_id == strategy.id,
                among(session, Enrolment.customer_id, customer_ids),
            )
        )
    )
    fresh = [c for c in customer_ids if c not in already]
    checked = eligibility.check(session, definition, fresh, now)
    counts = {"enrolled": 0, "holdout": 0, "already": len(already), **checked.excluded}
    if not checked.eligible:
        return counts
    share = definition.get("holdout_percent") or 0
    zones = dict(checked.eligible)
    rows = [
        {
            "strategy_id": strategy.id,
            "version_id": version.id,
            "customer_id": customer_id,
            "status": (
                EnrolmentStatus.HOLDOUT
                if _draw(rng, strategy.id, customer_id) * 100 < share
                else EnrolmentStatus.ACTIVE
            ),
            "enrolled_at": now,
            "steps_done": 0,
        }
        for customer_id, _zone in checked.eligible
    ]
    _insert_ignoring_conflicts(session, Enrolment, rows, ["strategy_id", "customer_id"])
    # The rows this call wrote (a planner racing us wrote the others, with another instant).
    created = session.execute(
        select(Enrolment.id, Enrolment.customer_id, Enrolment.status).where(
            Enrolment.strategy_id == strategy.id,
            among(session, Enrolment.customer_id, zones),
            Enrolment.enrolled_at == now,
            Enrolment.version_id == version.id,
        )
    ).all()
    planner = Planner.load(session, definition)
    adaptive = created and definitions.is_adaptive(definition)
    shares = splits.latest_shares(session, strategy.id, 0) if adaptive else {}
    due_rows = []
    event_rows = []
    for enrolment_id, customer_id, status in created:
        holdout = status == EnrolmentStatus.HOLDOUT
        counts["holdout" if holdout else "enrolled"] += 1
        event_rows.append(
            {
                "enrolment_id": enrolment_id,
                "strategy_id": strategy.id,
                "customer_id": customer_id,
                "at": now,
                "kind": "holdout" if holdout else "enrolled",
                "detail": f"version {version.number}",
            }
        )
        if not holdout:
            due_rows.append(
                {
                    "strategy_id": strategy.id,
                    "enrolment_id": enrolment_id,
                    "step_index": 0,
                    "due_at": planner.due_at(0, now, zones[customer_id]),
                    "status": DueStepStatus.PENDING,
                    "attempts": 0,
                    "variant": splits.planned_variant(
                        session, definition, strategy.id, enrolment_id, 0, shares
                    ),
                }
            )
    if event_rows:
        _insert_ignoring_conflicts(session, EnrolmentEvent, event_rows, None)
    if due_rows:
        _insert_ignoring_conflicts(session, DueStep, due_rows, ["enrolment_id", "step_index"])
        wake_clock_after_commit(session)
    return counts


def plan_next(
    session: Session,
    enrolment: Enrolment,
    step_index: int,
    *,
    after: datetime,
    zone: str,
    planner: Planner,
) -> DueStep | None:
    """Plan step `step_index` of `enrolment` (once), or None past the last step."""
    if step_index >= len(planner.definition["steps"]):
        return None
    existing = session.scalar(
        select(DueStep).where(
            DueStep.enrolment_id == enrolment.id, DueStep.step_index == step_index
        )
    )
    if existing is not None:
        return existing
    row = DueStep(
        strategy_id=enrolment.strategy_id,
        enrolment_id=enrolment.id,
        step_index=step_index,
        due_at=planner.due_at(step_index, after, zone),
        status=DueStepStatus.PENDING,
        attempts=0,
        variant=splits.planned_variant(
            session, planner.definition, enrolment.strategy_id, enrolment.id, step_index
        ),
    )
    session.add(row)
    return row
