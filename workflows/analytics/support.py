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

from sqlalchemy import and_, case, func, literal, or_, select
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
    clocks = _clock_counts(session, created)
    transitions = _transitions(session, days, filters)
    requirements = _requirement_counts(session, created)
    return {
        "range": days.describe(),
        "filters": filters.describe(),
        "requirements": sum(row[2] for row in requirements),
        "durations": _durations(session, created),
        "compliance": _compliance(clocks),
        "breaches_by_rung": _breaches_by_rung(clocks),
        "reopen": _reopen(requirements),
        "flow": _flow(session, days, filters, transitions),
        "backlog": _backlog(session, days, filters, transitions),
        "agents": _rolled_up(session, requirements, clocks, 0, User),
        "teams": _rolled_up(session, requirements, clocks, 1, Team),
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


def _clock_counts(session: Session, created: Any) -> list[Any]:
    """The clocks of the requirements in `created` counted once for every clock figure
    (compliance, breaches by rung, the per-agent and per-team tables): grouped by assignee,
    team, metric, rung and outcome, a few hundred rows at most. Each row: (assignee_id,
    team_id, metric, rung, outcome, clocks, clocks met (in time or late), their elapsed
    seconds)."""
    breached = SlaClock.breached_at.is_not(None)
    cancelled = SlaClock.status == SlaStatus.CANCELLED
    outcome = case(
        # A cancelled clock counts nowhere, except among breaches by rung if it had breached.
        (and_(cancelled, breached), literal("cancelled_breached")),
        (cancelled, literal("cancelled")),
        (breached, literal("breached")),
        (SlaClock.status == SlaStatus.MET, literal("met")),
        (SlaClock.status.in_(IN_PROGRESS), literal("in_progress")),
        else_=literal("other"),
    ).label("outcome")
    is_met = SlaClock.status == SlaStatus.MET
    return session.execute(
        select(
            Requirement.assignee_id,
            Requirement.team_id,
            SlaClock.metric,
            SlaClock.rung,
            outcome,
            func.count(),
            func.sum(case((is_met, 1), else_=0)),
            func.sum(case((is_met, SlaClock.elapsed_seconds), else_=0)),
        )
        .join(Requirement, Requirement.id == SlaClock.requirement_id)
        .where(created)
        .group_by(
            Requirement.assignee_id, Requirement.team_id, SlaClock.metric, SlaClock.rung, outcome
        )
    ).all()


def _compliance(clocks: list[Any]) -> dict[str, Any]:
    """Per metric: met in time, breached (met late or still overdue), still in progress;
    compliance = met / (met + breached). Cancelled clocks count nowhere."""
    found: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for _, _, metric, _, outcome, count, *_ in clocks:
        found[str(metric)][outcome] += count
    rows = []
    for metric in Metric:
        counts = found.get(str(metric), {})
        met, late, running = (counts.get(k, 0) for k in ("met", "breached", "in_progress"))
        rows.append([str(metric), met, late, running, ratio(met, met + late)])
    return table(["metric", "met", "breached", "in_progress", "compliance"], rows)


def _breaches_by_rung(clocks: list[Any]) -> dict[str, Any]:
    by_rung: dict[Any, int] = defaultdict(int)
    for _, _, _, rung, outcome, count, *_ in clocks:
        if outcome in ("breached", "cancelled_breached"):
            by_rung[rung] += count
    # Rung order, a clock without a rung first (as SQLite sorted NULL before).
    ordered = sorted(by_rung.items(), key=lambda item: (item[0] is not None, item[0] or 0))
    return table(["rung", "breaches"], ordered)


def _reopen(requirements: list[Any]) -> dict[str, Any]:
    """Of the requirements in the range: those that ever reached a done state, and those ever
    reopened (the flags `_record` sets with the event; summed in `_requirement_counts`)."""
    resolved = sum(int(row[4] or 0) for row in requirements)
    reopened = sum(int(row[5] or 0) for row in requirements)
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


def _transitions(session: Session, days: DayRange, filters: RequirementFilter) -> list[Any]:
    """The transitions since the range start that the flow and the backlog count, read once:
    (bucket, from_state, to_state, count), bucket = the local day's index in the range, or
    `len(days.days)` for transitions after its end."""
    states = _active_states(filters.workflow)
    done = _done_states(filters.workflow)
    last = len(days.days)
    bucket = case(
        (RequirementEvent.at >= days.end, last),
        else_=day_index(RequirementEvent.at, days, dialect_of(session)),
    ).label("bucket")
    return session.execute(
        _with_filters(
            select(bucket, RequirementEvent.from_state, RequirementEvent.to_state, func.count())
            .where(
                RequirementEvent.at >= days.start,
                or_(
                    RequirementEvent.to_state.in_([*states, *done]),
                    RequirementEvent.from_state.in_(states),
                ),
                _changes(),
            )
            .group_by(bucket, RequirementEvent.from_state, RequirementEvent.to_state),
            filters,
        )
    ).all()


def _flow(
    session: Session, days: DayRange, filters: RequirementFilter, transitions: list[Any]
) -> dict[str, Any]:
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
    done = set(_done_states(filters.workflow))
    resolved: dict[int, int] = defaultdict(int)
    for index, _, to_state, count in transitions:
        if to_state in done and int(index) < len(days.days):
            resolved[int(index)] += count
    return table(
        ["day", "created", "resolved"],
        [
            [day.isoformat(), created.get(n, 0), resolved.get(n, 0)]
            for n, day in enumerate(days.days)
        ],
    )


def _backlog(
    session: Session, days: DayRange, filters: RequirementFilter, transitions: list[Any]
) -> dict[str, Any]:
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
    entered: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    left: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for index, from_state, to_state, count in transitions:
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


def _requirement_counts(session: Session, created: Any) -> list[Any]:
    """(assignee_id, team_id, requirements, resolved, ever resolved, ever reopened) of the
    requirements in `created`; the per-agent and per-team tables each sum the other key's
    groups, the reopen rate all of them (a few dozen rows)."""
    pair = (Requirement.assignee_id, Requirement.team_id)
    return session.execute(
        select(
            *pair,
            func.count(),
            func.sum(case((Requirement.resolved_at.is_not(None), 1), else_=0)),
            func.sum(case((Requirement.was_resolved, 1), else_=0)),
            func.sum(case((Requirement.was_reopened, 1), else_=0)),
        )
        .where(created)
        .group_by(*pair)
    ).all()


def _rolled_up(
    session: Session, requirements: list, clocks: list, side: int, entity: type
) -> dict[str, Any]:
    totals: dict[Any, list[int]] = defaultdict(lambda: [0] * 6)
    for row in requirements:
        sums = totals[row[side]]
        sums[0] += row[2]
        sums[1] += int(row[3] or 0)
    for assignee_id, team_id, metric, _, outcome, count, met, seconds in clocks:
        sums = totals[(assignee_id, team_id)[side]]
        if outcome == "met":
            sums[2] += count
        elif outcome == "breached":
            sums[3] += count
        if metric == Metric.FIRST_RESPONSE:
            # The mean first response counts every met clock, in time or late.
            sums[4] += int(seconds or 0)
            sums[5] += int(met or 0)
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
