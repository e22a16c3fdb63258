"""bench.pairs: reading pair files, building the FAQ-retrieval task and writing it (no model, no eval)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import pairs
from bench.pairs import Entry, Pair, PairFileError
from knowledge_base.evaluation import read_questions
from knowledge_base.lint import parse_tree


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# -- formats ------------------------------------------------------------------------------


def test_csv_with_header_is_read_by_column_name(tmp_path: Path) -> None:
    path = write(
        tmp_path / "afqmc.csv",
        'sentence1,sentence2,label\n花呗怎么还款,花呗如何还钱,1\n"借呗,利息",借呗利率多少,0\n',
    )
    read = pairs.read_pairs(path)
    assert read.format == "csv"
    assert read.pairs == (Pair("花呗怎么还款", "花呗如何还钱", True), Pair("借呗,利息", "借呗利率多少", False))


def test_csv_columns_may_come_in_any_order_with_extra_ones(tmp_path: Path) -> None:
    path = write(tmp_path / "afqmc.csv", "id,label,sentence2,sentence1\n7,1,乙,甲\n")
    assert pairs.read_pairs(path).pairs == (Pair("甲", "乙", True),)


def test_tsv_without_header_is_lcqmc(tmp_path: Path) -> None:
    path = write(
        tmp_path / "lcqmc.txt", "喜欢打篮球的男生\t爱打篮球的男生\t1\r\n大家觉得她好看吗\t大家觉得跑男好看吗\t0\n\n"
    )
    read = pairs.read_pairs(path)
    assert read.format == "tsv"
    assert read.pairs == (
        Pair("喜欢打篮球的男生", "爱打篮球的男生", True),
        Pair("大家觉得她好看吗", "大家觉得跑男好看吗", False),
    )


def test_tsv_header_line_is_skipped(tmp_path: Path) -> None:
    path = write(tmp_path / "lcqmc.tsv", "text_a\ttext_b\tlabel\n甲\t乙\t1\n")
    assert pairs.read_pairs(path).pairs == (Pair("甲", "乙", True),)


def test_json_lines_are_clue_afqmc(tmp_path: Path) -> None:
    rows = [
        {"sentence1": "蚂蚁借呗能提前还吗", "sentence2": "借呗可以提前还款吗", "label": "1"},
        {"sentence1": "花呗分期", "sentence2": "花呗临时额度", "label": 0},
    ]
    path = write(tmp_path / "dev.json", "\ufeff" + "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    read = pairs.read_pairs(path)
    assert read.format == "jsonl"
    assert [p.positive for p in read.pairs] == [True, False]


def test_whitespace_is_collapsed_so_a_sentence_stays_one_heading(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", 'sentence1,sentence2,label\n"第一行\n第二行  结尾 ",问题,1\n')
    assert pairs.read_pairs(path).pairs[0].first == "第一行 第二行 结尾"


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("a.csv", "sentence1,sentence2,label\n甲,乙,1\n丙,丁\n", "a.csv:3: expected 3 fields"),
        ("a.csv", "sentence1,sentence2,label\n甲,乙,1\n丙,丁,2\n", "a.csv:3: label must be 0 or 1, got '2'"),
        ("a.csv", 'sentence1,sentence2,label\n甲,乙,1\n"丙"x,丁,1\n', "a.csv:3: bad CSV"),
        ("a.csv", "sentence1,sentence2,label\n甲,乙,1\n , 丁,1\n", "a.csv:3: sentence1 is empty"),
        ("a.tsv", "甲\t乙\t1\n丙\t丁\n", "a.tsv:2: expected 3 tab-separated fields"),
        (
            "a.json",
            '{"sentence1": "甲", "sentence2": "乙", "label": "1"}\n{"sentence1": "丙"\n',
            "a.json:2: invalid JSON",
        ),
        (
            "a.json",
            '{"sentence1": "甲", "sentence2": "乙", "label": "1"}\n{"sentence1": "丙", "label": "1"}\n',
            "a.json:2: missing key 'sentence2'",
        ),
        ("a.json", '{"sentence1": "甲", "sentence2": "乙"}\n', "a.json:1: missing key 'label'"),
        ("a.json", '[{"sentence1": "甲"}]\n', "a.json:1: a JSON array is not supported"),
        ("a.txt", "甲 乙 1\n", "a.txt:1: unknown format"),
    ],
)
def test_a_malformed_row_is_reported_as_file_and_line(tmp_path: Path, name: str, text: str, where: str) -> None:
    with pytest.raises(PairFileError) as raised:
        pairs.read_pairs(write(tmp_path / name, text))
    assert str(raised.value).startswith(f"{tmp_path / where.split(':')[0]}:")
    assert where.split(":", 1)[1] in str(raised.value)


def test_bytes_that_are_not_utf8_name_their_line(tmp_path: Path) -> None:
    path = tmp_path / "gbk.tsv"
    path.write_bytes("甲\t乙\t1\n".encode() + "丙\t丁\t1\n".encode("gbk"))
    with pytest.raises(PairFileError, match=r"gbk\.tsv:2: not UTF-8"):
        pairs.read_pairs(path)


# -- the task -----------------------------------------------------------------------------


def test_positive_pairs_become_entries_and_questions_with_stable_ids() -> None:
    rows = [
        Pair("花呗怎么还款", "花呗如何还钱", True),
        Pair("借呗利息", "借呗利率多少", False),  # negative: dropped
        Pair("花呗怎么还款", "怎样还花呗", True),  # same first sentence: the first pair wins
        Pair("借呗额度", "借呗额度", True),  # trivial: asked text is an entry's text
        Pair("花呗分期", "花呗怎么还款", True),  # trivial too: equals another pair's entry
        Pair("余额宝收益", "余额宝利息怎么算", True),
    ]
    task = pairs.build_task(rows)
    assert task.pairs == 5
    assert task.entries == (
        Entry("p-00001", "花呗怎么还款"),
        Entry("p-00002", "借呗额度"),
        Entry("p-00003", "花呗分期"),
        Entry("p-00004", "余额宝收益"),
    )
    assert [(q.text, q.expected) for q in task.questions] == [
        ("花呗如何还钱", "p-00001"),
        ("余额宝利息怎么算", "p-00004"),
    ]


def test_limit_keeps_the_first_positive_pairs_and_their_ids() -> None:
    rows = [Pair(f"问题{i}", f"问法{i}", i % 3 != 0) for i in range(30)]
    full, limited = pairs.build_task(rows), pairs.build_task(rows, limit=5)
    assert limited.pairs == 5
    assert limited.entries == full.entries[:5]
    assert limited.questions == full.questions[:5]


# -- the written knowledge base -----------------------------------------------------------


def test_written_markdown_parses_with_zero_problems(tmp_path: Path) -> None:
    tricky = [
        "C# 基金怎么买",
        "费率是多少？ ##",
        "## 开头的问题",
        "- 像列表的问题",
        "赎回 {#x} 多久到账",
        "1. 编号问题",
    ]
    entries = [Entry(f"p-{i + 1:05d}", text) for i, text in enumerate(tricky + [f"问题{i}怎么办" for i in range(1195)])]
    files = pairs.write_kb(tmp_path / "faq", entries)
    assert [f.name for f in files] == ["pairs-0001.md", "pairs-0002.md", "pairs-0003.md"]
    assert (
        files[0]
        .read_text(encoding="utf-8")
        .startswith("---\nlang: zh\n---\n\n## C# 基金怎么买 {#p-00001}\n\n（示例答案 p-00001）\n")
    )
    parsed = parse_tree(tmp_path / "faq")
    assert [p for pf in parsed for p in pf.problems] == []
    served = [e for pf in parsed for e in pf.entries]
    assert len(served) == 1201 and [len(pf.entries) for pf in parsed] == [500, 500, 201]
    assert {e.id: e.question for e in served} == {e.id: e.text for e in entries}
    assert {e.lang for e in served} == {"zh"}
    assert pairs.check_kb(tmp_path / "faq", entries) == 0


def test_rewriting_drops_stale_files_and_refuses_foreign_ones(tmp_path: Path) -> None:
    folder = tmp_path / "faq"
    pairs.write_kb(folder, [Entry(f"p-{i:05d}", f"问题{i}") for i in range(1, 1002)])
    assert len(pairs.write_kb(folder, [Entry("p-00001", "问题")])) == 1
    assert sorted(p.name for p in folder.iterdir()) == ["pairs-0001.md"]
    write(folder / "mine.md", "## 别人的问题 {#other}\n\n答案\n")
    with pytest.raises(RuntimeError, match="other FAQ files"):
        pairs.write_kb(folder, [Entry("p-00001", "问题")])


def test_questions_csv_is_read_back_by_eval(tmp_path: Path) -> None:
    task = pairs.build_task([Pair("花呗怎么还款", '花呗"如何",还钱', True), Pair("借呗额度", "借呗额度多少", True)])
    path = pairs.write_questions(tmp_path / "questions.csv", task.questions)
    assert [(q.text, q.expected) for q in read_questions(path)] == [
        ('花呗"如何",还钱', "p-00001"),
        ("借呗额度多少", "p-00002"),
    ]


def test_bm25_bar_and_gain_use_the_same_task() -> None:
    task = pairs.build_task([Pair("花呗怎么还款", "花呗还款", True), Pair("借呗额度提升", "借呗额度", True)])
    assert pairs.bm25_top1(task) == 1.0
    assert pairs.relative_gain(0.9, 0.6) == 0.5
    assert pairs.relative_gain(0.5, 0.0) is None


# -- command line (stops before eval) ------------------------------------------------------


def test_command_reports_a_malformed_file_before_measuring_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write(tmp_path / "good.tsv", "甲\t乙\t1\n")
    bad = write(tmp_path / "bad.tsv", "甲\t乙\t1\n丙\t丁\tyes\n")
    assert pairs.main([str(good), str(bad), "--out", str(tmp_path / "out")]) == 1
    assert f"{bad}:2: label must be 0 or 1, got 'yes'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_command_refuses_files_whose_outputs_would_collide(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    first, second = write(tmp_path / "dev.csv", "a"), write(tmp_path / "x" / "dev.json", "b")
    assert pairs.main([str(first), str(second), "--out", str(tmp_path / "out")]) == 2
