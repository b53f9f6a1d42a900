"""Which variant of a step an enrolment gets, and when that is decided.

A step's variant is decided once, when its due-step row is planned, and stored on that row
(`outreach_due_steps.variant`) in the transaction that writes the row. Planning is once per
enrolment and step (a unique row: a second planner finds the first one's row and its variant),
and executing a step only reads the stored variant. So a step that runs again — its lease
expired after a worker died, its batch delivered twice — sends the same variant and therefore
makes the same outbox key (`outreach:<strategy>:<enrolment>:<step>:<variant>`), which the outbox
writes once: never a second email, however the adaptive split changed in between.

Why at planning time and not "the latest split when the step runs": the latest split is not a
function of the step, so two attempts could read two splits and send two variants. The shares
in effect when the row was planned are fixed with the row. For an adaptive strategy those are
the latest `outreach_variant_splits` row of that step (kept by beat,
`workflows.analytics.variant_splits`); before the first one, and for a fixed split, the
variants' weights. A row planned before variants were stored chooses by the weights when it
runs — a pure function of the enrolment and step, so every attempt agrees — and records it.
"""

import hashlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import VariantSplit
from workflows.outreach.definitions import is_adaptive

NO_VARIANT = "-"


def choose_variant(
    step: dict[str, Any],
    enrolment_id: int,
    step_index: int,
    shares: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """The enrolment's variant of the step: a point drawn from a hash of the enrolment and step,
    placed on the variants' `shares` when they cover every variant, else on their weights. The
    same arguments always give the same variant; over many enrolments each variant gets its
    share."""
    variants = step.get("variants") or []
    if not variants:
        return {"key": NO_VARIANT}
    digest = hashlib.sha256(f"{enrolment_id}:{step_index}".encode()).digest()
    number = int.from_bytes(digest[:8], "big")
    if shares and _covers(variants, shares):
        sizes = [float(shares[v["key"]]) for v in variants]
        point: float = number / 2**64 * sum(sizes)
    else:
        sizes = [v["weight"] for v in variants]
        point = number % sum(sizes)
    for variant, size in zip(variants, sizes, strict=True):
        point -= size
        if point < 0:
            return variant
    return variants[-1]


def _covers(variants: list[dict[str, Any]], shares: Mapping[str, float]) -> bool:
    if not all(v["key"] in shares and shares[v["key"]] >= 0 for v in variants):
        return False
    return sum(shares[v["key"]] for v in variants) > 0


def variant_of(step: dict[str, Any], key: str | None) -> dict[str, Any] | None:
    """The step's variant stored as `key` on a due step, or None if the step has no such one."""
    if key == NO_VARIANT:
        return {"key": NO_VARIANT}
    return next((v for v in step.get("variants") or [] if v["key"] == key), None)


def latest_shares(
    session: Session, strategy_id: int, step_index: int | None = None
) -> dict[int, dict[str, float]]:
    """Per step (or only `step_index`), the shares of the latest stored split."""
    latest = (
        select(VariantSplit.step_index, func.max(VariantSplit.id).label("id"))
        .where(VariantSplit.strategy_id == strategy_id)
        .group_by(VariantSplit.step_index)
    )
    if step_index is not None:
        latest = latest.where(VariantSplit.step_index == step_index)
    ids = latest.subquery()
    rows = session.execute(
        select(VariantSplit.step_index, VariantSplit.shares).join(ids, ids.c.id == VariantSplit.id)
    )
    return {index: dict(shares) for index, shares in rows}


def planned_variant(
    session: Session,
    definition: dict[str, Any],
    strategy_id: int,
    enrolment_id: int,
    step_index: int,
    shares: Mapping[int, Mapping[str, float]] | None = None,
) -> str:
    """The variant key to store on a due step being planned (`-` for a step without variants);
    `shares` saves the look-up when planning many enrolments at once."""
    step = definition["steps"][step_index]
    if not step.get("variants"):
        return NO_VARIANT
    if not is_adaptive(definition):
        return str(choose_variant(step, enrolment_id, step_index)["key"])
    if shares is None:
        shares = latest_shares(session, strategy_id, step_index)
    return str(choose_variant(step, enrolment_id, step_index, shares.get(step_index))["key"])
