"""Render bench/results.json as bench/RESULTS.md: what was measured, on what data, against which target."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import comparison


def _pct(value: Any) -> str:
    return f"{100 * float(value):.1f}%" if isinstance(value, int | float) else "–"


def _kb_table(results: dict[str, Any]) -> list[str]:
    public = results.get("public", {})
    rows = [
        ("BANKING77, 10 phrasings per intent (held-out rows): top-1", "banking77-10", "top1_accuracy", "≥ 86.7%"),
        ("BANKING77, all remaining phrasings (15% held out): top-1", "banking77-full", "top1_accuracy", "≥ 93.9%"),
        ("CLINC150, self-calibrated (no calibration file): answered right", "clinc150", "answer_accuracy", "≥ 90%"),
        ("CLINC150, self-calibrated: out-of-scope recall", "clinc150", "oos_recall", "≥ 80%"),
        ("CLINC150, calibrated on half of val + oos_val: answered right", "clinc150+dev", "answer_accuracy", "≥ 90%"),
        ("CLINC150, calibrated on half of val + oos_val: out-of-scope recall", "clinc150+dev", "oos_recall", "≥ 80%"),
    ]
    lines = ["| set | measured | target | p95 ms |", "|---|---|---|---|"]
    for label, key, metric, target in rows:
        got = public.get(key, {})
        lines.append(f"| {label} | {_pct(got.get(metric))} | {target} | {got.get('p95_ms', '–')} |")
    return lines


SHIPPED_ROWS = (
    ("paraphrases_en", "paraphrases, en"),
    ("paraphrases_zh", "paraphrases, zh"),
    ("messages_en", "realistic messages, en"),
    ("messages_zh", "realistic messages, zh"),
)


def _shipped(results: dict[str, Any]) -> list[str]:
    shipped = results.get("shipped", {})
    bars = results.get("chinese_bm25", {}).get("bm25_top1")
    lines = [
        "| set | calibration | top-1 | answered right | wrong | clarify (top-1 right) | fallback | OOS recall |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, label in SHIPPED_ROWS:
        for suffix, how in (("", "self"), ("+dev", "dev sets")):
            got = shipped.get(key + suffix)
            if not got:
                continue
            lines.append(
                f"| {label} ({got['in_scope']} + {got['out_of_scope']} out of scope) | {how} | "
                f"{_pct(got['top1_accuracy'])} | {_pct(got['answer_accuracy'])} | {_pct(got['wrong_answer_rate'])} | "
                f"{_pct(got['clarify_rate'])} ({_pct(got.get('clarify_top1_rate'))}) | {_pct(got['fallback_rate'])} | "
                f"{_pct(got['oos_recall'])} |"
            )
    if isinstance(bars, dict):
        for key, label in (("paraphrases_zh", "Chinese paraphrases"), ("messages_zh", "Chinese messages")):
            ours = shipped.get(key, {}).get("top1_accuracy")
            if key in bars and ours is not None:
                lines += [
                    "",
                    f"Plain BM25 over character unigrams + bigrams, {label}: top-1 {_pct(bars[key])} "
                    f"(FundDesk {_pct(ours)}).",
                ]
    return lines


def _pairs(figures: dict[str, Any] | None) -> list[str]:
    if not figures:
        return []
    lines = ["## Chinese question pairs as FAQ retrieval (`python -m bench.pairs`, data not in the repo)", ""]
    if "skipped" in figures:
        return [*lines, figures["skipped"], ""]
    lines += ["| file | entries | questions | FundDesk top-1 | plain BM25 top-1 | relative |", "|" + "---|" * 6]
    for row in figures.get("files", []):
        lines.append(
            f"| {Path(row['file']).name} | {row['entries']} | {row['questions']} | {_pct(row['funddesk_top1'])} | "
            f"{_pct(row['bm25_top1'])} | {100 * row['relative_gain']:+.1f}% |"
        )
    return [*lines, ""]


def _slips(figures: dict[str, Any] | None) -> list[str]:
    if not figures or "reading" not in figures:
        return []
    from bench.typing_slips import rows

    lines = [
        "## Questions typed with slips (`python -m bench typing_slips`, held-out sets)",
        "",
        f"Each question asked as written, then with {figures['slips']} slip: in Chinese a character replaced by "
        "another of the same toneless pinyin (drawn by everyday frequency, as an input method lists them), in "
        "English one keystroke wrong in a word of four letters or more; over "
        f"{figures['seeds']} seeds, median (worst decile). *as typed*: the matcher without reading slips back "
        "(`knowledge_base/homophones.py`, `knowledge_base/typos.py` switched off); *read back*: as the service "
        "matches.",
        "",
        "| set | matcher | as written: top-1 / answered / wrong | with a slip: top-1 | answered right | wrong |",
        "|---|---|---|---|---|---|",
    ]
    for name, variant, got in sorted(rows(figures), key=lambda row: (row[0], row[1])):
        clean, slipped = got["clean"], got["slipped"]
        cells = [
            f"{_pct(slipped[k]['median'])} ({_pct(slipped[k]['worst_decile'])})"
            for k in ("top1_accuracy", "answer_accuracy", "wrong_answer_rate")
        ]
        label = "as typed" if variant == "as_typed" else "read back"
        lines.append(
            f"| {name}, {got['questions']} | {label} | {_pct(clean['top1_accuracy'])} / "
            f"{_pct(clean['answer_accuracy'])} / {_pct(clean['wrong_answer_rate'])} | {' | '.join(cells)} |"
        )
    return [*lines, ""]


def _followups(figures: dict[str, Any] | None) -> list[str]:
    if not figures or "given/alone" not in figures:
        return []
    lines = [
        "## Follow-up questions (`python -m bench followups`, held-out sets)",
        "",
        "The second message of two-turn conversations written blind against the shipped FAQ "
        f"({', '.join(f'`{name}`' for name in figures['files'])}). *given*: the first question answered "
        "with its right entry; *as served*: the first question asked too, its own answer (if any) the context. "
        "*alone*: the second message matched without context; *in context*: read as a follow-up "
        "(`knowledge_base/followups.py`). Right: the expected entry answered, or an out-of-scope message "
        "falling back.",
        "",
        "| conversation | language | messages | reading | right | wrong | choice | fallback | right by kind |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for conversation, label in (("given", "given"), ("served", "as served")):
        for reading, name in (("alone", "alone"), ("in_context", "in context")):
            for lang, got in figures[f"{conversation}/{reading}"].items():
                kinds = ", ".join(
                    f"{kind} {counts.get('right', 0)}/{sum(counts.values())}" for kind, counts in got["by_kind"].items()
                )
                rates = " | ".join(_pct(got[f"{o}_rate"]) for o in ("right", "wrong", "clarify", "fallback"))
                lines.append(f"| {label} | {lang} | {got['messages']} | {name} | {rates} | {kinds} |")
    return [*lines, ""]


def _handoff(figures: dict[str, Any] | None) -> list[str]:
    if not figures:
        return []
    rows = [
        "## Staff live chat: delivery through the WebSockets (`python -m bench.handoff_bench`)",
        "",
        f"{figures['agents']} agents online, {figures['live_conversations']} live staff conversations (investor and "
        f"agent taking turns every {figures['mean_gap_s']} s on average) and {figures['waiting_investors']} "
        f"investors waiting in the queue with their widgets connected, for {figures['duration_s']} s; web service "
        f"in front of the fake Rasa. Errors: {figures['errors']}. Target: p95 ≤ 100 ms both ways.",
        "",
        "| direction | messages | p50 | p95 | max |",
        "|---|---|---|---|---|",
    ]
    for key, label in (("staff_to_investor", "staff → investor"), ("investor_to_staff", "investor → staff")):
        row = figures[key]
        rows.append(f"| {label} | {row['messages']} | {row['p50_ms']} ms | {row['p95_ms']} ms | {row['max_ms']} ms |")
    return [*rows, ""]


def _spikes(figures: dict[str, Any] | None) -> list[str]:
    """Spike detection (``bench/spikes_bench.py``): NAB realTweets, the synthetic NAV swing, throughput."""
    if not figures:
        return []
    nab = figures["nab"]
    lines = [
        "## Spike detection (`python -m bench spikes`, default detector settings)",
        "",
        "NAB realTweets (3 series), normalized scores; targets ≥ 82 standard and ≥ 75 reward-low-FP "
        "(published with thresholds tuned on the data: ARTime 81.8, contextOSE 74.5, Numenta HTM 68.0).",
        "",
        "| series | standard | reward low FP | windows caught | false positives |",
        "|---|---|---|---|---|",
    ]
    for name, row in nab.items():
        if name != "overall":
            lines.append(
                f"| {name} | {row['standard']} | {row['reward_low_FP_rate']} | {row['windows_caught']} | "
                f"{row['false_positives']} |"
            )
    overall = nab["overall"]
    lines += [f"| **all three** | **{overall['standard']}** | **{overall['reward_low_FP_rate']}** | | |", ""]
    swing = figures["nav_swing"]
    delays = ", ".join(f"{k}: {'missed' if v is None else f'{v} min'}" for k, v in swing["detection_minutes"].items())
    lines += [
        f"Synthetic NAV swing: {swing['days']} days, {swing['questions']} BANKING77 questions with trading-hour "
        f"seasonality; three topics (an intent for one fund each, baseline {swing['topic_baseline_per_bucket']} "
        f"per 5 min at peak) burst at 3x, 5x and 10x for 30 min. Burst start to incident: "
        f"{delays} (target ≤ 10 min for 5x and 10x). False incidents: {swing['false_incidents']} (target 0).",
        "",
    ]
    speed = figures["throughput"]
    growth = ", ".join(f"{n} after {q}" for q, n in speed["clusters_at"])
    lines += [
        f"Pipeline (clustering + detection + incidents, embeddings given): {speed['per_second']} questions/s over "
        f"{speed['questions']} questions in a simulated month (target ≥ 500/s); clusters {growth}; state "
        f"{speed['state_json_mb']} MB as JSON, {speed['state_memory_mb']} MB in memory.",
        "",
        "| clustering threshold (BANKING77) | clusters | purity | cohesion |",
        "|---|---|---|---|",
    ]
    for threshold, row in figures["clustering"].items():
        lines.append(f"| {threshold} | {row['clusters']} | {row['purity']} | {row['cohesion']} |")
    return [*lines, ""]


def _scenarios(figures: dict[str, Any] | None) -> list[str]:
    """Spike detection on randomized weeks (``bench/spike_scenarios.py``), report seeds only."""
    if not figures:
        return []
    lines = [
        "## Spike detection on randomized weeks (`python -m bench spike_scenarios`, report seeds)",
        "",
        "Seeds 0–49 are only ever reported; defaults are chosen on seeds 1000–1099. Delays are minutes from burst "
        "start to incident; a missed burst counts as never, so a median or worst decile reads `missed` once more "
        "than half or a tenth of the group was missed.",
        "",
    ]
    for mode, run in figures.items():
        if not isinstance(run, dict) or "by_kind" not in run:
            continue
        false = run["false_per_week"]
        lines += [
            f"**{mode}** ({run['scenarios']} weeks, seeds {run['seeds']}, {run['bursts']} bursts, "
            f"{run['quiet_weeks']} quiet weeks): topic and fund bursts ≥ 5x caught within 10 min: "
            f"{_pct(run['within_10_min_at_5x'])}; of the {run.get('reachable_at_5x', '–')} that brought ≥ 8 questions "
            f"in their first 10 min: {_pct(run.get('within_10_min_at_5x_reachable'))}. Known-rate ceiling (the "
            f"detector's test given the true rates, `bench/scenario_ceiling.py`): "
            f"{_pct(run.get('ceiling_within_10_min_at_5x'))} of those bursts within 10 min; caught within 10 min "
            f"of those: {_pct(run.get('within_10_min_at_5x_of_ceiling'))}. False incidents per week: "
            f"median {false['median']}, worst decile {false['p90']}, max {false['max']} ({false['total']} in all); "
            f"in decoys: {run['false_in_decoys']['incidents']} of {run['false_in_decoys']['decoys']}. "
            f"{run['questions_per_second']} questions/s.",
            "",
            "| group | bursts | detected | median delay | worst-decile delay | median if detected |",
            "|---|---|---|---|---|---|",
        ]
        for family in ("by_kind", "by_factor", "by_onset"):
            for name, row in run[family].items():
                cells = [_minutes(row[k]) for k in ("median", "p90", "median_if_detected")]
                lines.append(f"| {name} | {row['n']} | {_pct(row['detected'])} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def _minutes(value: Any) -> str:
    return "missed" if value is None else f"{value} min"


def _when(results: dict[str, Any]) -> list[str]:
    lines = []
    for name, section in results.items():
        if isinstance(section, dict) and "_seconds" in section:
            measured = section.get("_measured") or {}
            lines.append(f"- `{name}`: {measured.get('date', '?')}, {measured.get('machine', '?')}")
    return lines


def write_results(results: dict[str, Any], path: Path) -> None:
    scale = results.get("scale", {})
    reload_ = results.get("hot_reload", {})
    parts = [
        "# Benchmark results",
        "",
        f"Last written by `make bench` on {results.get('date', '?')}. Machine: {results.get('machine', '?')}.",
        "The machine is shared: absolute times vary from run to run; accuracy figures do not.",
        "`python -m bench SECTION` reruns one section; when and where each was measured:",
        "",
        *_when(results),
        "",
        "## Knowledge base: accuracy on public data (`knowledge_base eval`, default settings)",
        "",
        *_kb_table(results),
        "",
        "## Knowledge base: the shipped FAQ, paraphrases and realistic messages written for it (`bench/data/`)",
        "",
        "Held-out sets. *self*: no calibration file, the knowledge base calibrated itself from its own "
        "phrasings. *dev sets*: thresholds fitted on `shipped_faq_dev.csv` and `shipped_messages_dev.csv`, "
        "`_dev2.csv` and `_dev3.csv` "
        "(`eval --calibration`), with the out-of-scope floor's confidence bound. Targets: realistic messages "
        "answered right ≥ 80% with wrong answers ≤ 5% in each language; Chinese paraphrases answered right "
        "≥ 72% with wrong answers ≤ 3%.",
        "",
        *_shipped(results),
        "",
        *_pairs(results.get("chinese_pairs")),
        *_slips(results.get("typing_slips")),
        *_followups(results.get("followups")),
        "## Knowledge base: scale and edits",
        "",
        f"- {scale.get('phrasings', '–')} phrasings ({scale.get('entries', '–')} entries, CLINC150 train): "
        f"matching p50 {scale.get('p50_ms', '–')} ms, p95 {scale.get('p95_ms', '–')} ms per question, "
        "question embedding included (target p95 ≤ 25 ms).",
        f"- Full rebuild of those phrasings with a warm embedding cache: {scale.get('rebuild_warm_s', '–')} s "
        f"to a servable index ({scale.get('embedded_on_rebuild', '–')} texts embedded; target ≤ 2 s), then "
        f"{scale.get('head_fit_s', '–')} s to refit the entry head and {scale.get('calibration_s', '–')} s to "
        "self-calibrate, both of which a live service does in the background while the new index already serves "
        "with the previous calibration.",
        f"- Hot reload, saved edit (one changed answer + one new entry) to live: median "
        f"{reload_.get('median_s', '–')} s, worst {reload_.get('max_s', '–')} s over {reload_.get('runs', '–')} "
        "edits (target ≤ 3 s).",
        "",
    ]
    parts += comparison.markdown(results)
    parts += _handoff(results.get("handoff"))
    parts += _spikes(results.get("spikes"))
    parts += _scenarios(results.get("spike_scenarios"))
    for name in ("bot", "web"):
        if name in results:
            parts += [f"## {name}", "", "```json", json.dumps(results[name], indent=1, ensure_ascii=False), "```", ""]
    path.write_text("\n".join(parts), encoding="utf-8")
