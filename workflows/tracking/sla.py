"""SLA clocks on requirements: start, pause, resume, meet, breach and escalate.

Each metric's clock counts business time in its policy's calendar. Its warning, breach and
ladder rungs are timer rows planned under the clock's `plan_seq` (DESIGN.md §5); every re-plan
cancels the pending ones, and a timer of an older plan is stale when it fires. The functions
here flush and never commit; `workflows.tracking.requirements` calls them inside its unit of work.

Near 600 lines on purpose: a clock's life (start, pause, resume, meet, fire, acknowledge,
re-plan) is one state machine sharing its private planning helpers (`_plan`, `_cancel_timers`,
`_event`); split across files, each step would reach into the others' internals.
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models import (
    Metric,
    Priority,
    Requirement,
    RequirementEvent,
    SlaClock,
    SlaPolicyVersion,
    SlaStatus,
    Timer,
    TimerStatus,
)
from workflows.platform.clock import Clock
from workflows.platform.publishing import wake_clock_after_commit
from workflows.tracking import breach_causes, calendars, notifications, sla_notices, sla_policies
from workflows.tracking import clock_words as words
from workflows.tracking.business_time import add_business_time, business_time_between
from workflows.tracking.clock_words import say
from workflows.tracking.declaration import Workflow

OPEN = (SlaStatus.RUNNING, SlaStatus.PAUSED, SlaStatus.BREACHED)
COUNTING = (SlaStatus.RUNNING, SlaStatus.BREACHED)
FOLLOW_UP = "follow_up"
PRIORITY_ORDER = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]
METRIC_LABELS = {
    Metric.FIRST_RESPONSE: "first response",
    Metric.NEXT_RESPONSE: "next response",
    Metric.RESOLUTION: "resolution",
}


def label(metric: Metric | str) -> str:
    return METRIC_LABELS[Metric(metric)]


# ---- starting and re-planning ------------------------------------------------------------


def start(
    session: Session, requirement: Requirement, definition: Workflow, *, clock: Clock
) -> None:
    """Match a policy and start the first-response and resolution clocks (on open)."""
    version = sla_policies.match(session, requirement)
    if version is None:
        return
    requirement.sla_policy_version_id = version.id
    now = clock.now()
    targets = sla_policies.targets_for(version, requirement.priority)
    for metric in (Metric.FIRST_RESPONSE, Metric.RESOLUTION):
        if metric in targets:
            _start_clock(session, requirement, definition, version, metric, now, say(words.OPENED))
    plan_follow_up(session, requirement, definition, now)
    refresh_due(session, requirement)


def _start_clock(
    session: Session,
    requirement: Requirement,
    definition: Workflow,
    version: SlaPolicyVersion,
    metric: Metric,
    now: datetime,
    why: str,
) -> SlaClock | None:
    target = sla_policies.targets_for(version, requirement.priority).get(metric)
    if not target:
        return None
    cycle = 1 + (
        session.scalar(
            select(func.max(SlaClock.cycle)).where(
                SlaClock.requirement_id == requirement.id, SlaClock.metric == metric
            )
        )
        or 0
    )
    sla = SlaClock(
        requirement_id=requirement.id,
        policy_version_id=version.id,
        metric=metric,
        cycle=cycle,
        status=SlaStatus.RUNNING,
        target_seconds=target,
        used_seconds=0,
        started_at=now,
        running_since=now,
        rung=0,
        acknowledged_rung=0,
        plan_seq=0,
        history=[],
    )
    session.add(sla)
    session.flush()
    _note(sla, now, words.STARTED, say(words.TARGET, why=why, target=_duration(target)))
    if requirement.state in pause_states(version, definition, metric):
        why = say(words.STATE_PAUSES, state=requirement.state)
        _pause(session, requirement, sla, version, now, why)
    else:
        _plan(session, requirement, sla, version, now)
    return sla


def pause_states(version: SlaPolicyVersion, definition: Workflow, metric: Metric | str) -> tuple:
    configured = version.pause_states or {}
    if str(metric) in configured:
        return tuple(configured[str(metric)])
    return definition.sla_pause_states.get(str(metric), ())


def _plan(
    session: Session,
    requirement: Requirement,
    sla: SlaClock,
    version: SlaPolicyVersion,
    now: datetime,
) -> None:
    """Cancel this clock's pending timers and plan warning, breach and ladder rungs anew."""
    _cancel_timers(session, sla)
    requirement.timer_seq += 1
    sla.plan_seq = requirement.timer_seq
    if sla.status not in COUNTING or sla.running_since is None:
        sla.due_at = None
        return
    business = calendars.business_calendar(version.calendar)
    since = sla.running_since
    used = timedelta(seconds=sla.used_seconds)
    target = timedelta(seconds=sla.target_seconds)

    def after(amount: timedelta) -> datetime:
        return add_business_time(business, since, max(amount - used, timedelta(0)))

    if sla.breached_at is None:
        sla.due_at = after(target)
    elif sla.due_at is None:  # resumed after a pause once breached
        sla.due_at = sla.breached_at
    steps: list[tuple[str, datetime]] = []
    if version.warning_percent < 100:
        sla.warning_at = after(target * version.warning_percent / 100)
        if sla.warned_at is None and sla.breached_at is None:
            steps.append(("warning", sla.warning_at))
    if sla.breached_at is None:
        steps.append(("breach", sla.due_at))
    if sla.acknowledged_rung == 0:  # an acknowledged rung stops the ladder until a restart
        for number, rung in enumerate(version.ladder or [], start=1):
            if number > sla.rung:
                steps.append(
                    (f"rung_{number}", _rung_due(rung, business, sla.due_at, after, target))
                )
    for step, due_at in steps:
        session.add(
            Timer(
                requirement_id=requirement.id,
                kind=f"{sla.metric}:{step}",
                trigger=None,
                expected_state=requirement.state,
                state_seq=requirement.state_seq,
                generation=sla.plan_seq,
                sla_clock_id=sla.id,
                due_at=due_at,
                status=TimerStatus.PENDING,
                attempts=0,
            )
        )
    if steps:
        wake_clock_after_commit(session)
    session.flush()


def _rung_due(
    rung: dict[str, Any], business: Any, due_at: datetime, after: Any, target: timedelta
) -> datetime:
    if rung["at"] == "percent":
        return after(target * rung["value"] / 100)
    if rung["at"] == "after_breach":
        return add_business_time(business, due_at, timedelta(seconds=rung["seconds"]))
    return due_at


def _cancel_timers(session: Session, sla: SlaClock) -> None:
    if sla.id is None:
        return
    session.execute(
        update(Timer)
        .where(Timer.sla_clock_id == sla.id, Timer.status == TimerStatus.PENDING)
        .values(status=TimerStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )


def _pause(
    session: Session,
    requirement: Requirement,
    sla: SlaClock,
    version: SlaPolicyVersion,
    now: datetime,
    why: str,
) -> None:
    if sla.running_since is not None:
        business = calendars.business_calendar(version.calendar)
        sla.used_seconds += round(
            business_time_between(business, sla.running_since, now).total_seconds()
        )
    sla.running_since = None
    sla.status = SlaStatus.PAUSED
    _note(sla, now, words.PAUSED, why)
    _plan(session, requirement, sla, version, now)


def _resume(
    session: Session,
    requirement: Requirement,
    sla: SlaClock,
    version: SlaPolicyVersion,
    now: datetime,
    why: str,
) -> None:
    sla.running_since = now
    sla.status = SlaStatus.BREACHED if sla.breached_at else SlaStatus.RUNNING
    _note(sla, now, words.RESUMED, why)
    _plan(session, requirement, sla, version, now)


def _finish(session: Session, sla: SlaClock, status: SlaStatus, now: datetime, why: str) -> None:
    late = status == SlaStatus.MET and sla.breached_at is not None
    elapsed = sla.used_seconds
    if sla.running_since is not None:
        version = session.get(SlaPolicyVersion, sla.policy_version_id)
        business = calendars.business_calendar(version.calendar)
        elapsed += round(business_time_between(business, sla.running_since, now).total_seconds())
    sla.elapsed_seconds = elapsed  # stored once: reports aggregate this column
    sla.status = status
    if status == SlaStatus.MET:
        sla.met_at = now
    sla.running_since = None
    _note(sla, now, words.MET_LATE if late else str(status), why)
    _cancel_timers(session, sla)


def open_clocks(session: Session, requirement: Requirement) -> list[SlaClock]:
    return list(
        session.scalars(
            select(SlaClock)
            .where(SlaClock.requirement_id == requirement.id, SlaClock.status.in_(OPEN))
            .order_by(SlaClock.id)
        )
    )


def refresh_due(session: Session, requirement: Requirement) -> None:
    """The nearest due time of a counting clock: what the queues sort by."""
    session.flush()
    requirement.sla_due_at = session.scalar(
        select(func.min(SlaClock.due_at)).where(
            SlaClock.requirement_id == requirement.id, SlaClock.status.in_(COUNTING)
        )
    )


# ---- reacting to transitions and communications ------------------------------------------


def on_transition(
    session: Session,
    requirement: Requirement,
    definition: Workflow,
    *,
    before: str,
    trigger: str,
    by_agent: bool,
    clock: Clock,
) -> None:
    """After a state change: meet, cancel, pause or resume clocks; restart on reopen."""
    now = clock.now()
    state = requirement.state
    why = say(words.TRANSITION, trigger=trigger, before=_spaced(before), after=_spaced(state))
    clocks = open_clocks(session, requirement)
    if state in definition.done_states or state in definition.final_states:
        status = SlaStatus.MET if state in definition.done_states else SlaStatus.CANCELLED
        for sla in clocks:
            _finish(session, sla, status, now, why)
    else:
        for sla in clocks:
            version = session.get(SlaPolicyVersion, sla.policy_version_id)
            paused_here = state in pause_states(version, definition, sla.metric)
            if paused_here and sla.status in COUNTING:
                _pause(session, requirement, sla, version, now, why)
            elif not paused_here and sla.status == SlaStatus.PAUSED:
                _resume(session, requirement, sla, version, now, why)
        version = _version(session, requirement)
        if before in definition.done_states and version is not None:
            _start_clock(session, requirement, definition, version, Metric.RESOLUTION, now, why)
    if by_agent or not definition.is_active(state):
        plan_follow_up(session, requirement, definition, now)
    refresh_due(session, requirement)


def on_customer_message(
    session: Session, requirement: Requirement, definition: Workflow, *, clock: Clock, why: str
) -> None:
    """A customer wrote: start a next-response clock unless one is already open or the first
    response is still owed."""
    version = _version(session, requirement)
    if version is None or not definition.is_active(requirement.state):
        return
    open_metrics = {sla.metric for sla in open_clocks(session, requirement)}
    if Metric.FIRST_RESPONSE in open_metrics or Metric.NEXT_RESPONSE in open_metrics:
        return
    _start_clock(session, requirement, definition, version, Metric.NEXT_RESPONSE, clock.now(), why)
    refresh_due(session, requirement)


def on_agent_response(
    session: Session, requirement: Requirement, definition: Workflow, *, clock: Clock, why: str
) -> None:
    """An agent answered the customer: the first- or next-response clock is met."""
    now = clock.now()
    for sla in open_clocks(session, requirement):
        if sla.metric in (Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE):
            _finish(session, sla, SlaStatus.MET, now, why)
    plan_follow_up(session, requirement, definition, now)
    refresh_due(session, requirement)


def _version(session: Session, requirement: Requirement) -> SlaPolicyVersion | None:
    if requirement.sla_policy_version_id is None:
        return None
    return session.get(SlaPolicyVersion, requirement.sla_policy_version_id)


def plan_follow_up(
    session: Session, requirement: Requirement, definition: Workflow, now: datetime
) -> None:
    """Agent activity (re)starts the follow-up reminder; leaving the active states ends it."""
    session.execute(
        update(Timer)
        .where(
            Timer.requirement_id == requirement.id,
            Timer.kind == FOLLOW_UP,
            Timer.status == TimerStatus.PENDING,
        )
        .values(status=TimerStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    requirement.timer_seq += 1
    requirement.follow_up_seq = requirement.timer_seq
    version = _version(session, requirement)
    if (
        version is None
        or not version.follow_up_seconds
        or not definition.is_active(requirement.state)
    ):
        return
    business = calendars.business_calendar(version.calendar)
    session.add(
        Timer(
            requirement_id=requirement.id,
            kind=FOLLOW_UP,
            trigger=None,
            expected_state=requirement.state,
            state_seq=requirement.state_seq,
            generation=requirement.follow_up_seq,
            due_at=add_business_time(business, now, timedelta(seconds=version.follow_up_seconds)),
            status=TimerStatus.PENDING,
            attempts=0,
        )
    )
    wake_clock_after_commit(session)
    session.flush()


# ---- firing -------------------------------------------------------------------------------


def is_current(
    session: Session, requirement: Requirement, timer: Timer, definition: Workflow
) -> bool:
    """Whether an SLA or follow-up timer still belongs to the clock's current plan."""
    if timer.sla_clock_id is None:
        return timer.generation == requirement.follow_up_seq and definition.is_active(
            requirement.state
        )
    sla = session.get(SlaClock, timer.sla_clock_id)
    return sla is not None and sla.plan_seq == timer.generation and sla.status in COUNTING


def fire(session: Session, requirement: Requirement, timer: Timer, *, clock: Clock) -> None:
    """Apply a current SLA or follow-up timer: record it, act, and write its notices."""
    now = clock.now()
    version = _version(session, requirement)
    if timer.sla_clock_id is None:
        sla_notices.notify(
            session,
            requirement,
            None,
            "follow_up",
            ["assignee"],
            timer=timer,
            version=version,
            clock=clock,
        )
        return
    sla = session.get(SlaClock, timer.sla_clock_id)
    version = session.get(SlaPolicyVersion, sla.policy_version_id)
    step = timer.kind.split(":", 1)[1]
    what = label(sla.metric)
    if step == "warning":
        sla.warned_at = now
        _note(sla, now, words.AT_RISK, say(words.PERCENT_USED, percent=version.warning_percent))
        _event(
            session,
            requirement,
            timer,
            "sla_warning",
            say(words.AT_RISK_DUE, metric=what.capitalize(), due=f"{sla.due_at:%Y-%m-%d %H:%M:%S}"),
            now,
        )
        sla_notices.notify(
            session,
            requirement,
            sla,
            "warning",
            ["assignee"],
            timer=timer,
            version=version,
            clock=clock,
        )
        notifications.on_notice(session, requirement, "warning", ["assignee"], clock=clock)
    elif step == "breach":
        sla.breached_at = now
        sla.status = SlaStatus.BREACHED
        sla.breach_cause = breach_causes.cause_of(
            session, sla, calendars.business_calendar(version.calendar), now
        )
        _note(
            sla, now, words.BREACHED, say(words.TARGET_PASSED, target=_duration(sla.target_seconds))
        )
        _event(
            session,
            requirement,
            timer,
            "sla_breach",
            say(words.TARGET_BREACHED, metric=what.capitalize()),
            now,
        )
        sla_notices.notify(
            session,
            requirement,
            sla,
            "breach",
            ["assignee"],
            timer=timer,
            version=version,
            clock=clock,
        )
        notifications.on_notice(session, requirement, "breach", ["assignee"], clock=clock)
    else:
        number = int(step.removeprefix("rung_"))
        rung = version.ladder[number - 1]
        sla.rung = number
        assignee_before = requirement.assignee_id
        done = _apply_actions(session, requirement, rung["actions"])
        notifications.on_reassignment(  # a "reassign" rung: the new assignee must hear of it
            session, requirement, before_id=assignee_before, actor=None, clock=clock
        )
        metric = what.capitalize()
        note = (
            say(words.ESCALATION_RUNG_DONE, metric=metric, rung=number, actions="; ".join(done))
            if done
            else say(words.ESCALATION_RUNG, metric=metric, rung=number)
        )
        why = "; ".join(done) or say(words.NOTIFIED)
        _note(sla, now, say(words.ESCALATED, rung=number), why)
        _event(session, requirement, timer, "sla_escalation", note, now)
        if "notify" in rung["actions"] or rung["recipients"]:
            sla_notices.notify(
                session,
                requirement,
                sla,
                "escalation",
                rung["recipients"],
                timer=timer,
                version=version,
                clock=clock,
                rung=number,
            )
            notifications.on_notice(
                session, requirement, "escalation", rung["recipients"], clock=clock
            )
    refresh_due(session, requirement)


def _apply_actions(session: Session, requirement: Requirement, actions: list[str]) -> list[str]:
    done = []
    for action in actions:
        kind, _, argument = action.partition(":")
        if kind == "raise_priority":
            index = PRIORITY_ORDER.index(Priority(requirement.priority))
            if index + 1 < len(PRIORITY_ORDER):
                requirement.priority = PRIORITY_ORDER[index + 1]
                done.append(say(words.PRIORITY_RAISED, priority=requirement.priority))
        elif kind == "move_to_team":
            requirement.team_id = int(argument)
            done.append(say(words.MOVED_TO_TEAM, team=argument))
        elif kind == "reassign":
            requirement.assignee_id = int(argument)
            done.append(say(words.REASSIGNED, user=argument))
    return done


def acknowledge_clock(
    session: Session, sla: SlaClock, requirement: Requirement, *, actor_id: int, clock: Clock
) -> None:
    """Stop the clock's next rungs until it restarts (a new cycle starts a fresh ladder)."""
    now = clock.now()
    sla.acknowledged_rung = max(sla.rung, 1)
    sla.acknowledged_at = now
    sla.acknowledged_by_id = actor_id
    _note(sla, now, words.ACKNOWLEDGED, say(words.RUNG_ACKNOWLEDGED, rung=sla.rung))
    session.add(
        RequirementEvent(
            requirement_id=requirement.id,
            at=now,
            actor_id=actor_id,
            trigger="sla_acknowledged",
            from_state=requirement.state,
            to_state=requirement.state,
            note=say(
                words.ESCALATION_ACKNOWLEDGED,
                metric=label(sla.metric).capitalize(),
                rung=sla.rung,
            ),
        )
    )
    version = session.get(SlaPolicyVersion, sla.policy_version_id)
    _plan(session, requirement, sla, version, now)


# ---- applying a new policy version to open requirements ----------------------------------


def replan_under(
    session: Session,
    requirement: Requirement,
    version: SlaPolicyVersion,
    *,
    clock: Clock,
    apply: bool,
    why: str | None = None,
) -> list[float]:
    """Move the requirement's open clocks to `version`; returns how far each due time moves
    (seconds, positive = later). With `apply=False` nothing changes (the dry run)."""
    now = clock.now()
    targets = sla_policies.targets_for(version, requirement.priority)
    business = calendars.business_calendar(version.calendar)
    moves = []
    for sla in open_clocks(session, requirement):
        target = targets.get(str(sla.metric))
        if not target:
            continue
        used = sla.used_seconds
        if sla.running_since is not None:  # time so far counts in the calendar it ran under
            counted_in = session.get(SlaPolicyVersion, sla.policy_version_id).calendar
            elapsed = business_time_between(
                calendars.business_calendar(counted_in), sla.running_since, now
            )
            used += round(elapsed.total_seconds())
        new_due = None
        if sla.status in COUNTING:
            new_due = sla.breached_at or add_business_time(
                business, now, timedelta(seconds=max(target - used, 0))
            )
            if sla.due_at is not None:
                moves.append((new_due - sla.due_at).total_seconds())
        if apply:
            sla.policy_version_id = version.id
            sla.target_seconds = target
            sla.used_seconds = used
            if sla.running_since is not None:
                sla.running_since = now
            why = why or say(words.POLICY_VERSION, version=version.number)
            _note(sla, now, words.REPLANNED, why)
            _plan(session, requirement, sla, version, now)
    if apply:
        requirement.sla_policy_version_id = version.id
        refresh_due(session, requirement)
    return moves


# ---- helpers ------------------------------------------------------------------------------


def _note(sla: SlaClock, now: datetime, what: str, why: str) -> None:
    sla.history = [*(sla.history or []), {"at": now.isoformat(), "what": what, "why": why}]


def _event(
    session: Session, requirement: Requirement, timer: Timer, trigger: str, note: str, now: datetime
) -> None:
    session.add(
        RequirementEvent(
            requirement_id=requirement.id,
            at=now,
            timer_id=timer.id,
            trigger=trigger,
            from_state=requirement.state,
            to_state=requirement.state,
            note=note,
        )
    )


def _spaced(state: str) -> str:
    return state.replace("_", " ")


def _duration(seconds: int) -> str:
    if seconds % 86400 == 0:
        return f"{seconds // 86400} d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"
