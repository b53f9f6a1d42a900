"""The supervisor's escalation queue: SLA clocks past their warning or breached, and their
acknowledgement (which stops the clock's next ladder rungs until it restarts). An acknowledged
clock is someone's already: it stays listed in its own section but leaves the at-risk and
breached counts, until a new rung (or a restart) needs someone again."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    Subquery,
    and_,
    bindparam,
    func,
    or_,
    select,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.types import Boolean, Integer

from models import Requirement, Role, SlaClock, SlaStatus, TeamMembership, User
from models.sla import ESCALATED_PREDICATE
from workflows.platform.clock import Clock
from workflows.platform.errors import ValidationFailed
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_, LazyText
from workflows.tracking import sla
from workflows.tracking.requirements import NotPermitted

AT_RISK = "at_risk"
BREACHED = "breached"
ACKNOWLEDGED = "acknowledged"

QUEUE_LIMIT = 25  # the escalation queue's rows per page (page, live fragment, API), as queues
# A clock without a due time sorts after every due one, on both databases (SQLite puts NULL
# first, PostgreSQL last); bound with the column's type so the keyset compares like for like.
NOT_DUE = datetime(9999, 12, 31, tzinfo=UTC)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_DUE_TYPE = SlaClock.__table__.c.due_at.type  # stored as the model stores it (UTC)


@dataclass(frozen=True)
class QueueRow:
    sla: SlaClock
    requirement: Requirement
    level: str  # AT_RISK or BREACHED
    seconds_to_breach: float  # negative once breached
    rung: int
    acknowledged: bool


def _escalated(
    clock: Clock, team_ids: list[int] | None, readable: ColumnElement[bool] | None = None
) -> Subquery:
    """The clocks past their warning or breached that still count (of requirements in
    `team_ids`, unless None), read from indexes so the cost follows the escalated clocks, not
    every clock or requirement: the partial index `ix_sla_clocks_escalated` (warned or breached,
    still counting: its predicate word for word; it covers these columns) and, for a running
    clock past due whose breach timer has not fired yet, a range of `ix_sla_clocks_status_due`.
    The two parts never overlap. The team comes from the covering `ix_requirements_id_team`."""
    columns = (
        SlaClock.id,
        SlaClock.requirement_id,
        SlaClock.due_at,
        SlaClock.breached_at,
        SlaClock.rung,
        SlaClock.acknowledged_rung,
    )
    flagged = select(*columns).where(text(ESCALATED_PREDICATE))
    past_due = select(*columns).where(
        SlaClock.status == SlaStatus.RUNNING,
        SlaClock.due_at <= clock.now(),
        # Neither breached nor warned, as one expression no single-column index serves: as two
        # terms SQLite chose `ix_sla_clocks_breached_at` (breached_at IS NULL: nearly every
        # clock, ~40 ms at 200,000) over the due range of `ix_sla_clocks_status_due`.
        func.coalesce(SlaClock.breached_at, SlaClock.warned_at).is_(None),
    )
    if team_ids is not None or readable is not None:
        # Inside each part, so SQLite streams the union instead of materialising it to join.
        parts = []
        for part in (flagged, past_due):
            part = part.join(Requirement, Requirement.id == SlaClock.requirement_id)
            if team_ids is not None:
                part = part.where(Requirement.team_id.in_(team_ids))
            if readable is not None:  # the read policy, `visibility.readable`
                part = part.where(readable)
            parts.append(part)
        flagged, past_due = parts
    return union_all(flagged, past_due).subquery("escalated")


@dataclass(frozen=True)
class Page:
    rows: list[QueueRow]
    next_after: str | None  # the cursor of the next page, None on the last


def cursor_of(row: SlaClock) -> str:
    """The keyset of a row, in the queue's order: acknowledged, not breached, due, id."""
    due = row.due_at or NOT_DUE
    if due.tzinfo is None:
        due = due.replace(tzinfo=UTC)
    stamp = (due - _EPOCH) // _MICROSECOND  # exact, unlike a float timestamp
    acknowledged = is_acknowledged(row.rung, row.acknowledged_rung)
    return f"{int(acknowledged)}.{int(row.breached_at is None)}.{stamp}.{row.id}"


def parse_cursor(after: str) -> tuple[bool, bool, datetime, int]:
    """`cursor_of`'s text back to its values; ValidationFailed on anything else."""
    try:
        acknowledged, not_breached, stamp, clock_id = (int(p) for p in after.split("."))
        if acknowledged not in (0, 1) or not_breached not in (0, 1) or clock_id < 1:
            raise ValueError(after)
        due = _EPOCH + stamp * _MICROSECOND
    except (ValueError, OverflowError, OSError):
        raise ValidationFailed.field("after", Message(N_("Not a page of this list."))) from None
    return bool(acknowledged), bool(not_breached), due, clock_id


def queue(
    session: Session,
    *,
    clock: Clock,
    team_ids: list[int] | None = None,
    readable: ColumnElement[bool] | None = None,
    limit: int | None = None,
    after: str | None = None,
    level: str | None = None,
) -> Page:
    """Breached clocks first (longest breached on top), then at-risk ones by due time; one page
    of `limit` (QUEUE_LIMIT) rows after the cursor `after` (keyset: `Page.next_after`), of one
    `level` if given."""
    limit = limit or QUEUE_LIMIT
    escalated = _escalated(clock, team_ids, readable)
    # What still needs someone first; acknowledged clocks after them, in their own section.
    # Order and cut the narrow index rows first, then load only the page's clocks: sorting
    # whole clock rows (with their history) cost ~200 ms for 6,000 escalated clocks.
    key = (
        _acknowledged(escalated),
        escalated.c.breached_at.is_(None),
        func.coalesce(escalated.c.due_at, bindparam("not_due", NOT_DUE, type_=_DUE_TYPE)),
        escalated.c.id,
    )
    page = select(escalated.c.id).order_by(*key)
    if after is not None:
        acknowledged, not_breached, due, clock_id = parse_cursor(after)
        page = page.where(
            tuple_(*key)
            > tuple_(
                bindparam("after_acknowledged", acknowledged, type_=Boolean()),
                bindparam("after_not_breached", not_breached, type_=Boolean()),
                bindparam("after_due", due, type_=_DUE_TYPE),
                bindparam("after_id", clock_id, type_=Integer()),
            )
        )
    if level is not None:
        breached = _breached(escalated, clock)
        page = page.where(breached if level == BREACHED else ~breached)
    # One more than the page tells whether there is a next one.
    ids = list(session.scalars(page.limit(limit + 1)))
    more = len(ids) > limit
    ids = ids[:limit]
    if not ids:
        return Page([], None)
    found = {
        c.id: (c, r)
        for c, r in session.execute(
            select(SlaClock, Requirement)
            .join(Requirement, Requirement.id == SlaClock.requirement_id)
            .where(SlaClock.id.in_(ids))
        )
    }
    rows = [row_of(*found[i], clock=clock) for i in ids if i in found]
    return Page(rows, cursor_of(rows[-1].sla) if more and rows else None)


def _breached(escalated: Subquery, clock: Clock) -> ColumnElement[bool]:
    """`row_of`'s breached level in SQL."""
    return or_(escalated.c.breached_at.is_not(None), escalated.c.due_at <= clock.now())


def row_of(clock_row: SlaClock, requirement: Requirement, *, clock: Clock) -> QueueRow:
    """How the queue shows a clock: breached once its due time has passed."""
    now = clock.now()
    breached = clock_row.breached_at is not None or (
        clock_row.due_at is not None and clock_row.due_at <= now
    )
    due = clock_row.due_at or clock_row.breached_at or now
    return QueueRow(
        sla=clock_row,
        requirement=requirement,
        level=BREACHED if breached else AT_RISK,
        seconds_to_breach=(due - now).total_seconds(),
        rung=clock_row.rung,
        acknowledged=is_acknowledged(clock_row.rung, clock_row.acknowledged_rung),
    )


def is_acknowledged(rung: int, acknowledged_rung: int) -> bool:
    """Acknowledged at the current rung; a later rung needs someone again."""
    return acknowledged_rung > 0 and acknowledged_rung >= rung


def _acknowledged(escalated: Subquery) -> ColumnElement[bool]:
    """`is_acknowledged` in SQL."""
    return and_(
        escalated.c.acknowledged_rung > 0, escalated.c.acknowledged_rung >= escalated.c.rung
    )


def counts(
    session: Session,
    *,
    clock: Clock,
    team_ids: list[int] | None = None,
    readable: ColumnElement[bool] | None = None,
) -> dict[str, int]:
    """What still needs someone (at risk, breached) and what someone has acknowledged."""
    escalated = _escalated(clock, team_ids, readable)
    breached = _breached(escalated, clock)
    acknowledged = _acknowledged(escalated)
    query = select(
        func.count(escalated.c.id).filter(breached, ~acknowledged),
        func.count(escalated.c.id).filter(~breached, ~acknowledged),
        func.count(escalated.c.id).filter(acknowledged),
    )
    breached_count, at_risk_count, acknowledged_count = session.execute(query).one()
    return {AT_RISK: at_risk_count, BREACHED: breached_count, ACKNOWLEDGED: acknowledged_count}


def supervised_team_ids(
    session: Session, user: User, memberships: Mapping[int, bool] | None = None
) -> list[int] | None:
    """The teams whose escalations `user` sees: None (all) for admins and for supervisors
    who lead no team, else the teams they supervise. `memberships` (team id -> supervises it,
    from `requirements.memberships_of`) saves a query."""
    if user.has_role(Role.ADMIN):
        return None
    if memberships is not None:
        return sorted(t for t, leads in memberships.items() if leads) or None
    led = list(
        session.scalars(
            select(TeamMembership.team_id).where(
                TeamMembership.user_id == user.id, TeamMembership.is_supervisor.is_(True)
            )
        )
    )
    return led or None


def may_acknowledge(session: Session, user: User, requirement: Requirement) -> bool:
    if not user.is_active:
        return False
    if user.has_role(Role.ADMIN) or requirement.assignee_id == user.id:
        return True
    if not user.has_role(Role.SUPERVISOR):
        return False
    led = supervised_team_ids(session, user)
    return led is None or requirement.team_id in led


def acknowledge(session: Session, sla_clock_id: int, *, actor: User, clock: Clock) -> SlaClock:
    """Acknowledge the clock's current rung; flushes, the caller commits."""
    row = session.get(SlaClock, sla_clock_id)
    if row is None:
        raise ValidationFailed.field("id", Message(N_("No such escalation.")))
    requirement = session.get(Requirement, row.requirement_id)
    if not may_acknowledge(session, actor, requirement):
        raise NotPermitted(
            Message(
                N_(
                    "Only a supervisor of the requirement's team, its assignee or an admin "
                    "may acknowledge."
                )
            )
        )
    if row.status not in sla.COUNTING:
        raise ValidationFailed.field(
            "id",
            Message(
                N_("This clock is %(status)s; there is nothing to acknowledge."),
                status=LazyText(str(row.status)),  # the clock status words of web/record_words
            ),
        )
    due = row.due_at is not None and row.due_at <= clock.now()
    if row.warned_at is None and row.breached_at is None and row.rung == 0 and not due:
        raise ValidationFailed.field("id", Message(N_("This clock is not at risk yet.")))
    if row.acknowledged_rung >= max(row.rung, 1):
        return row  # already acknowledged at this rung: nothing changes
    sla.acknowledge_clock(session, row, requirement, actor_id=actor.id, clock=clock)
    return row
