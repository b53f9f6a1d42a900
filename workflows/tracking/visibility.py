"""Who may read which requirements: the one read policy, as a SQL predicate for lists and a
check for single rows, used by every page, API list and detail, search, export and queue.

- admins read every requirement;
- everyone else reads the requirements of the teams they belong to, those with no team, and
  those assigned to them (whoever may act on a requirement may read it);
- a deployment setting, "everyone sees everything", lifts the limit for small shops.

Inactive users read nothing. Writing is `requirements.may_act`'s business, a narrower rule.

A communication linked to a requirement (an email, a reply, an internal note) is read with it:
`readable_communications` keeps those linked to no requirement and those whose requirement
`readable` keeps, for the customer and organisation timelines, single records, attachments, the
customer's history and a non-admin's export."""

from collections.abc import Collection

from sqlalchemy import ColumnElement, exists, false, or_, select, true
from sqlalchemy.orm import Session

from models import Communication, Requirement, Role, TeamMembership, User


def team_ids_of(session: Session, user: User) -> list[int]:
    return list(
        session.scalars(select(TeamMembership.team_id).where(TeamMembership.user_id == user.id))
    )


def reads_everything(user: User | None, *, everyone_sees_everything: bool = False) -> bool:
    """Whether the policy keeps every requirement for `user` (an admin, or the setting)."""
    if user is None or not user.is_active:
        return False
    return everyone_sees_everything or user.has_role(Role.ADMIN)


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
    if reads_everything(user, everyone_sees_everything=everyone_sees_everything):
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
    if reads_everything(user, everyone_sees_everything=everyone_sees_everything):
        return True
    if requirement.team_id is None or requirement.assignee_id == user.id:
        return True
    teams = team_ids if team_ids is not None else team_ids_of(session, user)
    return requirement.team_id in teams


def readable_communications(
    session: Session,
    user: User | None,
    *,
    everyone_sees_everything: bool = False,
    team_ids: Collection[int] | None = None,
) -> ColumnElement[bool]:
    """A WHERE clause on `Communication` keeping those linked to no requirement and those
    linked to one `readable` keeps. `true()` for whoever reads every requirement, so their
    queries do not change. The requirement is looked up per row by its primary key (a
    correlated EXISTS): a timeline page walks its index newest first and stops at the limit,
    where `IN (SELECT id FROM requirements WHERE …)` would read every readable requirement."""
    if reads_everything(user, everyone_sees_everything=everyone_sees_everything):
        return true()
    policy = readable(
        session, user, everyone_sees_everything=everyone_sees_everything, team_ids=team_ids
    )
    linked = exists().where(Requirement.id == Communication.requirement_id, policy)
    return or_(Communication.requirement_id.is_(None), linked)


def may_read_communication(
    session: Session,
    user: User | None,
    communication: Communication,
    *,
    everyone_sees_everything: bool = False,
    team_ids: Collection[int] | None = None,
) -> bool:
    """The same rule for one loaded communication. A requirement id that names no requirement
    reads as unreadable (to all but those who read everything), as in the SQL form."""
    if communication.requirement_id is None:
        return True
    if reads_everything(user, everyone_sees_everything=everyone_sees_everything):
        return True
    requirement = session.get(Requirement, communication.requirement_id)
    return requirement is not None and may_read(session, user, requirement, team_ids=team_ids)
