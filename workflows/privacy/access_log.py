"""The customer access log: who viewed, exported, revealed or erased which customer, and when.
Searchable by admins; kept for its own retention period and then purged."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import CustomerAccess
from workflows.platform.clock import Clock

ACTIONS = ("view", "export", "reveal", "erase")
PAGE_SIZE = 50


def record(
    session: Session,
    *,
    user_id: int | None,
    customer_id: int,
    action: str,
    via: str,
    clock: Clock,
    detail: str | None = None,
) -> CustomerAccess:
    entry = CustomerAccess(
        at=clock.now(),
        user_id=user_id,
        customer_id=customer_id,
        action=action,
        via=via,
        detail=(detail or None) and detail[:200],
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class AccessQuery:
    customer_id: int | None = None
    user_id: int | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None  # cursor: the last id of the previous page


def search(session: Session, query: AccessQuery, *, limit: int = PAGE_SIZE) -> list[CustomerAccess]:
    """Newest first."""
    stmt = select(CustomerAccess).order_by(CustomerAccess.id.desc()).limit(limit)
    if query.customer_id is not None:
        stmt = stmt.where(CustomerAccess.customer_id == query.customer_id)
    if query.user_id is not None:
        stmt = stmt.where(CustomerAccess.user_id == query.user_id)
    if query.action:
        stmt = stmt.where(CustomerAccess.action == query.action)
    if query.since is not None:
        stmt = stmt.where(CustomerAccess.at >= query.since)
    if query.until is not None:
        stmt = stmt.where(CustomerAccess.at < query.until)
    if query.before_id is not None:
        stmt = stmt.where(CustomerAccess.id < query.before_id)
    return list(session.scalars(stmt))


def purge(session: Session, *, keep_days: int, clock: Clock) -> int:
    """Delete entries older than `keep_days`; returns how many."""
    cutoff = clock.now() - timedelta(days=keep_days)
    return session.execute(delete(CustomerAccess).where(CustomerAccess.at < cutoff)).rowcount
