"""The burst-parts bench says which part of the spike test delays the hidden-like weeks' plain 5x burst."""

from __future__ import annotations

import pytest

from bench.burst_parts import PARTS, first_catches, main, summarize
from bench.hidden_weeks import in_time


def test_on_draw_seven_the_served_test_misses_the_burst_and_one_without_its_learned_dispersion_catches_it() -> None:
    catches = first_catches(7)
    assert catches["served"] is None or catches["served"] > 10  # the draw the README traces
    assert catches["no dispersion"] is not None and catches["no dispersion"] <= 5
    assert in_time(catches["all ideal"])  # the share test, not made ideal, holds it a minute longer (6 min)


def test_a_variant_caught_after_ten_minutes_or_never_counts_as_missed() -> None:
    rows: list[dict[str, float | None]] = [dict.fromkeys(PARTS, 3.0), {**dict.fromkeys(PARTS, None), "served": 10.5}]
    summary = summarize(range(4, 6), rows)
    assert summary["served"] == {"in_time": 1, "missed_draws": [5]}
    assert summary["all ideal"] == {"in_time": 1, "missed_draws": [5]}


def test_one_draw_runs_from_the_command_line_and_ends_with_its_summary_as_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--first", "3", "--draws", "1"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith('{"served": {"in_time": ')
