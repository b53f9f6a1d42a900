"""Statistics for a strategy's measured effect: pure functions over counts and amounts, ready
for the outreach domain to feed (enrolments, holdouts, variants).

Every formula is the library's (statsmodels, scipy); this module only chooses the method and
says in words what the numbers allow one to conclude.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportion_effectsize,
    test_proportions_2indep,
)

from workflows.platform.i18n import N_, gettext

CONFIDENCE = 0.95
POWER = 0.8  # the chance of detecting a real difference of the observed size
BOOTSTRAP_SEED = 20261204  # fixed: the same data always gives the same interval
BOOTSTRAP_RESAMPLES = 9999
# BCa's jackknife costs one statistic per value and each resample one pass over all values:
# beyond this many values (both arms together) the interval is the normal one on Welch's
# standard error, which the central limit theorem makes as good at that size, in milliseconds.
BOOTSTRAP_MAX_VALUES = 1000  # ~0.3 s CPU at 1,000 values (9,999 resamples); 1 s at 4,000


@dataclass(frozen=True)
class Rate:
    successes: int
    trials: int
    rate: float | None
    low: float | None
    high: float | None


def wilson(successes: int, trials: int, confidence: float = CONFIDENCE) -> Rate:
    """A proportion with its Wilson score interval (good with small counts and rates near 0 or
    1, where the textbook Wald interval fails). No trials: no rate."""
    if trials < 0 or not 0 <= successes <= trials:
        raise ValueError("successes must lie between 0 and trials")
    if trials == 0:
        return Rate(successes, trials, None, None, None)
    low, high = proportion_confint(successes, trials, alpha=1 - confidence, method="wilson")
    return Rate(successes, trials, successes / trials, float(low), float(high))


@dataclass(frozen=True)
class Comparison:
    """B minus A: the difference in rate, its interval, the p-value, and what follows."""

    a: Rate
    b: Rate
    difference: float | None
    low: float | None
    high: float | None
    p_value: float | None
    can_tell_apart: bool
    needed_per_variant: int | None  # trials per variant to detect the observed difference
    more_needed: int | None  # further trials in total (both variants) to reach that
    sentence: str


def compare(
    successes_a: int,
    trials_a: int,
    successes_b: int,
    trials_b: int,
    *,
    confidence: float = CONFIDENCE,
    labels: tuple[str, str] = ("A", "B"),
    locale: str | None = None,
) -> Comparison:
    """Difference of two independent proportions (B - A): Newcombe's hybrid score interval,
    a score test's p-value, and a power analysis (Cohen's h, normal approximation) for how
    many trials per variant would detect a difference of the observed size."""
    a, b = wilson(successes_a, trials_a), wilson(successes_b, trials_b)
    name_a, name_b = labels
    if not trials_a or not trials_b:
        return Comparison(
            a,
            b,
            None,
            None,
            None,
            None,
            False,
            None,
            None,
            gettext(
                locale,
                N_("No comparison yet: %(name)s has no enrolments."),
                name=name_a if not trials_a else name_b,
            ),
        )
    alpha = 1 - confidence
    difference = b.rate - a.rate
    low, high = confint_proportions_2indep(
        successes_b, trials_b, successes_a, trials_a, method="newcomb", alpha=alpha
    )
    p_value = _p_value(successes_a, trials_a, successes_b, trials_b)
    apart = p_value is not None and p_value < alpha
    needed = _needed_per_variant(a.rate, b.rate, alpha)
    more = None if needed is None else max(0, needed - trials_a) + max(0, needed - trials_b)
    return Comparison(
        a,
        b,
        difference,
        float(low),
        float(high),
        p_value,
        apart,
        needed,
        more,
        _sentence(
            name_a, name_b, difference, float(low), float(high), apart, more, confidence, locale
        ),
    )


def _p_value(successes_a: int, trials_a: int, successes_b: int, trials_b: int) -> float | None:
    if successes_a + successes_b in (0, trials_a + trials_b):
        return 1.0  # all failures or all successes: no evidence of any difference
    result = test_proportions_2indep(
        successes_b,
        trials_b,
        successes_a,
        trials_a,
        method="score",
        compare="diff",
        correction=False,
    )
    return float(result.pvalue)


def _needed_per_variant(rate_a: float, rate_b: float, alpha: float) -> int | None:
    effect = abs(float(proportion_effectsize(rate_b, rate_a)))
    if effect == 0:
        return None  # no observed difference: no sample size detects "nothing"
    n = NormalIndPower().solve_power(effect_size=effect, alpha=alpha, power=POWER, ratio=1.0)
    return math.ceil(float(n))


def _sentence(
    name_a: str,
    name_b: str,
    difference: float,
    low: float,
    high: float,
    apart: bool,
    more: int | None,
    confidence: float,
    locale: str | None = None,
) -> str:
    """The plain sentence, in `locale` (English by default: the API's text)."""
    points = gettext(locale, N_("%(n)s percentage points"), n=f"{abs(difference) * 100:.1f}")
    interval = gettext(
        locale,
        N_("%(confidence)s interval %(low)s to %(high)s points"),
        confidence=f"{confidence:.0%}",
        low=f"{low * 100:+.1f}",
        high=f"{high * 100:+.1f}",
    )
    names = {"a": name_a, "b": name_b, "interval": interval, "points": points}
    if apart:
        better, worse = (name_b, name_a) if difference > 0 else (name_a, name_b)
        return gettext(
            locale,
            N_(
                "%(better)s beats %(worse)s by %(points)s (%(interval)s); "
                "the data can tell them apart."
            ),
            better=better,
            worse=worse,
            points=points,
            interval=interval,
        )
    if more is None:
        return gettext(
            locale,
            N_("%(a)s and %(b)s have the same rate so far (%(interval)s); no difference seen."),
            **names,
        )
    if more == 0:
        return gettext(
            locale,
            N_(
                "The data cannot tell %(a)s and %(b)s apart (%(interval)s), although there are "
                "enough enrolments to detect a difference of %(points)s: any real difference is "
                "probably smaller than that."
            ),
            **names,
        )
    return gettext(
        locale,
        N_(
            "The data cannot tell %(a)s and %(b)s apart yet (%(interval)s); roughly %(more)s more "
            "enrolments would be needed to detect a difference of %(points)s."
        ),
        more=more,
        **names,
    )


@dataclass(frozen=True)
class MeanDifference:
    contacted_mean: float | None
    holdout_mean: float | None
    difference: float | None
    low: float | None
    high: float | None
    standard_error: float | None


def bootstrap_mean_difference(
    contacted: Sequence[float],
    holdout: Sequence[float],
    *,
    confidence: float = CONFIDENCE,
    seed: int = BOOTSTRAP_SEED,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> MeanDifference:
    """Revenue per enrolled customer, contacted minus holdout, with a BCa bootstrap interval
    (revenue is skewed: a few large orders; no normality assumed). Fixed seed: reproducible."""
    x, y = np.asarray(contacted, dtype=float), np.asarray(holdout, dtype=float)
    if len(x) == 0 or len(y) == 0:
        mean_x = float(x.mean()) if len(x) else None
        mean_y = float(y.mean()) if len(y) else None
        return MeanDifference(mean_x, mean_y, None, None, None, None)
    difference = float(x.mean() - y.mean())
    if len(x) < 2 or len(y) < 2 or (np.ptp(x) == 0 and np.ptp(y) == 0):
        return MeanDifference(float(x.mean()), float(y.mean()), difference, None, None, None)
    result = scipy_stats.bootstrap(
        (x, y),
        _mean_difference,
        vectorized=True,
        n_resamples=resamples,
        confidence_level=confidence,
        method="BCa",
        rng=np.random.default_rng(seed),
    )
    interval = result.confidence_interval
    return MeanDifference(
        float(x.mean()),
        float(y.mean()),
        difference,
        float(interval.low),
        float(interval.high),
        float(result.standard_error),
    )


def mean_difference(
    contacted: Sequence[float], holdout: Sequence[float], *, confidence: float = CONFIDENCE
) -> tuple[MeanDifference, str]:
    """Contacted minus holdout mean with its interval and the method's name: the bootstrap
    (`bootstrap_mean_difference`) up to `BOOTSTRAP_MAX_VALUES` values, else normal (Welch)."""
    small = min(len(contacted), len(holdout)) < 2  # no interval: the bootstrap's early return
    if small or len(contacted) + len(holdout) <= BOOTSTRAP_MAX_VALUES:
        return bootstrap_mean_difference(contacted, holdout, confidence=confidence), "bootstrap"
    x, y = np.asarray(contacted, dtype=float), np.asarray(holdout, dtype=float)
    difference = float(x.mean() - y.mean())
    error = math.sqrt(x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y))
    half = float(scipy_stats.norm.ppf(0.5 + confidence / 2)) * error
    return (
        MeanDifference(
            float(x.mean()),
            float(y.mean()),
            difference,
            difference - half,
            difference + half,
            error,
        ),
        "normal",
    )


def paired_mean_difference(
    before: Sequence[float], after: Sequence[float], *, confidence: float = CONFIDENCE
) -> tuple[MeanDifference, str]:
    """After minus before, the same customers twice: the mean of the per-customer differences
    with a BCa bootstrap interval up to `BOOTSTRAP_MAX_VALUES` customers, else normal. The
    result's `contacted_mean` is the mean after, `holdout_mean` the mean before."""
    x, y = np.asarray(after, dtype=float), np.asarray(before, dtype=float)
    if len(x) != len(y):
        raise ValueError("one before and one after value per customer")
    if len(x) == 0:
        return MeanDifference(None, None, None, None, None, None), "bootstrap"
    d = x - y
    difference = float(d.mean())
    if len(d) < 2 or np.ptp(d) == 0:
        return MeanDifference(float(x.mean()), float(y.mean()), difference, None, None, None), (
            "bootstrap"
        )
    if len(d) <= BOOTSTRAP_MAX_VALUES:
        result = scipy_stats.bootstrap(
            (d,),
            np.mean,
            vectorized=True,
            n_resamples=BOOTSTRAP_RESAMPLES,
            confidence_level=confidence,
            method="BCa",
            rng=np.random.default_rng(BOOTSTRAP_SEED),
        )
        low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
        error, method = float(result.standard_error), "bootstrap"
    else:
        error = float(d.std(ddof=1)) / math.sqrt(len(d))
        half = float(scipy_stats.norm.ppf(0.5 + confidence / 2)) * error
        low, high, method = difference - half, difference + half, "normal"
    return MeanDifference(float(x.mean()), float(y.mean()), difference, low, high, error), method


def _mean_difference(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(x, axis=axis) - np.mean(y, axis=axis)


def holdout_effect(
    goals_contacted: int, contacted: int, goals_holdout: int, holdout: int
) -> Comparison:
    """Goal rate, contacted against the holdout (the holdout plays A)."""
    return compare(
        goals_holdout, holdout, goals_contacted, contacted, labels=("holdout", "contacted")
    )


def probability_best(
    successes: Sequence[int], trials: Sequence[int], *, draws: int = 20000, seed: int = 0
) -> list[float]:
    """Each variant's posterior probability of having the highest goal rate (Beta(1, 1) prior),
    by Monte Carlo over the Beta posteriors."""
    if len(successes) != len(trials) or not successes:
        raise ValueError("one success count and one trial count per variant")
    rng = np.random.default_rng(seed)
    samples = np.column_stack(
        [
            scipy_stats.beta.rvs(1 + s, 1 + n - s, size=draws, random_state=rng)
            for s, n in zip(successes, trials, strict=True)
        ]
    )
    wins = np.bincount(samples.argmax(axis=1), minlength=len(successes))
    return [float(w) / draws for w in wins]


def thompson_split(
    successes: Sequence[int],
    trials: Sequence[int],
    *,
    floor: float = 0.1,
    draws: int = 20000,
    seed: int = 0,
) -> list[float]:
    """The share of new enrolments each variant should get: Thompson sampling (share = the
    probability of being best), but never below `floor`, so no variant starves while the data
    is still young. Shares add up to 1."""
    count = len(successes)
    if not 0 <= floor * count <= 1:
        raise ValueError(f"a floor of {floor} cannot hold for {count} variants")
    best = probability_best(successes, trials, draws=draws, seed=seed)
    return [floor + (1 - floor * count) * share for share in best]
