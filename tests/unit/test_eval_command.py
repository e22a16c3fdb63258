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
# Documented in README beside the contract keys; eval adds keys, never renames or removes them.
DOCUMENTED_KEYS = CONTRACT_KEYS | {
    "wrong_answer_rate",
    "clarify_rate",
    "fallback_rate",
    "oos_answered_rate",
    "entries",
    "calibrated",
    "thresholds",
    "lint_errors",
    "lint_warnings",
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
    assert result.keys() >= DOCUMENTED_KEYS
    assert (result["questions"], result["in_scope"], result["out_of_scope"]) == (3, 2, 1)
    assert result["top1_accuracy"] == 1.0
    assert (result["entries"], result["lint_errors"], result["lint_warnings"]) == (2, 0, 0)


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


# -- the reviewer's knowledge base: 77 entries in 4 files, one repeated phrasing, one bad id ----


def reviewer_file(topic: str, size: int) -> str:
    return "".join(
        f"## How does the {topic} rule number {i} work? {{#{topic}-{i}}}\n"
        f"- {topic} rule {i} explained\n\n"
        f"Rule {i} of {topic}: see the prospectus.\n\n"
        for i in range(size)
    )


def line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, start=1) if needle in line)


def test_the_reviewers_knowledge_base_serves_76_of_77_entries_and_eval_reports_the_bad_id_where_it_is(
    write_faq: WriteFaq, faq_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {"accounts.md": 20, "dividends.md": 20, "redemption.md": 20, "subscription.md": 17}
    for name, size in files.items():
        write_faq(name, reviewer_file(name.removesuffix(".md"), size))
    repeated = write_faq(
        "accounts.md",
        reviewer_file("accounts", 20).replace(
            "- accounts rule 3 explained\n", "- accounts rule 3 explained\n- Accounts rule 3 explained?\n"
        ),
    )
    bad = write_faq("dividends.md", reviewer_file("dividends", 20).replace("{#dividends-7}", "{#Dividends-7}"))
    repeated_line = line_of(repeated, "- Accounts rule 3 explained?")
    bad_line = line_of(bad, "{#Dividends-7}")
    expected = [
        f"accounts.md:{repeated_line}: warning: duplicate phrasing 'Accounts rule 3 explained?' "
        f"(same as line {repeated_line - 1}); only the first is kept",
        f"dividends.md:{bad_line}: invalid id 'Dividends-7': use lowercase letters, digits, '-' and '_', "
        "starting with a letter or digit",
    ]
    questions = write_csv(
        tmp_path / "q.csv",
        [("how does the redemption rule number 3 work", "redemption-3"), ("dividends rule 8 explained", "dividends-8")],
    )

    assert main(["lint", "--kb", str(faq_dir)]) == 1
    assert capsys.readouterr().out.splitlines() == expected

    assert main(["eval", "--kb", str(faq_dir), "--questions", str(questions)]) == 0
    captured = capsys.readouterr()
    result = dict(json.loads(captured.out.strip().splitlines()[-1]))
    assert result.keys() >= DOCUMENTED_KEYS
    assert (result["entries"], result["lint_errors"], result["lint_warnings"]) == (76, 1, 1)
    problems = [line for line in captured.err.splitlines() if line.startswith(("accounts.md:", "dividends.md:"))]
    assert problems == expected
