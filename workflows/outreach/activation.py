"""Enrolling a strategy's audience (in chunks, with progress, in the background) and the dry
run that shows beforehand who would be enrolled, who not and why, and when the first messages
would go out in each customer's own time."""

import zoneinfo
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from models import Enrolment, Strategy, StrategyStatus
from workflows.outreach import audiences, eligibility, planning
from workflows.outreach.sql import among
from workflows.outreach.strategies import current_version
from workflows.platform.clock import Clock

CHUNK = planning.CHUNK


def audience_ids(session: Session, strategy: Strategy, *, clock: Clock) -> list[int]:
    """The whole audience at once: for small audiences and tests; enrolment streams it."""
    return [i for chunk in audience_chunks(session, strategy, now=clock.now()) for i in chunk]


def _audience(
    session: Session, strategy: Strategy, now: datetime, newcomers_only: bool
) -> tuple[Select[tuple[int]], Any]:
    """The audience as a subquery and its id column; `newcomers_only` leaves out the customers
    already enrolled, in SQL, so that beat's minutely re-enrolment reads only the newcomers."""
    definition = current_version(session, strategy).definition
    audience = audiences.customer_ids(session, definition["audience"], now).subquery()
    column = audience.c[0]
    query = select(column)
    if newcomers_only:
        query = query.where(
            ~exists().where(Enrolment.strategy_id == strategy.id, Enrolment.customer_id == column)
        )
    return query, column


def audience_size(
    session: Session, strategy: Strategy, *, now: datetime, newcomers_only: bool = False
) -> int:
    query, _column = _audience(session, strategy, now, newcomers_only)
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def audience_chunks(
    session: Session,
    strategy: Strategy,
    *,
    now: datetime,
    newcomers_only: bool = False,
    size: int = CHUNK,
) -> Iterator[list[int]]:
    """The audience's ids in ascending chunks of `size`, each its own keyset query (`id > the
    last one`): memory holds one chunk whatever the audience's size (a million ids in a list
    took ~40 MB more), and the caller may commit between chunks. `now` is fixed by the caller so
    that every chunk reads the same audience."""
    query, column = _audience(session, strategy, now, newcomers_only)
    last = 0
    while True:
        chunk = list(session.scalars(query.where(column > last).order_by(column).limit(size)))
        if not chunk:
            return
        yield chunk
        last = chunk[-1]


def _progress(session: Session, strategy: Strategy, **values: Any) -> None:
    """Progress is a Core UPDATE that leaves the row's version alone: a supervisor pausing or
    editing the strategy while the background enrolment counts must not be told it is stale."""
    session.execute(
        sql_update(Strategy)
        .where(Strategy.id == strategy.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    for name, value in values.items():
        set_committed_value(strategy, name, value)


def begin(session: Session, strategy: Strategy, total: int) -> None:
    _progress(session, strategy, enrol_total=total, enrol_done=0, enrol_running=True)


def enrol_chunk(
    session: Session, strategy: Strategy, customer_ids: list[int], *, clock: Clock
) -> dict[str, int]:
    """Enrol one chunk and count it in the progress; False-y when the strategy is no longer
    active (paused or archived meanwhile: the caller stops)."""
    counts = planning.enrol(session, strategy, customer_ids, clock=clock)
    done = min(strategy.enrol_done + len(customer_ids), strategy.enrol_total)
    _progress(session, strategy, enrol_done=done)
    return counts


def may_continue(strategy: Strategy) -> bool:
    return strategy.status == StrategyStatus.ACTIVE


def finish(session: Session, strategy: Strategy) -> None:
    _progress(session, strategy, enrol_running=False)


def dry_run(
    session: Session,
    strategy: Strategy,
    *,
    clock: Clock,
    sample_size: int = 10,
) -> dict[str, Any]:
    """What activating now would do; writes nothing."""
    definition = current_version(session, strategy).definition
    now = clock.now()
    audience = 0
    excluded: Counter[str] = Counter()
    zones: Counter[str] = Counter()
    chosen: list[tuple[int, str, str]] = []  # the sample: (customer id, name, zone)
    capped = 0
    # Streamed chunk by chunk, keeping counts and the sample only: a dry run of a million
    # customers holds no more than one chunk.
    for chunk in audience_chunks(session, strategy, now=now):
        audience += len(chunk)
        already = set(
            session.scalars(
                select(Enrolment.customer_id).where(
                    Enrolment.strategy_id == strategy.id,
                    among(session, Enrolment.customer_id, chunk),
                )
            )
        )
        if already:
            excluded["already_enrolled"] += len(already)
        checked = eligibility.check(
            session, definition, [c for c in chunk if c not in already], now
        )
        excluded.update(checked.excluded)
        zones.update(zone for _, zone in checked.eligible)
        for customer_id, zone in checked.eligible[: sample_size - len(chosen)]:
            chosen.append((customer_id, checked.names.get(customer_id, ""), zone))
        capped += len(checked.capped)
    planner = planning.Planner.load(session, definition)
    first_by_zone = {zone: planner.due_at(0, now, zone) for zone in zones}
    eligible = sum(zones.values())
    holdout = round(eligible * (definition.get("holdout_percent") or 0) / 100)
    sample = []
    for customer_id, name, zone in chosen:
        at = first_by_zone[zone]
        sample.append(
            {
                "customer_id": customer_id,
                "name": name,
                "time_zone": zone,
                "send_at": at,
                "local_time": at.astimezone(zoneinfo.ZoneInfo(zone)).isoformat(),
            }
        )
    return {
        "audience": audience,
        "would_enrol": eligible,
        "holdout_estimate": holdout,
        "would_contact": eligible - holdout,
        "excluded": dict(excluded),
        "capped": capped,
        "first_send_at": min(first_by_zone.values()) if first_by_zone else None,
        "by_time_zone": {
            zone: {"customers": count, "first_send_at": first_by_zone[zone]}
            for zone, count in zones.most_common()
        },
        "sample": sample,
    }
