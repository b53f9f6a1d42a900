"""Tasks to publish once the current transaction commits (STYLE.md §6).

`workflows` only notes what to publish on the session as plain data; the web app installs
the listener that sends it after commit and drops it on rollback.
"""

from sqlalchemy.orm import Session

PUBLISH_KEY = "rapport.publish"


def publish_after_commit(session: Session, task_name: str, *args: object) -> None:
    """Send Celery task `task_name(*args)` after `session` commits; forgotten on rollback."""
    session.info.setdefault(PUBLISH_KEY, []).append((task_name, list(args)))


def take_pending(session: Session) -> list[tuple[str, list[object]]]:
    """Remove and return what `session` still has to publish."""
    return session.info.pop(PUBLISH_KEY, [])


WAKE_KEY = "rapport.wake_clock"


def wake_clock_after_commit(session: Session) -> None:
    """Ask the clock process to look for due timers as soon as this transaction commits
    (a timer nearer than its next planned look may have been written)."""
    session.info[WAKE_KEY] = True


def take_wake(session: Session) -> bool:
    return bool(session.info.pop(WAKE_KEY, False))
