"""Send the Celery tasks `workflows` noted on a session once it commits (STYLE.md §6)."""

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from workflows.publishing import take_pending

_installed = False


def _after_commit(session: Session) -> None:
    pending = take_pending(session)
    if not pending or not has_app_context():
        return
    celery_app = current_app.extensions["celery"]
    for task_name, args in pending:
        try:
            celery_app.send_task(task_name, args=args)
        except Exception:  # a broker outage must not fail a committed request
            # The beat sweeps re-publish from the database; the row is the truth.
            current_app.logger.exception("could not publish %s%s; the sweep will", task_name, args)


def _after_rollback(session: Session) -> None:
    take_pending(session)


def install() -> None:
    """Listen on every Session once per process."""
    global _installed
    if _installed:
        return
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_rollback", _after_rollback)
    _installed = True
