"""Enrolling a strategy's audience (in chunks, with progress, in the background) and the dry
run that shows beforehand who would be enrolled, who not and why, and when the first messages
would go out in each customer's own time."""

import zoneinfo
from collections import Counter
from typing import Any

from sqlalchemy import select
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
    definition = current_version(session, strategy).definition
    return sorted(
        session.scalars(audiences.customer_ids(session, definition["audience"], clock.now()))
    )


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
    ids = audience_ids(session, strategy, clock=clock)
    excluded: Counter[str] = Counter()
    eligible: list[tuple[int, str]] = []
    names: dict[int, str] = {}
    capped = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
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
        eligible += checked.eligible
        names.update(checked.names)
        capped += len(checked.capped)
    planner = planning.Planner.load(session, definition)
    first_by_zone = {zone: planner.due_at(0, now, zone) for zone in {z for _, z in eligible}}
    holdout = round(len(eligible) * (definition.get("holdout_percent") or 0) / 100)
    sample = []
    for customer_id, zone in eligible[:sample_size]:
        at = first_by_zone[zone]
        sample.append(
            {
                "customer_id": customer_id,
                "name": names.get(customer_id, ""),
                "time_zone": zone,
                "send_at": at,
                "local_time": at.astimezone(zoneinfo.ZoneInfo(zone)).isoformat(),
            }
        )
    return {
        "audience": len(ids),
        "would_enrol": len(eligible),
        "holdout_estimate": holdout,
        "would_contact": len(eligible) - holdout,
        "excluded": dict(excluded),
        "capped": capped,
        "first_send_at": min(first_by_zone.values()) if first_by_zone else None,
        "by_time_zone": {
            zone: {"customers": count, "first_send_at": first_by_zone[zone]}
            for zone, count in Counter(z for _, z in eligible).most_common()
        },
        "sample": sample,
    }
