"""The outbox sender of one worker process: its SMTP connection, kept open across chunks, and
the thread that renews its claims' leases while it sends (DESIGN.md §6)."""

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Sequence

from flask import Flask

from models import OutboxMessage
from web.clocks import current_clock
from web.extensions import db
from web.inbound import blob_store
from web.mail import smtp_connection
from workflows.platform import mail_health, outbox, outbox_delivery
from workflows.platform.smtp import Outcome, SmtpUnavailable

log = logging.getLogger("rapport.outbox")

LEASE = outbox_delivery.LEASE.total_seconds()
RENEW_EVERY = outbox_delivery.RENEW_EVERY.total_seconds()
SEND_MARGIN = outbox_delivery.SEND_MARGIN.total_seconds()


class LeaseKeeper:
    """Renews the current chunk's leases every RENEW_EVERY from its own thread (so a slow SMTP
    answer does not let them lapse) and knows, by the monotonic clock, until when the last
    renewal that reached the database holds."""

    def __init__(self, app: Flask, claimer: str) -> None:
        self.app = app
        self.claimer = claimer
        self._ids: Sequence[int] = ()
        self._valid_until = 0.0
        self._lock = threading.Lock()
        self._holding = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-leases", daemon=True)
        self._thread.start()

    def hold(self, message_ids: Sequence[int], claimed_at: float) -> None:
        """`message_ids` were claimed by a statement that started at monotonic `claimed_at`."""
        with self._lock:
            self._ids, self._valid_until = list(message_ids), claimed_at + LEASE
        self._holding.set()

    def drop(self) -> None:
        self._holding.clear()
        with self._lock:
            self._ids = ()

    def remaining(self) -> float:
        """Seconds the leases surely still hold."""
        with self._lock:
            return self._valid_until - time.monotonic()

    def _run(self) -> None:
        while True:
            self._holding.wait()
            time.sleep(RENEW_EVERY)
            with self._lock:
                ids = list(self._ids)
            if not ids:
                continue
            started = time.monotonic()
            try:
                with self.app.app_context():
                    outbox_delivery.renew(
                        db.session, ids, claimer=self.claimer, clock=current_clock()
                    )
                    db.session.commit()
                    db.session.remove()
            except Exception:  # the sender stops before its lease runs out; the sweep recovers
                log.exception("outbox: could not renew leases")
                continue
            with self._lock:
                if self._ids == ids:
                    self._valid_until = started + LEASE


class Sender:
    """Sends chunks of outbox rows over one SMTP connection; one per worker process."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.pid = os.getpid()
        self.claimer = f"{socket.gethostname()}:{self.pid}:{uuid.uuid4().hex[:8]}"[:100]
        self.connection = smtp_connection(app.config)
        self.blobs = blob_store(app.config)  # the files of replies with attachments
        self.keeper = LeaseKeeper(app, self.claimer)

    def send(self, message_ids: Sequence[int]) -> dict[str, int]:
        """Claim the due rows of `message_ids` (one statement), then send them one by one,
        committing each outcome right after the server's answer. Returns counts by status."""
        clock = current_clock()
        sender = self.app.config["MAIL_FROM"]
        claimed_at = time.monotonic()
        claimed = outbox_delivery.claim_batch(
            db.session, message_ids, claimer=self.claimer, clock=clock
        )
        db.session.commit()
        counts = {"skipped": len(message_ids) - len(claimed)}
        if not claimed:
            return counts
        self.keeper.hold(claimed, claimed_at)
        reachable_noted = False
        try:
            rows = outbox_delivery.load(db.session, claimed)
            db.session.expunge_all()  # plain values from here on: no reload after each commit
            db.session.rollback()  # SQLite: do not hold the writer lock while talking SMTP
            for index, row in enumerate(rows):
                if self.keeper.remaining() < SEND_MARGIN:
                    # The leases could not be renewed (database unreachable?): stop before the
                    # sweep may hand these rows to another worker.
                    rest = [r.id for r in rows[index:]]
                    outbox_delivery.release(db.session, rest, claimer=self.claimer)
                    outbox.publish_sends(db.session, rest)
                    db.session.commit()
                    counts["released"] = len(rest)
                    break
                try:
                    outcome = self._deliver(row, sender)
                except SmtpUnavailable as exc:
                    # No server: every row left fails this attempt alike and backs off.
                    outcome = Outcome(False, transient=True, error=f"no SMTP server: {exc}")
                    for later in rows[index:]:
                        status = outbox_delivery.record(
                            db.session, later, outcome, claimer=self.claimer, clock=clock
                        )
                        counts[status.value] = counts.get(status.value, 0) + 1
                    settings = self.connection.settings
                    mail_health.record_unreachable(
                        db.session, host=settings.host, port=settings.port, error=exc, clock=clock
                    )
                    db.session.commit()
                    break
                status = outbox_delivery.record(
                    db.session, row, outcome, claimer=self.claimer, clock=clock
                )
                if outcome.accepted and not reachable_noted:
                    mail_health.record_reachable(db.session)  # the banner goes
                    reachable_noted = True
                db.session.commit()  # `sent` is durable before the next message goes out
                counts[status.value] = counts.get(status.value, 0) + 1
        finally:
            self.keeper.drop()
        return counts

    def _deliver(self, row: OutboxMessage, sender: str) -> Outcome:
        """One message's outcome; a message that cannot be built or sent for a reason of its
        own is recorded as failed, never left claimed to poison every later chunk."""
        try:
            message = outbox.build_email(row, sender, self.blobs.open)
        except (ValueError, TypeError, LookupError, FileNotFoundError) as exc:
            return Outcome(False, error=f"could not build the message: {exc}")
        except OSError as exc:  # the attachment store is unreachable for now: later
            return Outcome(False, transient=True, error=f"could not read an attachment: {exc}")
        try:
            return self.connection.deliver(message, sender)
        except SmtpUnavailable:
            raise
        except UnicodeEncodeError as exc:  # a non-ASCII address: no SMTPUTF8 support here
            self.connection.close()  # the conversation stopped half-way
            return Outcome(False, error=f"address not sendable: {exc}")
        except Exception as exc:  # unknown state: a new connection, and this message later
            log.exception("outbox: sending %s failed", row.id)
            self.connection.close()
            return Outcome(False, transient=True, error=f"{type(exc).__name__}: {exc}")

    def close(self) -> None:
        self.connection.close()


_sender: Sender | None = None


def sender_for(app: Flask) -> Sender:
    """This process's sender (a forked child makes its own: sockets and threads do not fork).
    `app` is the app itself, not the `current_app` proxy: the lease thread has no context."""
    global _sender
    if _sender is None or _sender.pid != os.getpid():
        _sender = Sender(app)
    return _sender


def close() -> None:
    if _sender is not None and _sender.pid == os.getpid():
        _sender.close()
