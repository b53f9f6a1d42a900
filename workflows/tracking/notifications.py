"""In-app notifications and their email copies, written in the transaction of the event that
causes them (a reassignment, a fired SLA timer, a customer's reply, a mention), for each
recipient as their preferences say. Flushes, never commits; an email is an outbox row sent
after commit by a worker, never from the request (DESIGN.md §6)."""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models import Customer, Notification, Requirement, User
from workflows.platform import outbox
from workflows.platform.clock import Clock
from workflows.tracking import sla_notices
from workflows.tracking.notification_preferences import NOTICE_EVENTS, preferences

PAGE_SIZE = 25


def notify(
    session: Session,
    event: str,
    recipients: Iterable[User],
    requirement: Requirement,
    *,
    clock: Clock,
    actor: User | None = None,
    detail: str | None = None,
    email: bool = True,
) -> list[Notification]:
    """Tell each active recipient (never the actor: they know) of `event`, in the app and/or by
    email as they chose. `email=False` when the caller writes the email itself (SLA notices).
    Returns the in-app notifications written."""
    written = []
    seen: set[int] = set()
    for user in recipients:
        if user is None or not user.is_active or user.id in seen:
            continue
        seen.add(user.id)
        if actor is not None and user.id == actor.id:
            continue
        channels = preferences(session, user.id)[event]
        notification = Notification(
            user_id=user.id,
            event=event,
            requirement_id=requirement.id,
            actor_id=actor.id if actor else None,
            title=requirement.title,
            detail=(detail or None) and detail[:1000],
            created_at=clock.now(),
        )
        if channels.in_app:
            session.add(notification)
            session.flush()
            written.append(notification)
        if email and channels.email:
            _email(session, notification, user, requirement, actor, clock=clock)
    session.flush()
    return written


def _email(
    session: Session,
    notification: Notification,
    user: User,
    requirement: Requirement,
    actor: User | None,
    *,
    clock: Clock,
) -> None:
    customer = session.get(Customer, requirement.customer_id)
    subject, body = sla_notices.render(
        "notification",
        sla_notices.staff_locale(user),
        {
            "event": notification.event,
            "recipient": user,
            "requirement": requirement,
            "customer": customer,
            "actor": actor,
            "detail": notification.detail or "",
        },
    )
    # One email per event, recipient and moment: a retried transaction writes it once.
    stamp = clock.now().strftime("%Y%m%d%H%M%S%f")
    outbox.enqueue_email(
        session,
        idempotency_key=f"notification:{notification.event}:{requirement.id}:{user.id}:{stamp}",
        cause=f"notification:{notification.event}:requirement:{requirement.id}",
        to_address=user.email,
        subject=subject[:300],
        body_text=body,
        clock=clock,
    )


def on_reassignment(
    session: Session,
    requirement: Requirement,
    *,
    before_id: int | None,
    actor: User | None,
    clock: Clock,
) -> None:
    """The new assignee hears they have it; the old one hears it went (if they asked to)."""
    if requirement.assignee_id == before_id:
        return
    if requirement.assignee_id is not None:
        notify(
            session,
            "assigned",
            [session.get(User, requirement.assignee_id)],
            requirement,
            actor=actor,
            clock=clock,
        )
    if before_id is not None:
        notify(
            session,
            "reassigned_away",
            [session.get(User, before_id)],
            requirement,
            actor=actor,
            clock=clock,
        )


def on_notice(
    session: Session, requirement: Requirement, kind: str, wanted: list[str], *, clock: Clock
) -> None:
    """The in-app side of an SLA notice (warning, breach, escalation) fired by a timer: the
    same recipients as its email (`sla_notices.recipients`)."""
    event = NOTICE_EVENTS.get(kind)
    if event is None:
        return
    users = sla_notices.recipients(session, requirement, wanted)
    notify(session, event, users, requirement, clock=clock, email=False)


def unread_count_of(user_id: Any) -> Any:
    """How many of user `user_id`'s notifications are unread, as a scalar subquery: the web
    app loads it with the signed-in user, so the header's bell costs no statement of its own."""
    return (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .scalar_subquery()
    )


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(select(unread_count_of(user_id)))


def page_of(
    session: Session,
    user_id: int,
    page: int = 1,
    *,
    size: int = PAGE_SIZE,
    before_id: int | None = None,
    unread_only: bool = False,
) -> tuple[list[Notification], bool]:
    """One page (1-based, or after the cursor `before_id`) of the user's notifications, newest
    first, and whether more follow."""
    query = select(Notification).where(Notification.user_id == user_id)
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    rows = list(
        session.scalars(
            query.order_by(Notification.id.desc()).offset((page - 1) * size).limit(size + 1)
        )
    )
    return rows[:size], len(rows) > size


def mark_read(
    session: Session,
    user_id: int,
    *,
    clock: Clock,
    notification_id: int | None = None,
    notification_ids: Iterable[int] | None = None,
) -> int:
    """Mark the user's notifications read — one, those listed, or (neither given) all; others'
    ids are ignored. Returns how many turned read."""
    statement = update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    if notification_id is not None:
        statement = statement.where(Notification.id == notification_id)
    if notification_ids is not None:
        statement = statement.where(Notification.id.in_(list(notification_ids)))
    result = session.execute(
        statement.values(read_at=clock.now()).execution_options(synchronize_session=False)
    )
    session.flush()
    return result.rowcount
