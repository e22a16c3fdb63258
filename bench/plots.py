"""PNG plots of the side-by-side figures for the README (matplotlib, written by ``make bench``).

Every plot says what was measured, on what data and on which machine, in its own footer.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.comparison import BOTS, figures

COLOURS = {"funddesk": "#1f6f4a", "recommended": "#b0b0b0", "strong": "#5f6f8f"}
NAMES = {"funddesk": "FundDesk", "recommended": "Rasa recommended", "strong": "Rasa + MiniLM"}


def write(results: dict[str, Any], folder: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    folder.mkdir(parents=True, exist_ok=True)
    table = figures(results)
    bots = [b for b in BOTS if any(v.get(b) is not None for v in table.values())]
    machine = results.get("machine") or "machine not recorded"
    return [
        _bars(
            folder / "side_by_side_accuracy.png", table, bots,
            [("shipped_en_top1", "shipped en\ntop-1"), ("shipped_en_answered", "shipped en\nanswered right"),
             ("shipped_zh_top1", "shipped zh\ntop-1"), ("shipped_zh_answered", "shipped zh\nanswered right"),
             ("banking77_top1", "BANKING77\ntop-1"), ("banking77_answered", "BANKING77\nanswered right"),
             ("oos_wrong_rate", "CLINC150 OOS\nwrong answers ↓")],
            "Accuracy on held-out paraphrases (share of questions; higher is better except ↓)",
            "Shipped FAQ: bench/data/shipped_faq_{en,zh}.csv. BANKING77: 10 phrasings per intent as FAQ, held-out rows "
            "asked. OOS: CLINC150 oos_val + oos_train against the BANKING77 FAQ.",
            machine, percent=True,
        ),
        _bars(
            folder / "side_by_side_latency.png", table, bots,
            [(f"p{q}_{c}", f"p{q}\n{c} client{'s' if c > 1 else ''}") for c in (1, 20) for q in (50, 95, 99)],
            "Answer latency through the REST channel, warm (ms; lower is better)",
            "POST /webhooks/rest/webhook, shipped FAQ paraphrases, one question per conversation; FundDesk = Rasa + "
            "action server; rounds interleaved, rotating which bot goes first.",
            machine,
        ),
        _bars(
            folder / "side_by_side_edit_to_live.png", table, bots, [("edit_to_live_s", "edit-to-live")],
            "Edit-to-live: changed answer + new entry until the running bot serves both (s, log scale)",
            "FundDesk: hot reload of the running action server. Rasa: regenerate, rasa train (its cache kept), "
            "PUT /model. Shipped FAQ.",
            machine, log=True,
        ),
        _bars(
            folder / "side_by_side_resources.png", table, bots,
            [("rss_mb", "memory\nMiB"), ("train_shipped_s", "train/index\nshipped, s"),
             ("train_banking77_s", "train/index\nBANKING77, s"), ("disk_mb", "on disk\nMiB")],
            "Resources (lower is better, log scale)",
            "Memory: VmRSS summed over each serving stack's processes after the latency runs. FundDesk indexing from a "
            "cold embedding cache; disk: FundDesk dialog model + index + MiniLM vs Rasa model (+ MiniLM TF weights).",
            machine, log=True,
        ),
    ]  # fmt: skip


def _bars(
    path: Path,
    table: dict[str, dict[str, float | None]],
    bots: Sequence[str],
    groups: Sequence[tuple[str, str]],
    title: str,
    what: str,
    machine: str,
    *,
    percent: bool = False,
    log: bool = False,
) -> Path:
    import matplotlib.pyplot as plt

    width = 0.8 / max(1, len(bots))
    fig, ax = plt.subplots(figsize=(max(6.0, 1.5 * len(groups) + 2), 4.8))
    for n, bot in enumerate(bots):
        values = [table[key].get(bot) for key, _ in groups]
        xs = [g + (n - (len(bots) - 1) / 2) * width for g in range(len(groups))]
        shown = [(x, v * (100 if percent else 1)) for x, v in zip(xs, values, strict=True) if v is not None]
        bars = ax.bar([x for x, _ in shown], [v for _, v in shown], width, label=NAMES[bot], color=COLOURS[bot])
        ax.bar_label(bars, labels=[f"{v:.1f}" if v < 100 else f"{v:.0f}" for _, v in shown], fontsize=7)
    ax.set_xticks(range(len(groups)), [label for _, label in groups], fontsize=8)
    ax.set_ylabel("%" if percent else "")
    if log:
        ax.set_yscale("log")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    fig.text(0.01, 0.01, f"{what}\nMachine: {machine}.", fontsize=6.5, wrap=True, va="bottom")
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
