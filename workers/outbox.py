"""Tasks of the `outbox` queue: send one message or a batch; sweep for lost publishes and leases."""

from celery import shared_task
from flask import current_app

from web.clocks import current_clock
from web.extensions import db
from web.mail import mailer_from_config
from workflows.platform import outbox


@shared_task(name="outbox.send", acks_late=True, ignore_result=True)
def send(message_id: int) -> None:
    """Send outbox row `message_id` once. A redelivered or duplicate task finds it claimed."""
    _send_one(message_id, mailer_from_config(current_app.config))


@shared_task(name="outbox.send_batch", acks_late=True, ignore_result=True)
def send_batch(message_ids: list[int]) -> None:
    """Send each row as `outbox.send` would: claimed one at a time, just before its SMTP
    conversation, so a slow server never holds later rows' leases past expiry."""
    mailer = mailer_from_config(current_app.config)
    for message_id in message_ids:
        _send_one(message_id, mailer)


def _send_one(message_id: int, mailer: outbox.Mailer) -> None:
    clock = current_clock()
    if not outbox.claim(db.session, message_id, clock=clock):
        db.session.rollback()
        return
    db.session.commit()  # the claim is durable before the SMTP conversation starts
    outbox.send_claimed(
        db.session,
        message_id,
        mailer=mailer,
        sender=current_app.config["MAIL_FROM"],
        clock=clock,
    )
    db.session.commit()


@shared_task(name="outbox.sweep", acks_late=True, ignore_result=True)
def sweep() -> None:
    """Release expired leases and re-publish due messages; safe to run twice."""
    outbox.sweep(db.session, clock=current_clock())
    db.session.commit()
