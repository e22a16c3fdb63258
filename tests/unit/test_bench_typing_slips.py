"""The slips bench.typing_slips types: pinyin slips keep the sound, keyboard typos one keystroke, per seed."""

from __future__ import annotations

import numpy as np

from bench.typing_slips import KeyboardTypos, PinyinSlips
from knowledge_base.homophones import readings
from knowledge_base.typos import one_edit

PINYIN = PinyinSlips()
THUMB = KeyboardTypos()


def test_a_pinyin_slip_changes_one_character_and_keeps_the_sound() -> None:
    text = "赎回的钱什么时候到账"
    slipped = PINYIN.slip(text, np.random.default_rng(0), 1)
    changed = [(a, b) for a, b in zip(text, slipped, strict=True) if a != b]
    assert len(changed) == 1
    ((meant, typed),) = changed
    assert readings(meant) & readings(typed)


def test_a_keyboard_typo_is_one_edit_inside_one_long_word() -> None:
    text = "how long does a redemption take"
    for seed in range(20):
        slipped = THUMB.slip(text, np.random.default_rng(seed), 1)
        changed = [(a, b) for a, b in zip(text.split(), slipped.split(), strict=True) if a != b]
        assert len(changed) == 1
        ((meant, typed),) = changed
        assert len(meant) >= 4 and typed in one_edit(meant) and typed[0] == meant[0]


def test_the_same_seed_types_the_same_slips() -> None:
    assert PINYIN.slip("定投扣款失败了怎么办", np.random.default_rng(7), 2) == PINYIN.slip(
        "定投扣款失败了怎么办", np.random.default_rng(7), 2
    )
    assert THUMB.slip("redemption fees", np.random.default_rng(7), 2) == THUMB.slip(
        "redemption fees", np.random.default_rng(7), 2
    )


def test_text_with_nothing_to_slip_is_typed_as_it_is() -> None:
    assert PINYIN.slip("when does my money arrive?", np.random.default_rng(0), 1) == "when does my money arrive?"
    assert THUMB.slip("赎回 is ok", np.random.default_rng(0), 1) == "赎回 is ok"
