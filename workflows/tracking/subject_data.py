"""The tracking domain's part of a data-subject export and erasure: requirements and their
events. Erasing keeps states, priorities, times and SLA clocks (the SLA statistics) and removes
titles, descriptions, notes and free-form extras."""

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import AuditEntry, Requirement, RequirementEvent
from workflows.customers.subject_data import row_dict
from workflows.platform.clock import Clock
from workflows.platform.subject_data import ERASED, Section, Subject, register

REQUIREMENT_FIELDS = (
    "id",
    "customer_id",
    "title",
    "description",
    "category",
    "priority",
    "origin_channel",
    "assignee_id",
    "team_id",
    "tags",
    "workflow",
    "state",
    "resolution_note",
    "extra",
    "created_at",
    "updated_at",
    "resolved_at",
    "sla_due_at",
)
EVENT_FIELDS = ("id", "at", "actor_id", "timer_id", "trigger", "from_state", "to_state", "note")


def export_requirements(session: Session, subject: Subject) -> list[dict[str, Any]]:
    """The requirements (with their events) that the export's reader may read: all, by default."""
    query = select(Requirement).where(Requirement.customer_id.in_(subject.customer_ids))
    if subject.requirements_readable is not None:
        query = query.where(subject.requirements_readable)
    rows = session.scalars(query.order_by(Requirement.id))
    return [
        {
            **row_dict(r, REQUIREMENT_FIELDS),
            "events": [row_dict(e, EVENT_FIELDS) for e in r.events],
        }
        for r in rows
    ]


def erase_requirements(session: Session, subject: Subject, clock: Clock) -> dict[str, int]:
    requirement_ids = select(Requirement.id).where(
        Requirement.customer_id.in_(subject.customer_ids)
    )
    events = session.execute(
        update(RequirementEvent)
        .where(
            RequirementEvent.requirement_id.in_(requirement_ids),
            RequirementEvent.note.is_not(None),
        )
        .values(note=None)
        .execution_options(synchronize_session=False)
    )
    audit = session.execute(
        update(AuditEntry)
        .where(AuditEntry.entity_type == "requirement", AuditEntry.entity_id.in_(requirement_ids))
        .values(changes={"erased": True}, note=None)
        .execution_options(synchronize_session=False)
    )
    requirements = session.execute(
        update(Requirement)
        .where(Requirement.customer_id.in_(subject.customer_ids))
        .values(
            title=ERASED,
            description=None,
            resolution_note=None,
            extra={},
            updated_at=clock.now(),
            version=Requirement.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return {
        "requirements": requirements.rowcount,
        "requirement_events": events.rowcount,
        "audit_log": audit.rowcount,
    }


register(Section("requirements", export_requirements, erase_requirements, position=50))
