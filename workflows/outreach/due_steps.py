"""Due steps from pending to done, as timers go (DESIGN.md §5): the clock claims due rows in
batches with one UPDATE … RETURNING and publishes them in chunks; a worker holds its chunk (the
short running lease), takes it with one compare-and-set and executes every step once; beat's
sweep, every SWEEP_INTERVAL, puts expired leases back to pending.

A step is sent once even when its lease lapses under a worker that is slow, not dead:

- the compare-and-set in `_take` (enqueued → done) succeeds for one transaction only. A runner
  that comes second, with the same message or after a sweep and a new claim, finds the row done
  (or still locked by the first runner's transaction, which it waits for) and skips it;
- the first runner's transaction holds the rows from `_take` until it commits, so a sweep that
  finds the lease expired meanwhile waits and then sees them done: it cannot release them;
- and were a step ever executed again, `Run` finds its `sent` event and skips it, and the outbox
  row's idempotency key (`outreach:<strategy>:<enrolment>:<step>:<variant>`, the variant stored
  on the row, so a re-run chooses the same one) is unique: a second insert writes nothing.

Only the message in flight when a worker dies can reach the SMTP server twice (DESIGN.md §6)."""

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models import DueStep, DueStepStatus
from workflows.outreach import execution
from workflows.platform import leases, outbox
from workflows.platform.clock import Clock

CLAIM_LIMIT = 500
CHUNK = 200
# A claimed chunk waits in the broker under LEASE (behind other work, maybe minutes of it); once a
# worker starts it, `hold` shortens the lease to RUNNING_LEASE, as timers do (`leases`).
LEASE = timedelta(seconds=120)
RUNNING_LEASE = leases.RUNNING_LEASE
MAX_ATTEMPTS = 5
FIRE_TASK = "outreach.fire_batch"


def claim_due(session: Session, *, clock: Clock, limit: int = CLAIM_LIMIT) -> list[int]:
    """Move up to `limit` due pending steps to `enqueued` with a lease; the caller commits, then
    publishes the ids."""
    now = clock.now()
    due = (
        select(DueStep.id)
        .where(DueStep.status == DueStepStatus.PENDING, DueStep.due_at <= now)
        .order_by(DueStep.due_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)  # two clocks never claim the same row
    result = session.execute(
        update(DueStep)
        .where(DueStep.id.in_(due.scalar_subquery()))
        .values(
            status=DueStepStatus.ENQUEUED,
            lease_until=now + LEASE,
            attempts=DueStep.attempts + 1,
        )
        .returning(DueStep.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(result.scalars())


def chunks(ids: Sequence[int], size: int = CHUNK) -> list[list[int]]:
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]


def next_due_at(session: Session) -> datetime | None:
    return session.scalar(
        select(func.min(DueStep.due_at)).where(DueStep.status == DueStepStatus.PENDING)
    )


def release_unpublished(session: Session, ids: Sequence[int]) -> int:
    if not ids:
        return 0
    result = session.execute(
        update(DueStep)
        .where(DueStep.id.in_(list(ids)), DueStep.status == DueStepStatus.ENQUEUED)
        .values(status=DueStepStatus.PENDING, lease_until=None, attempts=DueStep.attempts - 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def hold(session: Session, ids: Sequence[int], *, clock: Clock) -> int:
    """A worker starts the chunk `ids`: their leases now end RUNNING_LEASE from now. The caller
    commits before `fire_batch`, so a worker killed inside the chunk delays it by seconds."""
    return leases.hold(session, DueStep, ids, enqueued=DueStepStatus.ENQUEUED, clock=clock)


def release_expired_leases(session: Session, *, clock: Clock) -> int:
    """Claimed steps whose worker never finished go back to pending (safe to run twice)."""
    return leases.release_expired(
        session,
        DueStep,
        enqueued=DueStepStatus.ENQUEUED,
        pending=DueStepStatus.PENDING,
        clock=clock,
    )


def _take(session: Session, ids: Sequence[int], now: datetime) -> list[int]:
    """Compare-and-set enqueued → done for the chunk; the ids this transaction took."""
    result = session.execute(
        update(DueStep)
        .where(leases.among(session, DueStep.id, ids), DueStep.status == DueStepStatus.ENQUEUED)
        .values(status=DueStepStatus.DONE, lease_until=None)
        .returning(DueStep.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(result.scalars())


def fire_batch(
    session: Session,
    ids: Sequence[int],
    *,
    clock: Clock,
    settings: execution.Settings,
    on_error: Callable[[int, Exception], None] | None = None,
) -> dict[str, int]:
    """Execute each claimed step once, each in its own savepoint: one bad step is recorded and
    retried later without undoing the others. Emails are published after commit. Flushes; the
    caller commits."""
    outcome: dict[str, int] = {"skipped": 0, "failed": 0}
    taken = _take(session, ids, clock.now())
    outcome["skipped"] = len(ids) - len(taken)
    run = execution.Run(session, clock, settings)
    for step_id in taken:
        savepoint = session.begin_nested()
        try:
            result = run.execute(step_id)
            savepoint.commit()
        except Exception as exc:  # recorded on the row; the batch goes on
            savepoint.rollback()
            run.forget_sends_since_savepoint()
            _record_failure(session, step_id, exc, clock)
            outcome["failed"] += 1
            if on_error:
                on_error(step_id, exc)
        else:
            outcome[result] = outcome.get(result, 0) + 1
    outbox.publish_sends(session, run.sends)
    return outcome


def _record_failure(session: Session, step_id: int, exc: Exception, clock: Clock) -> None:
    row = session.get(DueStep, step_id, populate_existing=True)
    if row is None:
        return
    row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    row.lease_until = None
    if row.attempts >= MAX_ATTEMPTS:
        row.status = DueStepStatus.FAILED
    else:
        row.status = DueStepStatus.PENDING
        row.due_at = clock.now() + timedelta(seconds=30 * 2**row.attempts)
    session.flush()
