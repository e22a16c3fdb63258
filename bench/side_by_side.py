"""Side by side: FundDesk against the Rasa-native FAQ bot on the same content, machine and run.

    python -m bench side_by_side        (or: python -m bench.side_by_side; prints one JSON line)

Baselines (:mod:`bench.baseline`): ``recommended`` (Rasa's recommended pipeline) and ``strong``
(plus LanguageModelFeaturizer with FundDesk's all-MiniLM-L6-v2 weights). Stages, in order:

1. train the baselines of the shipped FAQ and of BANKING77-as-FAQ (cached by input hash), build
   FundDesk's index of each from a cold embedding cache (timed);
2. shipped FAQ: FundDesk's real stack (Rasa + action server) and both baselines run at once;
   accuracy on ``bench/data/shipped_faq_{en,zh}.csv``, REST latency at 1 and 20 clients in
   rounds that rotate which bot goes first, memory, then edit-to-live;
3. BANKING77 (10 phrasings per intent, held-out rows) and CLINC150 out-of-scope questions.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import datasets, edit_to_live, outcomes, plots, procmem, rest_load
from bench.baseline import builds
from bench.baseline.project import VARIANTS
from bench.baseline.serving import RasaServer
from bench.baseline.training import TrainedModel
from bench.baseline.weights import ConvertedWeights
from bench.stats import percentile
from bot.tooling import rasa_model
from funddesk import stack
from funddesk.settings import Settings
from knowledge_base.embedder import packaged_model_path
from knowledge_base.evaluation import Question, read_questions
from knowledge_base.service import KnowledgeBase

OUT = Path(__file__).resolve().parent / "out" / "side-by-side"
PLOTS = Path(__file__).resolve().parent / "plots"
DATA = Path(__file__).resolve().parent / "data"
LOAD = ((1, 40), (20, 10))  # (clients, questions per client) per round
ROUNDS = 3
FUNDDESK_EDITS = 3


@contextlib.contextmanager
def _stage(stages: dict[str, float], name: str) -> Iterator[None]:
    print(f"side_by_side: {name} ...", file=sys.stderr, flush=True)
    started = time.monotonic()
    yield
    stages[name] = round(time.monotonic() - started, 1)
    print(f"side_by_side: {name} done in {stages[name]} s", file=sys.stderr, flush=True)


def run(
    machine: str = "",
    variants: Sequence[str] = VARIANTS,
    limit: int | None = None,
    *,
    cached_only: bool = False,
    baseline_edit: bool = True,
    plot: bool = True,
) -> dict[str, Any]:
    """Every figure. ``variants`` picks the baselines; ``limit`` asks only the first questions of each
    set; ``cached_only`` compares only with baselines already trained; ``baseline_edit=False`` skips
    the baseline's edit-to-live (a full retrain); ``plot=False`` leaves ``bench/plots`` alone, so a run
    that is not recorded does not replace the plots of the one that is.
    """
    stages: dict[str, float] = {}
    results: dict[str, Any] = {
        "machine": machine, "stages_s": stages, "limit": limit,
        "cached_only": cached_only, "baseline_edit": baseline_edit,
    }  # fmt: skip
    converted = None
    if "strong" in variants:
        with _stage(stages, "convert MiniLM weights for TensorFlow"):
            converted = _convert(results)
    variants = [v for v in variants if v != "strong" or converted]
    kbs = {"shipped": builds.SHIPPED, "banking77-10": datasets.banking77(OUT, 10).kb}
    build = builds.built if cached_only else builds.build
    with _stage(stages, "train baselines (cached by input hash)"):
        found = {(kb, v): build(kb, v, builds.WORK, kb=path) for kb, path in kbs.items() for v in variants}
    models = {key: model for key, model in found.items() if model}
    results["not_trained"] = [f"{kb}/{v}" for (kb, v), model in found.items() if model is None]
    results["training"] = {
        f"{kb}/{v}": _training(m, converted if v == "strong" else None) for (kb, v), m in models.items()
    }
    with _stage(stages, "FundDesk dialog model (trained once, FAQ-independent)"):
        dialog = rasa_model.train(Settings(), quiet=True)
    with _stage(stages, "shipped FAQ: index, accuracy, latency, memory, edit-to-live"):
        shipped = [v for v in variants if ("shipped", v) in models]
        results["shipped"] = _shipped(models, shipped, dialog, results["training"], limit, baseline_edit)
    with _stage(stages, "BANKING77 + CLINC150 out of scope"):
        banking = [v for v in variants if ("banking77-10", v) in models]
        results["banking77"] = _banking77(kbs["banking77-10"], models, banking, limit)
    results["ratios"] = ratios(results, variants)
    written = plots.write(results, PLOTS) if plot else []
    results["plots"] = [str(p.relative_to(PLOTS.parent.parent)) for p in written]
    return results


def _convert(results: dict[str, Any]) -> ConvertedWeights | None:
    try:
        converted = builds.strong_weights()
    except (OSError, RuntimeError, ValueError) as exc:  # reported, and the strong baseline is left out
        results["strong_weights"] = {"ok": False, "why": str(exc)[-2000:]}
        return None
    results["strong_weights"] = {
        "ok": converted.matches, "folder": str(converted.folder), "max_abs_diff": converted.max_abs_diff,
        "sentences": converted.sentences, "size_mb": round(converted.size_bytes / 2**20, 1),
    }  # fmt: skip
    return converted if converted.matches else None


def _training(model: TrainedModel, converted: ConvertedWeights | None) -> dict[str, Any]:
    extra = converted.size_bytes if converted else 0
    return {
        "train_s": model.seconds, "trained_at": model.trained_at, "cached": model.cached,
        "model_mb": round(model.size_bytes / 2**20, 1), "disk_mb": round((model.size_bytes + extra) / 2**20, 1),
    }  # fmt: skip


def _index(kb_dir: Path, data_dir: Path) -> tuple[KnowledgeBase, dict[str, Any]]:
    """FundDesk's index from a cold embedding cache: model load, embedding, head fit, persisted."""
    shutil.rmtree(data_dir, ignore_errors=True)
    started = time.monotonic()
    kb = KnowledgeBase.open(Settings(kb_dir=kb_dir, data_dir=data_dir), watch=False)
    seconds = round(time.monotonic() - started, 1)
    index_mb = procmem.folder_mb(data_dir / "index")
    return kb, {"index_s": seconds, "index_mb": index_mb, "entries": len(kb.index.entries)}


def _in_scope(path: Path) -> list[Question]:
    return [q for q in read_questions(path) if q.expected]


def _accuracy(kb: KnowledgeBase, servers: dict[str, RasaServer], asked: list[Question]) -> dict[str, Any]:
    done = {"funddesk": outcomes.funddesk(kb, asked)}
    done.update({name: outcomes.baseline(server, asked) for name, server in servers.items()})
    return {name: outcomes.in_scope(asked, found) for name, found in done.items()}


def _shipped(
    models: dict[tuple[str, str], TrainedModel],
    variants: list[str],
    dialog: Path,
    training: dict[str, Any],
    limit: int | None,
    baseline_edit: bool,
) -> dict[str, Any]:
    kb_copy = OUT / "shipped-live" / "faq"
    shutil.rmtree(kb_copy.parent, ignore_errors=True)
    shutil.copytree(builds.SHIPPED, kb_copy)
    kb, indexing = _index(builds.SHIPPED, OUT / "funddesk-shipped-var")
    settings = Settings(
        kb_dir=kb_copy, data_dir=OUT / "funddesk-stack-var", rasa_port=stack.free_port(),
        actions_port=stack.free_port(), rasa_token=uuid.uuid4().hex, reload_interval=0.5,
    )  # fmt: skip
    shutil.rmtree(settings.data_dir, ignore_errors=True)
    from bench.bot_bench import warm_caches

    warm_caches(Settings(data_dir=OUT / "funddesk-shipped-var"), settings)
    services = [stack.rasa_service(settings, dialog, settings.rasa_token), stack.action_service(settings)]
    servers = {v: RasaServer(models[("shipped", v)], OUT / "logs" / f"shipped-{v}.log") for v in variants}
    result: dict[str, Any] = {"funddesk_indexing": indexing}
    with contextlib.ExitStack() as running:
        for server in servers.values():
            running.callback(server.stop)
            stack.start(server.service)
        running.enter_context(stack.running(services))
        for server in servers.values():
            stack.wait_healthy(server.service)
        result["accuracy"] = {
            lang: _accuracy(kb, servers, _in_scope(DATA / f"shipped_faq_{lang}.csv")[:limit]) for lang in ("en", "zh")
        }
        kb.close()
        questions = [q.text for path in ("en", "zh") for q in _in_scope(DATA / f"shipped_faq_{path}.csv")]
        urls = {"funddesk": f"{settings.rasa_url}/webhooks/rest/webhook"}
        urls.update({name: server.rest_url for name, server in servers.items()})
        result["latency"] = latency(urls, questions)
        pids = {"funddesk": [s.process.pid for s in services if s.process]}
        pids.update({name: [server.pid] for name, server in servers.items() if server.pid})
        result["memory"] = {name: procmem.rss_mb(found) for name, found in pids.items()}
        result["funddesk_memory_by_process"] = {s.name: procmem.rss_mb([s.process.pid]) for s in services if s.process}
        result["disk_mb"] = {
            "funddesk": procmem.folder_mb(dialog, OUT / "funddesk-shipped-var" / "index", packaged_model_path()),
            **{v: training[f"shipped/{v}"]["disk_mb"] for v in variants},
        }
        result["edit_to_live"] = {"funddesk": _funddesk_edits(kb_copy, urls["funddesk"])}
        if baseline_edit:
            for variant, server in servers.items():
                result["edit_to_live"][variant] = _baseline_edit(server, variant)
    return result


def latency(urls: dict[str, str], questions: list[str]) -> dict[str, dict[str, Any]]:
    """Warm each bot, then time the same questions per load level in rounds, rotating who goes first."""
    for url in urls.values():
        rest_load.timings(url, questions, 1, 10)
    names = list(urls)
    out: dict[str, dict[str, Any]] = {name: {} for name in names}
    for clients, per_client in LOAD:
        samples: dict[str, list[float]] = {name: [] for name in names}
        for round_ in range(ROUNDS):
            for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
                samples[name] += rest_load.timings(urls[name], questions, clients, per_client, round_ * 200)
        for name, found in samples.items():
            out[name][f"{clients}_clients"] = {
                "requests": len(found),
                **{f"p{q}_ms": round(percentile(found, q / 100), 1) for q in (50, 95, 99)},
            }
    return out


def _funddesk_edits(kb_copy: Path, url: str) -> dict[str, Any]:
    """Hot reload in the running action server: save, then ask until both new answers are served."""
    timings = []
    for number in range(FUNDDESK_EDITS):
        started = time.monotonic()
        edit = edit_to_live.apply(kb_copy, number)
        rest_load.wait_for(url, edit.checks, timeout=120)
        timings.append(round(time.monotonic() - started, 2))
    return {"runs_s": timings, "median_s": sorted(timings)[len(timings) // 2]}


def _baseline_edit(server: RasaServer, variant: str) -> dict[str, Any]:
    """What a Rasa user does: regenerate the project, ``rasa train`` (its cache kept), ``PUT /model``."""
    kb_copy = OUT / f"baseline-edit-{variant}" / "faq"
    shutil.rmtree(kb_copy.parent, ignore_errors=True)
    shutil.copytree(builds.SHIPPED, kb_copy)
    started = time.monotonic()
    edit = edit_to_live.apply(kb_copy, 0)
    model = builds.build("shipped", variant, builds.WORK, kb=kb_copy)
    trained = time.monotonic()
    server.load_model(model.path)
    loaded = time.monotonic()
    rest_load.wait_for(server.rest_url, edit.checks, timeout=300)
    done = time.monotonic()
    return {
        "runs_s": [round(done - started, 2)], "median_s": round(done - started, 2),
        "train_s": round(trained - started, 1), "load_s": round(loaded - trained, 1), "cached": model.cached,
    }  # fmt: skip


def _banking77(
    kb_dir: Path, models: dict[tuple[str, str], TrainedModel], variants: list[str], limit: int | None
) -> dict[str, Any]:
    questions = read_questions(OUT / "banking77-10" / "questions.csv")[:limit]
    clinc = json.loads((datasets.DATA / "clinc150_dev.json").read_text(encoding="utf-8"))
    oos = [Question(text, None) for part in ("oos_val", "oos_train") for text, _ in clinc[part]][:limit]
    kb, indexing = _index(kb_dir, OUT / "funddesk-banking77-var")
    found = {"funddesk": (outcomes.funddesk(kb, questions), outcomes.funddesk(kb, oos))}
    kb.close()
    memory = {}
    for variant in variants:
        server = RasaServer(models[("banking77-10", variant)], OUT / "logs" / f"banking77-{variant}.log")
        try:
            server.start()
            found[variant] = (outcomes.baseline(server, questions), outcomes.baseline(server, oos))
            memory[variant] = procmem.rss_mb([server.pid] if server.pid else [])
        finally:
            server.stop()
    return {
        "funddesk_indexing": indexing,
        "accuracy": {name: outcomes.in_scope(questions, asked) for name, (asked, _) in found.items()},
        "out_of_scope": {
            name: outcomes.out_of_scope(wrong, strict=name != "funddesk") for name, (_, wrong) in found.items()
        },
        "baseline_memory": memory,
    }


def ratios(results: dict[str, Any], variants: list[str]) -> dict[str, dict[str, float | None]]:
    """FundDesk / baseline for every figure (accuracy: higher is better; everything else: lower)."""
    from bench.comparison import figures

    table = figures(results)
    return {
        variant: {name: _ratio(values.get("funddesk"), values.get(variant)) for name, values in table.items()}
        for variant in variants
    }


def _ratio(ours: float | None, theirs: float | None) -> float | None:
    return round(ours / theirs, 3) if ours is not None and theirs else None


def _save(found: dict[str, Any]) -> None:
    """What ``python -m bench side_by_side`` records, for a run started with this module's options."""
    from bench.record import RAW, RESULTS, measured
    from bench.report import write_results

    results = json.loads(RAW.read_text(encoding="utf-8")) if RAW.is_file() else {}
    seconds = round(sum(found["stages_s"].values()), 1)
    started = datetime.now(UTC) - timedelta(seconds=seconds)
    results["side_by_side"] = {**found, "_seconds": seconds, "_measured": measured(started, found["machine"])}
    RAW.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    write_results(results, RESULTS)


def main(argv: list[str] | None = None) -> int:
    from bench.record import machine

    parser = argparse.ArgumentParser(prog="python -m bench.side_by_side", description=__doc__.split("\n")[0])
    parser.add_argument("--variant", choices=VARIANTS, action="append", help="baselines to compare (default: both)")
    parser.add_argument("--limit", type=int, help="ask only the first N questions of each set (a smoke run)")
    parser.add_argument("--cached-only", action="store_true", help="compare only with baselines already trained")
    parser.add_argument("--no-baseline-edit", action="store_true", help="skip the baseline's edit-to-live retrain")
    parser.add_argument(
        "--save", action="store_true", help="also record it in bench/results.json and RESULTS.md; redraw bench/plots"
    )
    args = parser.parse_args(argv)
    variants = args.variant or VARIANTS
    edit = not args.no_baseline_edit
    found = run(machine(), variants, args.limit, cached_only=args.cached_only, baseline_edit=edit, plot=args.save)
    if args.save:
        _save(found)
    print(json.dumps(found, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
