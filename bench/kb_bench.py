"""Knowledge-base figures: accuracy on public and shipped sets, Chinese vs BM25, latency, rebuild time."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench import bm25, datasets
from funddesk import settings as config
from knowledge_base.cache import EmbeddingCache
from knowledge_base.calibration import self_calibrate
from knowledge_base.embedder import configured_embedder, languages_of
from knowledge_base.evaluation import read_questions
from knowledge_base.index import FaqIndex
from knowledge_base.lint import parse_tree
from knowledge_base.policy import Thresholds
from knowledge_base.service import KnowledgeBase

PROJECT = Path(__file__).resolve().parent.parent
SHIPPED = PROJECT / "knowledge_base" / "faq"
DATA = PROJECT / "bench" / "data"


def run_eval(kb: Path, questions: Path, calibration: Path | Sequence[Path] | None, data_dir: Path) -> dict[str, Any]:
    """Run the ``eval`` command exactly as outside tools do, and parse its last line."""
    cmd = [sys.executable, "-m", "knowledge_base", "eval", "--kb", str(kb), "--questions", str(questions)]
    for path in [calibration] if isinstance(calibration, Path) else calibration or []:
        cmd += ["--calibration", str(path)]
    env = {**os.environ, "FUNDDESK_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(cmd, env=env, cwd=PROJECT, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def public_sets(out: Path) -> dict[str, dict[str, Any]]:
    """Each set with self-calibration alone (no calibration file), and CLINC150 with its dev half too."""
    results = {}
    for evalset in (datasets.banking77(out, 10), datasets.banking77(out, None), datasets.clinc150(out)):
        results[evalset.name] = run_eval(evalset.kb, evalset.questions, None, out / "var")
        if evalset.calibration:
            results[f"{evalset.name}+dev"] = run_eval(evalset.kb, evalset.questions, evalset.calibration, out / "var")
    return results


SHIPPED_SETS = {
    "paraphrases_en": "shipped_faq_en.csv",
    "paraphrases_zh": "shipped_faq_zh.csv",
    "messages_en": "shipped_messages_en.csv",
    "messages_zh": "shipped_messages_zh.csv",
}
SHIPPED_DEV = tuple(
    DATA / f"shipped_{name}.csv" for name in ("faq_dev", "messages_dev", "messages_dev2", "messages_dev3")
)


def shipped(out: Path) -> dict[str, dict[str, Any]]:
    """The shipped FAQ's held-out sets, self-calibrated, then calibrated on the dev sets."""
    results = {}
    for name, file in SHIPPED_SETS.items():
        results[name] = run_eval(SHIPPED, DATA / file, None, out / "var")
        results[f"{name}+dev"] = run_eval(SHIPPED, DATA / file, SHIPPED_DEV, out / "var")
    return results


def chinese_bm25_bar() -> dict[str, float]:
    """Plain BM25 top-1 on the shipped Chinese entries, for the Chinese paraphrases and messages."""
    entries = [e for pf in parse_tree(SHIPPED) for e in pf.entries if e.lang == "zh"]
    phrasings = [(e.id, p) for e in entries for p in e.phrasings]
    bars = {}
    for name in ("paraphrases_zh", "messages_zh"):
        asked = read_questions(DATA / SHIPPED_SETS[name])
        questions = [(q.text, q.expected) for q in asked if q.expected]
        bars[name] = round(bm25.top1_accuracy(phrasings, questions), 4)
    return bars


def scale(out: Path) -> dict[str, Any]:
    """10,000 phrasings: per-question latency and a full rebuild with a warm embedding cache."""
    data = json.loads((datasets.DATA / "clinc150_dev.json").read_text(encoding="utf-8"))
    rows = data["train"][:10_000]
    kb_dir = out / "scale-10k" / "faq"
    datasets.write_kb(kb_dir, datasets.by_intent((t, i) for t, i in rows))
    intents = {i for _, i in rows}
    questions = datasets.write_questions(
        out / "scale-10k" / "questions.csv",
        [(t, i) for t, i in data["val"] if i in intents][:1000],
    )
    latency = run_eval(kb_dir, questions, None, out / "var")  # also warms the cache
    settings = replace(config.load(), kb_dir=kb_dir, data_dir=out / "var")
    entries = [e for pf in parse_tree(kb_dir) for e in pf.entries]
    embedder = configured_embedder(settings)
    cache = EmbeddingCache(settings.embedding_cache)
    started = time.perf_counter()
    index, report = FaqIndex.build(entries, embedder, cache, fit_head=False)
    rebuild = time.perf_counter() - started
    started = time.perf_counter()
    index = index.with_fitted_head()
    head = time.perf_counter() - started
    started = time.perf_counter()
    self_calibrate(index, model_languages=languages_of(embedder), base=Thresholds())
    calibration = time.perf_counter() - started
    cache.close()
    return {
        "phrasings": report.phrasings,
        "entries": report.entries,
        "p50_ms": latency["p50_ms"],
        "p95_ms": latency["p95_ms"],
        "rebuild_warm_s": round(rebuild, 2),
        "head_fit_s": round(head, 2),
        "calibration_s": round(calibration, 2),
        "embedded_on_rebuild": report.embedded,
    }


def hot_reload(out: Path, runs: int = 5) -> dict[str, Any]:
    """Seconds from saving an edit (one changed answer + one new entry) to the live index serving it."""
    root = out / "hot-reload" / "faq"
    shutil.rmtree(root.parent, ignore_errors=True)
    shutil.copytree(SHIPPED, root)
    settings = replace(config.load(), kb_dir=root, data_dir=out / "var")
    kb = KnowledgeBase.open(settings, persist=False)
    path = root / "en" / "redemption.md"
    timings = []
    for run in range(runs):
        marker = f"edit-{run}-{time.time_ns()}"
        text = path.read_text(encoding="utf-8").replace("Redemption proceeds", f"Redemption proceeds ({marker})", 1)
        text += f"\n## Is there a {marker} option? {{#{marker}}}\n- {marker} please\n\nYes: {marker}.\n"
        started = time.perf_counter()
        path.write_text(text, encoding="utf-8")
        while kb.entry(marker) is None:
            if time.perf_counter() - started > 60:
                raise TimeoutError("edit not live after 60 s")
            time.sleep(0.01)
        timings.append(time.perf_counter() - started)
    kb.close()
    return {"runs": runs, "median_s": round(statistics.median(timings), 2), "max_s": round(max(timings), 2)}


def chinese_pairs(out: Path) -> dict[str, Any]:
    """``bench.pairs`` on the pair files named in ``BENCH_PAIRS`` (comma-separated): the data is not in the repo."""
    files = [Path(p) for p in os.environ.get("BENCH_PAIRS", "").split(",") if p.strip()]
    if not files:
        return {"skipped": "Not run: set BENCH_PAIRS to Chinese question-pair files (AFQMC, LCQMC, ...)."}
    rows = []
    for file in files:
        cmd = [sys.executable, "-m", "bench.pairs", str(file), "--out", str(out / "pairs"), "--json"]
        done = subprocess.run(cmd, cwd=PROJECT, capture_output=True, text=True, check=True)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {"files": rows}
