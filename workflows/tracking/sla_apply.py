"""“Apply to open requirements”: move requirements still counting under an older version of a
policy to its current version. A dry run says how many due times move and by how much; the
real run is a background task that recomputes in chunks and records its progress on the
policy (`SlaPolicy.recompute`)."""

import statistics
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from models import Requirement, SlaClock, SlaPolicy, SlaPolicyVersion
from workflows.platform.clock import Clock
from workflows.platform.errors import Conflict
from workflows.platform.publishing import publish_after_commit
from workflows.tracking import sla

APPLY_TASK = "sla.apply_policy"
CHUNK = 100


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


def dry_run(session: Session, policy: SlaPolicy, *, clock: Clock) -> dict[str, Any]:
    """What applying would do, changing nothing."""
    if policy.current_version is None:
        raise Conflict("The policy has no version to apply.")
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


def start(session: Session, policy: SlaPolicy, *, clock: Clock) -> dict[str, Any]:
    """Queue the recompute (after commit). Refused while one is running."""
    if (policy.recompute or {}).get("status") in ("queued", "running"):
        raise Conflict("This policy is already being applied; wait for it to finish.")
    total = session.scalar(select(func.count()).select_from(_outdated(policy).subquery()))
    policy.recompute = {
        "status": "queued",
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
    ids = list(session.scalars(_outdated(policy).limit(size)))
    for requirement_id in ids:
        requirement = session.get(Requirement, requirement_id)
        sla.replan_under(session, requirement, policy.current_version, clock=clock, apply=True)
    progress = dict(policy.recompute or {})
    progress["done"] = progress.get("done", 0) + len(ids)
    progress["total"] = max(progress.get("total", 0), progress["done"])
    finished = len(ids) < size
    progress["status"] = "finished" if finished else "running"
    if finished:
        progress["finished_at"] = clock.now().isoformat()
    policy.recompute = progress
    session.flush()
    return finished
