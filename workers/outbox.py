"""Tasks of the `outbox` queue: send messages in chunks; sweep for lost publishes and leases."""

import logging

from celery import shared_task
from celery.signals import worker_process_shutdown, worker_shutdown
from flask import current_app

from web.clocks import current_clock
from web.extensions import db
from workers import outbox_sender
from workflows.platform import outbox

log = logging.getLogger("rapport.outbox")
QUEUE = "outbox"


@shared_task(name="outbox.send", acks_late=True, ignore_result=True)
def send(message_id: int) -> None:
    """Send outbox row `message_id` once. A redelivered or duplicate task finds it claimed."""
    outbox_sender.sender_for(current_app._get_current_object()).send([message_id])


@shared_task(name="outbox.send_batch", acks_late=True, ignore_result=True)
def send_batch(message_ids: list[int]) -> None:
    """Send the due rows among `message_ids` over this process's SMTP connection, each
    recorded right after the server's answer; rows another sender holds are skipped."""
    counts = outbox_sender.sender_for(current_app._get_current_object()).send(message_ids)
    log.info("outbox chunk: %s", counts)


# With this many send tasks queued the workers are behind, and the due rows' tasks are queued.
BEHIND = 5


@shared_task(name="outbox.sweep", acks_late=True, ignore_result=True)
def sweep() -> None:
    """Release expired leases and re-publish due messages; safe to run twice."""
    outbox.sweep(db.session, clock=current_clock(), republish_waiting=_queued() < BEHIND)
    db.session.commit()


def _queued() -> int:
    """Tasks waiting in the outbox queue (0 when the broker cannot tell)."""
    try:
        with current_app.extensions["celery"].connection_for_read() as connection:
            return int(connection.default_channel.client.llen(QUEUE))
    except Exception:  # not Redis, or unreachable: re-publish as if idle, which is safe
        return 0


@worker_shutdown.connect  # the solo pool sends in the main process
@worker_process_shutdown.connect
def _close_smtp(**_kwargs: object) -> None:
    outbox_sender.close()  # QUIT politely; the server would time the connection out anyway
