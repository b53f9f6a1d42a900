"""Loading a requirement for a page, and the teams a user's queues cover."""

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Requirement, TeamMembership, User
from web.extensions import db


def get_requirement_or_404(requirement_id: int) -> Requirement:
    requirement = db.session.get(Requirement, requirement_id)
    if requirement is None:
        abort(404)
    return requirement


def team_ids_of(session: Session, user: User) -> list[int]:
    return list(
        session.scalars(select(TeamMembership.team_id).where(TeamMembership.user_id == user.id))
    )
