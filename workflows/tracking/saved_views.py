"""Saved queue views: a user keeps a queue with its filters under a name, and may share it with a
team they belong to. Each user sees their own views and those shared with their teams; only
the owner (or an admin) deletes one. The filters are the queue page's own arguments, checked
against the names and values it knows, so a view never holds anything the page would not take."""

import zoneinfo
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import Priority, Role, SavedView, Team, User
from workflows.platform import audit
from workflows.platform.clock import Clock
from workflows.platform.errors import ValidationFailed
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_
from workflows.tracking import visibility
from workflows.tracking.requirements import WORKFLOWS

QUEUES = ("mine", "team", "all")
SLA_STATUSES = ("breached", "at_risk", "due_today", "paused")
# The state filter's value for every state, done ones too (a report's drill-down).
ANY_STATE = "any"
STATES = frozenset([*(s for w in WORKFLOWS.values() for s in w.states), ANY_STATE])
MAX_NAME = 80
MAX_TEXT = 200


def _clean_filters(raw: Any, errors: dict[str, list[str]]) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        errors["filters"] = [Message(N_("An object of filter names and values."))]
        return {}
    allowed: dict[str, Any] = {
        "state": STATES,
        "priority": {p.value for p in Priority},
        "workflow": set(WORKFLOWS),
        "sla": set(SLA_STATUSES),
        "team": None,
        "assignee": None,
        "q": None,
        "category": None,
        "created_from": None,
        "created_to": None,
        "time_zone": None,
    }
    cleaned: dict[str, str] = {}
    for key, value in raw.items():
        field = f"filters.{key}"
        if key not in allowed:
            errors[field] = [
                Message(N_("Unknown filter; use: %(choices)s."), choices=", ".join(allowed))
            ]
            continue
        if value in (None, ""):
            continue
        text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else None
        if text is None or len(text) > MAX_TEXT:
            errors[field] = [Message(N_("Give a short text or a number."))]
        elif allowed[key] is not None and text not in allowed[key]:
            errors[field] = [
                Message(N_("Choose one of: %(choices)s."), choices=", ".join(sorted(allowed[key])))
            ]
        elif key == "team" and not text.isdigit():
            errors[field] = [Message(N_("A team id."))]
        elif key == "assignee" and not (text.isdigit() or text == "none"):
            errors[field] = [Message(N_("A user id, or none."))]
        elif key in ("created_from", "created_to") and not _is_date(text):
            errors[field] = [Message(N_("Enter a date as YYYY-MM-DD."))]
        elif key == "time_zone" and not _is_zone(text):
            errors[field] = [
                Message(
                    N_("%(zone)s is not an IANA time zone (e.g. Europe/Berlin)."), zone=repr(text)
                )
            ]
        else:
            cleaned[key] = text
    return cleaned


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _is_zone(text: str) -> bool:
    try:
        zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _may_share_with(session: Session, owner: User, team_id: int) -> bool:
    return owner.has_role(Role.ADMIN) or team_id in visibility.team_ids_of(session, owner)


def create_view(
    session: Session,
    owner: User,
    *,
    name: str,
    queue: str,
    filters: Any,
    team_id: int | None,
    clock: Clock,
) -> SavedView:
    """Save a view; sharing needs membership of the team (admins: any team). Flushes."""
    errors: dict[str, list[str]] = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = [Message(N_("Give the view a name."))]
    elif len(name) > MAX_NAME:
        errors["name"] = [Message(N_("Use at most %(limit)s characters."), limit=MAX_NAME)]
    if queue not in QUEUES:
        errors["queue"] = [Message(N_("Choose one of: %(choices)s."), choices=", ".join(QUEUES))]
    elif queue == "all" and not owner.has_role(Role.SUPERVISOR):
        errors["queue"] = ["“all” is for supervisors."]
    cleaned = _clean_filters(filters, errors)
    if team_id is not None and session.get(Team, team_id) is None:
        errors["team_id"] = [Message(N_("No such team."))]
    elif team_id is not None and not _may_share_with(session, owner, team_id):
        errors["team_id"] = [Message(N_("Share with a team you belong to."))]
    if errors:
        raise ValidationFailed(errors)
    view = SavedView(
        name=name,
        owner_id=owner.id,
        team_id=team_id,
        queue=queue,
        filters=cleaned,
        created_at=clock.now(),
    )
    session.add(view)
    session.flush()
    audit.record(
        session,
        action="create",
        entity_type="saved_view",
        entity_id=view.id,
        actor_id=owner.id,
        clock=clock,
        changes={"name": [None, name], "team_id": [None, team_id]},
    )
    return view


def visible_to(session: Session, user: User) -> list[SavedView]:
    """The user's own views and those shared with their teams, by name."""
    teams = visibility.team_ids_of(session, user)
    return list(
        session.scalars(
            select(SavedView)
            .where(or_(SavedView.owner_id == user.id, SavedView.team_id.in_(teams)))
            .order_by(SavedView.name, SavedView.id)
        )
    )


def may_see(session: Session, user: User, view: SavedView) -> bool:
    return view.owner_id == user.id or (
        view.team_id is not None and view.team_id in visibility.team_ids_of(session, user)
    )


def may_delete(user: User, view: SavedView) -> bool:
    return view.owner_id == user.id or user.has_role(Role.ADMIN)


def delete_view(session: Session, view: SavedView, *, actor: User, clock: Clock) -> None:
    audit.record(
        session,
        action="delete",
        entity_type="saved_view",
        entity_id=view.id,
        actor_id=actor.id,
        clock=clock,
        changes={"name": [view.name, None]},
    )
    session.delete(view)
    session.flush()
