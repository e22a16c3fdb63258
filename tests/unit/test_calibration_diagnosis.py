"""The calibration diagnosis (bench/experiments): overlapping entries and probes graded with them."""

from __future__ import annotations

import numpy as np

from bench.experiments.calibration_diagnosis import band, graded, overlapping
from knowledge_base.calibration import Shortlist
from knowledge_base.embedder import HashingEmbedder
from knowledge_base.entries import Entry
from knowledge_base.index import FaqIndex, Scope
from knowledge_base.lexical import Tokenizer
from knowledge_base.probes import Probe


def entry(entry_id: str, *phrasings: str) -> Entry:
    return Entry(
        id=entry_id, question=phrasings[0], answer="", file="faq.md", line=1, alternatives=tuple(phrasings[1:])
    )


def build(*entries: Entry) -> FaqIndex:
    return FaqIndex.build(entries, HashingEmbedder(), tokenizer=Tokenizer())[0]


# Two entries about a bank card say nearly the same; the third is about dividends, and its
# nearest neighbour is one of the card entries, which does not return the favour.
INDEX = build(
    entry("change-card", "change my bank card", "replace bank card", "new bank card linked"),
    entry("lost-card", "lost my bank card", "bank card stolen", "lost bank card linked"),
    entry("dividend", "dividend method", "change dividend method", "reinvest dividends"),
)


def test_entries_that_are_each_others_nearest_neighbour_overlap() -> None:
    for weight in (0.0, 0.5, 1.0):
        assert overlapping(INDEX, "en", weight) == {0: 1, 1: 0}


def test_a_one_sided_nearest_neighbour_is_no_overlap() -> None:
    assert 2 not in overlapping(INDEX, "en", 0.5)


def test_a_language_with_one_entry_has_no_overlap() -> None:
    assert overlapping(INDEX, "zh", 0.5) == {}


def shortlist(expected: int | None, order: list[int]) -> Shortlist:
    zeros = np.zeros(len(INDEX.entries))
    probe = Probe(Scope("en"), expected, zeros, zeros, zeros)
    return Shortlist(probe, order, np.array([0.9, 0.8, 0.3])[np.argsort(np.argsort(order))])


def test_a_probe_ranked_to_its_entrys_overlapping_partner_counts_as_right() -> None:
    got = graded(INDEX, [shortlist(0, [1, 0, 2])], 0.0, {0: 1, 1: 0})
    assert got.right[0].tolist() == [True, True, False]


def test_a_probe_ranked_to_any_other_entry_is_still_wrong() -> None:
    got = graded(INDEX, [shortlist(2, [1, 0, 2])], 0.0, {0: 1, 1: 0})
    assert got.right[0].tolist() == [False, False, True]


def test_out_of_scope_probes_are_never_right() -> None:
    got = graded(INDEX, [shortlist(None, [1, 0, 2])], 0.0, {0: 1, 1: 0})
    assert not got.right[0].any()


def test_scores_fall_in_tenth_wide_bands_from_point_three_to_point_eight() -> None:
    assert [band(s) for s in (0.1, 0.3, 0.45, 0.79, 0.8, 1.2)] == [
        "<0.3",
        "0.3-0.4",
        "0.4-0.5",
        "0.7-0.8",
        ">=0.8",
        ">=0.8",
    ]
