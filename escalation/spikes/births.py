"""What a brand-new series is expected to be, learned from the series born before it (empirical Bayes).

A series born after the bank's warm-up is a topic, or a fund, that no question had been about. Its expectation
cannot come from its own history, so it comes from its kind's: every such series is followed through its first
hour (the detector's ``prior_buckets``: as long as a prior outweighs a new series' own data), and the rates they
showed are summarised by their mean and their spread. Treated as a gamma distribution of rates
(method of moments, the Poisson part of each birth's rate taken out of the spread), that is the new series' prior:
its mean is the expected count of a bucket, and its shape is how many questions' worth of evidence the prior is
(the detector's ``level`` and ``level_weight``: a prior worth ``weight`` buckets at rate ``level``).

In ordinary traffic most new series are a question that did not join any cluster and is not asked again soon,
and a few become a topic of their own; on the generated weeks (choose seeds 1000-1009, 9,444 births outside any
burst) their first-hour rate averaged 0.092 a bucket (their founding question alone is 0.083), and none had 8
questions within 15 minutes. Judged against that, a new topic's eighth question in a quarter of an hour is news.
A deployment whose new series are often busy learns a higher, wider prior, and is surprised less. Until
``MIN_BIRTHS`` have been followed the detector's default prior stands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MIN_BIRTHS = 30  # a mean and a variance from fewer are too noisy to replace the default prior
MEMORY = 1000.0  # births remembered (older ones fade): the prior follows how the deployment's topics change


@dataclass
class Births:
    span: int  # buckets a birth is followed for: the detector's prior_buckets, while its prior outweighs its data
    following: dict[str, list[float]] = field(default_factory=dict)  # key -> [born bucket, questions so far]
    n: float = 0.0  # births followed through their span (decayed beyond MEMORY)
    total: float = 0.0  # sum of their rates over it
    squares: float = 0.0  # sum of their squares

    def born(self, key: str, bucket: int) -> None:
        self.following[key] = [float(bucket), 0.0]

    def count(self, key: str, bucket: int, n: float) -> None:
        row = self.following.get(key)
        if row is not None and bucket - row[0] < self.span:
            row[1] += n

    def mature(self, bucket: int) -> None:
        """Fold in every birth followed for its span (beyond ``MEMORY`` births the older ones fade)."""
        fade = 1.0 if self.n < MEMORY else 1.0 - 1.0 / MEMORY
        for key, (born, questions) in list(self.following.items()):
            if bucket - born >= self.span:
                rate = questions / self.span
                self.n, self.total = fade * self.n + 1.0, fade * self.total + rate
                self.squares = fade * self.squares + rate**2
                del self.following[key]

    def postpone(self, buckets: int) -> None:
        """Follow every birth ``buckets`` longer: that many buckets went by unwatched (a warm start's end)."""
        for row in self.following.values():
            row[0] += buckets

    def forget(self, key: str) -> None:
        self.following.pop(key, None)

    def prior(self) -> tuple[float, float] | None:
        """(rate, weight in buckets) of a new series, or None while too few births were followed. Births all
        alike give an infinite weight: the detector caps it at its running mean's."""
        if self.n < MIN_BIRTHS or self.total <= 0:
            return None
        mean = self.total / self.n
        spread = self.squares / self.n - mean**2 - mean / self.span  # the rates' own variance
        return mean, (mean / spread if spread > 0 else float("inf"))

    def to_dict(self) -> dict[str, Any]:
        following = {key: list(row) for key, row in self.following.items()}  # its rows change in place
        return {"following": following, "n": self.n, "total": self.total, "squares": self.squares}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None, span: int) -> Births:
        data = data or {}
        following = {str(k): [float(b), float(c)] for k, (b, c) in (data.get("following") or {}).items()}
        return cls(span, following, float(data.get("n", 0.0)), float(data.get("total", 0.0)),
                   float(data.get("squares", 0.0)))  # fmt: skip
