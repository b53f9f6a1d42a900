"""Choosing a step's variant: a pure function of the enrolment, the step and the shares, which
follows the shares over many enrolments, and the definition's adaptive split option."""

from collections import Counter
from typing import Any

import pytest

from workflows.analytics import stats
from workflows.outreach import definitions
from workflows.outreach.splits import choose_variant, variant_of
from workflows.platform.errors import ValidationFailed

STEP: dict[str, Any] = {
    "channel": "email",
    "variants": [{"key": "A", "weight": 50}, {"key": "B", "weight": 50}],
}


def _tally(shares: dict[str, float] | None, count: int = 4000) -> Counter[str]:
    return Counter(choose_variant(STEP, n, 0, shares)["key"] for n in range(1, count + 1))


def test_the_same_enrolment_and_step_always_get_the_same_variant() -> None:
    shares = {"A": 0.3, "B": 0.7}
    first = [choose_variant(STEP, n, 2, shares)["key"] for n in range(200)]
    again = [choose_variant(STEP, n, 2, dict(shares))["key"] for n in range(200)]
    assert first == again
    assert {choose_variant(STEP, 7, 1)["key"] for _ in range(5)} == {
        choose_variant(STEP, 7, 1)["key"]
    }


def test_the_split_follows_the_shares() -> None:
    tally = _tally({"A": 0.2, "B": 0.8})
    assert tally["B"] / 4000 == pytest.approx(0.8, abs=0.03)
    tally = _tally({"A": 0.9, "B": 0.1})
    assert tally["A"] / 4000 == pytest.approx(0.9, abs=0.03)


def test_without_shares_or_with_shares_of_other_variants_the_weights_decide() -> None:
    weighted = {**STEP, "variants": [{"key": "A", "weight": 80}, {"key": "B", "weight": 20}]}
    for shares in (None, {}, {"X": 1.0}):
        tally = Counter(choose_variant(weighted, n, 0, shares)["key"] for n in range(1, 4001))
        assert tally["A"] / 4000 == pytest.approx(0.8, abs=0.03)


def test_a_floor_holds_however_clear_the_winner() -> None:
    shares = stats.thompson_split([0, 90], [100, 100], floor=0.1)
    assert min(shares) == pytest.approx(0.1, abs=1e-6)
    tally = _tally(dict(zip(["A", "B"], shares, strict=True)))
    assert tally["A"] / 4000 == pytest.approx(0.1, abs=0.02)
    assert tally["B"] > tally["A"]


def test_a_step_without_variants_has_none() -> None:
    assert choose_variant({"channel": "email"}, 1, 0, {"A": 1.0}) == {"key": "-"}
    assert variant_of(STEP, "B") == {"key": "B", "weight": 50}
    assert variant_of(STEP, "-") == {"key": "-"}
    assert variant_of(STEP, "Z") is None


def _split(raw: Any) -> dict[str, Any]:
    errors = definitions._Errors()
    cleaned = definitions._split(raw, [STEP, {**STEP, "variants": STEP["variants"] * 2}], errors)
    if errors.errors:
        raise ValidationFailed(errors.errors)
    return cleaned


def test_the_split_option_is_fixed_by_default_and_validated_by_field() -> None:
    assert _split(None) == {"mode": "fixed", "floor": 10}
    assert _split({"mode": "adaptive", "floor": "20"}) == {"mode": "adaptive", "floor": 20}
    with pytest.raises(ValidationFailed) as refused:
        _split({"mode": "greedy", "floor": 80})
    assert set(refused.value.errors) == {"split.mode", "split.floor"}
    with pytest.raises(ValidationFailed) as refused:
        _split({"mode": "adaptive", "floor": 30})  # 4 variants cannot each keep 30 %
    assert list(refused.value.errors) == ["split.floor"]
