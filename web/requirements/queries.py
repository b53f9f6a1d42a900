"""Read-only queries behind the queues: which requirements a queue holds, in which order, and the
names and SLA clocks each row shows. (Nothing here writes; writers live in `workflows`.)"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from models import Customer, Requirement, SlaClock, SlaStatus, Team, User
from web.request_cache import once_per_request
from workflows.tracking import search_index
from workflows.tracking.queue_order import ACTIVE, NOT_DUE_LAST
from workflows.tracking.requirements import WORKFLOWS
from workflows.tracking.saved_views import ANY_STATE

QUEUES = ("mine", "team", "all")
ALL_STATES = list(dict.fromkeys(s for w in WORKFLOWS.values() for s in w.states))
SHOWN_CLOCKS = (SlaStatus.RUNNING, SlaStatus.BREACHED, SlaStatus.PAUSED)


# The query-string arguments of a queue page that filter it (a saved view keeps the same).
FILTER_ARGS = (
    "state",
    "priority",
    "team",
    "assignee",
    "workflow",
    "q",
    "sla",
    "category",
    "created_from",
    "created_to",
    "time_zone",
)


@dataclass(frozen=True)
class QueueFilter:
    state: str | None = None
    priority: str | None = None
    team_id: int | None = None
    assignee: str | None = None  # a user id, or "none" for unassigned
    workflow: str | None = None
    q: str | None = None
    sla: str | None = None  # one of SLA_STATUSES
    category: str | None = None
    # Created at or after / before these instants: the viewer's local days as the support
    # report turns them into instants (`workflows.analytics.ranges.local_midnight`).
    created_from: datetime | None = None
    created_before: datetime | None = None

    @property
    def is_empty(self) -> bool:
        return not any(vars(self).values())


# The SLA-status filter's values. A requirement matches when one of its clocks does.
SLA_STATUSES = ("breached", "at_risk", "due_today", "paused")


def end_of_day(now: datetime, zone: ZoneInfo) -> datetime:
    """Midnight after `now` in `zone`, in UTC: "due today" is the viewer's today."""
    local = now.astimezone(zone)
    tomorrow = datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=local.tzinfo)
    return tomorrow.astimezone(UTC)


def sla_condition(status: str, now: datetime, day_end: datetime) -> ColumnElement[bool]:
    """Requirements with a clock in `status` at `now`: breached (marked, or past due and not
    yet marked by the timer), at risk (past its warning, not yet due), due before `day_end`
    (the end of the viewer's day) and not yet breached, or paused. `now` is a bind parameter,
    never the database's clock (DESIGN.md §8)."""
    running = SlaClock.status == SlaStatus.RUNNING
    conditions = {
        "breached": or_(
            SlaClock.status == SlaStatus.BREACHED, and_(running, SlaClock.due_at <= now)
        ),
        "at_risk": and_(running, SlaClock.warning_at <= now, SlaClock.due_at > now),
        "due_today": and_(running, SlaClock.due_at > now, SlaClock.due_at < day_end),
        "paused": SlaClock.status == SlaStatus.PAUSED,
    }
    return exists().where(SlaClock.requirement_id == Requirement.id, conditions[status])


def queue_query(
    session: Session,
    queue: str,
    user_id: int,
    team_ids: list[int],
    flt: QueueFilter,
    *,
    now: datetime | None = None,
    day_end: datetime | None = None,
) -> Select[Any]:
    """The queue's requirements, nearest SLA due time first (none last), then oldest first; the
    team queue puts unassigned work on top. With a search (`q`), the matches in every state
    (unless a state is chosen), best first; with every state asked for, newest first."""
    query = select(Requirement)
    terms = search_index.terms_of(flt.q)
    match = search_index.match(session, terms) if terms else None
    if match is not None:
        query = query.join(match.subquery, match.requirement_id == Requirement.id)
    if queue == "mine":
        query = query.where(Requirement.assignee_id == user_id)
    elif queue == "team":
        query = query.where(Requirement.team_id.in_(team_ids))
    if flt.state and flt.state != ANY_STATE:
        query = query.where(Requirement.state == flt.state)
    elif not flt.state and match is None:
        query = query.where(ACTIVE)
    if flt.priority:
        query = query.where(Requirement.priority == flt.priority)
    if flt.team_id:
        query = query.where(Requirement.team_id == flt.team_id)
    if flt.assignee == "none":
        query = query.where(Requirement.assignee_id.is_(None))
    elif flt.assignee and flt.assignee.isdigit():
        query = query.where(Requirement.assignee_id == int(flt.assignee))
    if flt.workflow:
        query = query.where(Requirement.workflow == flt.workflow)
    if flt.category:
        query = query.where(Requirement.category == flt.category)
    if flt.created_from is not None:
        query = query.where(Requirement.created_at >= flt.created_from)
    if flt.created_before is not None:
        query = query.where(Requirement.created_at < flt.created_before)
    if flt.sla in SLA_STATUSES and now is not None:
        query = query.where(sla_condition(flt.sla, now, day_end or now))
    if flt.q and match is None:
        # Words too short for the trigram index: the title, as before, in the active states.
        query = query.where(func.lower(Requirement.title).contains(flt.q.lower(), autoescape=True))
    if match is not None:
        return query.order_by(match.rank, Requirement.id.desc())
    if flt.state == ANY_STATE:
        # Every state, done ones too (the report's drill-down): newest first, along
        # ix_requirements_created_at, which also serves a created range, so a page stops early.
        return query.order_by(Requirement.created_at.desc(), Requirement.id.desc())
    # Each queue's WHERE and ORDER BY repeat the expressions of its index (migration
    # c4a8e2f61d07: ix_requirements_queue_all, _mine, _team) so both databases walk the index
    # in order and stop after a page instead of sorting the queue's active requirements.
    order: list[Any] = []
    if queue == "team":
        order.append(Requirement.assignee_id.is_not(None))
    order += [NOT_DUE_LAST, Requirement.created_at, Requirement.id]
    return query.order_by(*order)


def page_of(
    session: Session, query: Select[Any], page: int, size: int
) -> tuple[list[Requirement], bool]:
    """One page (1-based) and whether another follows."""
    rows = list(session.scalars(query.offset((page - 1) * size).limit(size + 1)))
    return rows[:size], len(rows) > size


# A filtered queue counts its rows up to this many, then says "more than": the count stays
# bounded however many of 100,000 requirements a filter matches.
COUNT_CAP = 10_000


def count_of(session: Session, query: Select[Any], cap: int) -> int:
    """How many requirements the whole queue holds, over all its pages, counted up to `cap + 1`
    (more than `cap` reads as `cap + 1`)."""
    bounded = query.order_by(None).with_only_columns(Requirement.id).limit(cap + 1).subquery()
    return session.scalar(select(func.count()).select_from(bounded)) or 0


def clocks_of(session: Session, requirement_ids: Iterable[int]) -> dict[int, list[SlaClock]]:
    """The clocks a row shows (running, breached or paused), nearest due first."""
    found: dict[int, list[SlaClock]] = defaultdict(list)
    ids = list(requirement_ids)
    if not ids:
        return found
    rows = session.scalars(
        select(SlaClock)
        .where(SlaClock.requirement_id.in_(ids), SlaClock.status.in_(SHOWN_CLOCKS))
        .order_by(SlaClock.due_at.is_(None), SlaClock.due_at, SlaClock.id)
    )
    for clock in rows:
        found[clock.requirement_id].append(clock)
    return found


def names(session: Session, requirements: Iterable[Requirement]) -> dict[str, dict[int, str]]:
    """Customer, user and team names for the rows, in three queries."""
    rows = list(requirements)
    customer_ids = {r.customer_id for r in rows}
    user_ids = {r.assignee_id for r in rows if r.assignee_id is not None}
    team_ids = {r.team_id for r in rows if r.team_id is not None}
    return {
        "customers": names_by_id(session, Customer.id, Customer.name, customer_ids),
        "users": names_by_id(session, User.id, User.name, user_ids),
        "teams": names_by_id(session, Team.id, Team.name, team_ids),
    }


def names_by_id(session: Session, key: Any, label: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(key, label).where(key.in_(ids))).all())


def user_choices(session: Session) -> list[tuple[int, str]]:
    """Active users by name; one query per request (a page shows them in several forms)."""
    return once_per_request(
        "user_choices",
        lambda: list(
            session.execute(
                select(User.id, User.name).where(User.is_active).order_by(User.name)
            ).all()
        ),
    )


def team_choices(session: Session) -> list[tuple[int, str]]:
    """Teams by name; one query per request."""
    return once_per_request(
        "team_choices",
        lambda: list(session.execute(select(Team.id, Team.name).order_by(Team.name)).all()),
    )
