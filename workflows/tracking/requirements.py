"""The single entry point that moves requirements: web, API and workers all call `fire`.

Within the caller's transaction it checks who may act, checks the guard, changes the state,
bumps `state_seq`, appends an event, cancels the old state's timers and plans the new state's.
It flushes and never commits (DESIGN.md §3)."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session

from models import (
    Communication,
    Direction,
    Priority,
    Requirement,
    RequirementEvent,
    Role,
    SlaPolicyVersion,
    Team,
    TeamMembership,
    Timer,
    TimerStatus,
    User,
)
from workflows.platform import audit
from workflows.platform.clock import Clock
from workflows.platform.errors import DomainError, StaleEdit, ValidationFailed
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_, LazyText
from workflows.platform.publishing import wake_clock_after_commit
from workflows.tracking import categories, notifications, opportunities, search_index, sla
from workflows.tracking import clock_words as words
from workflows.tracking.clock_words import say
from workflows.tracking.declaration import Workflow
from workflows.tracking.sales_workflow import SALES
from workflows.tracking.support_workflow import SUPPORT
from workflows.tracking.task_workflow import TASK

WORKFLOWS: dict[str, Workflow] = {w.key: w for w in (SUPPORT, SALES, TASK)}
# A done state of any workflow: what `Requirement.was_resolved` records reaching (the support
# report's reopen rate counts requirements that did, as it counted their events before).
DONE_STATES = frozenset(state for w in WORKFLOWS.values() for state in w.done_states)
ASSIGN = "assign"  # the trigger a requirement opened with an assignee passes at once


class TransitionRefused(DomainError):
    """The trigger is not allowed now; names the triggers that are."""

    def __init__(self, state: str, trigger: str, allowed: list[str], reasons: list[str]) -> None:
        why = (
            Message.joined(" ", reasons)
            if reasons
            else Message(
                N_("“%(trigger)s” is not possible from “%(state)s”."), trigger=trigger, state=state
            )
        )
        super().__init__(
            Message(
                N_("%(why)s Allowed now: %(allowed)s."),
                why=why,
                allowed=", ".join(allowed) or Message(N_("nothing")),
            )
        )
        self.state = state
        self.trigger = trigger
        self.allowed = allowed
        self.reasons = reasons


class NotPermitted(DomainError):
    """Only the assignee, a supervisor of the requirement's team or an admin may act."""


def workflow_of(requirement: Requirement) -> Workflow:
    return WORKFLOWS[requirement.workflow]


def memberships_of(session: Session, user: User) -> dict[int, bool]:
    """The user's teams: team id -> whether they supervise it. One query, for callers that
    ask `may_act` about many requirements (a page of a queue or of the API)."""
    return dict(
        session.execute(
            select(TeamMembership.team_id, TeamMembership.is_supervisor).where(
                TeamMembership.user_id == user.id
            )
        ).all()
    )


def may_act(
    session: Session,
    user: User,
    requirement: Requirement,
    memberships: Mapping[int, bool] | None = None,
) -> bool:
    """Admins; the assignee; supervisors of its team; anyone in its team (or any agent, if it has
    no team) while nobody is assigned, so work can be picked up. `memberships` (from
    `memberships_of`) saves a query per requirement."""
    if not user.is_active:
        return False
    if user.has_role(Role.ADMIN) or requirement.assignee_id == user.id:
        return True
    in_team = False
    if requirement.team_id is not None:
        if memberships is None:
            memberships = {
                m.team_id: m.is_supervisor
                for m in session.scalars(
                    select(TeamMembership).where(
                        TeamMembership.team_id == requirement.team_id,
                        TeamMembership.user_id == user.id,
                    )
                )
            }
        in_team = requirement.team_id in memberships
        if memberships.get(requirement.team_id):
            return True
    if requirement.assignee_id is None:
        return requirement.team_id is None or in_team
    return False


def allowed_triggers(
    session: Session,
    requirement: Requirement,
    user: User | None,
    memberships: Mapping[int, bool] | None = None,
) -> list[str]:
    """What the UI offers this user now (timer-only triggers are never offered)."""
    if user is not None and not may_act(session, user, requirement, memberships):
        return []
    definition = workflow_of(requirement)
    return [
        t
        for t in definition.triggers_from(requirement.state)
        if user is None or may_fire(user, definition, t)
    ]


def may_fire(user: User, definition: Workflow, trigger: str) -> bool:
    """A trigger the workflow keeps for a role (reopening a cancelled requirement: supervisors)."""
    role = definition.trigger_roles.get(trigger)
    return role is None or user.has_role(Role(role))


def open_requirement(
    session: Session,
    *,
    customer_id: int,
    title: str,
    clock: Clock,
    actor: User | None,
    workflow: str = "support",
    priority: Priority | str = Priority.NORMAL,
    assignee_id: int | None = None,
    team_id: int | None = None,
    description: str | None = None,
    category: str | None = None,
    origin_channel: str | None = None,
    assign_now: bool = False,
    check_category: bool = False,
    amount: Any = None,
    currency: Any = None,
    expected_close_on: Any = None,
) -> Requirement:
    """Open a requirement in its workflow's first state; with `assign_now` and an assignee it
    also passes `assign` (the form and the API do: a person who names an assignee means it).
    With `check_category` the category must be on the admin's list (`categories`). A sales
    opportunity may carry an amount, currency and expected close date (`opportunities`).
    Flushes, never commits."""
    errors: dict[str, list[str]] = {}
    money, money_errors = opportunities.clean(
        {"amount": amount, "currency": currency, "expected_close_on": expected_close_on},
        workflow=workflow,
    )
    errors.update(money_errors)
    if check_category:
        errors.update(categories.problems(session, category))
    title = " ".join((title or "").split())  # one line: it becomes email subjects
    if not title:
        errors["title"] = [Message(N_("Give the requirement a title."))]
    if workflow not in WORKFLOWS:
        errors["workflow"] = [
            Message(N_("Choose one of: %(choices)s."), choices=", ".join(WORKFLOWS))
        ]
    try:
        priority = Priority(priority)
    except ValueError:
        errors["priority"] = [
            Message(N_("Choose one of: %(choices)s."), choices=", ".join(p.value for p in Priority))
        ]
    if team_id is not None and session.get(Team, team_id) is None:
        errors["team_id"] = [Message(N_("No such team."))]
    if assignee_id is not None:
        assignee = session.get(User, assignee_id)
        if assignee is None or not assignee.is_active:
            errors["assignee_id"] = [
                Message(N_("No such active user."))
            ]  # as `update_requirement` says
    if errors:
        raise ValidationFailed(errors)
    now = clock.now()
    definition = WORKFLOWS[workflow]
    requirement = Requirement(
        customer_id=customer_id,
        title=title[:300],
        description=description,
        category=category,
        priority=priority,
        origin_channel=origin_channel,
        assignee_id=assignee_id,
        team_id=team_id,
        tags=[],
        workflow=workflow,
        state=definition.initial,
        state_seq=0,
        extra={},
        created_at=now,
        updated_at=now,
        **money,
    )
    session.add(requirement)
    session.flush()
    _record(session, requirement, "open", None, actor, None, now, None)
    _plan_timers(session, requirement, definition, now)
    sla.start(session, requirement, definition, clock=clock)
    search_index.refresh(session, requirement, clock=clock)
    notifications.on_reassignment(session, requirement, before_id=None, actor=actor, clock=clock)
    if (
        assign_now
        and assignee_id is not None
        and ASSIGN in definition.triggers_from(requirement.state)
    ):
        # Opened with an assignee: already assigned, in this transaction (no extra "Assign"
        # step). Whoever may open a requirement may give it to someone, so `may_act` (which
        # asks about the requirement as it will be) is not asked here.
        allowed = definition.triggers_from(requirement.state)
        _transition(session, requirement, definition, ASSIGN, allowed, actor, clock)
    session.flush()
    return requirement


def fire(
    session: Session,
    requirement: Requirement,
    trigger: str,
    *,
    actor: User | None,
    clock: Clock,
    note: str | None = None,
    timer_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Apply `trigger` or raise TransitionRefused / NotPermitted. `actor` None means a timer."""
    definition = workflow_of(requirement)
    if trigger not in definition.machine.events:
        # A typo is bad input (422), unlike a real trigger refused in this state (409).
        raise ValidationFailed.field(
            "trigger",
            Message(
                N_("“%(trigger)s” is not a trigger of this workflow. Its triggers: %(triggers)s."),
                trigger=trigger,
                triggers=", ".join(definition.triggers),
            ),
        )
    allowed = definition.triggers_from(requirement.state, include_timer_triggers=actor is None)
    if actor is not None and not may_act(session, actor, requirement):
        raise NotPermitted(
            Message(
                N_("Only the assignee, a supervisor of the requirement's team or an admin may act.")
            )
        )
    if trigger not in allowed:
        raise TransitionRefused(requirement.state, trigger, allowed, [])
    if actor is not None and not may_fire(actor, definition, trigger):
        raise NotPermitted(
            Message(
                N_("Only a %(role)s may do this."),
                role=LazyText(str(definition.trigger_roles[trigger])),
            )
        )
    _transition(
        session, requirement, definition, trigger, allowed, actor, clock, note, timer_id, data
    )


def _transition(
    session: Session,
    requirement: Requirement,
    definition: Workflow,
    trigger: str,
    allowed: list[str],
    actor: User | None,
    clock: Clock,
    note: str | None = None,
    timer_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """The transition itself, once whoever calls has checked who may fire it."""
    before = requirement.state
    kwargs: dict[str, Any] = {"clock": clock, "note": note, "data": data or {}, "refusals": []}
    if not definition.machine.events[trigger].trigger(requirement, **kwargs):
        raise TransitionRefused(requirement.state, trigger, allowed, kwargs["refusals"])
    now = clock.now()
    requirement.state_seq += 1
    requirement.updated_at = now
    if requirement.state == "resolved":
        requirement.resolved_at = now
    _record(session, requirement, trigger, before, actor, timer_id, now, note)
    _cancel_timers(session, requirement)
    _plan_timers(session, requirement, definition, now)
    sla.on_transition(
        session,
        requirement,
        definition,
        before=before,
        trigger=trigger,
        by_agent=actor is not None,
        clock=clock,
    )
    session.flush()


def after_communication(session: Session, communication: Communication, *, clock: Clock) -> None:
    """A communication logged on a requirement moves its clocks: a customer's inbound message
    fires `customer_replied` while waiting on them and starts a next-response clock; an
    outbound one answers (first or next response met)."""
    if communication.requirement_id is None:
        return
    requirement = session.get(Requirement, communication.requirement_id)
    if requirement is None:
        return
    search_index.refresh(session, requirement, clock=clock)
    definition = workflow_of(requirement)
    channel, number = str(communication.channel), communication.id
    if communication.direction == Direction.INBOUND:
        if "customer_replied" in definition.triggers_from(requirement.state):
            fire(
                session,
                requirement,
                "customer_replied",
                actor=None,
                clock=clock,
                note=say(words.CUSTOMER_REPLIED_ON, channel=channel, id=number),
            )
        sla.on_customer_message(
            session,
            requirement,
            definition,
            clock=clock,
            why=say(words.CUSTOMER_WROTE, channel=channel, id=number),
        )
        if requirement.assignee_id is not None:
            assignee = session.get(User, requirement.assignee_id)
            notifications.notify(session, "customer_replied", [assignee], requirement, clock=clock)
    elif communication.direction == Direction.OUTBOUND:
        sla.on_agent_response(
            session,
            requirement,
            definition,
            clock=clock,
            why=say(words.ANSWERED, channel=channel, id=number),
        )


EDITABLE = (
    "title",
    "description",
    "category",
    "priority",
    "assignee_id",
    "team_id",
    "tags",
    *opportunities.FIELDS,
)


def update_requirement(
    session: Session,
    requirement: Requirement,
    data: dict[str, Any],
    *,
    expected_version: int,
    actor: User,
    clock: Clock,
    check_category: bool = False,
) -> list[str]:
    """Edit fields (not the state: that is `fire`); returns the changed field names, each
    recorded in the audit log. A new priority re-plans the SLA clocks with its targets. The
    opportunity fields (amount, currency, expected close date) belong to sales requirements."""
    if requirement.version != expected_version:
        raise StaleEdit(expected_version, requirement.version)
    if not may_act(session, actor, requirement):
        raise NotPermitted(
            Message(
                N_(
                    "Only the assignee, a supervisor of the requirement's team or an admin "
                    "may edit."
                )
            )
        )
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for key in EDITABLE:
        if key in data:
            values[key] = data[key]
    if check_category and "category" in values:
        errors.update(
            categories.problems(session, values["category"], current=requirement.category)
        )
    if "title" in values:
        values["title"] = " ".join((values["title"] or "").split())[:300]
        if not values["title"]:
            errors["title"] = [Message(N_("Give the requirement a title."))]
    if "priority" in values:
        try:
            values["priority"] = Priority(values["priority"])
        except ValueError:
            errors["priority"] = [
                Message(
                    N_("Choose one of: %(choices)s."), choices=", ".join(p.value for p in Priority)
                )
            ]
    if values.get("team_id") is not None and session.get(Team, values["team_id"]) is None:
        errors["team_id"] = [Message(N_("No such team."))]
    if values.get("assignee_id") is not None:
        assignee = session.get(User, values["assignee_id"])
        if assignee is None or not assignee.is_active:
            errors["assignee_id"] = [Message(N_("No such active user."))]
    money, money_errors = opportunities.clean(
        values, workflow=requirement.workflow, current=requirement
    )
    values.update(money)
    errors.update(money_errors)
    if "tags" in values:
        tags = values["tags"]
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            errors["tags"] = [Message(N_("A list of words."))]
        else:
            values["tags"] = sorted({t.strip() for t in tags if t.strip()})
    if errors:
        raise ValidationFailed(errors)
    changed = [k for k, v in values.items() if getattr(requirement, k) != v]
    before = {k: getattr(requirement, k) for k in changed}
    for key in changed:
        setattr(requirement, key, values[key])
    if changed:
        requirement.updated_at = clock.now()
        session.flush()
        audit.record(
            session,
            action="update",
            entity_type="requirement",
            entity_id=requirement.id,
            actor_id=actor.id,
            clock=clock,
            changes=audit.diff(before, {k: getattr(requirement, k) for k in changed}),
        )
    if "assignee_id" in changed:
        notifications.on_reassignment(
            session, requirement, before_id=before["assignee_id"], actor=actor, clock=clock
        )
    if "priority" in changed and requirement.sla_policy_version_id is not None:
        version = session.get(SlaPolicyVersion, requirement.sla_policy_version_id)
        why = say(words.PRIORITY_CHANGED, priority=requirement.priority)
        sla.replan_under(session, requirement, version, clock=clock, apply=True, why=why)
    if "title" in changed or "description" in changed:
        search_index.refresh(session, requirement, clock=clock)
    session.flush()
    return changed


def _record(
    session: Session,
    requirement: Requirement,
    trigger: str,
    before: str | None,
    actor: User | None,
    timer_id: int | None,
    now: datetime,
    note: str | None,
) -> None:
    # The history facts the reports read, in the same transaction as the event that makes
    # them true (a transition into a done state; a reopen), so they are never stale.
    if requirement.state in DONE_STATES and before != requirement.state:
        requirement.was_resolved = True
    if trigger == "reopen":
        requirement.was_reopened = True
    session.add(
        RequirementEvent(
            requirement_id=requirement.id,
            at=now,
            actor_id=actor.id if actor else None,
            timer_id=timer_id,
            trigger=trigger,
            from_state=before,
            to_state=requirement.state,
            note=note,
        )
    )


def refresh_history_flags(session: Session, requirement_ids: Any = None) -> None:
    """Set `was_resolved` / `was_reopened` from the stored events (of `requirement_ids`, a
    select or list, or of every requirement): for bulk inserts that bypass `_record` (the
    benchmark seeds). The migration that added the columns runs the same statement."""
    done = RequirementEvent.to_state.in_(sorted(DONE_STATES)) & or_(
        RequirementEvent.from_state.is_(None),
        RequirementEvent.from_state != RequirementEvent.to_state,
    )
    mine = RequirementEvent.requirement_id == Requirement.id
    query = update(Requirement).values(
        was_resolved=exists().where(mine, done),
        was_reopened=exists().where(mine, RequirementEvent.trigger == "reopen"),
    )
    if requirement_ids is not None:
        query = query.where(Requirement.id.in_(requirement_ids))
    session.execute(query.execution_options(synchronize_session=False))


def _cancel_timers(session: Session, requirement: Requirement) -> None:
    """Pending timers of earlier states will never apply; a claimed one turns stale on firing."""
    session.execute(
        update(Timer)
        .where(
            Timer.requirement_id == requirement.id,
            Timer.status == TimerStatus.PENDING,
            Timer.state_seq < requirement.state_seq,
            Timer.generation == 0,  # SLA and follow-up timers follow their clocks, not states
        )
        .values(status=TimerStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )


def _plan_timers(
    session: Session, requirement: Requirement, definition: Workflow, now: datetime
) -> None:
    specs = definition.timers.get(requirement.state, ())
    if specs:
        wake_clock_after_commit(session)
    for spec in specs:
        session.add(
            Timer(
                requirement_id=requirement.id,
                kind=spec.kind,
                trigger=spec.trigger,
                expected_state=requirement.state,
                state_seq=requirement.state_seq,
                due_at=now + spec.after,
                status=TimerStatus.PENDING,
                attempts=0,
            )
        )
