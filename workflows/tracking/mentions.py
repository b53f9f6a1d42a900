"""`@name` mentions in internal notes. A mention is `@` followed by a user's handle — the part
of their email address before the `@` (`@ana.lima`) — or by their display name written without
spaces (`@AnaLima`), case-insensitively. Only active staff who may read the requirement (the
read policy, `visibility`) can be mentioned; anyone else's handle is plain text."""

import re

from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.orm import Session

from models import Requirement, Role, TeamMembership, User
from workflows.platform.clock import Clock
from workflows.tracking import notifications

# After a start, a space or an opening bracket: "ana@example.com" is an address, not a mention.
MENTION = re.compile(r"(?:(?<=^)|(?<=[\s(\[>]))@([A-Za-z0-9][A-Za-z0-9._+-]*)")
SUGGESTIONS = 8


def handle_of(user: User) -> str:
    return user.email.split("@", 1)[0].lower()


def _squashed(name: str) -> str:
    return "".join(name.split()).lower()


def handles_in(text: str) -> set[str]:
    """The handles a text mentions, lower case, a trailing full stop or comma left out."""
    return {m.group(1).rstrip(".,-").lower() for m in MENTION.finditer(text or "")}


def readers(
    session: Session, requirement: Requirement, *, everyone_sees_everything: bool
) -> ColumnElement[bool]:
    """A WHERE clause on `User`: the active staff who may read `requirement` (the same rule as
    `visibility.may_read`, turned around)."""
    if everyone_sees_everything or requirement.team_id is None:
        may = true()
    else:
        in_team = select(TeamMembership.user_id).where(
            TeamMembership.team_id == requirement.team_id
        )
        may = or_(
            User.role == Role.ADMIN,
            User.id.in_(in_team),
            User.id == requirement.assignee_id if requirement.assignee_id else false(),
        )
    return User.is_active.is_(True) & may


def mentioned_users(
    session: Session, requirement: Requirement, text: str, *, everyone_sees_everything: bool
) -> list[User]:
    handles = handles_in(text)
    if not handles:
        return []
    users = session.scalars(
        select(User).where(
            readers(session, requirement, everyone_sees_everything=everyone_sees_everything)
        )
    )
    return [u for u in users if handle_of(u) in handles or _squashed(u.name) in handles]


def notify_mentioned(
    session: Session,
    requirement: Requirement,
    text: str,
    *,
    actor: User,
    clock: Clock,
    everyone_sees_everything: bool = False,
) -> list[User]:
    """Notify each reader the text mentions (not the writer); returns who was mentioned."""
    users = mentioned_users(
        session, requirement, text, everyone_sees_everything=everyone_sees_everything
    )
    excerpt = " ".join(text.split())[:300]
    notifications.notify(
        session, "mentioned", users, requirement, actor=actor, clock=clock, detail=excerpt
    )
    return users


def suggestions(
    session: Session, requirement: Requirement, prefix: str, *, everyone_sees_everything: bool
) -> list[tuple[User, str]]:
    """Up to SUGGESTIONS readers whose name or handle starts with `prefix` (any word of the
    name), with the handle to insert, by name."""
    prefix = prefix.strip().lower().lstrip("@")
    query = select(User).where(
        readers(session, requirement, everyone_sees_everything=everyone_sees_everything)
    )
    if prefix:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(
            or_(
                func.lower(User.email).like(f"{escaped}%", escape="\\"),
                func.lower(User.name).like(f"{escaped}%", escape="\\"),
                func.lower(User.name).like(f"% {escaped}%", escape="\\"),
            )
        )
    users = session.scalars(query.order_by(User.name, User.id).limit(SUGGESTIONS))
    return [(u, handle_of(u)) for u in users]
