"""Tasks of the `outreach` queue: enrol a strategy's audience in the background, execute a
claimed batch of due steps, the beat sweep (enrol newcomers of active strategies, release
expired leases) and beat's recomputation of adaptive variant splits."""

import logging

from celery import shared_task
from sqlalchemy import select

from models import Strategy, StrategyStatus
from web.clocks import current_clock
from web.extensions import db
from web.outreach.settings import execution_settings
from workflows.analytics import variant_splits
from workflows.outreach import activation, due_steps, stops

log = logging.getLogger("rapport.outreach")


@shared_task(name="outreach.enrol", acks_late=True, ignore_result=True)
def enrol(strategy_id: int) -> None:
    """Enrol the audience's newcomers chunk by chunk, committing each (the progress bar moves);
    stops early when the strategy is paused or archived meanwhile. Safe to run twice: enrolment
    is once. Streams: memory holds one chunk of ids, whatever the audience's size."""
    clock = current_clock()
    strategy = db.session.get(Strategy, strategy_id)
    if strategy is None or not activation.may_continue(strategy):
        return
    now = clock.now()  # one audience for every chunk
    total = activation.audience_size(db.session, strategy, now=now, newcomers_only=True)
    activation.begin(db.session, strategy, total)
    db.session.commit()
    chunks = activation.audience_chunks(db.session, strategy, now=now, newcomers_only=True)
    for chunk in chunks:
        strategy = db.session.get(Strategy, strategy_id, populate_existing=True)
        if strategy is None or not activation.may_continue(strategy):
            break
        activation.enrol_chunk(db.session, strategy, chunk, clock=clock)
        db.session.commit()
    strategy = db.session.get(Strategy, strategy_id, populate_existing=True)
    if strategy is not None:
        activation.finish(db.session, strategy)
        db.session.commit()


@shared_task(name="outreach.fire_batch", acks_late=True, ignore_result=True)
def fire_batch(step_ids: list[int]) -> None:
    """Execute each claimed step once; a redelivered batch finds its rows already taken."""
    outcome = due_steps.fire_batch(
        db.session,
        step_ids,
        clock=current_clock(),
        settings=execution_settings(),
        on_error=lambda step_id, exc: log.warning("outreach step %s failed: %s", step_id, exc),
    )
    db.session.commit()
    log.info("outreach steps: %s", outcome)


@shared_task(name="outreach.plan", acks_late=True, ignore_result=True)
def plan() -> None:
    """Beat: release expired leases; stop enrolments whose customer replied; enrol customers who
    joined an active strategy's audience (a segment changes, a trigger's day comes). Idempotent,
    so running it twice is harmless."""
    released = due_steps.release_expired_leases(db.session, clock=current_clock())
    replied = stops.sweep_replies(db.session, clock=current_clock())
    db.session.commit()
    if replied:
        log.info("stopped %s enrolments whose customer replied", replied)
    if released:
        log.warning("released %s outreach steps with expired leases", released)
    # Every active strategy, also one whose enrolment task still says "running": that task may
    # have died with its worker, and enrolling is idempotent.
    active = db.session.scalars(
        select(Strategy.id).where(Strategy.status == StrategyStatus.ACTIVE)
    ).all()
    # End this read first: on SQLite the worker's transactions BEGIN IMMEDIATE, so an open one
    # holds the write lock. And `.run`, not a call of the task, which would open a second app
    # context and session: that one waited 30 s for this one's lock, then failed, each minute.
    db.session.commit()
    for strategy_id in active:
        enrol.run(strategy_id)


@shared_task(name="outreach.adapt_splits", acks_late=True, ignore_result=True)
def adapt_splits() -> None:
    """Beat: store a new variant split for each step with variants of every active adaptive
    strategy. Running it twice adds a second row with the same shares: harmless."""
    stored = variant_splits.compute_all(db.session, clock=current_clock())
    db.session.commit()
    if stored:
        log.info("stored %s adaptive variant splits", stored)
