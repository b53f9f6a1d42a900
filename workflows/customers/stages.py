"""Lifecycle stages (lead, prospect, customer, churned, …), configured by admins."""

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import LifecycleStage
from models.customer import DEFAULT_STAGES
from workflows.platform.errors import ValidationFailed
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def seed_defaults(session: Session) -> None:
    """Insert the default stages into an empty table (tests that truncate need them back)."""
    if session.scalar(select(func.count()).select_from(LifecycleStage)):
        return
    for position, (key, name) in enumerate(DEFAULT_STAGES, start=1):
        session.add(LifecycleStage(key=key, name=name, position=position, is_active=True))
    session.flush()


def all_stages(session: Session) -> list[LifecycleStage]:
    return list(
        session.scalars(select(LifecycleStage).order_by(LifecycleStage.position, LifecycleStage.id))
    )


def create_stage(session: Session, *, key: str, name: str) -> LifecycleStage:
    key = (key or "").strip().lower()
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not KEY_RE.match(key):
        errors["key"] = [
            Message(N_("Use lower-case letters, digits and _, starting with a letter."))
        ]
    elif session.scalar(select(LifecycleStage.id).where(LifecycleStage.key == key)):
        errors["key"] = [Message(N_("This key is taken."))]
    if not name:
        errors["name"] = [Message(N_("Give the stage a name."))]
    if errors:
        raise ValidationFailed(errors)
    position = (session.scalar(select(func.max(LifecycleStage.position))) or 0) + 1
    stage = LifecycleStage(key=key, name=name[:80], position=position, is_active=True)
    session.add(stage)
    session.flush()
    return stage


def update_stage(
    session: Session, stage: LifecycleStage, *, name: str, position: int, is_active: bool
) -> None:
    """Rename, reorder or retire a stage (customers keep a retired stage until changed)."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed.field("name", Message(N_("Give the stage a name.")))
    stage.name = name[:80]
    stage.position = position
    stage.is_active = is_active
    session.flush()
