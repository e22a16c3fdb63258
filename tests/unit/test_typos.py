"""English typos: a word no entry holds, one keystroke from a word one holds, reads as that word."""

from __future__ import annotations

import numpy as np

from knowledge_base.lexical import LexicalIndex, Tokenizer
from knowledge_base.normalize import Normalizer, Synonyms
from knowledge_base.typos import Typos, one_edit

TOKENS = Tokenizer()


def typos(words: dict[str, float]) -> Typos:
    index = LexicalIndex([list(words)], [""], TOKENS)  # only to know the words' terms as the index would
    return Typos(words.items(), index._knows)


def heard(words: dict[str, float], text: str) -> str:
    return typos(words).respell(text, TOKENS.is_english_word)


def test_one_edit_is_a_letter_dropped_added_changed_or_two_swapped() -> None:
    edits = one_edit("fee")
    assert {"fe", "efe", "fed", "feed", "fees"} <= edits
    assert "fee" not in edits and "feeds" not in edits


def test_a_typo_reads_as_the_knowledge_base_word_one_edit_away() -> None:
    known = {"redemption": 3.0, "account": 2.0}
    assert heard(known, "how long does a redemtion take") == "how long does a redemption take"
    assert heard(known, "acount opening") == "account opening"


def test_a_word_of_everyday_english_is_read_as_typed() -> None:
    assert heard({"fee": 5.0}, "i want to feed my cat") == "i want to feed my cat"


def test_a_word_the_knowledge_base_holds_in_another_form_is_read_as_typed() -> None:
    assert heard({"redemption": 3.0, "redeem": 2.0}, "redeems") == "redeems"


def test_words_under_four_letters_are_left_alone() -> None:
    assert heard({"use": 4.0}, "usd to cny") == "usd to cny"


def test_an_everyday_word_beats_a_term_of_the_trade_then_the_word_in_more_entries() -> None:
    assert heard({"funds": 1.0, "fundz": 9.0}, "fundx") == "funds"
    assert heard({"fees": 1.0, "feed": 3.0}, "feeds ok") == "feeds ok"  # a real word already
    assert heard({"loads": 1.0, "leads": 4.0}, "lnads") == "leads"


def test_respelling_changes_only_the_typos_and_keeps_the_rest_as_written() -> None:
    found = typos({"redemption": 3.0}).respell("My Redemtion from fund 900001 is LATE!", TOKENS.is_english_word)
    assert found == "My redemption from fund 900001 is LATE!"


def test_a_question_with_a_typo_scores_every_entry_as_the_question_typed_right() -> None:
    index = LexicalIndex([["how long does a redemption take"], ["how do I open an account"]], ["", ""], TOKENS)
    assert np.allclose(index.scores("how long does a redemtion take"), index.scores("how long does a redemption take"))
    assert index.respell("acount opening") == "account opening"


def test_the_part_of_a_word_before_an_apostrophe_is_no_word_to_read_a_typo_as() -> None:
    index = LexicalIndex([["my transfer didn't arrive"]], [""], TOKENS)
    assert index.respell("it didnt arrive") == "it didnt arrive"


def test_a_typo_of_a_word_the_synonyms_replace_reads_as_that_word() -> None:
    index = LexicalIndex(
        [["how long does a redemption take"]], [""], Tokenizer(Normalizer(Synonyms.parse("- [redeem, redemption]\n")))
    )
    assert index.respell("how long does a redemtion take") == "how long does a redemption take"
    assert index.scores("redemtion")[0] > 0


def test_a_knowledge_base_without_english_reads_no_typos() -> None:
    index = LexicalIndex([["赎回多久到账"]], [""], TOKENS)
    assert not index.typos
    assert index.respell("redemtion") == "redemtion"
