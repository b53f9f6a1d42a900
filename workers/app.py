"""Celery entry point: `celery -A workers.app worker` / `celery -A workers.app beat`."""

from web import create_app

# Worker transactions write: take SQLite's writer lock at BEGIN (web/database.py; a dry
# run's checks opt out with READ_ONLY).
flask_app = create_app({"SQLITE_IMMEDIATE": True})
celery_app = flask_app.extensions["celery"]

# Register the tasks (each module holds one queue's tasks).
from workers import (  # noqa: E402, F401
    attachments,
    imports,
    inbound_imap,
    outbox,
    outreach,
    privacy,
    sla,
    timers,
)
