"""The live knowledge base's calibration, its overrides, and how it reads an investor's message."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from funddesk.settings import Settings
from knowledge_base.calibration import Calibration, self_calibrate
from knowledge_base.embedder import HashingEmbedder
from knowledge_base.index import Weights
from knowledge_base.policy import Thresholds
from knowledge_base.service import KnowledgeBase
from tests.conftest import WriteFaq

OpenKb = Callable[..., KnowledgeBase]
OpenWith = Callable[..., KnowledgeBase]

REDEMPTION = """
## What is the redemption fee? {#redemption-fee}
- how much does selling cost

It depends on how long you held the shares.

## How do I open an account? {#open-account}
- open an account online

In the app.
"""

FUND_900001 = """
---
funds: ["900001"]
---
## What is the redemption fee of the balanced fund? {#redemption-fee-900001}
- balanced fund selling cost

1.5% under 7 days, then nothing.

## Who manages the balanced fund? {#manager-900001}

Our equity team.
"""

CHINESE = """
---
lang: zh
---
## 银行卡丢了怎么办？ {#card-lost}
- 银行卡挂失

请先联系发卡银行挂失。

## 怎么赎回？ {#redeem-zh}
- 赎回流程

在App里赎回。
"""

FUNDS_YML = """
funds:
  - code: "900001"
    names: ["Demo Balanced Fund", "演示平衡"]
  - code: "900002"
    names: ["Demo Bond Fund"]
"""

ID_NUMBER = "110101199003074514"


@pytest.fixture
def calibrations(monkeypatch: pytest.MonkeyPatch) -> list[Calibration]:
    """Every self-calibration the knowledge base runs, in order."""
    found: list[Calibration] = []

    def counting(*args: object, **kwargs: object) -> Calibration:
        calibration = self_calibrate(*args, **kwargs)  # type: ignore[arg-type]
        found.append(calibration)
        return calibration

    monkeypatch.setattr("knowledge_base.service.self_calibrate", counting)
    return found


@pytest.fixture
def open_with(faq_dir: Path, tmp_path: Path) -> Iterator[OpenWith]:
    """``KnowledgeBase.open`` on the test's FAQ folder, with a funds file and settings of the test's choosing."""
    opened: list[KnowledgeBase] = []
    funds = tmp_path / "funds.yml"
    funds.write_text(textwrap.dedent(FUNDS_YML).lstrip(), encoding="utf-8")

    def open_(**settings: object) -> KnowledgeBase:
        values: dict[str, object] = {"kb_dir": faq_dir, "data_dir": tmp_path / "data", "funds_file": funds}
        kb = KnowledgeBase.open(Settings(**{**values, **settings}), HashingEmbedder(), watch=False)  # type: ignore[arg-type]
        opened.append(kb)
        return kb

    yield open_
    for kb in opened:
        kb.close()


# -- self-calibration ------------------------------------------------------------------------


def test_a_started_knowledge_base_serves_with_its_own_calibration(
    write_faq: WriteFaq, open_kb: OpenKb, calibrations: list[Calibration]
) -> None:
    write_faq("redemption.md", REDEMPTION)
    kb = open_kb()
    assert kb.calibration_source == "self"
    assert len(calibrations) == 1
    assert kb.thresholds == calibrations[0].thresholds
    assert kb.weights == calibrations[0].weights


def test_a_restart_restores_the_calibration_from_the_saved_index_without_calibrating_again(
    write_faq: WriteFaq, open_kb: OpenKb, calibrations: list[Calibration]
) -> None:
    write_faq("redemption.md", REDEMPTION)
    first = open_kb()
    first.close()
    second = open_kb()
    assert len(calibrations) == 1
    assert second.calibration_source == "self"
    assert (second.weights, second.thresholds) == (first.weights, first.thresholds)


def test_an_edit_after_a_restart_calibrates_again(
    write_faq: WriteFaq, open_kb: OpenKb, calibrations: list[Calibration]
) -> None:
    path = write_faq("redemption.md", REDEMPTION)
    open_kb().close()
    second = open_kb()
    path.write_text(path.read_text(encoding="utf-8").replace("In the app.", "Online."), encoding="utf-8")
    assert second.reload().changed
    assert len(calibrations) == 2


def test_a_knowledge_base_told_not_to_calibrate_serves_the_defaults(
    write_faq: WriteFaq, open_kb: OpenKb, calibrations: list[Calibration]
) -> None:
    write_faq("redemption.md", REDEMPTION)
    kb = open_kb(calibrate=False)
    assert calibrations == []
    assert kb.calibration_source == "defaults"
    assert kb.thresholds == Thresholds()


# -- overrides -------------------------------------------------------------------------------


def test_a_policy_file_in_the_knowledge_base_folder_overrides_the_self_calibrated_thresholds(
    write_faq: WriteFaq, faq_dir: Path, open_with: OpenWith
) -> None:
    write_faq("redemption.md", REDEMPTION)
    Thresholds(answer=0.42, margin=0.07, by_lang={"zh": (0.3, 0.02)}).save(faq_dir / "policy.json")
    kb = open_with()
    assert kb.thresholds == Thresholds(answer=0.42, margin=0.07, by_lang={"zh": (0.3, 0.02)})
    assert kb.calibration_source == "policy file"
    assert kb.calibration.source == "self"  # the lexical weight is still the knowledge base's own
    assert kb.weights == kb.calibration.weights


def test_without_a_policy_file_the_self_calibrated_thresholds_serve(write_faq: WriteFaq, open_with: OpenWith) -> None:
    write_faq("redemption.md", REDEMPTION)
    kb = open_with()
    assert kb.calibration_source == "self"
    assert kb.thresholds == kb.calibration.thresholds


def test_an_operators_lexical_weight_is_used_for_every_language(write_faq: WriteFaq, open_with: OpenWith) -> None:
    write_faq("redemption.md", REDEMPTION)
    kb = open_with(lexical_weight=0.2)
    assert kb.weights == Weights.fixed(0.2)
    assert kb.weights.for_lang("zh") == kb.weights.for_lang("en") == 0.2


# -- reading the message ---------------------------------------------------------------------


def test_a_match_logs_the_id_number_masked_and_matches_the_question_without_it(
    write_faq: WriteFaq, open_kb: OpenKb
) -> None:
    write_faq("redemption.md", REDEMPTION)
    match = open_kb().ask(f"Hello, my ID is {ID_NUMBER}. What is the redemption fee?")
    assert match.loggable == "Hello, my ID is [id ••••4514]. What is the redemption fee?"
    assert match.question == "what is the redemption fee"
    assert ID_NUMBER not in match.loggable
    assert match.ranked[0].entry.id == "redemption-fee"


@pytest.mark.parametrize(
    "message", ["What is the redemption fee of Demo Balanced Fund?", "what is the redemption fee of demo balanced fund"]
)
def test_a_fund_named_by_its_name_scopes_the_question_to_that_fund(
    write_faq: WriteFaq, open_with: OpenWith, message: str
) -> None:
    write_faq("redemption.md", REDEMPTION)
    write_faq("funds/900001.md", FUND_900001)
    match = open_with().ask(message)
    assert match.fund == "900001"
    assert match.question == "what is the redemption fee of"
    assert match.ranked[0].entry.id == "redemption-fee-900001"


def test_a_fund_named_by_another_funds_name_never_gets_its_entries(write_faq: WriteFaq, open_with: OpenWith) -> None:
    write_faq("redemption.md", REDEMPTION)
    write_faq("funds/900001.md", FUND_900001)
    match = open_with().ask("Who manages Demo Bond Fund?")
    assert match.fund == "900002"
    assert not any(c.entry.funds for c in match.ranked)


def test_a_question_naming_no_fund_gets_the_generic_answer(write_faq: WriteFaq, open_with: OpenWith) -> None:
    write_faq("redemption.md", REDEMPTION)
    write_faq("funds/900001.md", FUND_900001)
    match = open_with().ask("What is the redemption fee of the balanced fund?")
    assert match.fund is None
    assert match.ranked[0].entry.id == "redemption-fee"


def test_a_chinese_message_with_a_card_number_is_read_as_chinese(write_faq: WriteFaq, open_kb: OpenKb) -> None:
    write_faq("redemption.md", REDEMPTION)
    write_faq("chinese.md", CHINESE)
    match = open_kb().ask("银行卡6222021234567890123挂失")
    assert match.lang == "zh"
    assert match.ranked[0].entry.id == "card-lost"


def test_a_short_chinese_message_with_personal_numbers_is_read_as_chinese(write_faq: WriteFaq, open_kb: OpenKb) -> None:
    write_faq("redemption.md", REDEMPTION)
    write_faq("chinese.md", CHINESE)
    match = open_kb().ask("6222021234567890123 13812345678 挂失")
    assert match.question == "挂失"
    assert match.lang == "zh"
