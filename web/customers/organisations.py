"""Choosing an organisation on a page: a drop-down while there are few, a name box beyond."""

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Organisation

# Above this many organisations a drop-down of every one is too long to use or to send.
MAX_OPTIONS = 200


def options(session: Session) -> list[Any] | None:
    """(id, name) of every live organisation, or None when there are too many."""
    rows = session.execute(
        select(Organisation.id, Organisation.name)
        .where(Organisation.deleted_at.is_(None))
        .order_by(Organisation.name)
        .limit(MAX_OPTIONS + 1)
    ).all()
    return rows if len(rows) <= MAX_OPTIONS else None


def find_by_name(session: Session, name: str) -> int:
    """The live organisation called `name` (any case), else the one whose name starts with
    it; ValueError with a message for the user when none or several match."""
    lowered = func.lower(Organisation.name)
    live = select(Organisation.id).where(Organisation.deleted_at.is_(None))
    exact = session.scalars(live.where(lowered == name.lower()).limit(2)).all()
    found = exact or session.scalars(live.where(lowered.startswith(name.lower())).limit(2)).all()
    if len(found) == 1:
        return found[0]
    raise ValueError(
        _("No organisation has this name.") if not found else _("Several match; type more.")
    )
