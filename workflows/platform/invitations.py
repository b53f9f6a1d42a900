"""Invitation links: a signed, expiring token that lets a new user choose their password once.

The token (itsdangerous, keyed by the app's secret with a salt of its own) carries the user's
id and a fingerprint of their current password hash: choosing a password changes the hash, so
the same link cannot be used twice, and an admin's later password reset voids it too. The
fingerprint is a digest, not the hash itself: the token is signed, not encrypted. Its age is
read against the injected clock, not the wall clock, so expiry is testable."""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from models import User
from workflows.platform import accounts
from workflows.platform.clock import Clock

SALT = "rapport.invitation"


class InvitationRefused(Exception):
    """A link that cannot set a password; `reason` is "invalid", "expired" or "used"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class InvitationSettings:
    secret_key: str
    expiry: timedelta


def _fingerprint(user: User) -> str:
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:20]


def _serializer(settings: InvitationSettings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=SALT)


def token_for(settings: InvitationSettings, user: User, *, clock: Clock) -> str:
    # itsdangerous stamps its own wall-clock time; the issue time rides in the payload so that
    # the expiry check can use the injected clock.
    issued = int(clock.now().timestamp())
    return _serializer(settings).dumps({"u": user.id, "p": _fingerprint(user), "t": issued})


def user_for(session: Session, settings: InvitationSettings, token: str, *, clock: Clock) -> User:
    """The invited user of a genuine, fresh, unused link; raises InvitationRefused otherwise."""
    try:
        payload = _serializer(settings).loads(token)
    except (BadSignature, ValueError, TypeError) as exc:
        raise InvitationRefused("invalid") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        raise InvitationRefused("invalid")
    user = session.get(User, payload["u"])
    if user is None or not user.is_active:
        raise InvitationRefused("invalid")
    if payload.get("p") != _fingerprint(user):
        raise InvitationRefused("used")
    issued = datetime.fromtimestamp(int(payload.get("t", 0)), UTC)
    if clock.now() - issued > settings.expiry:
        raise InvitationRefused("expired")
    return user


def accept(
    session: Session, settings: InvitationSettings, token: str, password: str, *, clock: Clock
) -> User:
    """Set the invited user's password (the usual rules; ValidationFailed names `password`);
    the link is spent by it. Flushes; the caller commits."""
    user = user_for(session, settings, token, clock=clock)
    accounts.set_password(session, user, password)
    return user
