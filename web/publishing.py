"""Send the Celery tasks `workflows` noted on a session once it commits (STYLE.md §6)."""

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from web.extensions import redis_client
from web.mail import mail_domain
from workflows.platform.mail_threads import REPLY_SETTINGS_KEY, ReplySettings
from workflows.platform.outbox import MAIL_DOMAIN_KEY
from workflows.platform.publishing import take_pending, take_wake

CLOCK_WAKE_KEY = "rapport:clock:wake"

_installed = False


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        # SQLAlchemy 2.1 calls after_commit when a SAVEPOINT is released too (e.g. the one
        # timers.fire_batch uses); the outer transaction has not committed yet, so wait for it.
        return
    pending = take_pending(session)
    wake = take_wake(session)
    if not has_app_context():
        return
    if wake:
        try:
            redis_client(current_app).lpush(CLOCK_WAKE_KEY, 1)
        except Exception:  # the clock still looks at least every CLOCK_INTERVAL
            current_app.logger.warning("could not wake the clock; it will find the timers soon")
    celery_app = current_app.extensions["celery"]
    for task_name, args in pending:
        try:
            celery_app.send_task(task_name, args=args)
        except Exception:  # a broker outage must not fail a committed request
            # The beat sweeps re-publish from the database; the row is the truth.
            current_app.logger.exception("could not publish %s%s; the sweep will", task_name, args)


def _after_begin(session: Session, _transaction: object, _connection: object) -> None:
    """Message-IDs the outbox writes are named after MAIL_FROM's domain; messages about a
    thread carry a reply address signed with SECRET_KEY."""
    if has_app_context():
        config = current_app.config
        session.info[MAIL_DOMAIN_KEY] = mail_domain(config)
        session.info[REPLY_SETTINGS_KEY] = ReplySettings(
            inbound_address=config["INBOUND_ADDRESS"],
            secret=config["SECRET_KEY"],
            domain=mail_domain(config),
        )


def _after_rollback(session: Session) -> None:
    take_pending(session)
    take_wake(session)


def install() -> None:
    """Listen on every Session once per process."""
    global _installed
    if _installed:
        return
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_rollback", _after_rollback)
    event.listen(Session, "after_begin", _after_begin)
    _installed = True
