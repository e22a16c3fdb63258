"""What a surge asks: the FAQ entry most of its questions share, the wording most asked, and which questions are its."""

from __future__ import annotations

from escalation.spikes.surge import asked_entry, joins, most_asked


def test_a_surge_asks_the_entry_that_more_than_half_of_its_questions_were_matched_to() -> None:
    assert asked_entry(["redeem", "nav", "nav"]) == "nav"
    assert asked_entry(["nav", "nav", None]) == "nav"


def test_without_an_entry_holding_more_than_half_the_questions_a_surge_asks_none() -> None:
    assert asked_entry(["x", "y"]) is None
    assert asked_entry(["x", None]) is None
    assert asked_entry([None, None]) is None  # a replay without the FAQ
    assert asked_entry([]) is None


def test_the_wording_most_asked_names_it_and_a_tie_goes_to_the_newest() -> None:
    assert most_asked(["why fall", "why down", "why fall"]) == "why fall"
    assert most_asked(["why down", "why fall"]) == "why down"  # newest first


def test_a_question_joins_a_surge_that_asks_an_entry_only_if_it_asks_that_entry_or_none() -> None:
    assert joins("nav", "nav", "answer") and joins("nav", None, "fallback")
    assert not joins("nav", "redeem", "answer") and not joins("nav", "redeem", "clarify")


def test_a_surge_that_asks_no_entry_takes_only_the_questions_the_faq_could_not_answer() -> None:
    assert joins(None, "nav", "fallback") and joins(None, "nav", "clarify") and joins(None, None, None)
    assert not joins(None, "password-reset", "answer")  # a routine question of a cluster of many topics
