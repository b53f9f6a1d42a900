"""The bell and the notifications page: a user's in-app notifications (newest first, mark one or
all read), the unread count the header's bell polls, and each user's choice of channel per
event. Notifications are written by `workflows.tracking.notifications`, never here."""

from typing import Any

from flask import Blueprint, Flask
from flask_login import current_user

from models import Role
from web.access import can
from web.auth import UNREAD_KEY
from web.extensions import db
from web.request_cache import recall
from workflows.platform import mail_health
from workflows.tracking import notifications

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

# The bell's refresh: a notification shows within about this, well under 5 s (as the
# escalation queue's poll); the request is one indexed count.
POLL_SECONDS = 2.5

from web.notifications import views  # noqa: E402, F401  (views register on the blueprint)


def bell() -> dict[str, Any]:
    """The header bell's unread count, for every signed-in page."""
    if not current_user.is_authenticated:
        return {}
    unread = recall(UNREAD_KEY)  # read with the user, in the same statement
    if unread is None:
        unread = notifications.unread_count(db.session, current_user.id)
    return {
        "unread_notifications": unread,
        "notification_poll_ms": int(POLL_SECONDS * 1000),
    }


def mail_banner() -> dict[str, Any]:
    """Admins see the outgoing mail trouble on every page until it is over."""
    if not can(current_user, Role.ADMIN):
        return {}
    return {"mail_trouble": mail_health.trouble(db.session)}


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.context_processor(bell)
    app.context_processor(mail_banner)
