"""A strategy's measured effect: per arm (the holdout, everyone contacted, and each variant of
each step that has variants) how many were enrolled and reached, how many replied and how many
reached the strategy's goal, as rates with Wilson intervals; then B against A and each arm
against the holdout, as differences with intervals, p-values and a sentence in plain words;
and revenue per enrolled customer, contacted against the holdout (`strategy_revenue`), or
without a holdout, before against after enrolment (`strategy_before_after`: weaker evidence).

What counts: an enrolment replied when an inbound communication of its customer came after
the enrolment, and reached the goal when the goal's KPI holds since the enrolment — the very
conditions the stop checks use (`workflows.outreach.outcomes`), so a holdout customer, never
contacted and never checked before a step, is measured the same way as a contacted one. A
variant's arm is the enrolments that were sent that variant of that step. Counts are SQL
aggregates; only the few arm totals reach Python.
"""

from typing import Any

from sqlalchemy import (
    Integer,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from models import (
    EmailSuppression,
    Enrolment,
    EnrolmentEvent,
    EnrolmentStatus,
    OutboxStatus,
    Strategy,
    SuppressionReason,
)
from workflows.analytics import split_history, stats
from workflows.analytics.strategy_before_after import COLUMNS as BEFORE_AFTER_COLUMNS
from workflows.analytics.strategy_before_after import before_after
from workflows.analytics.strategy_revenue import revenue_effect
from workflows.analytics.tables import table
from workflows.outreach import outcomes
from workflows.outreach.strategies import current_version
from workflows.platform.clock import Clock
from workflows.platform.i18n import N_, gettext

HOLDOUT = "holdout"
CONTACTED = "contacted"
VARIANT = "variant"  # the rows of the variant arms in the one counting statement
METRICS = ("goal", "reply")
# enrolled, reached (sent), replied, goal reached, delivered, bounced, unsubscribed, stopped
NONE = (0, 0, 0, 0, 0, 0, 0, 0)
ARM_COLUMNS = [
    "arm",
    "step",
    "variant",
    "channel",
    "enrolled",
    "reached",
    "replied",
    "reply_rate",
    "reply_low",
    "reply_high",
    "goal_reached",
    "goal_rate",
    "goal_low",
    "goal_high",
    "delivered",
    "delivered_rate",
    "delivered_low",
    "delivered_high",
    "bounced",
    "bounced_rate",
    "bounced_low",
    "bounced_high",
    "unsubscribed",
    "unsubscribed_rate",
    "unsubscribed_low",
    "unsubscribed_high",
    "stopped",
    "stopped_rate",
    "stopped_low",
    "stopped_high",
]
COMPARISON_COLUMNS = [
    "metric",
    "step",
    "baseline",
    "arm",
    "baseline_rate",
    "arm_rate",
    "difference",
    "low",
    "high",
    "p_value",
    "can_tell_apart",
    "more_enrolments_needed",
    "verdict",
]


def strategy_results(
    session: Session, strategy: Strategy, *, clock: Clock, locale: str | None = None
) -> dict[str, Any]:
    """The effect panel's tables and verdicts; the sentences in `locale` (English by default,
    as the API gives them). `before_after` has rows only for a strategy without a holdout."""
    _without_jit(session)
    definition = current_version(session, strategy).definition
    goal_definition = definition.get("goal") or {}
    kpi = goal_definition.get("kpi") or "reply_rate"
    groups, variants = _counts(session, strategy.id, _per_enrolment(strategy.id, kpi))
    arms = [_arm(name, None, None, None, *groups.get(name, NONE)) for name in (CONTACTED, HOLDOUT)]
    for step, key, channel, counts in variants:
        name = gettext(locale, N_("step %(n)s · %(variant)s"), n=step + 1, variant=key)
        arms.append(_arm(name, step, key, channel, *counts))
    comparisons = _comparisons(groups, variants, locale)
    return {
        "strategy": {"id": strategy.id, "name": strategy.name},
        "goal": {"kpi": kpi},
        "arms": table(ARM_COLUMNS, arms),
        "comparisons": table(COMPARISON_COLUMNS, comparisons),
        "verdicts": _headlines(comparisons),
        "revenue": revenue_effect(
            session, strategy.id, groups.get(CONTACTED, NONE)[0], groups.get(HOLDOUT, NONE)[0]
        ),
        "before_after": (
            table(BEFORE_AFTER_COLUMNS, [])
            if groups.get(HOLDOUT, NONE)[0]
            else before_after(
                session, strategy.id, int(goal_definition.get("days") or 30), clock=clock
            )
        ),
        "split": split_history.split_section(session, strategy.id, definition),
    }


def variant_counts(
    session: Session, strategy_id: int, definition: dict[str, Any]
) -> dict[tuple[int, str], tuple[int, int]]:
    """Per (step, variant key): how many enrolments were sent that variant of that step and how
    many of them reached the goal — the variant arms of the results, from the same single
    counting statement (`_counts`)."""
    _without_jit(session)
    kpi = (definition.get("goal") or {}).get("kpi") or "reply_rate"
    _groups, variants = _counts(session, strategy_id, _per_enrolment(strategy_id, kpi))
    return {(step, key): (counts[0], counts[3]) for step, key, _channel, counts in variants}


def _per_enrolment(strategy_id: int, kpi: str) -> Any:
    replied = outcomes.replied(Enrolment.customer_id, Enrolment.enrolled_at)
    goal = (
        None
        if kpi == "reply_rate"
        else outcomes.goal_reached(kpi, Enrolment.customer_id, Enrolment.enrolled_at)
    )
    return _outcomes(strategy_id, replied, goal)


def _without_jit(session: Session) -> None:
    """PostgreSQL compiles these aggregates with its JIT (their estimated cost is far above
    `jit_above_cost`): 64 ms of a 290 ms statement at 20,000 enrolments, more than it saves.
    Off for this transaction only."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def _flag(condition: Any) -> Any:
    return case((condition, 1), else_=0)


def _outcomes(strategy_id: int, replied: Any, goal: Any | None) -> Any:
    """One row per enrolment of the strategy with its flags (holdout, reached, replied, goal),
    so the reply and goal checks run once per enrolment for the arms and the variants alike.
    A holdout enrolment is known by its `holdout` event: a stop rewrites its status."""
    held = Enrolment.id.in_(_with_event(strategy_id, HOLDOUT))
    sent = Enrolment.id.in_(_with_event(strategy_id, "sent"))
    columns = [
        Enrolment.id.label("enrolment_id"),
        case((held, HOLDOUT), else_=CONTACTED).label("arm"),
        _flag(sent).label("reached"),
        _flag(replied).label("replied"),
        # Kept on the enrolment by the outbox writers (`models.sync_delivery`).
        _flag(Enrolment.delivered_at.is_not(None)).label("delivered"),
        _flag(Enrolment.bounced_at.is_not(None)).label("dead"),
        _flag(Enrolment.stop_reason == "unsubscribed").label("unsubscribed"),
        _flag(Enrolment.status == EnrolmentStatus.STOPPED).label("stopped"),
        _flag(_bounce_suppressed()).label("bounced_address"),
    ]
    # A reply-rate goal is the reply itself: no second subquery (`_goal` reads `replied`).
    if goal is not None:
        columns.append(_flag(goal).label("goal"))
    return (
        select(*columns)
        .where(Enrolment.strategy_id == strategy_id)
        .cte("enrolment_outcomes")
        # Read twice (arms, variants) in one statement: computed once, not per reader.
        .prefix_with("MATERIALIZED")
    )


def _with_event(strategy_id: int, kind: str) -> Any:
    """The strategy's enrolments with an event of `kind`: one range of
    `ix_outreach_events_strategy_kind`, cheaper than a look per enrolment."""
    return select(EnrolmentEvent.enrolment_id).where(
        EnrolmentEvent.strategy_id == strategy_id, EnrolmentEvent.kind == kind
    )


def _bounce_suppressed() -> Any:
    """The customer's address was suppressed by a bounce since the enrolment."""
    return exists().where(
        EmailSuppression.customer_id == Enrolment.customer_id,
        EmailSuppression.reason == SuppressionReason.BOUNCED,
        EmailSuppression.created_at >= Enrolment.enrolled_at,
    )


def _goal(per_enrolment: Any) -> Any:
    return per_enrolment.c.goal if "goal" in per_enrolment.c else per_enrolment.c.replied


def _counts(
    session: Session, strategy_id: int, per_enrolment: Any
) -> tuple[dict[str, tuple], list[tuple[int, str, str | None, tuple[int, int, int, int]]]]:
    """In one statement, so that the per-enrolment checks run once: (enrolled, reached, replied,
    goal) for the holdout and for everyone contacted, and per step with variants and per
    variant (step, key, channel, counts) in step order."""
    arms = select(
        per_enrolment.c.arm.label("arm"),
        cast(null(), Integer).label("step"),
        cast(null(), String).label("variant"),
        cast(null(), String).label("channel"),
        func.count().label("enrolled"),
        func.sum(per_enrolment.c.reached).label("reached"),
        func.sum(per_enrolment.c.replied).label("replied"),
        func.sum(_goal(per_enrolment)).label("goal"),
        func.sum(per_enrolment.c.delivered),
        # Only what was sent can bounce: a held-out address suppressed by another mail does not.
        func.sum(
            _flag(
                or_(
                    per_enrolment.c.dead == 1,
                    and_(per_enrolment.c.reached == 1, per_enrolment.c.bounced_address == 1),
                )
            )
        ),
        func.sum(per_enrolment.c.unsubscribed),
        func.sum(per_enrolment.c.stopped),
    ).group_by(per_enrolment.c.arm)
    sent = (
        select(
            EnrolmentEvent.step_index.label("step"),
            EnrolmentEvent.variant.label("variant"),
            func.max(EnrolmentEvent.channel).label("channel"),
            EnrolmentEvent.enrolment_id.label("enrolment_id"),
            func.max(_flag(EnrolmentEvent.delivery == OutboxStatus.SENT)).label("delivered"),
            func.max(_flag(EnrolmentEvent.delivery == OutboxStatus.DEAD)).label("dead"),
        )
        .where(
            EnrolmentEvent.strategy_id == strategy_id,
            EnrolmentEvent.kind == "sent",
            EnrolmentEvent.variant.is_not(None),
        )
        # One row per enrolment, step and variant: a step sent twice counts its outcome once
        # (in the covering index's order: no sort).
        .group_by(EnrolmentEvent.enrolment_id, EnrolmentEvent.step_index, EnrolmentEvent.variant)
        .subquery()
    )
    variants = (
        select(
            literal(VARIANT).label("arm"),
            sent.c.step,
            sent.c.variant,
            func.max(sent.c.channel),
            func.count(),
            func.count(),
            func.sum(per_enrolment.c.replied),
            func.sum(_goal(per_enrolment)),
            func.sum(sent.c.delivered),
            # This step's message failed or bounced, or a bounce suppressed the address.
            func.sum(_flag(or_(sent.c.dead == 1, per_enrolment.c.bounced_address == 1))),
            func.sum(per_enrolment.c.unsubscribed),
            func.sum(per_enrolment.c.stopped),
        )
        .join(per_enrolment, per_enrolment.c.enrolment_id == sent.c.enrolment_id)
        .group_by(sent.c.step, sent.c.variant)
    )
    groups: dict[str, tuple] = {}
    found = []
    for arm, step, key, channel, *values in session.execute(union_all(arms, variants)):
        counts = tuple(int(v or 0) for v in values)
        if arm == VARIANT:
            found.append((int(step), str(key), channel, counts))
        else:
            groups[arm] = counts
    return groups, sorted(found, key=lambda row: (row[0], row[1]))


def _arm(
    name: str,
    step: int | None,
    variant: str | None,
    channel: str | None,
    enrolled: int,
    reached: int,
    replied: int,
    goal: int,
    delivered: int,
    bounced: int,
    unsubscribed: int,
    stopped: int,
) -> list[Any]:
    """Rates over the enrolled, but delivered and bounced over those sent (reached)."""
    reply, converted = stats.wilson(replied, enrolled), stats.wilson(goal, enrolled)
    funnel = [
        (delivered, stats.wilson(delivered, reached)),
        (bounced, stats.wilson(bounced, reached)),
        (unsubscribed, stats.wilson(unsubscribed, enrolled)),
        (stopped, stats.wilson(stopped, enrolled)),
    ]
    return [
        name,
        None if step is None else step + 1,
        variant,
        channel,
        enrolled,
        reached,
        replied,
        *_rounded(reply.rate, reply.low, reply.high),
        goal,
        *_rounded(converted.rate, converted.low, converted.high),
        *[
            value
            for count, rate in funnel
            for value in (count, *_rounded(rate.rate, rate.low, rate.high))
        ],
    ]


def _rounded(*values: float | None) -> list[float | None]:
    return [None if v is None else round(v, 4) for v in values]


def _comparisons(
    groups: dict[str, tuple],
    variants: list[tuple[int, str, str | None, tuple]],
    locale: str | None = None,
) -> list[list[Any]]:
    """For each metric: contacted against the holdout; per step with variants, every other
    variant against the first (B over A) and each variant against the holdout."""
    holdout = groups.get(HOLDOUT, NONE)
    found = []
    for metric in METRICS:
        position = 3 if metric == "goal" else 2
        if holdout[0]:
            found.append(
                _row(
                    metric,
                    None,
                    HOLDOUT,
                    CONTACTED,
                    holdout,
                    groups.get(CONTACTED),
                    position,
                    locale,
                )
            )
        steps = sorted({step for step, *_ in variants})
        for step in steps:
            arms = [(key, counts) for s, key, _, counts in variants if s == step]
            (first_key, first), others = arms[0], arms[1:]
            for key, counts in others:
                found.append(_row(metric, step, first_key, key, first, counts, position, locale))
            if holdout[0]:
                for key, counts in arms:
                    found.append(
                        _row(metric, step, HOLDOUT, key, holdout, counts, position, locale)
                    )
    return found


def _row(
    metric: str,
    step: int | None,
    baseline: str,
    arm: str,
    base_counts: tuple,
    arm_counts: tuple | None,
    position: int,
    locale: str | None = None,
) -> list[Any]:
    arm_counts = arm_counts or NONE
    name = gettext(locale, _name(metric))
    result = stats.compare(
        base_counts[position],
        base_counts[0],
        arm_counts[position],
        arm_counts[0],
        labels=(_arm_word(baseline, locale), _arm_word(arm, locale)),
        locale=locale,
    )
    return [
        metric,
        None if step is None else step + 1,
        baseline,
        arm,
        *_rounded(result.a.rate, result.b.rate, result.difference, result.low, result.high),
        None if result.p_value is None else round(result.p_value, 4),
        result.can_tell_apart,
        result.more_needed,
        gettext(locale, N_("%(metric)s: %(sentence)s"), metric=name, sentence=result.sentence),
    ]


def _name(metric: str) -> str:
    return N_("Goal rate") if metric == "goal" else N_("Reply rate")


ARM_WORDS = {HOLDOUT: N_("holdout"), CONTACTED: N_("contacted")}


def _arm_word(arm: str, locale: str | None) -> str:
    """The holdout and the contacted group in words; variant keys (A, B) stay as they are."""
    return gettext(locale, ARM_WORDS[arm]) if arm in ARM_WORDS else arm


def _headlines(comparisons: list[list[Any]]) -> list[str]:
    """The sentences for the goal rate: the holdout comparison and B against A per step."""
    return [
        row[-1] for row in comparisons if row[0] == "goal" and (row[1] is None or row[2] != HOLDOUT)
    ]
