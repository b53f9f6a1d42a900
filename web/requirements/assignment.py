"""Changing a requirement's assignee, team and priority, and "assign to me": through
`workflows.tracking.requirements.update_requirement` (permission, optimistic locking, SLA
re-plan on a new priority, an audit entry the requirement's timeline shows). Flushes, never
commits."""

from typing import Any

from sqlalchemy.orm import Session

from models import Requirement, User
from workflows.platform import audit
from workflows.platform.clock import Clock
from workflows.tracking import requirements

FIELDS = ("assignee_id", "team_id", "priority")


def change_assignment(
    session: Session,
    requirement: Requirement,
    *,
    assignee_id: int | None,
    team_id: int | None,
    priority: str,
    expected_version: int | None,
    actor: User,
    clock: Clock,
) -> dict[str, list[Any]]:
    """Apply the three fields; returns {field: [before, after]} of what changed. Raises
    NotPermitted, StaleEdit (`expected_version` is behind; None: no check) or ValidationFailed."""
    before = {f: getattr(requirement, f) for f in FIELDS}
    changed = requirements.update_requirement(
        session,
        requirement,
        {"assignee_id": assignee_id, "team_id": team_id, "priority": priority},
        expected_version=requirement.version if expected_version is None else expected_version,
        actor=actor,
        clock=clock,
    )
    return audit.diff(
        {f: before[f] for f in changed}, {f: getattr(requirement, f) for f in changed}
    )


def assign_to(
    session: Session, requirement: Requirement, assignee: User, *, actor: User, clock: Clock
) -> bool:
    """Make `assignee` the assignee and, where the workflow has an "assign" step from here
    (support: new → open), take it. False when nothing needed doing."""
    changed = False
    if requirement.assignee_id != assignee.id:
        change_assignment(
            session,
            requirement,
            assignee_id=assignee.id,
            team_id=requirement.team_id,
            priority=requirement.priority.value,
            expected_version=None,
            actor=actor,
            clock=clock,
        )
        changed = True
    if "assign" in requirements.allowed_triggers(session, requirement, actor):
        requirements.fire(session, requirement, "assign", actor=actor, clock=clock)
        changed = True
    return changed
