"""bench.throughput's verdict: FundDesk over the baseline at every level of every run, its median and its worst."""

from __future__ import annotations

from typing import Any

from bench.throughput import summary


def run(ours: dict[int, float], baseline: dict[int, float] | str) -> dict[str, Any]:
    levels = [{"clients": c, "messages_per_s": m} for c, m in ours.items()]
    theirs: Any = (
        {"skipped": baseline}
        if isinstance(baseline, str)
        else [{"clients": c, "messages_per_s": m} for c, m in baseline.items()]
    )
    return {"funddesk_one_replica": levels, "baseline_rest": {"recommended": theirs}}


def test_the_ratio_is_taken_level_by_level_and_judged_by_its_median_with_the_worst_beside_it() -> None:
    runs = [run({8: 50.0, 16: 60.0}, {8: 40.0, 16: 60.0}), run({8: 45.0, 16: 45.0}, {8: 50.0, 16: 60.0})]
    found = summary(runs)
    ratios = found["funddesk_over_baseline"]["recommended"]
    assert ratios["ratios"] == [1.25, 1.0, 0.9, 0.75]
    assert ratios["median"] == 0.95
    assert ratios["worst"] == 0.75
    assert found["runs"] == 2
    assert found["funddesk_messages_per_s_median"] == 47.5


def test_a_level_only_one_side_measured_and_a_skipped_baseline_count_nowhere() -> None:
    runs = [run({8: 50.0}, {8: 50.0, 32: 70.0}), run({8: 50.0}, "not trained")]
    found = summary(runs)["funddesk_over_baseline"]
    assert found == {"recommended": {"ratios": [1.0], "median": 1.0, "worst": 1.0}}


def test_no_baseline_at_all_gives_no_verdict() -> None:
    found = summary([{"funddesk_one_replica": [], "baseline_rest": {"skipped": "no trained baseline"}}])
    assert found == {"runs": 1, "funddesk_messages_per_s_median": None, "funddesk_over_baseline": {}}
