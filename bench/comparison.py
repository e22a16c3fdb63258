"""The side-by-side results as one flat table of figures, and the issue's targets checked against it.

Each figure maps a bot (``funddesk``, ``recommended``, ``strong``) to one number; missing
measurements are ``None``. The report, the plots and the ratios all read this one table.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

BOTS = ("funddesk", "recommended", "strong")


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    higher_is_better: bool


FIGURES = (
    Figure("shipped_en_top1", "shipped FAQ, English paraphrases: top-1", True),
    Figure("shipped_en_answered", "shipped FAQ, English paraphrases: answered right", True),
    Figure("shipped_zh_top1", "shipped FAQ, Chinese paraphrases: top-1", True),
    Figure("shipped_zh_answered", "shipped FAQ, Chinese paraphrases: answered right", True),
    Figure("banking77_top1", "BANKING77 as FAQ (10 per intent), held-out rows: top-1", True),
    Figure("banking77_answered", "BANKING77 as FAQ, held-out rows: answered right", True),
    Figure("oos_wrong_rate", "CLINC150 out-of-scope vs BANKING77 FAQ: wrong answers", False),
    *(
        Figure(f"p{q}_{c}", f"REST latency, {c} client{'s' if c > 1 else ''}: p{q} ms", False)
        for c in (1, 20)
        for q in (50, 95, 99)
    ),
    Figure("edit_to_live_s", "edit-to-live (changed answer + new entry), s", False),
    Figure("rss_mb", "resident memory of the serving stack (shipped FAQ), MiB", False),
    Figure("train_shipped_s", "training / indexing the shipped FAQ, s", False),
    Figure("train_banking77_s", "training / indexing BANKING77 as FAQ, s", False),
    Figure("disk_mb", "model on disk (shipped FAQ), MiB", False),
)


def _get(tree: Any, *path: str) -> float | None:
    for key in path:
        if not isinstance(tree, dict) or key not in tree:
            return None
        tree = tree[key]
    return float(tree) if isinstance(tree, int | float) else None


def figures(results: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    shipped, banking = results.get("shipped", {}), results.get("banking77", {})
    table: dict[str, dict[str, float | None]] = {}
    for bot in BOTS:
        found = {
            "shipped_en_top1": _get(shipped, "accuracy", "en", bot, "top1_accuracy"),
            "shipped_en_answered": _get(shipped, "accuracy", "en", bot, "answer_accuracy"),
            "shipped_zh_top1": _get(shipped, "accuracy", "zh", bot, "top1_accuracy"),
            "shipped_zh_answered": _get(shipped, "accuracy", "zh", bot, "answer_accuracy"),
            "banking77_top1": _get(banking, "accuracy", bot, "top1_accuracy"),
            "banking77_answered": _get(banking, "accuracy", bot, "answer_accuracy"),
            "oos_wrong_rate": _get(banking, "out_of_scope", bot, "wrong_answer_rate"),
            "edit_to_live_s": _get(shipped, "edit_to_live", bot, "median_s"),
            "rss_mb": _get(shipped, "memory", bot, "rss_mb"),
            "disk_mb": _get(shipped, "disk_mb", bot),
            "train_shipped_s": _train(results, bot, "shipped"),
            "train_banking77_s": _train(results, bot, "banking77"),
        }
        for clients in (1, 20):
            for q in (50, 95, 99):
                found[f"p{q}_{clients}"] = _get(shipped, "latency", bot, f"{clients}_clients", f"p{q}_ms")
        for key, value in found.items():
            table.setdefault(key, {})[bot] = value
    return {f.key: table[f.key] for f in FIGURES}


def _train(results: dict[str, Any], bot: str, kb: str) -> float | None:
    if bot == "funddesk":
        return _get(results, kb, "funddesk_indexing", "index_s")
    return _get(results, "training", f"{'shipped' if kb == 'shipped' else 'banking77-10'}/{bot}", "train_s")


@dataclass(frozen=True)
class Target:
    label: str
    met: bool | None  # None: not measured
    detail: str


def targets(results: dict[str, Any], baseline: str) -> list[Target]:
    """The issue's targets against one baseline: FundDesk ahead on all five."""
    table = figures(results)

    def ahead(*keys: str) -> tuple[bool | None, str]:
        """False if any measured figure is behind; None if all measured ones are ahead but some are missing."""
        verdicts: list[bool | None] = []
        details: list[str] = []
        for key in keys:
            figure = next(f for f in FIGURES if f.key == key)
            ours, theirs = table[key]["funddesk"], table[key][baseline]
            if ours is None or theirs is None:
                verdicts.append(None)
                details.append(f"{key} not measured")
                continue
            verdicts.append(ours > theirs if figure.higher_is_better else ours <= theirs)
            details.append(f"{key} {ours:g} vs {theirs:g}")
        met = False if False in verdicts else None if None in verdicts else True
        return met, "; ".join(details)

    ours, theirs = table["edit_to_live_s"]["funddesk"], table["edit_to_live_s"][baseline]
    speedup = theirs / ours if ours and theirs else None
    accuracy = ahead(*(f"{s}_{m}" for s in ("shipped_en", "shipped_zh", "banking77") for m in ("top1", "answered")))
    return [
        Target("higher accuracy on both sets (top-1 and answered right)", *accuracy),
        Target("fewer wrong answers out of scope", *ahead("oos_wrong_rate")),
        Target("p95 latency no worse, at 1 and 20 clients", *ahead("p95_1", "p95_20")),
        Target(
            "edit-to-live ≥ 30× faster",
            None if speedup is None else speedup >= 30,
            "not measured" if speedup is None else f"{speedup:.0f}× faster",
        ),
        Target(
            "less memory, training time and disk",
            *ahead("rss_mb", "train_shipped_s", "train_banking77_s", "disk_mb"),
        ),
    ]


def _cell(value: float | None, key: str) -> str:
    if value is None:
        return "–"
    if key == "ratio":
        return f"{value:.3g}"
    if key.endswith(("top1", "answered", "rate")):
        return f"{100 * value:.1f}%"
    return f"{value:.2f}" if value < 10 else f"{value:.0f}"


def markdown(results: dict[str, Any]) -> list[str]:
    """The side-by-side section of RESULTS.md: what ran, every figure, the ratios and the targets."""
    side = results.get("side_by_side")
    if not side:
        return []
    lines = [
        "## Side by side with the Rasa-native FAQ bot (`python -m bench side_by_side`)",
        "",
        "Same content, same machine, one run. The baseline is what a Rasa 3.6 user builds from the same FAQ "
        "(`bench/baseline/`): one retrieval intent `faq/<entry id>` per entry with its phrasings, answers as "
        "`utter_faq/<entry id>`, a rule `faq → utter_faq`, ResponseSelector + FallbackClassifier (0.3). "
        "*recommended*: Rasa's recommended pipeline (JiebaTokenizer for the bilingual shipped FAQ), 100 epochs. "
        "*strong*: the same plus LanguageModelFeaturizer with FundDesk's all-MiniLM-L6-v2 weights. "
        "Baseline accuracy is read from `POST /model/parse` (intent + response selector); FundDesk's from "
        '`KnowledgeBase.ask`, the decision its bot acts on. "Answered right" counts direct answers with the '
        "expected entry; clarify and fallback count as not answered. Out of scope, a FundDesk direct answer is "
        "wrong; for the baseline any reply but `nlu_fallback` is (`faq_answered` in results.json counts its FAQ "
        "answers alone). Latency: the REST channel of each bot.",
        "",
        f"Machine: {side.get('machine') or results.get('machine', '?')}.",
        "",
        _weights_note(side.get("strong_weights")),
        "",
        *_partial_note(side),
        *_figure_table(side),
        "",
        *_training_note(side),
        "",
        *(f"![{Path(p).stem}](plots/{Path(p).name})" for p in side.get("plots", [])),
        "",
    ]
    return lines


def _partial_note(side: dict[str, Any]) -> list[str]:
    missing = [f"`{name}` (not trained yet)" for name in side.get("not_trained", [])]
    if side.get("baseline_edit") is False:
        missing.append("the baseline's edit-to-live (a full `rasa train`: at least its training time below)")
    if side.get("limit"):
        missing.append(f"all but the first {side['limit']} questions of each set")
    return [f"**Partial run.** Left out: {'; '.join(missing)}.", ""] if missing else []


def _weights_note(found: dict[str, Any] | None) -> str:
    if not found:
        return "The strong baseline was not part of this run."
    if not found.get("ok"):
        return f"**The strong baseline could not be built:** {found.get('why', 'weights did not match')}"
    return (
        f"MiniLM weights converted for TensorFlow (safetensors → numpy → `TFBertModel.save_pretrained`): "
        f"mean-pooled embeddings of {found['sentences']} sentences match FundDesk's PyTorch model within "
        f"{found['max_abs_diff']:.1e} (tolerance 1e-4)."
    )


def _figure_table(side: dict[str, Any]) -> list[str]:
    table, ratios = figures(side), side.get("ratios", {})
    baselines = [b for b in BOTS[1:] if b in ratios]
    head = ["figure", "FundDesk", *baselines, *(f"FundDesk / {b}" for b in baselines)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for figure in FIGURES:
        values = table[figure.key]
        cells = [_cell(values["funddesk"], figure.key), *(_cell(values[b], figure.key) for b in baselines)]
        cells += [_cell(ratios[b].get(figure.key), "ratio") for b in baselines]
        lines.append(f"| {figure.label} | " + " | ".join(cells) + " |")
    for baseline in baselines:
        lines += ["", f"Targets against the {baseline} baseline:", ""]
        lines += [f"- {_verdict(t.met)}: {t.label} ({t.detail})" for t in targets(side, baseline)]
    return lines


def _verdict(met: bool | None) -> str:
    return "met" if met else "not (fully) measured" if met is None else "**NOT met**"


def _training_note(side: dict[str, Any]) -> list[str]:
    lines = [
        f"- baseline `{name}`: `rasa train` {got['train_s']} s "
        f"({'cached model, trained' if got['cached'] else 'trained in this run,'} {got['trained_at']}), "
        f"model {got['model_mb']} MiB"
        for name, got in side.get("training", {}).items()
    ]
    for bot, edit in side.get("shipped", {}).get("edit_to_live", {}).items():
        if bot != "funddesk":
            lines.append(
                f"- {bot} baseline edit-to-live: regenerate + `rasa train` {edit['train_s']} s, "
                f"`PUT /model` {edit['load_s']} s, {edit['median_s']} s until both new answers were served"
            )
    by_process = side.get("shipped", {}).get("funddesk_memory_by_process", {})
    if by_process:
        parts = ", ".join(f"{name} {got['rss_mb']:.0f} MiB" for name, got in by_process.items())
        lines.append(f"- FundDesk's resident memory by process: {parts}")
    stages = side.get("stages_s", {})
    lines += [f"- stage `{name}`: {seconds} s" for name, seconds in stages.items()]
    return lines
