"""The email suppression list (`email_suppressions`): every non-transactional message checks it
when it is sent. Unsubscribes land here; so may bounces and complaints from the inbound path."""

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import EmailSuppression, SuppressionReason
from workflows.outreach.sql import among
from workflows.platform.clock import Clock


def normalise(email: str) -> str:
    return email.strip().lower()


def suppress(
    session: Session,
    email: str,
    reason: SuppressionReason | str,
    *,
    clock: Clock,
    customer_id: int | None = None,
) -> EmailSuppression:
    """Add `email` to the list (once: an address already there keeps its first reason)."""
    address = normalise(email)
    existing = session.scalar(select(EmailSuppression).where(EmailSuppression.email == address))
    if existing is not None:
        if existing.customer_id is None and customer_id is not None:
            existing.customer_id = customer_id
        return existing
    row = EmailSuppression(
        email=address,
        reason=SuppressionReason(reason),
        created_at=clock.now(),
        customer_id=customer_id,
    )
    session.add(row)
    session.flush()
    return row


def reason_for(session: Session, email: str | None) -> SuppressionReason | None:
    """Why `email` may not be written to, or None when it may."""
    if not email:
        return None
    return session.scalar(
        select(EmailSuppression.reason).where(EmailSuppression.email == normalise(email))
    )


def suppressed_among(session: Session, emails: Iterable[str]) -> set[str]:
    """The (lower-case) addresses of `emails` that are on the list, in chunks of 500."""
    addresses = sorted({normalise(e) for e in emails if e})
    found: set[str] = set()
    for start in range(0, len(addresses), 500):
        chunk = addresses[start : start + 500]
        found.update(
            session.scalars(
                select(EmailSuppression.email).where(among(session, EmailSuppression.email, chunk))
            )
        )
    return found


def lift(session: Session, email: str) -> bool:
    """Remove `email` from the list (an admin's decision, e.g. the customer asked again)."""
    row = session.scalar(select(EmailSuppression).where(EmailSuppression.email == normalise(email)))
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True
