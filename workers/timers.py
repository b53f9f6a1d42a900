"""Tasks of the `timers` queue: fire a claimed batch; sweep expired leases."""

import logging

from celery import shared_task

from web.clocks import current_clock
from web.extensions import db
from workflows.tracking import timers

log = logging.getLogger("rapport.timers")


@shared_task(name="timers.fire_batch", acks_late=True, ignore_result=True)
def fire_batch(timer_ids: list[int]) -> None:
    """Fire each claimed timer once; a redelivered batch finds its rows already fired."""
    timers.hold(db.session, timer_ids, clock=current_clock())
    db.session.commit()  # if this worker dies now, the sweep frees the batch within seconds
    outcome = timers.fire_batch(
        db.session,
        timer_ids,
        clock=current_clock(),
        on_error=lambda timer_id, exc: log.warning("timer %s failed: %s", timer_id, exc),
    )
    db.session.commit()
    log.info("timers fired: %s", outcome)


@shared_task(name="timers.sweep", acks_late=True, ignore_result=True)
def sweep() -> None:
    """Put timers whose lease expired (worker killed, message lost) back to pending."""
    released = timers.release_expired_leases(db.session, clock=current_clock())
    db.session.commit()
    if released:
        log.warning("released %s timers with expired leases", released)
