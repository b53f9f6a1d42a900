"""Adaptive variant splits (beat): for each active strategy whose definition says
`split.mode = adaptive`, and each step with two variants or more, count per variant the
enrolments sent it (trials) and those of them that reached the goal (successes) — the results'
own counting, one SQL statement per strategy — and store the Thompson-sampling split with the
strategy's floor (`stats.thompson_split`) as a new `outreach_variant_splits` row. Steps planned
from then on are given their variant by these shares (`workflows.outreach.splits`)."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Strategy, StrategyStatus, VariantSplit
from workflows.analytics import stats
from workflows.analytics.strategy_results import variant_counts
from workflows.outreach.definitions import is_adaptive
from workflows.outreach.strategies import current_version
from workflows.platform.clock import Clock


def compute(session: Session, strategy: Strategy, *, clock: Clock) -> list[VariantSplit]:
    """Store the split of each of the strategy's steps with variants now; flushes, never
    commits. Nothing for a fixed split."""
    definition = current_version(session, strategy).definition
    steps = [
        (index, [variant["key"] for variant in step["variants"]])
        for index, step in enumerate(definition["steps"])
        if len(step.get("variants") or []) >= 2
    ]
    if not is_adaptive(definition) or not steps:
        return []
    counts = variant_counts(session, strategy.id, definition)
    floor = definition["split"]["floor"] / 100
    now = clock.now()
    made = []
    for index, keys in steps:
        trials = [counts.get((index, key), (0, 0))[0] for key in keys]
        successes = [counts.get((index, key), (0, 0))[1] for key in keys]
        shares = stats.thompson_split(successes, trials, floor=floor)
        made.append(
            VariantSplit(
                strategy_id=strategy.id,
                step_index=index,
                computed_at=now,
                shares={key: round(share, 4) for key, share in zip(keys, shares, strict=True)},
                successes=dict(zip(keys, successes, strict=True)),
                trials=dict(zip(keys, trials, strict=True)),
            )
        )
    session.add_all(made)
    session.flush()
    return made


def compute_all(session: Session, *, clock: Clock) -> int:
    """`compute` for every active strategy; how many splits were stored. Flushes only."""
    active = session.scalars(select(Strategy).where(Strategy.status == StrategyStatus.ACTIVE))
    return sum(len(compute(session, strategy, clock=clock)) for strategy in active.all())
