"""“Apply to open requirements”: move requirements still counting under an older version of a
policy to its current version. A dry run says how many due times move and by how much; the
real run is a background task that recomputes in chunks and records its progress on the
policy (`SlaPolicy.recompute`).

The `rematch` mode moves, instead, open requirements counting under *other* policies (or none)
that now match this one first, e.g. onto a policy created after them. Matching runs in Python
(the order and tag rules), so that run scans ids in chunks behind a cursor (`after_id`)."""

import statistics
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from models import Requirement, SlaClock, SlaPolicy, SlaPolicyVersion
from workflows.platform.clock import Clock
from workflows.platform.errors import Conflict, ValidationFailed
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_
from workflows.platform.publishing import publish_after_commit
from workflows.tracking import clock_words as words
from workflows.tracking import sla, sla_policies
from workflows.tracking.clock_words import say

APPLY_TASK = "sla.apply_policy"
CHUNK = 100
VERSIONS, REMATCH = "versions", "rematch"
MODES = (VERSIONS, REMATCH)


def _outdated(policy: SlaPolicy) -> Select[tuple[int]]:
    older = select(SlaPolicyVersion.id).where(
        SlaPolicyVersion.policy_id == policy.id, SlaPolicyVersion.id != policy.current_version_id
    )
    return (
        select(Requirement.id)
        .where(
            Requirement.sla_policy_version_id.in_(older),
            Requirement.id.in_(
                select(SlaClock.requirement_id).where(SlaClock.status.in_(sla.OPEN))
            ),
        )
        .order_by(Requirement.id)
    )


def _rematch_scan(
    session: Session, policy: SlaPolicy, *, after_id: int = 0, size: int | None = None
) -> tuple[list[int], int | None]:
    """Open requirements under other policies (ids above `after_id`, `size` of them scanned)
    that now match `policy` first; and the last id scanned (None: nothing left)."""
    mine = select(SlaPolicyVersion.id).where(SlaPolicyVersion.policy_id == policy.id)
    query = (
        select(Requirement.id)
        .where(
            or_(
                Requirement.sla_policy_version_id.is_(None),
                Requirement.sla_policy_version_id.not_in(mine),
            ),
            Requirement.id.in_(
                select(SlaClock.requirement_id).where(SlaClock.status.in_(sla.OPEN))
            ),
            Requirement.id > after_id,
        )
        .order_by(Requirement.id)
    )
    scanned = list(session.scalars(query.limit(size) if size else query))
    target = policy.current_version
    matching = [
        rid
        for rid in scanned
        if target is not None
        and sla_policies.match(session, session.get(Requirement, rid)) == target
    ]
    return matching, (scanned[-1] if scanned else None)


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValidationFailed.field(
            "mode", Message(N_("One of: %(choices)s."), choices=", ".join(MODES))
        )


def dry_run(
    session: Session, policy: SlaPolicy, *, clock: Clock, mode: str = VERSIONS
) -> dict[str, Any]:
    """What applying would do, changing nothing."""
    _check_mode(mode)
    if policy.current_version is None:
        raise Conflict(Message(N_("The policy has no version to apply.")))
    if mode == REMATCH:
        ids = _rematch_scan(session, policy)[0]
    else:
        ids = list(session.scalars(_outdated(policy)))
    moves: list[float] = []
    for requirement_id in ids:
        requirement = session.get(Requirement, requirement_id)
        moves += sla.replan_under(
            session, requirement, policy.current_version, clock=clock, apply=False
        )
    moving = [m for m in moves if m]
    return {
        "requirements": len(ids),
        "clocks": len(moves),
        "moving": len(moving),
        "earlier": sum(1 for m in moving if m < 0),
        "later": sum(1 for m in moving if m > 0),
        "largest_shift_seconds": max(moving, key=abs) if moving else 0,
        "median_shift_seconds": statistics.median(moving) if moving else 0,
    }


def start(
    session: Session, policy: SlaPolicy, *, clock: Clock, mode: str = VERSIONS
) -> dict[str, Any]:
    """Queue the recompute (after commit). Refused while one is running."""
    _check_mode(mode)
    if (policy.recompute or {}).get("status") in ("queued", "running"):
        raise Conflict(Message(N_("This policy is already being applied; wait for it to finish.")))
    if policy.current_version is None:
        raise Conflict(Message(N_("The policy has no version to apply.")))
    if mode == REMATCH:
        total = len(_rematch_scan(session, policy)[0])
    else:
        total = session.scalar(select(func.count()).select_from(_outdated(policy).subquery()))
    policy.recompute = {
        "status": "queued",
        "mode": mode,
        "after_id": 0,
        "version": policy.current_version.number if policy.current_version else None,
        "total": total,
        "done": 0,
        "started_at": clock.now().isoformat(),
        "finished_at": None,
    }
    session.flush()
    publish_after_commit(session, APPLY_TASK, policy.id)
    return policy.recompute


def run_chunk(session: Session, policy_id: int, *, clock: Clock, size: int = CHUNK) -> bool:
    """Recompute the next `size` requirements; True when nothing is left. Flushes; the caller
    commits after each chunk, so progress is visible and a crash resumes where it stopped."""
    policy = session.get(SlaPolicy, policy_id)
    if policy is None or policy.current_version is None:
        return True
    progress = dict(policy.recompute or {})
    why = None
    if progress.get("mode") == REMATCH:
        ids, last = _rematch_scan(
            session, policy, after_id=int(progress.get("after_id") or 0), size=size
        )
        finished = last is None
        progress["after_id"] = last or progress.get("after_id", 0)
        why = say(words.REMATCHED, policy=policy.name, version=policy.current_version.number)
    else:
        ids = list(session.scalars(_outdated(policy).limit(size)))
        finished = len(ids) < size
    for requirement_id in ids:
        requirement = session.get(Requirement, requirement_id)
        sla.replan_under(
            session, requirement, policy.current_version, clock=clock, apply=True, why=why
        )
    progress["done"] = progress.get("done", 0) + len(ids)
    progress["total"] = max(progress.get("total", 0), progress["done"])
    progress["status"] = "finished" if finished else "running"
    if finished:
        progress["finished_at"] = clock.now().isoformat()
    policy.recompute = progress
    session.flush()
    return finished
