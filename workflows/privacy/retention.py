"""Retention policies: delete or anonymise communications (per channel) and closed requirements
once they are older than N months. A policy is previewed (how many records it would touch now)
before it can be enabled; beat runs the enabled ones daily, in chunks."""

import calendar
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.orm import Session

from models import (
    AuditEntry,
    Communication,
    CommunicationChannel,
    Customer,
    Requirement,
    RequirementEvent,
    RetentionPolicy,
)
from workflows.customers import search_index
from workflows.platform.clock import Clock
from workflows.platform.errors import Conflict, ValidationFailed
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_
from workflows.platform.subject_data import ERASED
from workflows.tracking.requirements import WORKFLOWS

TARGETS = ("communications", "requirements")
ACTIONS = ("delete", "anonymise")
CHUNK = 500
MAX_MONTHS = 1200


class NotPreviewed(Conflict):
    """A policy is enabled only after its current settings were previewed."""


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (clamped to the month's end)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def clean(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    target = str(data.get("target") or "")
    if target not in TARGETS:
        errors["target"] = [Message(N_("Choose communications or requirements."))]
    channel = str(data.get("channel") or "")
    if target == "communications" and channel and channel not in set(CommunicationChannel):
        errors["channel"] = [
            Message(
                N_("Choose one of: %(choices)s (or none for all)."),
                choices=", ".join(CommunicationChannel),
            )
        ]
    if target == "requirements" and channel:
        errors["channel"] = [Message(N_("Requirement policies apply to every channel."))]
    try:
        months = int(str(data.get("months", "")).strip())
        if not 1 <= months <= MAX_MONTHS:
            raise ValueError
    except ValueError:
        errors["months"] = [
            Message(N_("Give a whole number of months from 1 to %(limit)s."), limit=MAX_MONTHS)
        ]
        months = 0
    action = str(data.get("action") or "")
    if action not in ACTIONS:
        errors["action"] = [Message(N_("Choose delete or anonymise."))]
    if errors:
        raise ValidationFailed(errors)
    return {"target": target, "channel": channel, "months": months, "action": action}


def save(
    session: Session, data: dict[str, Any], *, clock: Clock, policy: RetentionPolicy | None = None
) -> RetentionPolicy:
    """Create or change a policy. A change of settings disables it until previewed again."""
    values = clean(data)
    taken = session.scalar(
        select(RetentionPolicy).where(
            RetentionPolicy.target == values["target"], RetentionPolicy.channel == values["channel"]
        )
    )
    if taken is not None and taken is not policy:
        raise ValidationFailed.field(
            "channel", Message(N_("A policy for this kind and channel exists."))
        )
    now = clock.now()
    if policy is None:
        policy = RetentionPolicy(created_at=now, is_enabled=False, last_result={}, **values)
        session.add(policy)
    elif any(getattr(policy, k) != v for k, v in values.items()):
        for key, value in values.items():
            setattr(policy, key, value)
        policy.is_enabled = False
    policy.updated_at = now
    session.flush()
    return policy


def _settings(policy: RetentionPolicy) -> list[Any]:
    return [policy.target, policy.channel, policy.months, policy.action]


def _communications(policy: RetentionPolicy, cutoff: datetime) -> ColumnElement[bool]:
    condition = Communication.occurred_at < cutoff
    if policy.channel:
        condition = condition & (Communication.channel == CommunicationChannel(policy.channel))
    if policy.action == "anonymise":  # already anonymised rows are not counted again
        condition = condition & or_(
            Communication.body_text.is_(None) | (Communication.body_text != ERASED),
            Communication.subject.is_not(None),
        )
    return condition


def _closed_states() -> list[str]:
    return sorted({s for w in WORKFLOWS.values() for s in w.final_states})


def _requirements(policy: RetentionPolicy, cutoff: datetime) -> ColumnElement[bool]:
    closed_at = func.coalesce(Requirement.resolved_at, Requirement.updated_at)
    condition = Requirement.state.in_(_closed_states()) & (closed_at < cutoff)
    if policy.action == "anonymise":
        condition = condition & (Requirement.title != ERASED)
    return condition


def preview(session: Session, policy: RetentionPolicy, *, clock: Clock) -> int:
    """How many records the policy would touch now; recorded so the policy may be enabled."""
    cutoff = months_before(clock.now(), policy.months)
    if policy.target == "communications":
        count = session.scalar(
            select(func.count()).select_from(Communication).where(_communications(policy, cutoff))
        )
    else:
        count = session.scalar(
            select(func.count()).select_from(Requirement).where(_requirements(policy, cutoff))
        )
    policy.last_result = {
        **(policy.last_result or {}),
        "preview": int(count or 0),
        "previewed_at": clock.now().isoformat(),
        "previewed_settings": _settings(policy),
        "cutoff": cutoff.isoformat(),
    }
    session.flush()
    return int(count or 0)


def enable(session: Session, policy: RetentionPolicy, enabled: bool) -> None:
    if enabled and (policy.last_result or {}).get("previewed_settings") != _settings(policy):
        raise NotPreviewed(
            Message(N_("Preview this policy (see how many records it touches) first."))
        )
    policy.is_enabled = enabled
    session.flush()


def run_chunk(session: Session, policy: RetentionPolicy, *, clock: Clock) -> int:
    """Apply the policy to up to CHUNK records; returns how many (0: nothing left)."""
    cutoff = months_before(clock.now(), policy.months)
    if policy.target == "communications":
        ids = list(
            session.scalars(
                select(Communication.id).where(_communications(policy, cutoff)).limit(CHUNK)
            )
        )
        if not ids:
            return 0
        customer_ids = set(
            session.scalars(select(Communication.customer_id).where(Communication.id.in_(ids)))
        )
        _forget_audit_values(session, "communication", ids)
        if policy.action == "delete":
            session.execute(delete(Communication).where(Communication.id.in_(ids)))
        else:
            session.execute(
                update(Communication)
                .where(Communication.id.in_(ids))
                .values(subject=None, body_html=None, body_text=ERASED, participants=[])
                .execution_options(synchronize_session=False)
            )
        # Search documents hold communication text: rebuild them without it.
        for customer in session.scalars(select(Customer).where(Customer.id.in_(customer_ids))):
            search_index.refresh(session, customer, clock=clock)
        return len(ids)
    ids = list(
        session.scalars(select(Requirement.id).where(_requirements(policy, cutoff)).limit(CHUNK))
    )
    if not ids:
        return 0
    _forget_audit_values(session, "requirement", ids)
    if policy.action == "delete":
        # Requirements merged into these keep their own history; the link goes.
        session.execute(
            update(Requirement)
            .where(Requirement.merged_into_id.in_(ids))
            .values(merged_into_id=None)
            .execution_options(synchronize_session=False)
        )
        session.execute(delete(RequirementEvent).where(RequirementEvent.requirement_id.in_(ids)))
        session.execute(delete(Requirement).where(Requirement.id.in_(ids)))
    else:
        session.execute(
            update(RequirementEvent)
            .where(RequirementEvent.requirement_id.in_(ids))
            .values(note=None)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(Requirement)
            .where(Requirement.id.in_(ids))
            .values(title=ERASED, description=None, resolution_note=None, extra={})
            .execution_options(synchronize_session=False)
        )
    return len(ids)


def _forget_audit_values(session: Session, entity_type: str, ids: list[int]) -> None:
    """Audit entries keep who did what when; the values (the old text) go with the records."""
    session.execute(
        update(AuditEntry)
        .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id.in_(ids))
        .values(changes={"retention": True}, note=None)
        .execution_options(synchronize_session=False)
    )


def finish(session: Session, policy: RetentionPolicy, touched: int, *, clock: Clock) -> None:
    policy.last_run_at = clock.now()
    policy.last_result = {**(policy.last_result or {}), "last_run_touched": touched}
    session.flush()


def enabled_policies(session: Session) -> list[RetentionPolicy]:
    return list(
        session.scalars(
            select(RetentionPolicy)
            .where(RetentionPolicy.is_enabled.is_(True))
            .order_by(RetentionPolicy.id)
        )
    )
