"""Strategies as records: create, edit (a new version once active), move through the lifecycle
(activate, pause, resume, archive) with what each move does to due steps and enrolments."""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models import (
    DueStep,
    DueStepStatus,
    Enrolment,
    EnrolmentEvent,
    EnrolmentStatus,
    Strategy,
    StrategyStatus,
    StrategyVersion,
    User,
)
from workflows.outreach import definitions, lifecycle, stops
from workflows.platform.clock import Clock
from workflows.platform.errors import Conflict, ValidationFailed
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_
from workflows.platform.publishing import publish_after_commit, wake_clock_after_commit

ENROL_TASK = "outreach.enrol"


def _name(raw: Any) -> str:
    name = str(raw or "").strip()
    if not name:
        raise ValidationFailed.field("name", Message(N_("This field is required.")))
    if len(name) > 120:
        raise ValidationFailed.field(
            "name", Message(N_("Use at most %(limit)s characters."), limit=120)
        )
    return name


def _check_all(
    session: Session, data: dict[str, Any], *, name_required: bool
) -> tuple[str | None, dict[str, Any] | None, int | None]:
    """Validate name, owner and definition together, so one answer names every bad field."""
    errors: dict[str, list[str]] = {}
    name = None
    if name_required or "name" in data:
        try:
            name = _name(data.get("name"))
        except ValidationFailed as exc:
            errors.update(exc.errors)
    owner_id = data.get("owner_id")
    if owner_id is not None and (
        not isinstance(owner_id, int) or session.get(User, owner_id) is None
    ):
        errors["owner_id"] = [Message(N_("No such user."))]
    definition = None
    if "definition" in data or name_required:
        try:
            definition = definitions.clean(session, data.get("definition"))
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    return name, definition, owner_id


def create(
    session: Session, data: dict[str, Any], *, actor_id: int | None, clock: Clock
) -> Strategy:
    """A draft strategy with its first version; ValidationFailed names each bad field."""
    name, definition, owner_id = _check_all(session, data, name_required=True)
    now = clock.now()
    strategy = Strategy(
        name=name,
        owner_id=owner_id if owner_id is not None else actor_id,
        status=StrategyStatus.DRAFT,
        enrol_total=0,
        enrol_done=0,
        enrol_running=False,
        created_at=now,
        updated_at=now,
    )
    session.add(strategy)
    session.flush()
    version = StrategyVersion(
        strategy_id=strategy.id,
        number=1,
        definition=definition,
        created_at=now,
        created_by_id=actor_id,
    )
    session.add(version)
    session.flush()
    strategy.current_version_id = version.id
    session.flush()
    return strategy


def current_version(session: Session, strategy: Strategy) -> StrategyVersion:
    version = session.get(StrategyVersion, strategy.current_version_id)
    if version is None:  # every strategy is created with its first version
        raise LookupError(f"strategy {strategy.id} has no current version")
    return version


def edit(
    session: Session,
    strategy: Strategy,
    data: dict[str, Any],
    *,
    actor_id: int | None,
    clock: Clock,
) -> Strategy:
    """Change name, owner and/or definition. A draft's definition changes in place; an active
    or paused strategy gets a new version that new enrolments take (running ones keep theirs)."""
    if strategy.status == StrategyStatus.ARCHIVED:
        raise Conflict(Message(N_("An archived strategy cannot change.")))
    name, definition, owner_id = _check_all(session, data, name_required=False)
    now = clock.now()
    if name is not None:
        strategy.name = name
    if "owner_id" in data:
        strategy.owner_id = owner_id
    if definition is not None:
        version = current_version(session, strategy)
        if definition != version.definition:
            if strategy.status == StrategyStatus.DRAFT:
                version.definition = definition
            else:
                new = StrategyVersion(
                    strategy_id=strategy.id,
                    number=version.number + 1,
                    definition=definition,
                    created_at=now,
                    created_by_id=actor_id,
                )
                session.add(new)
                session.flush()
                strategy.current_version_id = new.id
    strategy.updated_at = now
    session.flush()
    return strategy


def transition(session: Session, strategy: Strategy, trigger: str, *, clock: Clock) -> None:
    """Activate (enrols the audience in the background), pause (nothing more is sent), resume,
    or archive (every running enrolment stops); refused with 409 naming the allowed moves."""
    if trigger == "activate":
        definitions.clean(session, current_version(session, strategy).definition)
    lifecycle.apply(strategy, trigger)
    strategy.updated_at = clock.now()
    if trigger in ("activate", "resume"):
        strategy.enrol_running = True
        publish_after_commit(session, ENROL_TASK, strategy.id)
    if trigger == "pause":
        _move_steps(session, strategy, (DueStepStatus.PENDING,), DueStepStatus.PAUSED)
    elif trigger == "resume":
        _move_steps(session, strategy, (DueStepStatus.PAUSED,), DueStepStatus.PENDING)
        wake_clock_after_commit(session)
    elif trigger == "archive":
        strategy.enrol_running = False
        for enrolment in session.scalars(
            select(Enrolment).where(
                Enrolment.strategy_id == strategy.id,
                Enrolment.status.in_((EnrolmentStatus.ACTIVE, EnrolmentStatus.HOLDOUT)),
            )
        ):
            stops.stop(session, enrolment, "archived", clock=clock)
    session.flush()


def _move_steps(
    session: Session, strategy: Strategy, sources: tuple[DueStepStatus, ...], dest: DueStepStatus
) -> None:
    """Paused rows keep their due time: on resume, the overdue ones go out at once (inside the
    window, which each step checks again when it runs)."""
    session.execute(
        update(DueStep)
        .where(DueStep.strategy_id == strategy.id, DueStep.status.in_(sources))
        .values(status=dest)
        .execution_options(synchronize_session=False)
    )


def headline(session: Session, strategy_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per strategy: enrolments by status, messages sent, customers who replied."""
    figures: dict[int, dict[str, int]] = {i: {} for i in strategy_ids}
    if not strategy_ids:
        return figures
    for strategy_id, status, count in session.execute(
        select(Enrolment.strategy_id, Enrolment.status, func.count())
        .where(Enrolment.strategy_id.in_(strategy_ids))
        .group_by(Enrolment.strategy_id, Enrolment.status)
    ):
        figures[strategy_id][str(status)] = count
    for strategy_id, kind, count in session.execute(
        select(EnrolmentEvent.strategy_id, EnrolmentEvent.kind, func.count())
        .where(EnrolmentEvent.strategy_id.in_(strategy_ids), EnrolmentEvent.kind == "sent")
        .group_by(EnrolmentEvent.strategy_id, EnrolmentEvent.kind)
    ):
        figures[strategy_id][kind] = count
    for strategy_id, count in session.execute(
        select(Enrolment.strategy_id, func.count())
        .where(Enrolment.strategy_id.in_(strategy_ids), Enrolment.stop_reason == "replied")
        .group_by(Enrolment.strategy_id)
    ):
        figures[strategy_id]["replied"] = count
    for values in figures.values():
        values["enrolled"] = sum(
            values.get(s, 0) for s in ("active", "holdout", "completed", "stopped")
        )
    return figures


def as_dict(session: Session, strategy: Strategy) -> dict[str, Any]:
    version = current_version(session, strategy)
    return {
        "id": strategy.id,
        "name": strategy.name,
        "owner_id": strategy.owner_id,
        "status": str(strategy.status),
        "allowed_triggers": lifecycle.allowed_triggers(strategy),
        "current_version": version.number,
        "definition": version.definition,
        "channels": definitions.channels_of(version.definition),
        "progress": {
            "running": strategy.enrol_running,
            "done": strategy.enrol_done,
            "total": strategy.enrol_total,
        },
        "figures": headline(session, [strategy.id])[strategy.id],
        "created_at": strategy.created_at,
        "updated_at": strategy.updated_at,
        "version": strategy.version,
    }


def names_of(session: Session, items: Iterable[Any]) -> dict[int, str]:
    """The names of the strategies that sent the communications among timeline `items` (what
    a timeline shows next to each message a strategy sent)."""
    ids = {
        i.record.strategy_id
        for i in items
        if i.kind == "communication" and i.record.strategy_id is not None
    }
    if not ids:
        return {}
    rows = session.execute(select(Strategy.id, Strategy.name).where(Strategy.id.in_(ids)))
    return {strategy_id: name for strategy_id, name in rows}
