"""Celery entry point: `celery -A workers.app worker` / `celery -A workers.app beat`."""

from web import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]

# Register the tasks (each module holds one queue's tasks).
from workers import outbox, timers  # noqa: E402, F401
