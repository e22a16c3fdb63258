"""The side-by-side figures: one table read by the ratios, the targets, RESULTS.md and the plots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench import comparison, plots
from bench.side_by_side import ratios


def accuracy(top1: float, answered: float) -> dict[str, float]:
    return {"top1_accuracy": top1, "answer_accuracy": answered}


def latency(p95: float) -> dict[str, dict[str, float]]:
    return {f"{c}_clients": {"p50_ms": p95 / 2, "p95_ms": p95, "p99_ms": p95 * 1.2} for c in (1, 20)}


def side() -> dict[str, Any]:
    """FundDesk ahead everywhere except p95 latency against the recommended baseline."""
    return {
        "machine": "2 cores, test CPU",
        "training": {
            f"{kb}/recommended": {"train_s": s, "cached": False, "trained_at": "today", "model_mb": 30.0}
            for kb, s in (("shipped", 600.0), ("banking77-10", 550.0))
        },
        "shipped": {
            "funddesk_indexing": {"index_s": 20.0},
            "accuracy": {
                "en": {"funddesk": accuracy(0.8, 0.6), "recommended": accuracy(0.5, 0.4)},
                "zh": {"funddesk": accuracy(0.85, 0.65), "recommended": accuracy(0.6, 0.5)},
            },
            "latency": {"funddesk": latency(90.0), "recommended": latency(60.0)},
            "edit_to_live": {
                "funddesk": {"median_s": 2.0},
                "recommended": {"median_s": 640.0, "train_s": 600.0, "load_s": 38.0},
            },
            "memory": {"funddesk": {"rss_mb": 1400.0}, "recommended": {"rss_mb": 900.0}},
            "funddesk_memory_by_process": {"rasa": {"rss_mb": 950.0}, "actions": {"rss_mb": 450.0}},
            "disk_mb": {"funddesk": 107.0, "recommended": 30.0},
        },
        "banking77": {
            "funddesk_indexing": {"index_s": 15.0},
            "accuracy": {"funddesk": accuracy(0.86, 0.8), "recommended": accuracy(0.54, 0.5)},
            "out_of_scope": {"funddesk": {"wrong_answer_rate": 0.1}, "recommended": {"wrong_answer_rate": 0.9}},
        },
    }


def test_figures_read_every_bot_and_leave_unmeasured_ones_empty() -> None:
    table = comparison.figures(side())
    assert table["banking77_top1"] == {"funddesk": 0.86, "recommended": 0.54, "strong": None}
    assert table["train_shipped_s"]["funddesk"] == 20.0
    assert table["p95_20"]["recommended"] == 60.0


def test_ratios_are_funddesk_over_the_baseline() -> None:
    found = ratios(side(), ["recommended"])["recommended"]
    assert found["edit_to_live_s"] == round(2.0 / 640.0, 3)
    assert found["banking77_top1"] == round(0.86 / 0.54, 3)


def test_targets_say_which_were_met_and_which_not() -> None:
    verdicts = {t.label: t.met for t in comparison.targets(side(), "recommended")}
    assert verdicts == {
        "higher accuracy on both sets (top-1 and answered right)": True,
        "fewer wrong answers out of scope": True,
        "p95 latency no worse, at 1 and 20 clients": False,
        "edit-to-live ≥ 30× faster": True,
        "less memory, training time and disk": False,
    }


def test_an_unmeasured_baseline_is_reported_as_not_measured() -> None:
    verdicts = {t.label: t.met for t in comparison.targets(side(), "strong")}
    assert set(verdicts.values()) == {None}


def test_results_markdown_has_the_table_the_ratios_and_the_targets() -> None:
    results = {"side_by_side": {**side(), "ratios": ratios(side(), ["recommended"])}}
    text = "\n".join(comparison.markdown(results))
    assert "| BANKING77 as FAQ (10 per intent), held-out rows: top-1 | 86.0% | 54.0% | 1.59 |" in text
    assert "**NOT met**: p95 latency no worse" in text
    assert "- FundDesk's resident memory by process: rasa 950 MiB, actions 450 MiB" in text


def test_plots_are_written_as_png_files(tmp_path: Path) -> None:
    written = plots.write(side(), tmp_path)
    assert [p.suffix for p in written] == [".png"] * 4
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in written)


def test_a_target_with_one_measured_figure_behind_is_not_met_even_if_others_are_missing() -> None:
    partial = side()
    del partial["banking77"]
    verdicts = {t.label: t.met for t in comparison.targets(partial, "recommended")}
    assert verdicts["less memory, training time and disk"] is False
    assert verdicts["fewer wrong answers out of scope"] is None
