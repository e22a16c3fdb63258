from __future__ import annotations

from pathlib import Path

from knowledge_base.entries import Entry
from knowledge_base.policy import Candidate, Thresholds, decide

T = Thresholds(answer=0.5, margin=0.1)


def entry(entry_id: str, funds: tuple[str, ...] = ()) -> Entry:
    return Entry(id=entry_id, question=f"{entry_id}?", answer="a", file="f.md", line=1, funds=funds)


def ranked(*scores: float, funds: tuple[str, ...] = ()) -> list[Candidate]:
    return [Candidate(entry(f"e{i}", funds if i == 0 else ()), s) for i, s in enumerate(scores)]


def test_a_clear_winner_is_answered() -> None:
    decision = decide(ranked(0.9, 0.6), T)
    assert decision.kind == "answer"
    assert decision.best is not None and decision.best.entry.id == "e0"


def test_a_close_runner_up_turns_the_answer_into_a_choice() -> None:
    decision = decide(ranked(0.80, 0.75, 0.72, 0.71), T)
    assert decision.kind == "clarify"
    assert [c.entry.id for c in decision.candidates] == ["e0", "e1", "e2"]


def test_runner_ups_below_the_answer_threshold_are_not_offered() -> None:
    decision = decide(ranked(0.55, 0.49), T)
    assert decision.kind == "answer"


def test_nothing_above_the_threshold_falls_back() -> None:
    assert decide(ranked(0.45, 0.2), T).kind == "fallback"
    assert decide([], T).kind == "fallback"


def test_a_fund_scoped_entry_is_offered_but_not_answered_without_a_known_fund() -> None:
    decision = decide(ranked(0.9, 0.3, funds=("900001",)), T)
    assert decision.kind == "clarify"
    assert decide(ranked(0.9, 0.3, funds=("900001",)), T, fund="900001").kind == "answer"


def test_thresholds_round_trip_through_a_policy_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    Thresholds(answer=0.61, margin=0.03).save(path)
    assert Thresholds.load(path) == Thresholds(answer=0.61, margin=0.03)
