"""Timer rows from due to fired (DESIGN.md §5): the clock claims due rows in batches with one
UPDATE … RETURNING; a worker fires each claimed row once, or marks it stale when its
requirement has moved on; expired leases go back to pending, so a lost message only delays."""

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models import Customer, Requirement, Team, Timer, TimerStatus, User
from workflows.platform import leases, outbox
from workflows.platform.clock import Clock
from workflows.tracking import clock_words as words
from workflows.tracking import notices, requirements, sla
from workflows.tracking.clock_words import say

CLAIM_LIMIT = 500
# A claimed batch waits in the broker under LEASE; once a worker starts it, `hold` shortens the
# lease to RUNNING_LEASE, so a worker killed inside the batch delays its timers by seconds (the
# sweep runs every SWEEP_INTERVAL), not a minute. A lease that lapses early only costs a second
# claim and batch: the compare-and-set in `_take` still fires each timer once (`leases`).
LEASE = timedelta(seconds=60)
RUNNING_LEASE = leases.RUNNING_LEASE
MAX_ATTEMPTS = 5
FIRE_TASK = "timers.fire_batch"
CHUNK = 200


def claim_due(session: Session, *, clock: Clock, limit: int = CLAIM_LIMIT) -> list[int]:
    """Atomically move up to `limit` due pending timers to `enqueued` with a lease; returns ids.
    The caller commits, then publishes the ids."""
    now = clock.now()
    due = (
        select(Timer.id)
        .where(Timer.status == TimerStatus.PENDING, Timer.due_at <= now)
        .order_by(Timer.due_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)  # two clocks never claim the same row
    result = session.execute(
        update(Timer)
        .where(Timer.id.in_(due.scalar_subquery()))
        .values(status=TimerStatus.ENQUEUED, lease_until=now + LEASE, attempts=Timer.attempts + 1)
        .returning(Timer.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(result.scalars())


def chunks(ids: Sequence[int], size: int = CHUNK) -> list[list[int]]:
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]


def next_due_at(session: Session) -> datetime | None:
    return session.scalar(select(func.min(Timer.due_at)).where(Timer.status == TimerStatus.PENDING))


def release_unpublished(session: Session, timer_ids: Sequence[int]) -> int:
    """Give back claims whose publish failed (broker down), so they are claimed again when
    it is back rather than after their lease; the attempt did not happen."""
    if not timer_ids:
        return 0
    result = session.execute(
        update(Timer)
        .where(Timer.id.in_(list(timer_ids)), Timer.status == TimerStatus.ENQUEUED)
        .values(status=TimerStatus.PENDING, lease_until=None, attempts=Timer.attempts - 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def hold(session: Session, timer_ids: Sequence[int], *, clock: Clock) -> int:
    """A worker starts the batch `timer_ids`: their leases now end RUNNING_LEASE from now."""
    return leases.hold(session, Timer, timer_ids, enqueued=TimerStatus.ENQUEUED, clock=clock)


def release_expired_leases(session: Session, *, clock: Clock) -> int:
    """Claimed rows whose worker never finished go back to pending (safe to run twice)."""
    return leases.release_expired(
        session, Timer, enqueued=TimerStatus.ENQUEUED, pending=TimerStatus.PENDING, clock=clock
    )


def _take(session: Session, timer_ids: Sequence[int], now: datetime) -> set[int]:
    """Compare-and-set enqueued → fired for the whole batch in one statement; returns the ids
    this transaction took (the others were fired, or are being fired, by someone else)."""
    result = session.execute(
        update(Timer)
        .where(leases.among(session, Timer.id, timer_ids), Timer.status == TimerStatus.ENQUEUED)
        .values(status=TimerStatus.FIRED, fired_at=now, lease_until=None)
        .returning(Timer.id)
        .execution_options(synchronize_session=False)
    )
    return set(result.scalars())


def _mark_stale(session: Session, timer_id: int) -> None:
    """A timer this batch took whose requirement has moved on: it did nothing."""
    session.execute(
        update(Timer)
        .where(Timer.id == timer_id)
        .values(status=TimerStatus.STALE)
        .execution_options(synchronize_session=False)
    )


def fire_batch(
    session: Session,
    timer_ids: Sequence[int],
    *,
    clock: Clock,
    on_error: Callable[[int, Exception], None] | None = None,
) -> dict[str, int]:
    """Fire each claimed timer once: one bad timer is recorded as failed (and retried later)
    without undoing the others. The notices' sends are published after commit, one task per
    `outbox.SEND_CHUNK` emails. Flushes; the caller commits.

    One compare-and-set takes the whole batch. The taken timers then fire together in one
    savepoint, their notices written by one INSERT; only if that raises are they fired again
    one savepoint each, so that just the bad timer is recorded as failed."""
    outcome = {"fired": 0, "stale": 0, "skipped": 0, "failed": 0}
    _held = _load_batch(session, timer_ids)  # kept alive: the identity map holds weak references
    taken = _take(session, timer_ids, clock.now())
    outcome["skipped"] = len(timer_ids) - len(taken)
    ids = [timer_id for timer_id in timer_ids if timer_id in taken]
    with notices.batch(session, (t for t in _held if isinstance(t, Timer) and t.id in taken)):
        try:
            with session.begin_nested():
                sends = _fire_together(session, ids, clock, outcome)
        except Exception:  # some timer failed: the savepoint is gone, find which one
            outcome.update(fired=0, stale=0)
            sends = _fire_each(session, ids, clock, outcome, on_error)
    outbox.publish_sends(session, sends)
    return outcome


def _fire_together(
    session: Session, timer_ids: Sequence[int], clock: Clock, outcome: dict[str, int]
) -> list[int]:
    emails: list[outbox.Email] = []
    for timer_id in timer_ids:
        outcome[_fire_one(session, timer_id, clock, emails)] += 1
    return outbox.insert_emails(session, emails, clock=clock)


def _fire_each(
    session: Session,
    timer_ids: Sequence[int],
    clock: Clock,
    outcome: dict[str, int],
    on_error: Callable[[int, Exception], None] | None,
) -> list[int]:
    sends: list[int] = []
    for timer_id in timer_ids:
        savepoint = session.begin_nested()
        try:
            emails: list[outbox.Email] = []
            result = _fire_one(session, timer_id, clock, emails)
            timer_sends = outbox.insert_emails(session, emails, clock=clock)
            savepoint.commit()
        except Exception as exc:  # recorded on the row; the batch goes on
            savepoint.rollback()
            _record_failure(session, timer_id, exc, clock)
            outcome["failed"] += 1
            if on_error:
                on_error(timer_id, exc)
        else:
            outcome[result] += 1
            sends += timer_sends
    return sends


def _load_batch(session: Session, timer_ids: Sequence[int]) -> list[object]:
    """Load the batch's timers, requirements, customers, assignees and teams in five queries, so
    each timer then costs only its writes. Requirements are locked on PostgreSQL (SQLite's writer
    lock, taken when the transaction began, already keeps them still) until the commit."""
    fresh = {"populate_existing": True}
    batch = list(
        session.scalars(
            select(Timer)
            .where(leases.among(session, Timer.id, timer_ids))
            .execution_options(**fresh)
        )
    )
    query = (
        select(Requirement)
        .where(leases.among(session, Requirement.id, {t.requirement_id for t in batch}))
        .order_by(Requirement.id)
        .execution_options(**fresh)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    loaded = list(session.scalars(query))
    customer_ids = {r.customer_id for r in loaded}
    customers = session.scalars(select(Customer).where(Customer.id.in_(customer_ids))).all()
    assignees = {r.assignee_id for r in loaded if r.assignee_id is not None}
    users = session.scalars(select(User).where(User.id.in_(assignees))).all()
    team_ids = {r.team_id for r in loaded if r.team_id is not None}
    teams = session.scalars(select(Team).where(Team.id.in_(team_ids))).all() if team_ids else []
    return [*batch, *loaded, *customers, *users, *teams]


def _fire_one(session: Session, timer_id: int, clock: Clock, emails: list[outbox.Email]) -> str:
    """Fire one timer `_take` took (its row already says fired); adds its notice to `emails`,
    which the caller writes."""
    timer = session.get(Timer, timer_id)
    if timer is None:
        return "skipped"
    requirement = session.get(Requirement, timer.requirement_id)
    if timer.generation and requirement is not None:
        # SLA and follow-up timers outlive state changes: current while their plan is.
        if not sla.is_current(session, requirement, timer, requirements.workflow_of(requirement)):
            _mark_stale(session, timer_id)
            return "stale"
        sla.fire(session, requirement, timer, clock=clock)
        return "fired"
    if (
        requirement is None
        or requirement.state != timer.expected_state
        or requirement.state_seq != timer.state_seq
    ):
        _mark_stale(session, timer_id)
        return "stale"
    email = notices.timer_email(session, requirement, timer)
    if email is not None:
        emails.append(email)
    if timer.trigger:
        requirements.fire(
            session,
            requirement,
            timer.trigger,
            actor=None,
            clock=clock,
            timer_id=timer.id,
            note=say(words.TIMER_FIRED, kind=timer.kind),
        )
    return "fired"


def _record_failure(session: Session, timer_id: int, exc: Exception, clock: Clock) -> None:
    timer = session.get(Timer, timer_id, populate_existing=True)
    if timer is None:
        return
    timer.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    timer.lease_until = None
    if timer.attempts >= MAX_ATTEMPTS:
        timer.status = TimerStatus.FAILED
    else:
        timer.status = TimerStatus.PENDING
        timer.due_at = clock.now() + timedelta(seconds=5 * 2**timer.attempts)
    session.flush()
