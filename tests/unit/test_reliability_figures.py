"""How the reliability benchmark reads its figures: fault windows, recovery, histogram quantiles."""

from __future__ import annotations

import math

from bench.chat_load import Outcome
from bench.fault_drills import Fault, windows
from bench.stage_metrics import quantile


def ok(started: float, ended: float) -> Outcome:
    return Outcome(started, ended, "investor", "answered")


def failed(started: float, ended: float, kind: str = "http_500") -> Outcome:
    return Outcome(started, ended, "investor", kind)


def test_recovery_runs_from_the_fault_to_the_first_success_after_its_last_failure() -> None:
    [report] = windows(
        [Fault("redis down 10 s", 100.0)], [ok(101, 101.1), failed(103, 103.2), ok(104, 112.5), ok(113, 113.1)]
    )
    assert report["failed"] == 1 and report["recovery_s"] == 12.5


def test_a_fault_nobody_noticed_has_no_recovery_time_to_wait_for() -> None:
    [report] = windows([Fault("kill web", 0.0)], [ok(1, 1.1), ok(2, 2.1)])
    assert report["failed"] == 0 and report["recovery_s"] == 0.0


def test_a_request_cut_by_the_next_fault_counts_for_that_fault_not_the_one_before() -> None:
    faults = [Fault("redis down 10 s", 0.0), Fault("postgres restart", 30.0)]
    first, second = windows(faults, [ok(12, 12.1), failed(29.9, 30.4), ok(31, 31.1)])
    assert first["failed"] == 0 and first["recovery_s"] == 0.0
    assert second["failed"] == 1 and second["recovery_s"] == 1.1


def test_a_rate_limited_message_is_not_a_failure_of_the_service() -> None:
    [report] = windows([Fault("kill web", 0.0)], [failed(1, 1.1, "rate_limited"), ok(2, 2.1)])
    assert report["failed"] == 0


def test_histogram_quantiles_interpolate_inside_the_bucket_as_promql_does() -> None:
    cumulative = {0.1: 50.0, 0.5: 90.0, 1.0: 100.0, math.inf: 100.0}
    assert quantile(0.5, cumulative) == 0.1
    assert math.isclose(quantile(0.7, cumulative) or 0, 0.3)
    assert quantile(0.5, {math.inf: 0.0}) is None


def test_a_request_in_flight_on_a_killed_replica_counts_for_the_kill() -> None:
    [report] = windows([Fault("kill web", 10.0)], [failed(9.5, 10.2, "http_503"), ok(11, 11.1)])
    assert report["failed"] == 1 and report["recovery_s"] == 1.1
