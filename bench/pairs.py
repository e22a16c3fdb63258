"""Chinese question pairs measured "as FAQ retrieval": FundDesk's top-1 against a plain BM25 bar.

What it measures. A pair corpus (AFQMC, LCQMC, ...) labels two questions 1 when they ask the
same thing. Its positive pairs become a retrieval task: each pair's first sentence is one FAQ
entry (one phrasing, ``lang: zh``, a placeholder answer), its second sentence is asked, and
top-1 counts the questions whose best-ranked entry is their own pair's. FundDesk is scored by
the ``knowledge_base eval`` contract command, run exactly as outside tools run it
(:func:`bench.kb_bench.run_eval`); the bar is :func:`bench.bm25.top1_accuracy` (plain BM25 over
character unigrams + bigrams) on the same entries and questions.

The construction, step by step (deterministic, nothing random):

1. Read the rows (formats below) and keep the positive pairs (label 1), in file order;
   ``--limit N`` keeps the first N of them.
2. Collapse whitespace in every sentence (runs of spaces, tabs and line breaks become one
   space; a heading cannot span lines).
3. One entry per distinct first sentence: when two pairs share it, the first pair is kept and
   the later one dropped. Ids follow file order: ``p-00001``, ``p-00002``, ...
4. Ask each kept pair's second sentence, unless it is exactly some entry's text (trivial).

Formats, detected from the first line: CSV with a header naming ``sentence1``, ``sentence2``
and ``label`` (AFQMC as many repositories distribute it); TSV ``text_a<TAB>text_b<TAB>label``
without a header (LCQMC; a first line whose label column reads ``label`` is taken as a header);
JSON lines ``{"sentence1": ..., "sentence2": ..., "label": "1"}`` (CLUE's AFQMC). Labels are
0 or 1. A malformed row stops everything before anything is measured, as ``file:line: message``.

The data is not in this repository and never will be: whoever runs this brings the files and
their licence. Run::

    .venv/bin/python -m bench.pairs FILE [FILE ...] [--limit N] [--out DIR] [--json]

Each FILE gets ``DIR/<file stem>/faq/`` (the FAQ markdown, at most 500 entries a file) and
``DIR/<file stem>/questions.csv``; ``DIR`` defaults to ``bench/out/pairs`` and ``DIR/var`` holds
the embedding cache. Per file a small table is printed, then one JSON line
``{"file", "pairs", "entries", "questions", "funddesk_top1", "bm25_top1", "relative_gain",
"eval"}`` with ``relative_gain = funddesk_top1 / bm25_top1 - 1`` (null when the bar is 0);
``--json`` prints the JSON lines only. The last line is always the last file's JSON.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import bm25
from bench.kb_bench import run_eval
from knowledge_base.lint import discover, parse_tree

OUT = Path(__file__).resolve().parent / "out" / "pairs"
ENTRIES_PER_FILE = 500
CSV_COLUMNS = ("sentence1", "sentence2", "label")
DESCRIPTION = "Chinese question pairs as FAQ retrieval: FundDesk top-1 against plain BM25 (see bench/pairs.py)."


class PairFileError(ValueError):
    """A pair file that cannot be read; the message is ``file:line: message``."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")


@dataclass(frozen=True)
class Pair:
    first: str
    second: str
    positive: bool


@dataclass(frozen=True)
class PairFile:
    path: Path
    format: str
    pairs: tuple[Pair, ...]


@dataclass(frozen=True)
class Entry:
    id: str
    text: str


@dataclass(frozen=True)
class Question:
    text: str
    expected: str


@dataclass(frozen=True)
class Task:
    """The retrieval task built from one pair file."""

    pairs: int  # positive pairs used (after --limit, before deduplication)
    entries: tuple[Entry, ...]
    questions: tuple[Question, ...]


# -- reading ------------------------------------------------------------------------------


def read_pairs(path: Path) -> PairFile:
    """Every row of ``path``, its format detected from the first line."""
    text = _decode(path)
    first = next((line for line in text.split("\n") if line.strip()), "")
    fmt = detect_format(path, first)
    rows = {"csv": _csv_rows, "tsv": _tsv_rows, "jsonl": _jsonl_rows}[fmt](path, text)
    return PairFile(path, fmt, tuple(rows))


def detect_format(path: Path, first_line: str) -> str:
    """``csv``, ``tsv`` or ``jsonl``, from the first non-blank line of the file."""
    line = first_line.strip()
    if line.startswith("{"):
        return "jsonl"
    if line.startswith("["):
        raise PairFileError(path, 1, "a JSON array is not supported; write one JSON object per line")
    if "\t" in line:
        return "tsv"
    header = next(csv.reader([line]), [])
    if all(column in header for column in CSV_COLUMNS):
        return "csv"
    raise PairFileError(
        path,
        1,
        "unknown format: expected a CSV header with sentence1,sentence2,label, "
        "tab-separated text_a, text_b, label, or JSON lines",
    )


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise PairFileError(path, line, f"not UTF-8 (byte 0x{data[exc.start]:02x})") from None


def _csv_rows(path: Path, text: str) -> Iterator[Pair]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header = next(row for row in reader if row)  # detect_format found the columns in it
    columns = {name: header.index(name) for name in CSV_COLUMNS}
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise PairFileError(path, line, f"bad CSV: {exc}") from None
        if not row:
            continue
        if len(row) != len(header):
            raise PairFileError(path, line, f"expected {len(header)} fields like the header, got {len(row)}")
        yield _pair(path, line, *(row[columns[name]] for name in CSV_COLUMNS))


def _tsv_rows(path: Path, text: str) -> Iterator[Pair]:
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 3:
            raise PairFileError(
                path, number, f"expected 3 tab-separated fields (text_a, text_b, label), got {len(fields)}"
            )
        if number == 1 and fields[2].strip() == "label":
            continue  # an optional header such as text_a<TAB>text_b<TAB>label
        yield _pair(path, number, *fields)


def _jsonl_rows(path: Path, text: str) -> Iterator[Pair]:
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise PairFileError(path, number, f"invalid JSON: {exc.msg}") from None
        if not isinstance(row, dict):
            raise PairFileError(path, number, "expected a JSON object")
        missing = [key for key in CSV_COLUMNS if key not in row]
        if missing:
            raise PairFileError(path, number, f"missing key {missing[0]!r}")
        yield _pair(path, number, row["sentence1"], row["sentence2"], row["label"])


def _pair(path: Path, line: int, first: Any, second: Any, label: Any) -> Pair:
    return Pair(
        _sentence(path, line, "sentence1", first),
        _sentence(path, line, "sentence2", second),
        _label(path, line, label),
    )


def _sentence(path: Path, line: int, name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise PairFileError(path, line, f"{name} must be text, got {value!r}")
    text = " ".join(value.split())
    if not text:
        raise PairFileError(path, line, f"{name} is empty")
    return text


def _label(path: Path, line: int, value: Any) -> bool:
    if isinstance(value, str) and value.strip() in ("0", "1"):
        return value.strip() == "1"
    if type(value) is int and value in (0, 1):
        return value == 1
    raise PairFileError(path, line, f"label must be 0 or 1, got {value!r}")


# -- the retrieval task -------------------------------------------------------------------


def build_task(pairs: Sequence[Pair], limit: int | None = None) -> Task:
    """Entries from the positive pairs' first sentences, questions from their second ones."""
    positives = [pair for pair in pairs if pair.positive][:limit]
    ids: dict[str, str] = {}
    kept: list[Pair] = []
    for pair in positives:
        if pair.first not in ids:
            ids[pair.first] = f"p-{len(ids) + 1:05d}"
            kept.append(pair)
    entries = tuple(Entry(entry_id, text) for text, entry_id in ids.items())
    questions = tuple(Question(pair.second, ids[pair.first]) for pair in kept if pair.second not in ids)
    return Task(len(positives), entries, questions)


def write_kb(folder: Path, entries: Sequence[Entry]) -> list[Path]:
    """FAQ markdown in the README format, ``pairs-0001.md``... of at most 500 entries each."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("pairs-*.md"):
        old.unlink()
    if others := discover(folder):
        raise RuntimeError(f"{folder} holds other FAQ files ({others[0].name}); use another --out")
    files = []
    for number, start in enumerate(range(0, len(entries), ENTRIES_PER_FILE), start=1):
        path = folder / f"pairs-{number:04d}.md"
        path.write_text(render(entries[start : start + ENTRIES_PER_FILE]), encoding="utf-8")
        files.append(path)
    return files


def render(entries: Sequence[Entry]) -> str:
    """One FAQ file: ``lang: zh`` front matter, then ``## question {#id}`` and a placeholder answer."""
    sections = [f"## {entry.text} {{#{entry.id}}}\n\n（示例答案 {entry.id}）\n" for entry in entries]
    return "---\nlang: zh\n---\n\n" + "\n".join(sections)


def check_kb(folder: Path, entries: Sequence[Entry]) -> int:
    """Parse the written folder as the service would; it must serve exactly ``entries``.

    Returns the number of lint warnings (a question that does not look Chinese, for one).
    """
    parsed = parse_tree(folder)
    problems = [problem for pf in parsed for problem in pf.problems]
    errors = [problem for problem in problems if problem.severity == "error"]
    if errors:
        first = errors[0]
        raise RuntimeError(f"written FAQ has {len(errors)} errors, first {first.file}:{first.line}: {first.message}")
    served = {entry.id: entry.question for pf in parsed for entry in pf.entries}
    wanted = {entry.id: entry.text for entry in entries}
    if served != wanted:
        wrong = next(key for key in wanted.keys() | served.keys() if served.get(key) != wanted.get(key))
        raise RuntimeError(f"written FAQ serves {served.get(wrong)!r} as {wrong}, not {wanted.get(wrong)!r}")
    return len(problems)


def write_questions(path: Path, questions: Sequence[Question]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["question", "expected_id"])
        writer.writerows([question.text, question.expected] for question in questions)
    return path


# -- measuring ----------------------------------------------------------------------------


def bm25_top1(task: Task) -> float:
    phrasings = [(entry.id, entry.text) for entry in task.entries]
    return round(bm25.top1_accuracy(phrasings, [(q.text, q.expected) for q in task.questions]), 4)


def relative_gain(funddesk: float, bar: float) -> float | None:
    return round(funddesk / bar - 1, 4) if bar else None


def measure(source: PairFile, task: Task, out: Path) -> dict[str, Any]:
    """Write the task under ``out/<stem>/``, run ``eval`` and the BM25 bar, return the JSON line."""
    if not task.questions:
        raise RuntimeError(f"{source.path}: no questions left (no positive pairs, or every one trivial)")
    folder = out / source.path.stem
    write_kb(folder / "faq", task.entries)
    check_kb(folder / "faq", task.entries)
    questions = write_questions(folder / "questions.csv", task.questions)
    evaluation = run_eval(folder / "faq", questions, None, out / "var")
    if evaluation["entries"] != len(task.entries) or evaluation["in_scope"] != len(task.questions):
        raise RuntimeError(
            f"eval served {evaluation['entries']} entries for {evaluation['in_scope']} questions, "
            f"expected {len(task.entries)} and {len(task.questions)}"
        )
    funddesk, bar = evaluation["top1_accuracy"], bm25_top1(task)
    return {
        "file": str(source.path),
        "pairs": task.pairs,
        "entries": len(task.entries),
        "questions": len(task.questions),
        "funddesk_top1": funddesk,
        "bm25_top1": bar,
        "relative_gain": relative_gain(funddesk, bar),
        "eval": evaluation,
    }


def table(source: PairFile, result: dict[str, Any]) -> str:
    gain = result["relative_gain"]
    rows = [
        ("file", f"{result['file']} ({source.format}, {len(source.pairs)} rows)"),
        ("positive pairs", str(result["pairs"])),
        ("entries", str(result["entries"])),
        ("questions", str(result["questions"])),
        ("FundDesk top-1", f"{result['funddesk_top1']:.4f}"),
        ("BM25 top-1", f"{result['bm25_top1']:.4f}"),
        ("relative gain", "n/a (bar is 0)" if gain is None else f"{gain:+.1%}"),
    ]
    return "\n".join(f"{name:<16}{value}" for name, value in rows)


# -- command line -------------------------------------------------------------------------


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.pairs", description=DESCRIPTION)
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="pair file: CSV, TSV or JSON lines")
    parser.add_argument("--limit", type=positive_int, help="keep the first N positive pairs of each file")
    parser.add_argument("--out", type=Path, default=OUT, help=f"output folder (default {OUT})")
    parser.add_argument("--json", action="store_true", help="print the JSON lines only")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    stems = [path.stem for path in args.files]
    if len(set(stems)) != len(stems):
        print("error: two FILEs share a name; their outputs would collide under --out", file=sys.stderr)
        return 2
    try:
        sources = [read_pairs(path) for path in args.files]  # every file is checked before any eval
        for source in sources:
            task = build_task(source.pairs, args.limit)
            print(
                f"bench.pairs: {source.path}: {len(task.entries)} entries, {len(task.questions)} questions; eval ...",
                file=sys.stderr,
                flush=True,
            )
            result = measure(source, task, args.out)
            if not args.json:
                print(table(source, result))
            print(json.dumps(result, ensure_ascii=False), flush=True)
    except (PairFileError, OSError, RuntimeError) as exc:
        print(exc, file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as exc:
        print(f"eval failed (exit {exc.returncode}):\n{exc.stderr}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
