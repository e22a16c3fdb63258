"""The NAB scorer on hand-computed cases (windows of 10 rows in a 1,000-row file: probation is 150 rows)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest

from bench.nab import PROFILES, FileScore, normalized, probation_length, scaled_sigmoid, score_file

START = datetime(2015, 1, 1)
STAMPS = [(START + timedelta(minutes=5 * i)).isoformat(sep=" ") for i in range(1000)]
WINDOWS = [(STAMPS[400], STAMPS[409]), (STAMPS[700], STAMPS[709])]
STANDARD = PROFILES["standard"]


def score(alarms: list[int], profile: str = "standard") -> FileScore:
    return score_file(STAMPS, alarms, WINDOWS, PROFILES[profile])


def test_probation_is_fifteen_percent_capped_at_750_rows() -> None:
    assert (probation_length(1000), probation_length(15_831)) == (150, 750)


def test_the_scaled_sigmoid_matches_nab() -> None:
    assert scaled_sigmoid(-1.0) == pytest.approx(2 / (1 + math.exp(-5)) - 1)
    assert scaled_sigmoid(0.0) == 0.0
    assert scaled_sigmoid(3.0) == -1.0


def test_no_alarm_scores_the_null_detector_and_normalizes_to_zero() -> None:
    result = score([])
    assert (result.raw, result.null, result.perfect, result.missed) == (-2.0, -2.0, 2.0, 2)
    assert normalized([result]) == 0.0


def test_an_alarm_on_each_window_start_is_perfect() -> None:
    assert normalized([score([400, 700])]) == pytest.approx(100.0)


def test_only_the_first_alarm_in_a_window_counts() -> None:
    assert score([405, 400, 700]).raw == pytest.approx(score([400, 700]).raw)


def test_a_late_alarm_in_a_window_scores_less() -> None:
    # Row 409 is the window's last row: position -(409 - 409 + 1) / 10 = -0.1.
    expected = scaled_sigmoid(-0.1) / scaled_sigmoid(-1.0) + 1.0
    assert score([409, 700]).raw == pytest.approx(expected)


def test_a_false_positive_before_any_window_costs_a_fp() -> None:
    assert score([200, 400, 700]).raw == pytest.approx(2.0 - 0.11)
    assert score([200, 400, 700], "reward_low_FP_rate").raw == pytest.approx(2.0 - 0.22)


def test_a_false_positive_right_after_a_window_costs_almost_nothing() -> None:
    # One row past the window, distance |409 - 410| / (10 - 1).
    cost = scaled_sigmoid(1 / 9) * STANDARD.fp
    assert score([400, 410, 700]).raw == pytest.approx(2.0 + cost)
    assert -0.11 < cost < 0


def test_alarms_in_the_probationary_period_are_ignored() -> None:
    assert score([10, 400, 700]).raw == pytest.approx(2.0)
