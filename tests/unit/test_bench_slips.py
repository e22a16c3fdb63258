"""The pinyin slips bench.chinese_slips types: one character changed, its sound kept, the same for a seed."""

from __future__ import annotations

import numpy as np

from bench.chinese_slips import Slips
from knowledge_base.homophones import sound

TYPIST = Slips()


def test_a_slip_changes_one_character_and_keeps_the_sound() -> None:
    text = "赎回的钱什么时候到账"
    slipped = TYPIST.slip(text, np.random.default_rng(0), 1)
    changed = [(a, b) for a, b in zip(text, slipped, strict=True) if a != b]
    assert len(changed) == 1
    ((meant, typed),) = changed
    assert sound(meant) == sound(typed)


def test_the_same_seed_types_the_same_slips() -> None:
    text = "定投扣款失败了怎么办"
    assert TYPIST.slip(text, np.random.default_rng(7), 2) == TYPIST.slip(text, np.random.default_rng(7), 2)


def test_text_without_chinese_is_typed_as_it_is() -> None:
    assert TYPIST.slip("when does my money arrive?", np.random.default_rng(0), 1) == "when does my money arrive?"
