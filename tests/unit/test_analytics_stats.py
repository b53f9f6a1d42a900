"""The strategy-effect statistics against published worked examples."""

import math

import pytest
from scipy import integrate
from scipy import stats as scipy_stats

from workflows.analytics import stats


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        # Newcombe (1998), Statistics in Medicine 17:857-872, Table I, method 3 (Wilson score)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval_matches_newcombe(successes: int, trials: int, low: float, high: float):
    rate = stats.wilson(successes, trials)
    assert rate.rate == pytest.approx(successes / trials)
    assert rate.low == pytest.approx(low, abs=5e-5)
    assert rate.high == pytest.approx(high, abs=5e-5)


def test_wilson_without_trials_has_no_rate():
    assert stats.wilson(0, 0) == stats.Rate(0, 0, None, None, None)
    with pytest.raises(ValueError, match="between 0 and trials"):
        stats.wilson(3, 2)


def test_difference_interval_matches_newcombe_two_sample_example():
    # Newcombe (1998), Statistics in Medicine 17:873-890, example (a): 56/70 vs 48/80,
    # difference 0.2000, method 10 (hybrid score) interval 0.0524 to 0.3339.
    result = stats.compare(48, 80, 56, 70)
    assert result.difference == pytest.approx(0.2)
    assert result.low == pytest.approx(0.0524, abs=5e-5)
    assert result.high == pytest.approx(0.3339, abs=5e-5)
    assert result.p_value < 0.05
    assert result.can_tell_apart
    assert result.sentence.startswith("B beats A by 20.0 percentage points")


def test_score_test_p_value_equals_pearson_chi_square():
    # The score test of two proportions is Pearson's chi-square without continuity correction.
    table = [[56, 14], [48, 32]]
    chi2 = scipy_stats.chi2_contingency(table, correction=False)
    assert stats.compare(48, 80, 56, 70).p_value == pytest.approx(chi2.pvalue, rel=1e-9)


@pytest.mark.parametrize(("h", "n"), [(0.2, 393), (0.5, 63), (0.8, 25)])
def test_sample_size_matches_cohens_table(h: float, n: int):
    # Cohen (1988), Table 6.4.1: n per sample for power .80, two-sided alpha .05: h = .2 -> 392
    # (392.4 before rounding up), .5 -> 63, .8 -> 25.
    rate_a = 0.5
    rate_b = math.sin((2 * math.asin(math.sqrt(rate_a)) + h) / 2) ** 2  # so that Cohen's h = h
    assert stats._needed_per_variant(rate_a, rate_b, 0.05) == n


def test_sentence_says_how_many_more_enrolments_are_needed():
    result = stats.compare(10, 100, 14, 100)
    assert not result.can_tell_apart
    per_variant = result.needed_per_variant
    assert per_variant > 100
    assert result.more_needed == 2 * (per_variant - 100)
    assert f"roughly {result.more_needed} more enrolments" in result.sentence
    assert "cannot tell A and B apart yet" in result.sentence


def test_no_comparison_without_enrolments_and_equal_rates_say_so():
    assert stats.compare(0, 0, 3, 10).difference is None
    same = stats.compare(5, 50, 5, 50)
    assert same.difference == 0
    assert same.more_needed is None
    assert "same rate" in same.sentence


def test_holdout_effect_puts_the_holdout_first():
    effect = stats.holdout_effect(goals_contacted=56, contacted=70, goals_holdout=48, holdout=80)
    assert effect.difference == pytest.approx(0.2)
    assert effect.sentence.startswith("contacted beats holdout")


def test_bootstrap_reproduces_efron_tibshirani_mouse_data():
    # Efron & Tibshirani (1993), An Introduction to the Bootstrap, Table 2.1 and §2.3: mean
    # survival 86.86 (treatment) vs 56.22 (control), difference 30.63; bootstrap standard error
    # of the difference about 26.85 (B = 1400 there).
    treatment = [94, 197, 16, 38, 99, 141, 23]
    control = [52, 104, 146, 10, 51, 30, 40, 27, 46]
    result = stats.bootstrap_mean_difference(treatment, control)
    assert result.difference == pytest.approx(30.63, abs=0.01)
    assert result.standard_error == pytest.approx(26.85, rel=0.05)
    assert result.low < 0 < result.difference < result.high  # the book: not significant
    assert stats.bootstrap_mean_difference(treatment, control) == result  # fixed seed


def test_bootstrap_with_too_little_data_gives_no_interval():
    assert stats.bootstrap_mean_difference([], [1.0]).difference is None
    single = stats.bootstrap_mean_difference([5.0], [2.0, 4.0])
    assert single.difference == pytest.approx(2.0)
    assert single.low is None


def _exact_probability_b_beats_a(a: tuple[int, int], b: tuple[int, int]) -> float:
    """P(p_B > p_A) for Beta posteriors, by numerical integration (Evan Miller's closed form
    gives the same; this needs no special functions)."""
    beta_a = scipy_stats.beta(1 + a[0], 1 + a[1] - a[0])
    beta_b = scipy_stats.beta(1 + b[0], 1 + b[1] - b[0])
    value, _ = integrate.quad(lambda x: beta_b.pdf(x) * beta_a.cdf(x), 0, 1)
    return value


def test_probability_best_matches_the_exact_integral():
    exact = _exact_probability_b_beats_a((10, 100), (20, 100))
    assert stats.probability_best([10, 20], [100, 100])[1] == pytest.approx(exact, abs=0.01)


def test_thompson_split_keeps_a_floor_and_adds_up_to_one():
    shares = stats.thompson_split([10, 40, 12], [100, 100, 100], floor=0.1)
    assert sum(shares) == pytest.approx(1.0)
    assert min(shares) >= 0.1
    assert shares[1] == max(shares)
    even = stats.thompson_split([0, 0], [0, 0], floor=0.2)
    assert even == pytest.approx([0.5, 0.5], abs=0.02)
    with pytest.raises(ValueError, match="cannot hold"):
        stats.thompson_split([1, 1, 1], [2, 2, 2], floor=0.4)
