"""Who may read which requirements: the one read policy, as a SQL predicate for lists and a
check for single rows, used by every page, API list and detail, search, export and queue.

- admins read every requirement;
- everyone else reads the requirements of the teams they belong to, those with no team, and
  those assigned to them (whoever may act on a requirement may read it);
- a deployment setting, "everyone sees everything", lifts the limit for small shops.

Inactive users read nothing. Writing is `requirements.may_act`'s business, a narrower rule."""

from collections.abc import Collection

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from models import Requirement, Role, TeamMembership, User


def team_ids_of(session: Session, user: User) -> list[int]:
    return list(
        session.scalars(select(TeamMembership.team_id).where(TeamMembership.user_id == user.id))
    )


def readable(
    session: Session,
    user: User | None,
    *,
    everyone_sees_everything: bool = False,
    team_ids: Collection[int] | None = None,
) -> ColumnElement[bool]:
    """A WHERE clause on `Requirement` keeping what `user` may read; one filter to AND in.
    `team_ids` (the user's teams, if the caller has them already) saves a query."""
    if user is None or not user.is_active:
        return false()
    if everyone_sees_everything or user.has_role(Role.ADMIN):
        return true()
    teams = list(team_ids) if team_ids is not None else team_ids_of(session, user)
    return or_(
        Requirement.team_id.is_(None),
        Requirement.team_id.in_(teams),
        Requirement.assignee_id == user.id,
    )


def may_read(
    session: Session,
    user: User | None,
    requirement: Requirement,
    *,
    everyone_sees_everything: bool = False,
    team_ids: Collection[int] | None = None,
) -> bool:
    """The same policy for one loaded row."""
    if user is None or not user.is_active:
        return False
    if everyone_sees_everything or user.has_role(Role.ADMIN):
        return True
    if requirement.team_id is None or requirement.assignee_id == user.id:
        return True
    teams = team_ids if team_ids is not None else team_ids_of(session, user)
    return requirement.team_id in teams
