"""The ``eval`` command's output is a contract: other tools parse its last line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge_base.__main__ import main
from tests.conftest import WriteFaq
from tests.unit.test_knowledge_base import FUND_900001, REDEMPTION

CONTRACT_KEYS = {
    "questions",
    "in_scope",
    "out_of_scope",
    "top1_accuracy",
    "answer_accuracy",
    "oos_recall",
    "p50_ms",
    "p95_ms",
}


@pytest.fixture(autouse=True)
def fake_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FUNDDESK_EMBEDDING_MODEL", "hashing")
    monkeypatch.setenv("FUNDDESK_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("FUNDDESK_POLICY_FILE", str(tmp_path / "no-policy.json"))


def write_csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    lines = ["question,expected_id", *(f'"{q}",{e}' for q, e in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def last_json(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    out = capsys.readouterr().out.strip().splitlines()
    return dict(json.loads(out[-1]))


def test_eval_prints_the_contract_metrics_as_its_last_line(
    write_faq: WriteFaq, faq_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_faq("redemption.md", REDEMPTION)
    questions = write_csv(
        tmp_path / "q.csv",
        [
            ("when do I receive my redemption money", "redemption-arrival"),
            ("how much does it cost to sell", "redemption-fee"),
            ("best pizza in town", ""),
        ],
    )
    assert main(["eval", "--kb", str(faq_dir), "--questions", str(questions)]) == 0
    result = last_json(capsys)
    assert result.keys() >= CONTRACT_KEYS
    assert (result["questions"], result["in_scope"], result["out_of_scope"]) == (3, 2, 1)
    assert result["top1_accuracy"] == 1.0


def test_calibration_fits_thresholds_that_send_out_of_scope_questions_to_fallback(
    write_faq: WriteFaq, faq_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_faq("redemption.md", REDEMPTION)
    write_faq("funds/900001.md", FUND_900001)
    dev = write_csv(
        tmp_path / "dev.csv",
        [
            ("when will I receive the money after redeeming", "redemption-arrival"),
            ("redemption proceeds arrival", "redemption-arrival"),
            ("what is the redemption fee of 900001", "redemption-fee-900001"),
            ("weather tomorrow in Shanghai", ""),
            ("recommend a good movie", ""),
        ],
    )
    policy = tmp_path / "policy.json"
    args = ["eval", "--kb", str(faq_dir), "--questions", str(dev), "--calibration", str(dev)]
    assert main([*args, "--save-policy", str(policy)]) == 0
    result = last_json(capsys)
    assert result["calibrated"] is True
    assert result["oos_recall"] == 1.0
    assert json.loads(policy.read_text())["answer"] == result["thresholds"]["answer"]  # type: ignore[index]


def test_a_questions_file_without_the_contract_header_is_a_clear_error(
    faq_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nhello,x\n")
    assert main(["eval", "--kb", str(faq_dir), "--questions", str(bad)]) == 2
    assert "header must have question,expected_id" in capsys.readouterr().err
