"""Why an SLA clock breached: one cause per breach, decided once when the breach fires and
stored on the clock (`sla_clocks.breach_cause`), so the Pareto chart of causes is a GROUP BY.

The rules, first that holds wins (so the bars add up to the number of breaches):

1. `policy_changed` — the clock was re-planned under another policy version before it breached.
2. `reopened` — a resolution clock of a later cycle: the requirement was resolved and reopened.
3. `outside_hours` — the clock started while its calendar was closed (arrived after hours).
4. `waited_unassigned` — the requirement was still unassigned (state `new`) for more than half
   of the clock's life before the breach, or never left it.
5. `waiting_on_customer` — the requirement waited on the customer while this clock ran (a
   policy that does not pause for it, or a clock that paused and still ran out).
6. `other` — none of these: the work itself took too long.

Pure: plain values in, a cause out; `workflows.tracking.sla` and the backfill migration feed it.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import RequirementEvent, SlaClock
from workflows.tracking.business_time import BusinessCalendar, is_open

POLICY_CHANGED = "policy_changed"
REOPENED = "reopened"
OUTSIDE_HOURS = "outside_hours"
WAITED_UNASSIGNED = "waited_unassigned"
WAITING_ON_CUSTOMER = "waiting_on_customer"
OTHER = "other"
CAUSES = (POLICY_CHANGED, REOPENED, OUTSIDE_HOURS, WAITED_UNASSIGNED, WAITING_ON_CUSTOMER, OTHER)


def classify(
    *,
    history: Sequence[dict[str, Any]],
    metric: str,
    cycle: int,
    started_at: datetime,
    breached_at: datetime,
    calendar: BusinessCalendar,
    left_new_at: datetime | None,
    was_new_at_start: bool,
    waited_on_customer: bool,
) -> str:
    """The breach's cause by the rules above.

    `left_new_at`: when the requirement first left the `new` state (None: not yet);
    `was_new_at_start`: whether it was `new` when the clock started; `waited_on_customer`:
    whether it entered `waiting_on_customer` between `started_at` and `breached_at`."""
    if any(entry.get("what") == "re-planned" for entry in history):
        return POLICY_CHANGED
    if metric == "resolution" and cycle > 1:
        return REOPENED
    if not is_open(calendar, started_at):
        return OUTSIDE_HOURS
    if was_new_at_start:
        waited_until = breached_at if left_new_at is None else min(left_new_at, breached_at)
        if (waited_until - started_at) * 2 > breached_at - started_at:
            return WAITED_UNASSIGNED
    if waited_on_customer:
        return WAITING_ON_CUSTOMER
    return OTHER


def classify_events(
    *,
    history: Sequence[dict[str, Any]],
    metric: str,
    cycle: int,
    started_at: datetime,
    breached_at: datetime,
    calendar: BusinessCalendar,
    events: Iterable[tuple[datetime, str | None, str]],
) -> str:
    """`classify` from the requirement's events (at, from_state, to_state), in order."""
    state_at_start = None
    left_new_at = None
    waited = False
    for at, from_state, to_state in events:
        if from_state == to_state:
            continue  # SLA notes, not transitions
        if at <= started_at:
            state_at_start = to_state
        if from_state == "new" and left_new_at is None:
            left_new_at = at
        if to_state == "waiting_on_customer" and started_at <= at <= breached_at:
            waited = True
    return classify(
        history=history,
        metric=metric,
        cycle=cycle,
        started_at=started_at,
        breached_at=breached_at,
        calendar=calendar,
        left_new_at=left_new_at,
        was_new_at_start=state_at_start in (None, "new"),
        waited_on_customer=waited,
    )


def cause_of(
    session: Session, sla: SlaClock, calendar: BusinessCalendar, breached_at: datetime
) -> str:
    """The cause of `sla` breaching now, from its requirement's events (a few rows)."""
    events = session.execute(
        select(RequirementEvent.at, RequirementEvent.from_state, RequirementEvent.to_state)
        .where(RequirementEvent.requirement_id == sla.requirement_id)
        .order_by(RequirementEvent.id)
    ).all()
    return classify_events(
        history=sla.history or [],
        metric=str(sla.metric),
        cycle=sla.cycle,
        started_at=sla.started_at,
        breached_at=breached_at,
        calendar=calendar,
        events=events,
    )
