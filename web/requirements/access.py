"""Loading a requirement for a page, and the teams a user's queues cover."""

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Requirement, TeamMembership, User
from web.extensions import db
from web.request_cache import once_per_request
from workflows.tracking import requirements


def get_requirement_or_404(requirement_id: int) -> Requirement:
    requirement = db.session.get(Requirement, requirement_id)
    if requirement is None:
        abort(404)
    return requirement


def team_ids_of(session: Session, user: User) -> list[int]:
    return list(
        session.scalars(select(TeamMembership.team_id).where(TeamMembership.user_id == user.id))
    )


def my_memberships(user: User) -> dict[int, bool]:
    """`user`'s teams (id -> supervises it), loaded once per request for `may_act` on every row."""
    return once_per_request(
        f"memberships:{user.id}", lambda: requirements.memberships_of(db.session, user)
    )
