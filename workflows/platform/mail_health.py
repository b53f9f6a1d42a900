"""Whether the outgoing mail server can be reached, as the outbox sender last found it: one row
written when a connection fails, removed when the server accepts a message again. Admins see
it as a banner (with the messages waiting) until then. Flushes, never commits."""

import errno
import smtplib
import socket
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models import MailServerStatus, OutboxMessage, OutboxStatus
from workflows.platform.clock import Clock

ROW_ID = 1


@dataclass(frozen=True)
class MailTrouble:
    host: str
    port: int
    reason: str  # refused, timeout, unknown_host, unreachable, authentication, tls, closed, other
    detail: str
    failing_since: datetime
    waiting: int  # messages still to send
    waiting_since: datetime | None  # the oldest of them


def reason_of(exc: BaseException | None) -> str:
    """A key for why a connection failed, from the exception (or what caused it)."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, ConnectionRefusedError):
            return "refused"
        if isinstance(exc, socket.timeout | TimeoutError):
            return "timeout"
        if isinstance(exc, socket.gaierror):
            return "unknown_host"
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return "authentication"
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            return "closed"
        if isinstance(exc, OSError) and exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            return "unreachable"
        if type(exc).__module__ == "ssl":
            return "tls"
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return "other"


def record_unreachable(
    session: Session, *, host: str, port: int, error: BaseException, clock: Clock
) -> None:
    """Note a failed connection; the first failure of a run gives `failing_since`."""
    now = clock.now()
    row = session.get(MailServerStatus, ROW_ID)
    if row is None:
        row = MailServerStatus(id=ROW_ID, failing_since=now)
        session.add(row)
    row.host, row.port = host[:255], port
    row.reason, row.detail = reason_of(error), str(error)[:1000]
    row.last_failure_at = now
    session.flush()


def record_reachable(session: Session) -> None:
    """The server accepted a message: whatever trouble there was is over."""
    session.execute(delete(MailServerStatus).where(MailServerStatus.id == ROW_ID))
    session.flush()


def trouble(session: Session) -> MailTrouble | None:
    """The current trouble with the messages waiting, or None (one primary-key read when all
    is well)."""
    row = session.get(MailServerStatus, ROW_ID)
    if row is None:
        return None
    waiting, since = session.execute(
        select(func.count(), func.min(OutboxMessage.created_at)).where(
            OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])
        )
    ).one()
    return MailTrouble(
        host=row.host,
        port=row.port,
        reason=row.reason,
        detail=row.detail,
        failing_since=row.failing_since,
        waiting=waiting,
        waiting_since=since,
    )
