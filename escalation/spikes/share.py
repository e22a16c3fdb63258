"""What the share-of-traffic test decided on: a series' count out of all questions, and whether the others rose."""

from __future__ import annotations

from dataclasses import dataclass

from escalation.spikes.tails import poisson_lower_tail


@dataclass(frozen=True)
class ShareEvidence:
    """The share test's numbers: ``count`` of the window's ``total`` questions, against ``expected_share``."""

    count: float
    total: float
    expected_share: float
    p_value: float  # binomial upper tail (:func:`share_tail`)
    others: float = 0.0  # the other series' questions in the same minutes
    others_expected: float = 0.0  # and what their baselines expected of those minutes
    own_expected: float = 0.0  # what the series' own baseline expected of them (before any market scaling)

    @property
    def others_rose(self) -> bool:
        """Whether the rest of the traffic was up too: only a market that rose can explain a series' rise away."""
        return self.others > self.others_expected

    @property
    def others_p_value(self) -> float:
        """Chance of the others' count or fewer had all traffic risen as this series did: small where the rest of the
        traffic plainly did not follow, and 1 where there is too little of it to tell (a series that is most of the
        traffic rises with the market, and its rise is the market's)."""
        rise = max(1.0, self.count / max(self.own_expected, 1e-9))
        return poisson_lower_tail(self.others, rise * self.others_expected)
