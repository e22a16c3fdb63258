"""Questions as investors type them on phones: with pinyin slips in Chinese and keyboard typos in English.

A pinyin input method lists the characters that share the typed sound, the most common first, and
a hurried investor takes a wrong one (净直 for 净值, 定头 for 定投); an English thumb drops, doubles,
swaps or misses a letter ("redemtion", "acount"). This asks the shipped FAQ's questions as written,
then with slips drawn from many seeds, and reports top-1, answered right and wrong answers, with the
median and the worst decile over seeds; once as the service matches them (slips read back,
:mod:`knowledge_base.homophones` and :mod:`knowledge_base.typos`) and once with that reading off.

- Chinese: ``--slips`` characters of a question, at random places, become another character of the
  same toneless pinyin, drawn by how common it is in everyday text (jieba's word frequencies, as an
  input method ranks its candidates). A character no other common character sounds like is left.
- English: ``--slips`` words of four letters or more, at random, get one keystroke wrong, one of
  Damerau's four with equal odds: a letter dropped, doubled, swapped with the next, or replaced by
  a neighbour on a QWERTY keyboard. The first letter stays (a thumb misses inside a word).

Nothing here is fitted; it only measures. ``make bench`` (section ``typing_slips``) scores the
held-out sets; ``--dev`` scores the dev sets, the only ones to look at while choosing::

    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.typing_slips [--dev] [--seeds 20] [--slips 1]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np

from funddesk import settings as config
from funddesk.text import CJK_RUN, detect_lang
from knowledge_base.evaluation import Question, rank_all, read_questions, score
from knowledge_base.homophones import Homophones
from knowledge_base.service import KnowledgeBase
from knowledge_base.typos import Typos

DATA = Path(__file__).resolve().parent / "data"
HELD_OUT = ("shipped_faq_zh.csv", "shipped_messages_zh.csv", "shipped_faq_en.csv", "shipped_messages_en.csv")
DEV = ("shipped_faq_dev.csv", "shipped_messages_dev.csv", "shipped_messages_dev2.csv", "shipped_messages_dev3.csv")
FIGURES = ("top1_accuracy", "answer_accuracy", "wrong_answer_rate", "oos_recall")
KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_LONG_WORD = re.compile(r"[A-Za-z]{4,}")


class PinyinSlips:
    """Toneless pinyin → the common characters that have it, with their everyday frequencies."""

    def __init__(self) -> None:
        import logging

        import jieba
        from pypinyin import lazy_pinyin

        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        self.sound: dict[str, str] = {}
        by_sound: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for word, count in jieba.dt.FREQ.items():
            if len(word) == 1 and count and CJK_RUN.fullmatch(word):
                self.sound[word] = lazy_pinyin(word)[0]
                by_sound[self.sound[word]].append((word, float(count)))
        self.by_sound = dict(by_sound)

    def slip(self, text: str, rng: np.random.Generator, slips: int) -> str:
        chars = list(text)
        places = [i for i, ch in enumerate(chars) if ch in self.sound and len(self.by_sound[self.sound[ch]]) > 1]
        for i in rng.permutation(places)[:slips]:
            others = [(ch, n) for ch, n in self.by_sound[self.sound[chars[i]]] if ch != chars[i]]
            weights = np.array([n for _, n in others])
            chars[i] = others[int(rng.choice(len(others), p=weights / weights.sum()))][0]
        return "".join(chars)


class KeyboardTypos:
    """One keystroke wrong inside a word of four letters or more."""

    def __init__(self) -> None:
        keys = {c: (r, i) for r, row in enumerate(KEYBOARD) for i, c in enumerate(row)}
        self.neighbours = {
            c: [o for o, (r2, i2) in keys.items() if o != c and abs(r2 - r) <= 1 and abs(i2 - i) <= 1]
            for c, (r, i) in keys.items()
        }

    def slip(self, text: str, rng: np.random.Generator, slips: int) -> str:
        words = list(_LONG_WORD.finditer(text))
        chosen = sorted(rng.permutation(len(words))[:slips].tolist(), reverse=True)
        for k in chosen:  # from the end, so earlier positions stay valid
            m = words[k]
            text = text[: m.start()] + self._typo(m.group(), rng) + text[m.end() :]
        return text

    def _typo(self, word: str, rng: np.random.Generator) -> str:
        j = int(rng.integers(1, len(word) - 1))  # never the first letter
        kind = int(rng.integers(4))
        if kind == 0:
            return word[:j] + word[j + 1 :]
        if kind == 1:
            return word[:j] + word[j] + word[j:]
        if kind == 2:
            return word[:j] + word[j + 1] + word[j] + word[j + 2 :]
        near = self.neighbours.get(word[j].lower()) or [word[j]]
        return word[:j] + str(rng.choice(near)) + word[j + 1 :]


def measure(files: Sequence[str], *, seeds: int, slips: int, reading: bool) -> dict[str, Any]:
    """Per file: the figures as written, and with slips per seed (median, worst decile)."""
    with contextlib.nullcontext() if reading else _as_typed():
        kb = KnowledgeBase.open(config.load(), watch=False, persist=False, progress=False, published=False)
        try:
            typists = {"zh": PinyinSlips(), "en": KeyboardTypos()}
            return {name: _one(kb, typists, name, seeds, slips) for name in files}
        finally:
            kb.close()


@contextlib.contextmanager
def _as_typed() -> Iterator[None]:
    """The matcher without reading slips back: every question is matched exactly as typed."""
    with (
        mock.patch.object(Homophones, "heard", lambda self, normal, *_: normal),
        mock.patch.object(Typos, "respell", lambda self, text, *_: text),
    ):
        yield


def _one(kb: KnowledgeBase, typists: dict[str, Any], name: str, seeds: int, slips: int) -> dict[str, Any]:
    """Per language of the file's questions (the dev sets hold both): each question slips in its own language."""
    questions = read_questions(DATA / name)
    by_lang: dict[str, list[Question]] = defaultdict(list)
    for q in questions:
        by_lang[detect_lang(q.text)].append(q)
    return {lang: _one_lang(kb, typists[lang], asked, seeds, slips) for lang, asked in sorted(by_lang.items())}


def _one_lang(kb: KnowledgeBase, typist: Any, questions: list[Question], seeds: int, slips: int) -> dict[str, Any]:
    clean = score(rank_all(kb, questions), kb.thresholds)
    runs: dict[str, list[float]] = defaultdict(list)
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        slipped = [Question(typist.slip(q.text, rng, slips), q.expected) for q in questions]
        result = score(rank_all(kb, slipped), kb.thresholds)
        for key in FIGURES:
            runs[key].append(float(result[key]))
    out: dict[str, Any] = {"questions": len(questions), "in_scope": clean["in_scope"], "clean": {}, "slipped": {}}
    for key in FIGURES:
        lower_is_better = key == "wrong_answer_rate"
        out["clean"][key] = clean[key]
        out["slipped"][key] = {
            "median": round(float(np.median(runs[key])), 4),
            "worst_decile": round(float(np.percentile(runs[key], 90 if lower_is_better else 10)), 4),
        }
    return out


def report(seeds: int = 20, slips: int = 1, files: Sequence[str] = HELD_OUT) -> dict[str, Any]:
    """``make bench``'s section: the held-out sets, slips read back and not."""
    return {
        "seeds": seeds,
        "slips": slips,
        "reading": measure(files, seeds=seeds, slips=slips, reading=True),
        "as_typed": measure(files, seeds=seeds, slips=slips, reading=False),
    }


def rows(result: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(set and language, variant, figures) for every measured set."""
    for variant in ("as_typed", "reading"):
        for name, by_lang in result[variant].items():
            for lang, got in by_lang.items():
                yield f"{name} ({lang})", variant, got


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--dev", action="store_true", help="the dev sets instead of the held-out ones")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--slips", type=int, default=1, help="characters (zh) or words (en) slipped per question")
    args = parser.parse_args(argv)
    result = report(args.seeds, args.slips, DEV if args.dev else HELD_OUT)
    for name, variant, got in rows(result):
        clean, slipped = got["clean"], got["slipped"]
        print(
            f"{variant:8} {name}: {got['questions']} questions; as written: top-1 {clean['top1_accuracy']:.1%}, "
            f"answered {clean['answer_accuracy']:.1%}, wrong {clean['wrong_answer_rate']:.1%}; with "
            f"{args.slips} slip(s), median (worst decile) of {args.seeds} seeds: top-1 "
            f"{slipped['top1_accuracy']['median']:.1%} ({slipped['top1_accuracy']['worst_decile']:.1%}), answered "
            f"{slipped['answer_accuracy']['median']:.1%} ({slipped['answer_accuracy']['worst_decile']:.1%}), wrong "
            f"{slipped['wrong_answer_rate']['median']:.1%} ({slipped['wrong_answer_rate']['worst_decile']:.1%})"
        )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
