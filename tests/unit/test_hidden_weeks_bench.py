"""The hidden-like weeks' summary counts what the tests ask of those weeks, over any number of draws."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bench.hidden_weeks import MONDAY, WeekOutcome, ceilings, hidden_week_like, main, summarize, week_before


def test_a_burst_caught_after_ten_minutes_or_never_counts_as_missed_and_a_miss_is_an_infinite_delay() -> None:
    weeks = [
        WeekOutcome(0, (1.0, 2.0, 10.0), 0, False),
        WeekOutcome(1, (1.0, 2.0, 10.5), 1, False, stray_at=("Mon 09:33",)),
        WeekOutcome(2, (1.0, 3.0, None), 0, True),
    ]
    summary = summarize(weeks)
    assert summary["bursts"]["plain 5x"]["in_time"] == 1
    assert summary["bursts"]["plain 5x"]["missed_draws"] == [1, 2]
    assert summary["bursts"]["plain 5x"]["median_min"] == 10.5
    assert summary["bursts"]["plain 5x"]["worst_decile_min"] is None  # the worst decile was missed
    assert (summary["stray_incidents"], summary["stray_draws"], summary["decoy_fired_draws"]) == (1, [1], [2])
    assert summary["stray_at"] == ["Mon 09:33"]  # where in the week the strays come from


def test_one_draw_runs_from_the_command_line_and_ends_with_its_summary_as_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--first", "3", "--draws", "1"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith('{"draws": 1,')


def test_the_known_rate_ceiling_flags_the_fund_and_plain_bursts_within_minutes_and_leaves_the_new_topic_out() -> None:
    fund, new_topic, plain = ceilings(hidden_week_like(3)[0])
    assert fund is not None and fund <= 3  # 900001 was never named: its eighth question is enough
    assert plain is not None and plain <= 10  # 5x of 0.68 a minute, against its true rate
    assert new_topic is None


def test_the_summary_sets_the_ceiling_beside_what_the_detector_did_for_every_burst_but_the_new_topic() -> None:
    weeks = [
        WeekOutcome(0, (1.0, 2.0, 12.0), 0, False, (2.0, None, 4.0)),
        WeekOutcome(1, (1.0, 2.0, None), 0, False, (2.5, None, 11.0)),
    ]
    bursts = summarize(weeks)["bursts"]
    assert bursts["plain 5x"]["ceiling"] == {"in_time": 1, "median_min": 4.0, "worst_decile_min": 11.0}
    assert bursts["fund 10x"]["ceiling"]["in_time"] == 2
    assert "ceiling" not in bursts["new topic"]


def test_the_quiet_week_a_warm_start_learns_can_be_weeks_older_and_keeps_its_weekdays_and_hours() -> None:
    last, older = week_before(3), week_before(3, age=2)
    assert len(older) == len(last)
    assert all(o.moment == q.moment - timedelta(weeks=2) and o.text == q.text for o, q in zip(older, last, strict=True))
    assert max(q.moment for q in older) < MONDAY - timedelta(weeks=2)


def test_a_history_age_without_a_history_or_below_zero_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["--history-age", "2"], ["--history", "--history-age", "-1"]):
        with pytest.raises(SystemExit) as exit_:
            main(["--draws", "1", *args])
        assert exit_.value.code == 2
    assert "--history-age" in capsys.readouterr().err
