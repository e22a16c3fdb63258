"""Public intent data sets turned into FundDesk knowledge bases plus held-out question files.

Splits are deterministic (seed 0) so every run measures the same questions.
"""

from __future__ import annotations

import csv
import json
import random
import re
import shutil
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SEED = 0


@dataclass(frozen=True)
class EvalSet:
    name: str
    kb: Path
    questions: Path
    calibration: Path | None = None


def by_intent(rows: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for text, intent in rows:
        grouped[intent].append(" ".join(text.split()))
    return grouped


def _unique(texts: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for text in texts:
        key = text.casefold().strip(" ?.!")
        if key and key not in seen:
            seen.add(key)
            out.append(text)
    return out


def entry_id_of(intent: str) -> str:
    """A valid FAQ id for an intent name (BANKING77 has names like ``reverted_card_payment?``)."""
    return re.sub(r"[^a-z0-9]+", "-", intent.lower()).strip("-")


def write_kb(folder: Path, groups: dict[str, list[str]]) -> None:
    """One FAQ file per intent: the first phrasing is the question, the rest alternatives."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for intent, texts in sorted(groups.items()):
        phrasings = _unique(texts)
        entry_id = entry_id_of(intent)
        bullets = "\n".join(f"- {t}" for t in phrasings[1:])
        body = f"## {phrasings[0]} {{#{entry_id}}}\n{bullets}\n\nAnswer about {intent.replace('_', ' ')}.\n"
        (folder / f"{entry_id}.md").write_text(body, encoding="utf-8")


def write_questions(path: Path, rows: Iterable[tuple[str, str | None]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["question", "expected_id"])
        for text, intent in rows:
            writer.writerow([text, entry_id_of(intent) if intent else ""])
    return path


def banking77(out: Path, per_intent: int | None) -> EvalSet:
    """``per_intent`` phrasings per intent as the FAQ (None: all but 15%), the rest as questions."""
    with (DATA / "banking77_train.csv").open(newline="", encoding="utf-8") as handle:
        grouped = by_intent((r["text"], r["category"]) for r in csv.DictReader(handle))
    rng = random.Random(SEED)
    kb: dict[str, list[str]] = {}
    questions: list[tuple[str, str | None]] = []
    for intent in sorted(grouped):
        texts = grouped[intent][:]
        rng.shuffle(texts)
        keep = per_intent if per_intent is not None else len(texts) - max(1, round(0.15 * len(texts)))
        kb[intent] = texts[:keep]
        questions += [(t, intent) for t in texts[keep:]]
    name = f"banking77-{per_intent or 'full'}"
    write_kb(out / name / "faq", kb)
    return EvalSet(name, out / name / "faq", write_questions(out / name / "questions.csv", questions))


def clinc150(out: Path) -> EvalSet:
    """Entries from ``train``; half of ``val`` + ``oos_val`` calibrates, the other half is asked."""
    data = json.loads((DATA / "clinc150_dev.json").read_text(encoding="utf-8"))
    write_kb(out / "clinc150" / "faq", by_intent((t, i) for t, i in data["train"]))
    rng = random.Random(SEED)
    calibration: list[tuple[str, str | None]] = []
    questions: list[tuple[str, str | None]] = []
    for part in ("val", "oos_val"):
        rows = [(t, None if i == "oos" else i) for t, i in data[part]]
        rng.shuffle(rows)
        calibration += rows[: len(rows) // 2]
        questions += rows[len(rows) // 2 :]
    folder = out / "clinc150"
    return EvalSet(
        "clinc150",
        folder / "faq",
        write_questions(folder / "questions.csv", questions),
        write_questions(folder / "calibration.csv", calibration),
    )
