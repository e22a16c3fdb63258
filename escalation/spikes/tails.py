"""The detector's noise model: negative-binomial tail probabilities, and the capped running means it learns with."""

from __future__ import annotations

import math

from scipy.special import betainc, gammainc, gammaincc


def upper_tail(count: float, mean: float, dispersion: float) -> float:
    """P(X >= count) for a negative binomial with this mean and variance mean + dispersion * mean**2."""
    if count <= 0:
        return 1.0
    if dispersion < 1e-6:
        return float(gammainc(count, mean))
    shape = 1.0 / dispersion
    return float(betainc(count, shape, mean / (mean + shape)))


def poisson_lower_tail(count: float, mean: float) -> float:
    """P(X <= count) for X ~ Poisson(mean)."""
    if count < 0:
        return 0.0
    if mean <= 0:
        return 1.0
    return float(gammaincc(math.floor(count) + 1.0, mean))


def share_tail(count: float, total: float, share: float) -> float:
    """P(X >= count) for X ~ Binomial(total, share): how surprising ``count`` of ``total`` questions is for a series
    whose expected share of all questions is ``share``."""
    if count <= 0 or share >= 1.0:
        return 1.0
    if count > total or share <= 0.0:
        return 0.0
    return float(betainc(count, total - count + 1.0, share))


def noise_weight(expected: float) -> float:
    """How much one bucket tells about the overdispersion. Its estimate ((x - m)^2 - m) / m^2 varies by
    (m + 2 m^2) / m^4 under Poisson noise, so a bucket expecting 0.1 question says almost nothing and one expecting
    10 a lot. The sums weigh each bucket by the inverse of that variance (m / (1 + 2m), up to a constant: 1 at one
    expected question, the unit the prior is counted in); with equal weights, a quiet series' one bucket of 3 where
    0.25 were expected taught it a dispersion of 0.5 and hid its next burst."""
    return 3.0 * expected / (1.0 + 2.0 * expected)


def surprise(p_value: float) -> float:
    return -math.log10(max(p_value, 1e-300))


def blend(mean: float, value: float, weight: float) -> float:
    """Running mean with ``weight`` observations behind ``mean`` (capped by the caller: an EWMA from then on)."""
    return (mean * weight + value) / (weight + 1.0)


def decay_towards_zero(weight: float, cap: float, steps: int) -> tuple[float, float]:
    """Factor by which ``steps`` zero observations shrink a running mean of ``weight`` (capped), and the new weight."""
    factor = 1.0
    while steps > 0 and weight < cap:
        factor *= weight / (weight + 1.0)
        weight = min(weight + 1.0, cap)
        steps -= 1
    return factor * (cap / (cap + 1.0)) ** steps, weight
