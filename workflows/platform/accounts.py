"""Users, teams and API tokens: the only code that writes them."""

import hashlib
import secrets
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models import ApiToken, Role, Team, TeamMembership, User
from workflows.platform.clock import Clock
from workflows.platform.errors import StaleEdit, ValidationFailed
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_, SUPPORTED_LOCALES
from workflows.platform.passwords import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    needs_rehash,
    verify_password,
)

TOKEN_PREFIX = "rpt_"  # noqa: S105 (a public prefix, not a secret)
LAST_USED_RESOLUTION = timedelta(minutes=1)


def normalise_email(email: str) -> str:
    """Validate syntax (no DNS look-up) and return the normalised, lower-case address."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationFailed.field("email", str(exc)) from exc


def check_time_zone(name: str, field: str = "time_zone") -> str:
    if not isinstance(name, str) or len(name) > 64:  # the column's width; a path too long: OSError
        raise ValidationFailed.field(field, Message(N_("Unknown time zone (use an IANA name).")))
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValidationFailed.field(
            field, Message(N_("Unknown time zone %(name)s."), name=repr(name))
        ) from exc
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed.field(
            "password",
            Message(N_("Use at least %(limit)s characters."), limit=MIN_PASSWORD_LENGTH),
        )
    return password


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    password: str,
    role: Role | str,
    clock: Clock,
    time_zone: str = "UTC",
) -> User:
    email = normalise_email(email)
    if find_user_by_email(session, email) is not None:
        raise ValidationFailed.field("email", Message(N_("A user with this email already exists.")))
    name = name.strip() or email.split("@")[0]
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(check_password(password)),
        role=_role(role),
        time_zone=check_time_zone(time_zone),
        created_at=clock.now(),
    )
    session.add(user)
    session.flush()
    return user


def update_user(
    session: Session,
    user: User,
    *,
    expected_version: int,
    name: str,
    role: Role | str,
    time_zone: str,
    is_active: bool,
) -> User:
    """Apply an edit made on version `expected_version`; raises StaleEdit if it moved on."""
    if user.version != expected_version:
        raise StaleEdit(expected_version, user.version)
    user.name = name.strip() or user.name
    user.role = _role(role)
    user.time_zone = check_time_zone(time_zone)
    deactivated = user.is_active and not is_active
    user.is_active = is_active
    session.flush()
    if deactivated:
        end_sessions(session, user)  # reactivating later must not revive old cookies
    return user


def set_password(session: Session, user: User, password: str) -> None:
    user.password_hash = hash_password(check_password(password))
    session.flush()
    end_sessions(session, user)


def set_language(session: Session, user: User, language: str | None) -> None:
    """Choose `user`'s interface and email language (a supported locale; None: follow the
    browser). An UPDATE rather than an attribute change: switching the language menu must not
    bump the row version an admin's open edit form holds."""
    language = language or None
    if language is not None and language not in SUPPORTED_LOCALES:
        raise ValidationFailed.field(
            "language",
            Message(
                N_("Choose one of: %(choices)s (or none)."), choices=", ".join(SUPPORTED_LOCALES)
            ),
        )
    session.execute(
        update(User)
        .where(User.id == user.id)
        .values(language=language)
        .execution_options(synchronize_session=False)
    )
    session.refresh(user, ["language"])


def end_sessions(session: Session, user: User) -> None:
    """End every session of `user` (signed cookies and remember-me cookies) at once: their
    ids carry the old generation. An UPDATE rather than an attribute change, so it does not
    bump the row version an admin's open edit form holds."""
    session.execute(
        update(User)
        .where(User.id == user.id)
        .values(session_generation=User.session_generation + 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(user, ["session_generation"])


def authenticate(session: Session, email: str, password: str, *, clock: Clock) -> User | None:
    """The active user with these credentials, or None. Costs the same for unknown emails."""
    user = find_user_by_email(session, email)
    if not verify_password(user.password_hash if user else None, password):
        return None
    if user is None or not user.is_active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = clock.now()
    session.flush()
    return user


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown to the user once, never stored


def _digest(secret: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough (no dictionary to guess from).
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(session: Session, user: User, name: str, *, clock: Clock) -> IssuedToken:
    name = name.strip()
    if not name:
        raise ValidationFailed.field(
            "name", Message(N_("Give the token a name, e.g. the script using it."))
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name[:120],
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        token_digest=_digest(secret),
        created_at=clock.now(),
    )
    session.add(token)
    session.flush()
    return IssuedToken(token=token, secret=secret)


def revoke_token(session: Session, token: ApiToken, *, clock: Clock) -> None:
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        session.flush()


def user_for_token(session: Session, secret: str, *, clock: Clock) -> User | None:
    """The active user owning this unrevoked token, or None. Records the token's last use."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_digest == _digest(secret)))
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    now = clock.now()
    # Record use at most once a minute: a write on every API call would cost SQLite dearly.
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        token.last_used_at = now
    return token.user


def create_team(session: Session, name: str, *, clock: Clock) -> Team:
    name = name.strip()
    if not name:
        raise ValidationFailed.field("name", Message(N_("A team needs a name.")))
    exists = session.scalar(select(Team.id).where(func.lower(Team.name) == name.lower()))
    if exists is not None:
        raise ValidationFailed.field("name", Message(N_("A team with this name already exists.")))
    team = Team(name=name, created_at=clock.now())
    session.add(team)
    session.flush()
    return team


def set_team_members(
    session: Session, team: Team, member_ids: Iterable[int], supervisor_ids: Iterable[int]
) -> None:
    """Replace the team's members; every supervisor is also a member."""
    supervisors = set(supervisor_ids)
    wanted = set(member_ids) | supervisors
    found = set(session.scalars(select(User.id).where(User.id.in_(wanted))))
    if missing := wanted - found:
        raise ValidationFailed.field(
            "members", Message(N_("Unknown user ids: %(ids)s."), ids=sorted(missing))
        )
    current = {m.user_id: m for m in team.memberships}
    for user_id, membership in current.items():
        if user_id not in wanted:
            team.memberships.remove(membership)
    for user_id in wanted:
        membership = current.get(user_id)
        if membership is None:
            membership = TeamMembership(user_id=user_id)
            team.memberships.append(membership)
        membership.is_supervisor = user_id in supervisors
    session.flush()


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError as exc:
        allowed = ", ".join(r.value for r in Role)
        raise ValidationFailed.field(
            "role", Message(N_("Choose one of: %(choices)s."), choices=allowed)
        ) from exc
