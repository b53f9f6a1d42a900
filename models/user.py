"""Users, teams (with their supervisors) and API tokens."""

import enum
import hashlib
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, value_enum


class Role(enum.StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(value_enum(Role))
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Interface and staff-email language (en, zh_Hans); None: the browser's Accept-Language.
    language: Mapped[str | None] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]
    # Part of every session id: raising it (sign-out, "sign out everywhere", deactivation) ends
    # every session of the user at once, copied cookies and remember-me cookies included.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    version: Mapped[int] = mapped_column(default=1)

    memberships: Mapped[list["TeamMembership"]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    api_tokens: Mapped[list["ApiToken"]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    # Flask-Login's user interface, by duck typing (models import no Flask).
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        """The id a session keeps. It includes a digest of the password hash and the session
        generation, so changing the password or raising the generation ends every session. The
        hash's salt never leaves the database, so the digest gives no offline guess at the
        password."""
        material = f"{self.password_hash}:{self.session_generation or 0}"
        digest = hashlib.sha256(material.encode()).hexdigest()[:20]
        return f"{self.id}:{digest}"

    def has_role(self, role: Role) -> bool:
        """True when this user's role is `role` or above (agent < supervisor < admin)."""
        return self.role.rank >= role.rank

    @property
    def teams(self) -> list["Team"]:
        return [m.team for m in self.memberships]


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime]

    memberships: Mapped[list["TeamMembership"]] = relationship(
        back_populates="team", cascade="all, delete-orphan"
    )

    @property
    def supervisors(self) -> list[User]:
        return [m.user for m in self.memberships if m.is_supervisor]

    @property
    def members(self) -> list[User]:
        return [m.user for m in self.memberships]


class TeamMembership(Base):
    __tablename__ = "team_memberships"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    is_supervisor: Mapped[bool] = mapped_column(default=False)

    team: Mapped[Team] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")


class ApiToken(Base):
    """A bearer token; only its SHA-256 digest is stored, the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(16))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="api_tokens")

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
