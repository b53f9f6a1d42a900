"""SQLAlchemy models, one module per aggregate. Importing this package registers every table."""

from models.base import Base, UTCDateTime
from models.outbox import OutboxMessage, OutboxStatus
from models.user import ApiToken, Role, Team, TeamMembership, User

__all__ = [
    "ApiToken",
    "Base",
    "OutboxMessage",
    "OutboxStatus",
    "Role",
    "Team",
    "TeamMembership",
    "UTCDateTime",
    "User",
]
