"""Loading requirements for a page or the API under the read policy
(`workflows.tracking.visibility`), and the teams a user's queues cover. A requirement the
viewer may not read answers 404, like one that does not exist."""

from flask import abort, current_app
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from models import Requirement, User
from web.access import acting_user
from web.extensions import db
from web.request_cache import once_per_request
from workflows.tracking import requirements, visibility


def _everyone() -> bool:
    return bool(current_app.config["REQUIREMENTS_VISIBLE_TO_ALL"])


def everyone_sees_everything() -> bool:
    """The deployment's "everyone sees everything" setting, for workflows that apply the read
    policy themselves (who may be mentioned)."""
    return _everyone()


def readable() -> ColumnElement[bool]:
    """The WHERE clause that keeps the requirements the acting user may read."""
    return visibility.readable(db.session, acting_user(), everyone_sees_everything=_everyone())


def may_read(requirement: Requirement) -> bool:
    return visibility.may_read(
        db.session, acting_user(), requirement, everyone_sees_everything=_everyone()
    )


def get_requirement_or_404(requirement_id: int) -> Requirement:
    requirement = db.session.get(Requirement, requirement_id)
    if requirement is None or not may_read(requirement):
        abort(404, "No such requirement.")
    return requirement


def team_ids_of(session: Session, user: User) -> list[int]:
    return visibility.team_ids_of(session, user)


def my_memberships(user: User) -> dict[int, bool]:
    """`user`'s teams (id -> supervises it), loaded once per request for `may_act` on every row."""
    return once_per_request(
        f"memberships:{user.id}", lambda: requirements.memberships_of(db.session, user)
    )
