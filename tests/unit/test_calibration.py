"""Calibration: confidence bounds, the weight rule, the vectorised policy, thresholds, self-calibration."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest

from knowledge_base.calibration import (
    WEIGHT_GRID,
    Outcomes,
    choose_weight,
    fit_thresholds,
    prior,
    self_calibrate,
    wilson_lower,
)
from knowledge_base.embedder import HashingEmbedder
from knowledge_base.entries import Entry
from knowledge_base.index import FaqIndex
from knowledge_base.lexical import Tokenizer
from knowledge_base.policy import Candidate, Thresholds, decide
from knowledge_base.probes import make_probes

Z = 1.645
TOKENS = Tokenizer()


def entry(entry_id: str, question: str, *alternatives: str, funds: Sequence[str] = ()) -> Entry:
    return Entry(
        id=entry_id,
        question=question,
        answer="",
        file="faq.md",
        line=1,
        alternatives=alternatives,
        funds=tuple(funds),
    )


def build(*entries: Entry) -> FaqIndex:
    return FaqIndex.build(entries, HashingEmbedder(), tokenizer=TOKENS)[0]


# -- Wilson lower bound ----------------------------------------------------------------------


def test_no_success_has_a_lower_bound_of_zero() -> None:
    assert wilson_lower(0, 10) == pytest.approx(0.0, abs=1e-12)
    assert wilson_lower(0, 0) == 0.0


def test_all_successes_have_a_lower_bound_of_n_over_n_plus_z_squared() -> None:
    # p = 1: centre 1 + z²/2n and spread z²/2n cancel to 1 / (1 + z²/n) = 10 / 12.706025.
    assert wilson_lower(10, 10) == pytest.approx(0.787028, abs=1e-6)
    assert wilson_lower(11, 11) == pytest.approx(11 / (11 + Z * Z), abs=1e-12)


def test_eight_of_ten_has_the_textbook_lower_bound() -> None:
    # centre 0.8 + 2.706025/20 = 0.935301; spread 1.645 * sqrt(0.016 + 0.006765) = 0.248199;
    # (0.935301 - 0.248199) / 1.2706025 = 0.540769
    assert wilson_lower(8, 10) == pytest.approx(0.540769, abs=1e-6)


def test_the_lower_bound_solves_the_wilson_equation() -> None:
    # The Wilson bound p is where the observed share lies z standard errors (at p) above it.
    for successes, n in [(8, 10), (45, 50), (3, 7)]:
        p, observed = wilson_lower(successes, n), successes / n
        assert observed - p == pytest.approx(Z * math.sqrt(p * (1 - p) / n), abs=1e-9)


# -- the lexical weight ----------------------------------------------------------------------


def hits(*flags: str) -> np.ndarray:
    """Probe-by-probe results written as '1101...'."""
    return np.array([c == "1" for c in "".join(flags)], dtype=bool)


def test_weights_that_differ_on_a_handful_of_probes_keep_the_prior() -> None:
    # 100 probes; 1.0 gets two more right than 0.0 and 0.5, and loses one: within one paired SE.
    base = "1" * 80 + "0" * 20
    better = "1" * 79 + "0" + "11" + "0" * 18
    table = {0.0: hits(base), 0.5: hits(base), 1.0: hits(better)}
    assert choose_weight(table, 0.5) == 0.5
    assert choose_weight(table, 1.0) == 1.0


def test_a_weight_better_on_many_probes_moves_the_choice_off_the_prior() -> None:
    table = {0.0: hits("1" * 50 + "0" * 450), 0.5: hits("1" * 300 + "0" * 200), 1.0: hits("1" * 450 + "0" * 50)}
    assert choose_weight(table, 0.5) == 1.0


def test_a_small_but_consistent_gain_on_the_same_probes_counts() -> None:
    # Unpaired, 0.80 against 0.77 at n = 100 is within one standard error (0.04); paired, 0.8
    # wins on 3 probes and loses none, and that is beyond one standard error of the difference.
    table = {0.3: hits("1" * 77 + "0" * 23), 0.8: hits("1" * 80 + "0" * 20)}
    assert choose_weight(table, 0.5) == 0.8


def test_of_the_weights_as_good_as_the_best_the_nearest_the_prior_wins() -> None:
    # 0.3 and 0.8 swap wins on ten probes each: no difference the probes can resolve.
    a = "1" * 70 + "1" * 10 + "0" * 10 + "0" * 10
    b = "1" * 70 + "0" * 10 + "1" * 10 + "0" * 10
    assert choose_weight({0.3: hits(a), 0.8: hits(b)}, 0.5) == 0.3
    assert choose_weight({0.3: hits(a), 0.8: hits(b)}, 1.0) == 0.8


def test_no_probes_keep_the_prior() -> None:
    assert choose_weight({}, 0.7) == 0.7
    assert choose_weight({0.0: hits("")}, 0.7) == 0.7


def test_the_prior_is_the_lexical_channel_alone_for_a_language_the_model_cannot_read() -> None:
    assert prior("zh", frozenset({"en"})) == 1.0
    assert prior("en", frozenset({"en"})) == 0.5
    assert prior("zh", None) == 0.5


# -- the policy, vectorised ------------------------------------------------------------------

ENTRIES = [
    Entry(id=f"e{i}", question=f"q{i}?", answer="a", file="f.md", line=1, funds=("900001",) if i % 2 else ())
    for i in range(6)
]


def test_outcomes_decide_as_the_policy_does_on_random_candidate_lists() -> None:
    rng = np.random.default_rng(20240512)
    cases: list[tuple[list[Candidate], int, str | None]] = []
    for _ in range(400):
        n = int(rng.integers(0, 6))
        scores = sorted((float(s) for s in np.round(rng.uniform(0.2, 1.0, n) * 20) / 20), reverse=True)
        picked = [int(i) for i in rng.permutation(len(ENTRIES))[:n]]
        ranked = [Candidate(ENTRIES[i], s) for i, s in zip(picked, scores, strict=True)]
        right = int(rng.integers(-1, n)) if n else -1  # -1: the right entry is not among them
        cases.append((ranked, right, "900001" if rng.random() < 0.5 else None))
    outcomes = Outcomes.of(
        [
            (
                [c.score for c in ranked],
                [i == right for i in range(len(ranked))],
                bool(ranked and ranked[0].entry.funds and fund is None),
            )
            for ranked, right, fund in cases
        ]
    )
    for answer, margin in [(0.55, 0.06), (0.5, 0.1), (0.3, 0.0), (0.7, 0.05), (0.0, 0.2)]:
        thresholds = Thresholds(answer, margin)
        answered, clarified, hit = outcomes.decide(answer, margin)
        for row, (ranked, right, fund) in enumerate(cases):
            decision = decide(ranked, thresholds, fund=fund)
            expected = ranked[right] if right >= 0 else None
            assert bool(answered[row]) == (decision.kind == "answer"), (row, answer, margin)
            assert bool(clarified[row]) == (decision.kind == "clarify"), (row, answer, margin)
            got_it = decision.kind != "fallback" and (
                decision.best is expected if decision.kind == "answer" else expected in decision.candidates
            )
            assert bool(hit[row]) == got_it, (row, answer, margin)


# -- thresholds ------------------------------------------------------------------------------


def rows(n: int, top: float, right: bool) -> list[tuple[list[float], list[bool], bool]]:
    return [([top, 0.2], [right, False], False)] * n


IN_SCOPE = Outcomes.of(rows(40, 0.9, True) + rows(10, 0.6, False))


def test_too_few_out_of_scope_questions_to_certify_the_floor_keep_the_base_thresholds() -> None:
    # Ten out of ten fell back: the bound is 0.787, short of the 0.8 floor whatever the thresholds.
    base = Thresholds(answer=0.55, margin=0.06)
    out_of_scope = Outcomes.of(rows(10, 0.4, False))
    fit = fit_thresholds(lambda margin: (IN_SCOPE, out_of_scope), base)
    assert fit.thresholds == (0.55, 0.06)


def test_enough_out_of_scope_questions_let_the_thresholds_move() -> None:
    base = Thresholds(answer=0.55, margin=0.06)
    out_of_scope = Outcomes.of(rows(11, 0.4, False))  # bound 11 / (11 + z²) = 0.803
    fit = fit_thresholds(lambda margin: (IN_SCOPE, out_of_scope), base)
    assert fit.thresholds[0] > 0.6  # above the wrong answers' 0.6: nothing is answered wrong
    assert fit.oos_recall == 1.0
    assert fit.oos_recall_bound >= 0.8


# -- self-calibration ------------------------------------------------------------------------

TOPICS = ("redemption fee", "account opening", "dividend method", "purchase limit", "password reset", "tax statement")


def test_entries_whose_phrasings_share_words_find_themselves_in_self_calibration() -> None:
    index = build(
        *(
            entry(t.replace(" ", "-"), f"What about the {t}?", f"{t} question", f"tell me the {t}", f"{t} details")
            for t in TOPICS
        )
    )
    calibration = self_calibrate(index, model_languages=None, base=Thresholds())
    assert calibration.source == "self"
    assert calibration.probes == {"en": {"in_scope": 24, "out_of_scope": 6}}
    assert min(calibration.accuracy["en"].values()) >= 0.9
    assert calibration.weights.for_lang("en") in WEIGHT_GRID


def test_entries_whose_phrasings_share_no_words_do_not() -> None:
    words = iter("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima".split())
    index = build(*(entry(f"e{i}", next(words), next(words)) for i in range(6)))
    calibration = self_calibrate(index, model_languages=None, base=Thresholds())
    assert max(calibration.accuracy["en"].values()) <= 0.2


def test_only_entries_whose_question_goes_unanswered_without_them_give_out_of_scope_probes() -> None:
    index = build(
        entry("fee", "What is the redemption fee?", "how much does redeeming cost"),
        entry("fee-900001", "What is the redemption fee of the balanced fund?", funds=["900001"]),
        entry("account", "How do I open an account?", "Open an account online"),
        entry("child-account", "Can I open an account for my child?", "open an account online."),
        entry("password", "How do I reset my password?", "forgot password"),
    )
    probes = make_probes(index)["en"]
    removed = {index.entries[p.removed].id for p in probes if p.expected is None and p.removed is not None}
    assert removed == {"password"}  # fee has a twin, the account entries share a phrasing


def test_in_scope_probes_come_from_entries_with_another_phrasing_to_find_them_by() -> None:
    index = build(
        entry("fee", "What is the redemption fee?", "how much does redeeming cost", "redemption charges"),
        entry("lonely", "Where is your office?"),
    )
    expected = [index.entries[p.expected].id for p in make_probes(index)["en"] if p.expected is not None]
    assert expected == ["fee", "fee", "fee"]


def test_a_probe_is_scored_without_its_own_phrasing() -> None:
    # No phrasing shares a word with another: left out, a probe's own copy cannot help it.
    index = build(
        entry("fee", "What is the redemption fee?", "how much does selling cost"),
        entry("account", "How do I open an account?", "new customer registration"),
    )
    probes = [p for p in make_probes(index)["en"] if p.expected is not None]
    assert len(probes) == 4
    for probe in probes:
        assert probe.coverage[probe.expected] == 0.0
        assert probe.containment[probe.expected] == 0.0


# -- the Chinese deployment profile: a model that reads Chinese earns its weight -----------------


class TopicEmbedder:
    """A stand-in for a Chinese sentence model: it knows which topic each text is about."""

    def __init__(self, topics: dict[str, int], languages: frozenset[str] | None) -> None:
        self.topics, self.languages = topics, languages

    @property
    def name(self) -> str:
        return "topics"

    @property
    def dim(self) -> int:
        return 16

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        rng = np.random.default_rng(0)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row, self.topics.get(text, self.dim - 1)] = 1.0
        out += 0.05 * rng.standard_normal(out.shape).astype(np.float32)
        return np.asarray(out / np.linalg.norm(out, axis=1, keepdims=True), dtype=np.float32)


def _chinese_paraphrase_kb() -> tuple[list[Entry], dict[str, int]]:
    """Twelve entries whose phrasings share no words with each other: only meaning ties them."""
    rng = np.random.default_rng(1)
    alphabet = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    entries, topics = [], {}
    for topic in range(12):
        phrasings = ["".join(rng.choice(alphabet, size=6)) for _ in range(5)]
        topics.update(dict.fromkeys(phrasings, topic))
        entries.append(
            Entry(
                id=f"zh-{topic}",
                question=phrasings[0],
                answer="答",
                file="zh.md",
                line=1,
                lang="zh",
                alternatives=tuple(phrasings[1:]),
            )
        )
    return entries, topics


@pytest.mark.parametrize("languages", [frozenset({"zh"}), None, frozenset({"en"})])
def test_a_model_that_reads_chinese_earns_the_dense_channel_its_weight_for_chinese(
    languages: frozenset[str] | None,
) -> None:
    entries, topics = _chinese_paraphrase_kb()
    index = FaqIndex.build(entries, TopicEmbedder(topics, languages), tokenizer=TOKENS)[0]
    found = self_calibrate(index, model_languages=languages, base=Thresholds())
    # Lexical alone cannot tell these entries apart; the dense channel can, so its weight rises
    # from the prior (0.5, or 1 for a model whose card says English only) with no setting.
    assert found.weights.for_lang("zh") < 1.0
    assert found.accuracy["zh"]["0.0"] > found.accuracy["zh"]["1.0"] + 0.5


def test_an_english_only_model_leaves_chinese_to_the_lexical_channel_when_it_does_not_help() -> None:
    entries = [
        entry("zh-a", "赎回多久到账", "卖出基金几天到账", "赎回的钱什么时候到"),
        entry("zh-b", "申购费是多少", "买基金手续费多少", "申购要收多少钱"),
        entry("zh-c", "怎么修改分红方式", "分红方式怎么改", "我想改成红利再投资"),
    ]
    entries = [Entry(**{**e.__dict__, "lang": "zh"}) for e in entries]
    index = FaqIndex.build(entries, HashingEmbedder(), tokenizer=TOKENS)[0]
    found = self_calibrate(index, model_languages=frozenset({"en"}), base=Thresholds())
    assert found.weights.for_lang("zh") == 1.0  # the prior: nothing here shows the dense channel does better
