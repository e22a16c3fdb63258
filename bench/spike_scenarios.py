"""Randomized weeks of questions with known bursts, and the protocol that scores spike detection on them.

``python -m bench.spike_scenarios [--seeds choose|report] [--n N] [--mode synthetic|corpus] [--json]``

Defaults tuned on the one fixed week of ``spikes_bench.nav_swing`` did not hold on unseen data, so the detector is
judged on many weeks drawn from seeds instead (:mod:`bench.scenario_weeks` and :mod:`bench.scenario_questions`
draw them). The protocol:

- ``CHOOSE_SEEDS`` are the only scenarios on which settings (thresholds, budgets, warm-up, clustering) are chosen.
- ``REPORT_SEEDS`` give the reported figures and are never used for choosing: look at them once a choice is made.
- The NAB realTweets series (``python -m bench spikes``) are a check at the end only, never a tuning target.
- One set of parameters for every scenario; the pipeline sees each week once, in time order, from a fresh state.

Scoring one week (:func:`bench.scenario_scoring.evaluate`): every incident the pipeline opens (and those of a final
``tick``) is attributed to a burst when it was detected between the burst's start and its end + 30 min and it is
about that burst: in the
burst's window the questions of the incident's clusters come mostly from the burst's story (its own questions and the
ordinary questions of its topic, for a fund burst those naming its fund: which half of a 2x topic is "the burst"
is unknowable), or, for a fund burst, the incident names the burst's fund. A burst is detected by its first
attributed incident (delay from burst start); an incident attributed to no burst is false, whether or not it fell
in a decoy (a market-wide rise, which should open nothing).

:func:`run` gives distributions over seeds: delay by kind, factor band, size, onset and weekday (a missed burst
counts as an infinite delay, so a median or 90th percentile beyond the share detected reads "missed"), the share of
topic and fund bursts of 5x or more detected within 10 minutes, false incidents per week and in decoys, throughput,
and per missed burst what its questions looked like to the detector (clusters, the most in one within 15 minutes).
Beside the headline it gives the known-rate ceiling (:mod:`bench.scenario_ceiling`): how many of those bursts the
detector's own test could flag within 10 minutes if it knew the week's true rates, and how many of them it catches.
``python -m bench spike_scenarios`` (:func:`report`) runs the report seeds for bench/results.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import cache, partial
from pathlib import Path
from typing import Any

from bench.scenario_history import week_before
from bench.scenario_questions import generate
from bench.scenario_scoring import BurstOutcome, PipelineLike, ScenarioResult, evaluate
from bench.scenario_weeks import KINDS, Event
from bench.spikes_bench import Corpus, banking77, embedded
from bench.stats import percentile
from escalation.spikes import warm_start
from escalation.spikes.pipeline import QuestionPipeline
from escalation.spikes.question import Question
from escalation.spikes.series import DetectorConfig

CHOOSE_SEEDS = range(1000, 1100)
REPORT_SEEDS = range(0, 50)
OUT = Path(__file__).resolve().parent / "out"
BANDS = ((2.0, 3.0), (3.0, 5.0), (5.0, 10.0), (10.0, 20.0))
SIZES = ((0.0, 30.0), (30.0, 100.0), (100.0, math.inf))  # extra questions a burst adds, in expectation
MIN_COUNT = DetectorConfig().min_count
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


# -- many weeks --------------------------------------------------------------------------------------------------


MODES = ("synthetic", "corpus", "corpus-zh")  # corpus: BANKING77 (English); corpus-zh: the shipped Chinese FAQ


@cache
def _corpus(out: Path, mode: str = "corpus") -> Corpus:
    return shipped_chinese(out) if mode == "corpus-zh" else banking77(out)


def shipped_chinese(out: Path) -> Corpus:
    """Chinese questions by topic: the shipped FAQ's Chinese entries (each entry a topic) with their phrasings and
    the Chinese paraphrases and messages written for them (``bench/data``), embedded by the configured model."""
    from funddesk import settings
    from knowledge_base.parser import parse_file

    config = settings.load()
    texts: list[str] = []
    topics: list[str] = []
    for path in sorted(Path(config.kb_dir).rglob("*.md")):
        for entry in parse_file(path, Path(config.kb_dir)).entries:
            if entry.lang == "zh":
                texts += [entry.question, *entry.alternatives]
                topics += [entry.id] * (1 + len(entry.alternatives))
    known = set(topics)
    for name in ("shipped_faq_zh.csv", "shipped_messages_zh.csv"):
        with (Path(__file__).resolve().parent / "data" / name).open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row["expected_id"] in known:
                    texts.append(row["question"])
                    topics.append(row["expected_id"])
    return Corpus(texts, topics, embedded(texts, f"shipped-zh-{len(texts)}", out), ranked(texts, out))


def ranked(texts: list[str], out: Path) -> list[list[str]]:
    """The shipped knowledge base's five best entries for each text, as the service's matcher ranks them (cached
    in ``out`` by the texts' hash: the FAQ may change)."""
    import hashlib

    from funddesk import settings
    from knowledge_base.service import KnowledgeBase

    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    cache = out / f"shipped-zh-ranked-{digest}.json"
    if cache.is_file():
        return list(json.loads(cache.read_text(encoding="utf-8")))
    kb = KnowledgeBase.open(settings.load(), watch=False, persist=False, progress=False, published=False)
    try:
        best = [[c.entry.id for c in kb.ask(text).ranked[:5]] for text in texts]
    finally:
        kb.close()
    out.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(best), encoding="utf-8")
    return best


def _one(
    seed: int,
    mode: str,
    make_pipeline: Callable[[], PipelineLike],
    out: Path,
    entries: bool = True,
    history: bool = False,
) -> ScenarioResult:
    started = time.perf_counter()
    stream = generate(seed, _corpus(out, mode) if mode.startswith("corpus") else None)
    if history:
        make_pipeline = partial(_warmed, make_pipeline, week_before(stream), entries)
    generated = time.perf_counter() - started
    result = evaluate(stream, make_pipeline, entries=entries)
    took = f"generated in {generated:.1f} s, pipeline {result.seconds:.1f} s"
    print(f"seed {seed}: {len(stream.events)} questions, {took}", file=sys.stderr, flush=True)
    return result


def _warmed(make_pipeline: Callable[[], PipelineLike], past: list[Event], entries: bool = True) -> QuestionPipeline:
    """A pipeline that learned ``past`` first (:mod:`escalation.spikes.warm_start`)."""
    pipeline = make_pipeline()
    if not isinstance(pipeline, QuestionPipeline):
        raise TypeError("a warm start needs a QuestionPipeline")
    asked = (Question(e.moment, e.text, e.vector, fund_code=e.fund_code, entry_id=e.entry if entries else None)
             for e in past)  # fmt: skip
    warm_start.learn(pipeline, asked)
    return pipeline


def run(
    seeds: Iterable[int] = CHOOSE_SEEDS,
    mode: str = "synthetic",
    make_pipeline: Callable[[], PipelineLike] = QuestionPipeline,
    workers: int = 1,
    out: Path = OUT,
    entries: bool = True,
    history: bool = False,
) -> dict[str, Any]:
    """Every seed's week through a fresh pipeline (``workers`` processes), summarized over seeds.

    ``entries=False`` withholds each question's FAQ entry, as ``replay-questions`` runs without ``--knowledge-base``.
    ``history=True`` warms each pipeline on the quiet week before (:mod:`bench.scenario_history`) first."""
    seeds = list(seeds)
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}")
    if mode.startswith("corpus"):
        _corpus(out, mode)  # once, before the workers fork
    started = time.perf_counter()
    one = partial(_one, mode=mode, make_pipeline=make_pipeline, out=out, entries=entries, history=history)
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            results = list(pool.map(one, seeds))
    else:
        results = [one(seed) for seed in seeds]
    summary = summarize(results)
    wall = time.perf_counter() - started
    seed_range = f"{seeds[0]}–{seeds[-1]}" if seeds == list(range(seeds[0], seeds[-1] + 1)) else str(seeds)
    head = {"mode": mode, "seeds": seed_range, "entries": entries, "history": history, "workers": workers,
            "wall_seconds": round(wall, 1)}  # fmt: skip
    return {**head, **summary}


def summarize(results: list[ScenarioResult]) -> dict[str, Any]:
    outcomes = [o for r in results for o in r.bursts]
    sized = [o for o in outcomes if o.burst.factor is not None]
    strong = [o for o in sized if (o.burst.factor or 0.0) >= 5.0]
    missed = [o for o in outcomes if not o.detected]
    false_per_week = [len(r.false) for r in results]
    questions = sum(r.questions for r in results)
    return {
        "scenarios": len(results),
        "quiet_weeks": sum(not r.bursts for r in results),
        "questions_per_week": _spread([r.questions for r in results], digits=0),
        "bursts": len(outcomes),
        "by_kind": {kind: _delays([o for o in outcomes if o.burst.kind == kind]) for kind in KINDS},
        "by_factor": {
            f"{lo:g}–{hi:g}x": _delays([o for o in sized if lo <= (o.burst.factor or 0.0) < hi]) for lo, hi in BANDS
        },
        "by_size": {
            f"+{lo:g}–{hi:g} questions": _delays([o for o in outcomes if lo <= o.burst.expected < hi])
            for lo, hi in SIZES
        },
        "by_onset": {onset: _delays([o for o in outcomes if o.burst.onset == onset]) for onset in ("sharp", "gradual")},
        "by_day": {day: _delays([o for o in outcomes if o.burst.start.weekday() == n]) for n, day in enumerate(DAYS)},
        "within_10_min_at_5x": _share([_within(o.delay) for o in strong]),
        # The same among those that brought at least min_count questions in their first ten minutes: a burst with
        # fewer cannot open an incident within ten minutes by the product's own floor, however it is detected.
        "within_10_min_at_5x_reachable": _share([_within(o.delay) for o in strong if o.first_ten >= MIN_COUNT]),
        "reachable_at_5x": sum(o.first_ten >= MIN_COUNT for o in strong),
        # The known-rate ceiling (bench.scenario_ceiling): the detector's own test, given the week's true rates.
        "ceiling_within_10_min_at_5x": _share([_within(o.ceiling) for o in strong]),
        "ceiling_at_5x": sum(_within(o.ceiling) for o in strong),
        "within_10_min_at_5x_of_ceiling": _share([_within(o.delay) for o in strong if _within(o.ceiling)]),
        "within_10_min_at_5x_beyond_ceiling": sum(_within(o.delay) and not _within(o.ceiling) for o in strong),
        "false_per_week": {
            **_spread(false_per_week, digits=0),
            "p90": percentile(false_per_week, 0.9) if results else None,
            "total": sum(false_per_week),
        },
        "false_in_decoys": {
            "incidents": sum(f.in_decoy for r in results for f in r.false),
            "decoys": sum(r.decoys for r in results),
        },
        "questions_per_second": round(questions / max(1e-9, sum(r.seconds for r in results))),
        "pipeline_seconds_per_week": _spread([r.seconds for r in results], digits=1),
        # Missed bursts, and those of them that never had min_count questions in one cluster within 15 minutes.
        "missed": {"n": len(missed), "thin": sum(o.peak < MIN_COUNT for o in missed)},
        "first_trigger": dict(Counter(o.trigger or "?" for o in outcomes if o.detected)),
        "missed_bursts": [_describe(r.seed, o) for r in results for o in r.bursts if not o.detected],
        "false_examples": [{"seed": r.seed, **vars(f)} for r in results for f in r.false][:10],
    }


def _delays(outcomes: list[BurstOutcome]) -> dict[str, Any]:
    """Share detected, and the median and 90th percentile of delay with a miss as an infinite delay."""
    delays = [o.delay if o.delay is not None else math.inf for o in outcomes]

    def at(share: float) -> float | None:
        value = percentile(delays, share) if delays else math.inf
        return None if math.isinf(value) else value

    caught = [o.delay for o in outcomes if o.delay is not None]
    return {
        "n": len(outcomes),
        "detected": _share([o.detected for o in outcomes]),
        "median": at(0.5),
        "p90": at(0.9),
        "median_if_detected": percentile(caught, 0.5) if caught else None,
    }


def _within(delay: float | None, minutes: float = 10.0) -> bool:
    return delay is not None and delay <= minutes


def _share(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 3) if flags else None


def _spread(values: Sequence[float], digits: int) -> dict[str, float | None]:
    if not values:
        return {"median": None, "min": None, "max": None}
    return {key: round(float(f(values)), digits) for key, f in (("median", _median), ("min", min), ("max", max))}


def _median(values: Sequence[float]) -> float:
    return percentile(values, 0.5)


def _describe(seed: int, outcome: BurstOutcome) -> str:
    b = outcome.burst
    size = f"{b.factor:.1f}x" if b.factor is not None else f"{b.rate:.1f}/5min"
    fund = f" fund {b.fund}" if b.fund else ""
    return (
        f"seed {seed} #{b.id} {b.kind}{fund} {size} {b.onset} {DAYS[b.start.weekday()]} {b.start:%H:%M} "
        f"{b.minutes} min, baseline {b.baseline:.2f}/5min, +{b.expected:.0f} expected; "
        f"{outcome.clusters} clusters (largest {outcome.largest_share:.0%}), at most {outcome.peak} in one in 15 min, "
        f"{outcome.first_ten} in its first 10 min; known-rate ceiling "
        f"{'none within the hour' if outcome.ceiling is None else f'{outcome.ceiling:g} min'}"
    )


# -- the command -------------------------------------------------------------------------------------------------


def table(summary: dict[str, Any]) -> str:
    def cell(value: float | None) -> str:
        return "missed" if value is None else f"{value:g}"

    lines = [
        f"{summary['scenarios']} weeks ({summary['mode']}, seeds {summary['seeds']}), {summary['bursts']} bursts, "
        f"{summary['quiet_weeks']} quiet weeks, questions/week {summary['questions_per_week']}",
        "",
        f"{'group':<24}{'n':>5}{'detected':>10}{'median min':>12}{'p90 min':>10}{'median if detected':>20}",
    ]
    for title in ("by_kind", "by_factor", "by_size", "by_onset", "by_day"):
        for key, row in summary[title].items():
            if not row["n"]:
                lines.append(f"{key:<24}{0:>5}{'–':>10}{'–':>12}{'–':>10}{'–':>20}")
                continue
            detected = f"{row['detected']:.0%}"
            delays = f"{cell(row['median']):>12}{cell(row['p90']):>10}{cell(row['median_if_detected']):>20}"
            lines.append(f"{key:<24}{row['n']:>5}{detected:>10}{delays}")
        lines.append("")
    false = summary["false_per_week"]
    decoys = summary["false_in_decoys"]
    missed = summary["missed"]
    lines += [
        f"topic and fund bursts >= 5x detected within 10 min: {summary['within_10_min_at_5x']}; "
        f"of the {summary['reachable_at_5x']} with at least {MIN_COUNT:g} questions in their first 10 min: "
        f"{summary['within_10_min_at_5x_reachable']}",
        f"known-rate ceiling: {summary['ceiling_at_5x']} of them could be flagged within 10 min by the detector's test "
        f"given the true rates ({summary['ceiling_within_10_min_at_5x']}); detected within 10 min of those: "
        f"{summary['within_10_min_at_5x_of_ceiling']}, and {summary['within_10_min_at_5x_beyond_ceiling']} beyond it",
        f"missed: {missed['n']}, of which never {MIN_COUNT:g} questions in one cluster within 15 min: "
        f"{missed['thin']}; first incident of a detected burst by trigger: {summary['first_trigger']}",
        f"false incidents per week: median {false['median']}, p90 {false['p90']}, max {false['max']} "
        f"(total {false['total']}); in decoys: {decoys['incidents']} over {decoys['decoys']} decoys",
        f"throughput {summary['questions_per_second']} questions/s; pipeline seconds per week "
        f"{summary['pipeline_seconds_per_week']}; wall {summary['wall_seconds']} s with {summary['workers']} worker(s)",
    ]
    if summary["missed_bursts"]:
        lines += ["", "missed:", *(f"  {line}" for line in summary["missed_bursts"])]
    if summary["false_examples"]:
        lines += ["", "false incidents (first 10):"]
        lines += [
            f"  seed {f['seed']} {f['detected_at'][:16]} {f['trigger'] or '?'} {f['cluster_id']} fund {f['fund_code']} "
            f"count {f['count']}{' in a decoy' if f['in_decoy'] else ''}: {f['label'][:60]}"
            for f in summary["false_examples"]
        ]
    return "\n".join(lines)


def report(out: Path = OUT, synthetic: int = 50, corpus: int = 25) -> dict[str, Any]:
    """``python -m bench spike_scenarios``: the report seeds, synthetic and (fewer) with BANKING77 questions and with
    the shipped Chinese questions, and the synthetic ones again after a warm start. About 2 s of wall time per week
    on 2 cores (twice that warmed), so 7 minutes."""
    workers = min(2, os.cpu_count() or 1)
    result = {}
    for mode, n in (("synthetic", synthetic), ("corpus", corpus), ("corpus-zh", corpus)):
        result[mode] = run(REPORT_SEEDS[:n], mode, workers=workers, out=out)
        result[mode]["command"] = f"python -m bench.spike_scenarios --seeds report --n {n} --mode {mode} --json"
    # The same synthetic weeks after a warm start on the quiet week before each (escalation/spikes/warm_start.py).
    warm = run(REPORT_SEEDS[:synthetic], "synthetic", workers=workers, out=out, history=True)
    command = f"python -m bench.spike_scenarios --seeds report --n {synthetic} --history --json"
    result["synthetic, warm start"] = {**warm, "command": command}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.spike_scenarios", description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", choices=("choose", "report"), default="choose")
    parser.add_argument("--n", type=int, default=None, help="the first N seeds of the set (default: all)")
    parser.add_argument("--mode", choices=MODES, default="synthetic")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", action="store_true", help="print the summary as JSON on the last line as well")
    parser.add_argument(
        "--without-entries", action="store_true", help="withhold the FAQ entry of each question (no knowledge base)"
    )
    parser.add_argument(
        "--history", action="store_true", help="warm each pipeline on the quiet week before (a warm start) first"
    )
    args = parser.parse_args(argv)
    seeds = CHOOSE_SEEDS if args.seeds == "choose" else REPORT_SEEDS
    entries = not args.without_entries
    summary = run(seeds[: args.n], args.mode, workers=args.workers, entries=entries, history=args.history)
    print(table(summary))
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
