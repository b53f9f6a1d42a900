"""Loading requirements for a page or the API under the read policy
(`workflows.tracking.visibility`), and the teams a user's queues cover. A requirement the
viewer may not read answers 404, like one that does not exist; so does a communication linked
to one (and its attachments)."""

from flask import abort, current_app
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from models import Communication, Requirement, User
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


def reads_everything() -> bool:
    """Whether the acting user reads every requirement (an admin, or the setting)."""
    return visibility.reads_everything(acting_user(), everyone_sees_everything=_everyone())


def readable() -> ColumnElement[bool]:
    """The WHERE clause that keeps the requirements the acting user may read."""
    user = acting_user()
    return visibility.readable(
        db.session, user, everyone_sees_everything=_everyone(), team_ids=_teams_of(user)
    )


def readable_in(supervised: list[int] | None) -> ColumnElement[bool] | None:
    """The read policy for the escalations of `supervised` teams (`escalations.
    supervised_team_ids`): none is needed for teams the user supervises, as they are among the
    user's teams, whose requirements the user reads. Skipping it spares reading each escalated
    clock's requirement row (~6 ms a query for 1,200 escalated clocks on SQLite)."""
    return readable() if supervised is None else None


def may_read(requirement: Requirement) -> bool:
    user = acting_user()
    return visibility.may_read(
        db.session,
        user,
        requirement,
        everyone_sees_everything=_everyone(),
        team_ids=_teams_of(user),
    )


def readable_communications() -> ColumnElement[bool]:
    """The WHERE clause on `Communication` that keeps what the acting user may read: those
    linked to no requirement, or to one they may read (`true()` for admins)."""
    user = acting_user()
    return visibility.readable_communications(
        db.session, user, everyone_sees_everything=_everyone(), team_ids=_teams_of(user)
    )


def may_read_communication(communication: Communication) -> bool:
    user = acting_user()
    return visibility.may_read_communication(
        db.session,
        user,
        communication,
        everyone_sees_everything=_everyone(),
        team_ids=_teams_of(user),
    )


def _teams_of(user: User | None) -> list[int] | None:
    return team_ids_of(db.session, user) if user is not None and user.is_active else None


def get_requirement_or_404(requirement_id: int) -> Requirement:
    requirement = db.session.get(Requirement, requirement_id)
    if requirement is None or not may_read(requirement):
        abort(404, "No such requirement.")
    return requirement


def team_ids_of(session: Session, user: User) -> list[int]:
    """The teams `user` belongs to, from the request's one membership query."""
    return list(my_memberships(user))


def my_memberships(user: User) -> dict[int, bool]:
    """`user`'s teams (id -> supervises it), loaded once per request for `may_act` on every row."""
    return once_per_request(
        f"memberships:{user.id}", lambda: requirements.memberships_of(db.session, user)
    )
