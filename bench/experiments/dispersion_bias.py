"""What overdispersion the spike baseline learns when it knows the true one.

Each stream is flat: a known rate ``m`` per 5-minute bucket, every bucket's rate multiplied by an independent gamma
draw of mean 1 and variance ``d`` (a negative binomial count: variance ``m + d m^2``, the noise model the detector
assumes). Four weeks go through a bare :class:`~escalation.spikes.detector.SpikeDetector`, and the dispersion it
learned is printed beside the true one, the median over streams. No setting is chosen here; it measures the learner.

    PYTHONPATH=. .venv/bin/python bench/experiments/dispersion_bias.py
"""

from __future__ import annotations

import statistics

import numpy as np

from escalation.spikes.detector import SpikeDetector

BUCKETS = 4 * 7 * 288
STREAMS = 8
RATES = (1.0, 5.0, 20.0)
DISPERSIONS = (0.0, 0.1, 0.3)
FIRST = 5_000_000  # any bucket index: the stream is flat, so the slot of day does not matter


def learned(rate: float, dispersion: float, seed: int) -> float:
    rng = np.random.default_rng(seed)
    noise = rng.gamma(1 / dispersion, dispersion, BUCKETS) if dispersion > 0 else np.ones(BUCKETS)
    counts = rng.poisson(rate * noise)
    detector = SpikeDetector()
    for offset, count in enumerate(counts):
        detector.observe(FIRST + offset, float(count), armed=False)
    return detector.dispersion


def main() -> None:
    print("rate/bucket  true  learned (median of 8 streams, 4 weeks each)")
    for rate in RATES:
        for dispersion in DISPERSIONS:
            values = [learned(rate, dispersion, seed) for seed in range(STREAMS)]
            print(f"{rate:11.0f}  {dispersion:4.2f}  {statistics.median(values):.3f}")


if __name__ == "__main__":
    main()
