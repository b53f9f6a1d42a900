"""Sending outbox rows in chunks (DESIGN.md §6): a chunk is claimed with one statement, each
message is recorded right after its own SMTP answer, and claims are leases that the sending
process renews about every second, so a dead sender's rows are back within seconds.

Exactly once, but for one window: a crash between the server's 250 and the commit of `sent`
sends that one message again, with the same Message-ID. Claiming a whole chunk does not widen
it: the other claimed rows were not sent yet, and a row is recorded before the next is sent.
The functions flush or execute, never commit: the sender commits after each message.
"""

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import ColumnElement, Integer, and_, any_, bindparam, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from models import OutboxMessage, OutboxStatus, sync_delivery
from workflows.platform.clock import Clock
from workflows.platform.outbox import backoff
from workflows.platform.smtp import Outcome

# A claim lasts this long unless renewed. The sender renews every RENEW_EVERY and sends the
# next message only while it knows its lease has SEND_MARGIN left, so the sweep never hands a
# row to another worker while its first send may still be in progress.
LEASE = timedelta(seconds=5)
# `last_error` of a message a delivery status notification reported as failed.
BOUNCED_PREFIX = "Bounced: "
RENEW_EVERY = timedelta(seconds=1)
SEND_MARGIN = timedelta(seconds=2)


def _among(session: Session, ids: Sequence[int]) -> ColumnElement[bool]:
    if session.get_bind().dialect.name == "postgresql":  # one array parameter (leases.among)
        return OutboxMessage.id == any_(bindparam("ids", sorted(ids), ARRAY(Integer), unique=True))
    return OutboxMessage.id.in_(list(ids))


def claim_batch(
    session: Session, message_ids: Sequence[int], *, claimer: str, clock: Clock
) -> list[int]:
    """Take the due rows of `message_ids` for `claimer` with one UPDATE … RETURNING: pending
    ones, and `sending` ones whose lease expired (their sender died). Returns the ids taken,
    in id order; the others are sent, not due, or another live sender's."""
    if not message_ids:
        return []
    now = clock.now()
    result = session.execute(
        update(OutboxMessage)
        .where(
            _among(session, message_ids),
            OutboxMessage.next_attempt_at <= now,
            or_(
                OutboxMessage.status == OutboxStatus.PENDING,
                (OutboxMessage.status == OutboxStatus.SENDING) & (OutboxMessage.lease_until < now),
            ),
        )
        .values(status=OutboxStatus.SENDING, lease_until=now + LEASE, claimed_by=claimer)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(result.scalars())


def load(session: Session, message_ids: Sequence[int]) -> list[OutboxMessage]:
    """The claimed rows, in id order, with one SELECT."""
    if not message_ids:
        return []
    rows = session.scalars(
        select(OutboxMessage)
        .where(_among(session, message_ids))
        .order_by(OutboxMessage.id)
        .execution_options(populate_existing=True)
    )
    return list(rows)


def renew(session: Session, message_ids: Sequence[int], *, claimer: str, clock: Clock) -> int:
    """Extend the leases `claimer` still holds among `message_ids` by LEASE from now."""
    return _update_mine(session, message_ids, claimer, lease_until=clock.now() + LEASE)


def release(session: Session, message_ids: Sequence[int], *, claimer: str) -> int:
    """Give back claims `claimer` will not send now (they are due again at once)."""
    values = {"status": OutboxStatus.PENDING, "lease_until": None, "claimed_by": None}
    return _update_mine(session, message_ids, claimer, **values)


def _update_mine(
    session: Session, message_ids: Sequence[int], claimer: str, **values: object
) -> int:
    if not message_ids:
        return 0
    result = session.execute(
        update(OutboxMessage)
        .where(
            _among(session, message_ids),
            OutboxMessage.claimed_by == claimer,
            OutboxMessage.status == OutboxStatus.SENDING,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def record(
    session: Session, row: OutboxMessage, outcome: Outcome, *, claimer: str, clock: Clock
) -> OutboxStatus:
    """Record what the server said to `row`'s message, with one UPDATE.

    Accepted: `sent` (refused Cc recipients, if any, in `last_error`). A 4xx or a lost
    connection backs off this message only; a 5xx, or the last attempt, makes it `dead`. A
    failure is not recorded over a row that another sender took meanwhile."""
    now = clock.now()
    attempts = row.attempts + 1
    values: dict[str, object] = {
        "attempts": attempts,
        "lease_until": None,
        "claimed_by": None,
        "last_error": outcome.error[:2000] if outcome.error else None,
    }
    conditions = [OutboxMessage.id == row.id]
    if outcome.accepted:
        values.update(status=OutboxStatus.SENT, sent_at=now)
        # A bounce can come back before this commit: it stays the row's last word.
        conditions.append(
            ~and_(
                OutboxMessage.status == OutboxStatus.DEAD,
                OutboxMessage.last_error.startswith(BOUNCED_PREFIX),
            )
        )
    else:
        conditions += [
            OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.claimed_by == claimer,
        ]
        if outcome.transient and attempts < row.max_attempts:
            values.update(status=OutboxStatus.PENDING, next_attempt_at=now + backoff(attempts))
        else:
            values.update(status=OutboxStatus.DEAD)
    session.execute(
        update(OutboxMessage)
        .where(*conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if values["status"] != OutboxStatus.PENDING:  # an outreach step's outcome, same transaction
        sync_delivery(session, [row.id], now=now)
    return values["status"]  # type: ignore[return-value]
