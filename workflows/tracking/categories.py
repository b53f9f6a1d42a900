"""The admin-managed list of requirement categories: a requirement's category is one of them.
Removing a name from the list leaves the requirements that have it alone (history and reports
keep their words); it can no longer be chosen."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import RequirementCategory
from workflows.platform import audit
from workflows.platform.clock import Clock
from workflows.platform.errors import ValidationFailed
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_

MAX_NAME = 80


def names(session: Session) -> list[str]:
    return list(
        session.scalars(select(RequirementCategory.name).order_by(RequirementCategory.name))
    )


def all_categories(session: Session) -> list[RequirementCategory]:
    return list(session.scalars(select(RequirementCategory).order_by(RequirementCategory.name)))


def problems(
    session: Session, name: str | None, *, current: str | None = None
) -> dict[str, list[str]]:
    """{"category": [message]} unless `name` is empty, on the list, or the one the requirement
    already has (kept even after it left the list); else {}."""
    if name is None or name == current:
        return {}
    if session.scalar(select(RequirementCategory.id).where(RequirementCategory.name == name)):
        return {}
    known = names(session)
    hint = (
        Message(N_("Choose one of: %(choices)s."), choices=", ".join(known))
        if known
        else Message(N_("An admin has not listed any yet."))
    )
    return {"category": [hint]}


def create_category(
    session: Session, name: str, *, actor_id: int | None, clock: Clock
) -> RequirementCategory:
    """Add `name` (trimmed; unique whatever its case); flushes, never commits."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed.field("name", Message(N_("Give the category a name.")))
    if len(name) > MAX_NAME:
        raise ValidationFailed.field(
            "name", Message(N_("Use at most %(limit)s characters."), limit=MAX_NAME)
        )
    taken = session.scalar(
        select(RequirementCategory.id).where(func.lower(RequirementCategory.name) == name.lower())
    )
    if taken is not None:
        raise ValidationFailed.field("name", Message(N_("That category is already on the list.")))
    category = RequirementCategory(name=name, created_at=clock.now())
    session.add(category)
    session.flush()
    audit.record(
        session,
        action="create",
        entity_type="requirement_category",
        entity_id=category.id,
        actor_id=actor_id,
        clock=clock,
        changes={"name": [None, name]},
    )
    return category


def delete_category(
    session: Session, category: RequirementCategory, *, actor_id: int | None, clock: Clock
) -> None:
    """Take `category` off the list; requirements that have it keep it. Flushes."""
    audit.record(
        session,
        action="delete",
        entity_type="requirement_category",
        entity_id=category.id,
        actor_id=actor_id,
        clock=clock,
        changes={"name": [category.name, None]},
    )
    session.delete(category)
    session.flush()
