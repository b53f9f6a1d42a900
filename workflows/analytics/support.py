"""Support KPIs for a date range and filters: business-time response and resolution figures,
SLA compliance, breaches by rung, backlog per day by state, reopen rate, created vs resolved
per day, and a table per agent and per team.

Which requirements count: those matching the filters and created inside the range (in the
viewer's zone), except for the per-day series, which count what happened on each day (the
backlog at the end of each day, the requirements resolved that day) among all requirements
matching the filters. Durations are the business seconds each clock stored when it was met
(`sla_clocks.elapsed_seconds`); a reopened requirement's new resolution clock counts on its own.
"""

from collections import defaultdict
from typing import Any

from sqlalchemy import and_, case, distinct, func, or_, select
from sqlalchemy.orm import Session

from models import Metric, Requirement, RequirementEvent, SlaClock, SlaStatus, Team, User
from workflows.analytics.filters import RequirementFilter
from workflows.analytics.quantiles import grouped_percentiles
from workflows.analytics.ranges import DayRange, day_index, dialect_of
from workflows.analytics.tables import ratio, table
from workflows.tracking.requirements import WORKFLOWS

IN_PROGRESS = (SlaStatus.RUNNING, SlaStatus.PAUSED)


def support_report(session: Session, days: DayRange, filters: RequirementFilter) -> dict[str, Any]:
    created = and_(
        Requirement.created_at >= days.start,
        Requirement.created_at < days.end,
        *filters.conditions(),
    )
    return {
        "range": days.describe(),
        "filters": filters.describe(),
        "requirements": session.scalar(select(func.count()).where(created)) or 0,
        "durations": _durations(session, created),
        "compliance": _compliance(session, created),
        "breaches_by_rung": _breaches_by_rung(session, created),
        "reopen": _reopen(session, created),
        "flow": _flow(session, days, filters),
        "backlog": _backlog(session, days, filters),
        **dict(zip(("agents", "teams"), _per_agent_and_team(session, created), strict=True)),
    }


def _durations(session: Session, created: Any) -> dict[str, Any]:
    found = grouped_percentiles(
        session,
        SlaClock.metric,
        SlaClock.elapsed_seconds,
        and_(
            created,
            SlaClock.status == SlaStatus.MET,
            SlaClock.elapsed_seconds.is_not(None),
        ),
        (0.5, 0.9),
        (Requirement, Requirement.id == SlaClock.requirement_id),
    )
    rows = []
    for metric in Metric:
        count, (median, p90) = found.get(str(metric), found.get(metric, (0, [None, None])))
        rows.append([str(metric), count, median, p90])
    return table(["metric", "clocks_met", "median_seconds", "p90_seconds"], rows)


def _compliance(session: Session, created: Any) -> dict[str, Any]:
    """Per metric: met in time, breached (met late or still overdue), still in progress;
    compliance = met / (met + breached). Cancelled clocks count nowhere."""
    breached = SlaClock.breached_at.is_not(None)
    query = (
        select(
            SlaClock.metric,
            func.sum(case((and_(SlaClock.status == SlaStatus.MET, ~breached), 1), else_=0)),
            func.sum(case((breached, 1), else_=0)),
            func.sum(case((and_(SlaClock.status.in_(IN_PROGRESS), ~breached), 1), else_=0)),
        )
        .join(Requirement, Requirement.id == SlaClock.requirement_id)
        .where(created, SlaClock.status != SlaStatus.CANCELLED)
        .group_by(SlaClock.metric)
    )
    found = {
        str(m): (int(a or 0), int(b or 0), int(c or 0)) for m, a, b, c in session.execute(query)
    }
    rows = []
    for metric in Metric:
        met, late, running = found.get(str(metric), (0, 0, 0))
        rows.append([str(metric), met, late, running, ratio(met, met + late)])
    return table(["metric", "met", "breached", "in_progress", "compliance"], rows)


def _breaches_by_rung(session: Session, created: Any) -> dict[str, Any]:
    query = (
        select(SlaClock.rung, func.count())
        .join(Requirement, Requirement.id == SlaClock.requirement_id)
        .where(created, SlaClock.breached_at.is_not(None))
        .group_by(SlaClock.rung)
        .order_by(SlaClock.rung)
    )
    return table(["rung", "breaches"], session.execute(query).all())


def _reopen(session: Session, created: Any) -> dict[str, Any]:
    resolved_event = RequirementEvent.to_state.in_(_done_states()) & _changes()
    resolved, reopened = session.execute(
        select(
            func.count(distinct(case((resolved_event, RequirementEvent.requirement_id)))),
            func.count(
                distinct(
                    case((RequirementEvent.trigger == "reopen", RequirementEvent.requirement_id))
                )
            ),
        )
        .join(Requirement, Requirement.id == RequirementEvent.requirement_id)
        .where(created)
    ).one()
    return {"resolved": resolved, "reopened": reopened, "rate": ratio(reopened, resolved)}


def _done_states(workflow: str | None = None) -> list[str]:
    chosen = [WORKFLOWS[workflow]] if workflow else WORKFLOWS.values()
    return sorted({state for w in chosen for state in w.done_states})


def _active_states(workflow: str | None) -> list[str]:
    chosen = [WORKFLOWS[workflow]] if workflow else list(WORKFLOWS.values())
    states: list[str] = []
    for definition in chosen:
        states += [s for s in definition.states if definition.is_active(s) and s not in states]
    return states


def _changes() -> Any:
    """Events that are transitions (SLA notes keep the state and are left out)."""
    return or_(
        RequirementEvent.from_state.is_(None),
        RequirementEvent.from_state != RequirementEvent.to_state,
    )


def _with_filters(query: Any, filters: RequirementFilter) -> Any:
    """Events of the requirements the filters keep; no join at all without filters (a
    primary-key lookup per event is most of the cost of a long range)."""
    conditions = filters.conditions()
    if not conditions:
        return query
    return query.join(Requirement, Requirement.id == RequirementEvent.requirement_id).where(
        *conditions
    )


def _flow(session: Session, days: DayRange, filters: RequirementFilter) -> dict[str, Any]:
    dialect = dialect_of(session)
    created_day = day_index(Requirement.created_at, days, dialect).label("day")
    created = dict(
        session.execute(
            select(created_day, func.count())
            .where(
                Requirement.created_at >= days.start,
                Requirement.created_at < days.end,
                *filters.conditions(),
            )
            .group_by(created_day)
        ).all()
    )
    resolved_day = day_index(RequirementEvent.at, days, dialect).label("day")
    resolved = dict(
        session.execute(
            _with_filters(
                select(resolved_day, func.count())
                .where(
                    RequirementEvent.at >= days.start,
                    RequirementEvent.at < days.end,
                    RequirementEvent.to_state.in_(_done_states(filters.workflow)),
                    _changes(),
                )
                .group_by(resolved_day),
                filters,
            )
        ).all()
    )
    return table(
        ["day", "created", "resolved"],
        [
            [day.isoformat(), created.get(n, 0), resolved.get(n, 0)]
            for n, day in enumerate(days.days)
        ],
    )


def _backlog(session: Session, days: DayRange, filters: RequirementFilter) -> dict[str, Any]:
    """Open requirements at the end of each day, by state: today's counts, walked back through
    the transitions after each day's end (only events since the range start are read)."""
    states = _active_states(filters.workflow)
    current = dict(
        session.execute(
            select(Requirement.state, func.count())
            .where(Requirement.state.in_(states), *filters.conditions())
            .group_by(Requirement.state)
        ).all()
    )
    last = len(days.days)
    bucket = case(
        (RequirementEvent.at >= days.end, last),
        else_=day_index(RequirementEvent.at, days, dialect_of(session)),
    ).label("bucket")
    entered: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    left: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = session.execute(
        _with_filters(
            select(bucket, RequirementEvent.from_state, RequirementEvent.to_state, func.count())
            .where(
                RequirementEvent.at >= days.start,
                or_(
                    RequirementEvent.to_state.in_(states),
                    RequirementEvent.from_state.in_(states),
                ),
                _changes(),
            )
            .group_by(bucket, RequirementEvent.from_state, RequirementEvent.to_state),
            filters,
        )
    )
    for index, from_state, to_state, count in rows:
        entered[int(index)][to_state] += count
        if from_state is not None:
            left[int(index)][from_state] += count
    open_now = {state: current.get(state, 0) for state in states}
    rows_by_day: list[list[Any]] = []
    # Walk back from now: the end of day n is before every event in buckets n+1 … last.
    level = dict(open_now)
    for index in range(last, -1, -1):
        if index < last:
            rows_by_day.append([days.days[index].isoformat(), *[level[s] for s in states]])
        for state in states:
            level[state] += left[index].get(state, 0) - entered[index].get(state, 0)
    rows_by_day.reverse()
    return table(["day", *states], rows_by_day)


def _per_agent_and_team(session: Session, created: Any) -> tuple[dict, dict]:
    """Both tables from two queries grouped by (assignee, team): each table sums the other
    key's groups (a few dozen aggregated rows, not requirements)."""
    breached = SlaClock.breached_at.is_not(None)
    first_met = and_(SlaClock.metric == Metric.FIRST_RESPONSE, SlaClock.status == SlaStatus.MET)
    pair = (Requirement.assignee_id, Requirement.team_id)
    requirements = session.execute(
        select(
            *pair,
            func.count(),
            func.sum(case((Requirement.resolved_at.is_not(None), 1), else_=0)),
        )
        .where(created)
        .group_by(*pair)
    ).all()
    clocks = session.execute(
        select(
            *pair,
            func.sum(case((and_(SlaClock.status == SlaStatus.MET, ~breached), 1), else_=0)),
            func.sum(case((breached, 1), else_=0)),
            func.sum(case((first_met, SlaClock.elapsed_seconds), else_=0)),
            func.sum(case((first_met, 1), else_=0)),
        )
        .join(Requirement, Requirement.id == SlaClock.requirement_id)
        .where(created, SlaClock.status != SlaStatus.CANCELLED)
        .group_by(*pair)
    ).all()
    return (
        _rolled_up(session, requirements, clocks, 0, User),
        _rolled_up(session, requirements, clocks, 1, Team),
    )


def _rolled_up(
    session: Session, requirements: list, clocks: list, side: int, entity: type
) -> dict[str, Any]:
    totals: dict[Any, list[int]] = defaultdict(lambda: [0] * 6)
    for row in requirements:
        sums = totals[row[side]]
        sums[0] += row[2]
        sums[1] += int(row[3] or 0)
    for row in clocks:
        sums = totals[row[side]]
        for position, value in enumerate(row[2:], start=2):
            sums[position] += int(value or 0)
    ids = [ident for ident in totals if ident is not None]
    names = dict(session.execute(select(entity.id, entity.name).where(entity.id.in_(ids))).all())
    rows = []
    for ident, (count, resolved, met, late, first_total, first_count) in totals.items():
        if not count:
            continue
        rows.append(
            [
                ident,
                names.get(ident, "(none)") if ident is not None else "(none)",
                count,
                resolved,
                met,
                late,
                ratio(met, met + late),
                round(first_total / first_count, 1) if first_count else None,
            ]
        )
    rows.sort(key=lambda row: (-row[2], str(row[1])))
    return table(
        [
            "id",
            "name",
            "requirements",
            "resolved",
            "clocks_met",
            "clocks_breached",
            "compliance",
            "mean_first_response_seconds",
        ],
        rows,
    )
