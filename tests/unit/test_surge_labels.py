"""An incident is named by what its surge asks: the wording most asked among the questions of its FAQ entry."""

from __future__ import annotations

from escalation.spikes.labels import surge_label


def test_a_surge_mostly_of_one_entry_is_named_by_that_entrys_most_asked_wording() -> None:
    asked = [("redeem?", "redeem"), ("why fall", "nav"), ("why down", "nav"), ("why fall", "nav")]
    assert surge_label(asked, "cluster label") == "why fall"


def test_a_tie_between_wordings_goes_to_the_latest() -> None:
    assert surge_label([("why fall", "nav"), ("why down", "nav")], "cluster label") == "why down"


def test_without_an_entry_holding_more_than_half_the_questions_the_cluster_names_it() -> None:
    assert surge_label([("a", "x"), ("b", "y")], "cluster label") == "cluster label"
    assert surge_label([("a", "x"), ("b", None)], "cluster label") == "cluster label"
    assert surge_label([("a", None), ("b", None)], "cluster label") == "cluster label"  # a replay without the FAQ
    assert surge_label([], "cluster label") == "cluster label"
