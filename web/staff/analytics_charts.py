"""The analytics dashboard's charts as small SVGs rendered on the server (like the incident chart):
questions per day, hand-offs by reason, incidents by size, and the busiest hours as a heatmap."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from xml.sax.saxutils import escape

from web.staff.chart_words import WORDS, ChartWords

WIDTH, HEIGHT, PAD = 640, 220, 36
BAR, LINE = "#337ab7", "#999"


def _frame(title: str, height: int = HEIGHT) -> list[str]:
    label = escape(title, {'"': "&quot;"})
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{label}" '
        'font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{WIDTH}" height="{height}" fill="#fff"/>',
    ]


def _empty(parts: list[str], height: int = HEIGHT, words: ChartWords = WORDS["en"]) -> str:
    parts.append(
        f'<text x="{WIDTH / 2}" y="{height / 2}" text-anchor="middle" fill="#666">{escape(words.empty)}</text>'
    )
    return "".join([*parts, "</svg>"])


def bars(title: str, points: Sequence[tuple[str, float]], unit: str, words: ChartWords = WORDS["en"]) -> str:
    """Vertical bars, one per point, labelled at both ends; each bar carries its value (``data-value``)."""
    parts = _frame(title)
    if not points or not any(v for _, v in points):
        return _empty(parts, words=words)
    top = max(v for _, v in points) or 1.0
    plot_w, plot_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    step = plot_w / len(points)
    for i, (label, value) in enumerate(points):
        h = value / top * plot_h
        parts.append(
            f'<rect class="bar" data-label="{escape(label)}" data-value="{value:g}" '
            f'x="{PAD + i * step + step * 0.1:.1f}" y="{PAD + plot_h - h:.1f}" '
            f'width="{max(step * 0.8, 1):.1f}" height="{h:.1f}" fill="{BAR}">'
            f"<title>{escape(label)}: {value:g}</title></rect>"
        )
    parts.append(f'<line x1="{PAD}" y1="{PAD + plot_h}" x2="{WIDTH - PAD}" y2="{PAD + plot_h}" stroke="{LINE}"/>')
    scale = words.top.format(top=f"{top:g}", unit=unit)
    parts.append(f'<text x="{PAD}" y="{PAD - 8}" fill="#333">{escape(scale)}</text>')
    parts.append(f'<text x="{PAD}" y="{HEIGHT - 8}" fill="#666">{escape(points[0][0])}</text>')
    parts.append(
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - 8}" fill="#666" text-anchor="end">{escape(points[-1][0])}</text>'
    )
    return "".join([*parts, "</svg>"])


def hbars(title: str, points: Sequence[tuple[str, float]], words: ChartWords = WORDS["en"]) -> str:
    """Horizontal bars with their labels and values: categories (hand-off reasons)."""
    height = max(HEIGHT // 2, PAD + 24 * len(points) + 12)
    parts = _frame(title, height)
    if not points:
        return _empty(parts, height, words)
    top = max(v for _, v in points) or 1.0
    left, plot_w = 150, WIDTH - 150 - PAD - 30
    for i, (label, value) in enumerate(points):
        y, w = PAD + i * 24, value / top * plot_w
        parts.append(f'<text x="{left - 8}" y="{y + 14}" text-anchor="end" fill="#333">{escape(label)}</text>')
        parts.append(
            f'<rect class="bar" data-label="{escape(label)}" data-value="{value:g}" x="{left}" y="{y + 2}" '
            f'width="{w:.1f}" height="16" fill="{BAR}"/>'
        )
        parts.append(f'<text x="{left + w + 6:.1f}" y="{y + 14}" fill="#333">{value:g}</text>')
    return "".join([*parts, "</svg>"])


def heatmap(
    title: str, weekdays: Sequence[str], counts: Sequence[Sequence[int]], words: ChartWords = WORDS["en"]
) -> str:
    """Weekdays by local hours; the darker, the busier. Each cell carries its count (``data-value``)."""
    height = PAD + 7 * 22 + 28
    parts = _frame(title, height)
    top = max((max(row) for row in counts), default=0)
    if not top:
        return _empty(parts, height, words)
    weekdays = [words.weekdays.get(day, day) for day in weekdays]
    left, cell_w = 44, (WIDTH - 44 - 12) / 24
    for d, (day, row) in enumerate(zip(weekdays, counts, strict=True)):
        y = PAD + d * 22
        parts.append(f'<text x="{left - 6}" y="{y + 15}" text-anchor="end" fill="#333">{escape(day)}</text>')
        for hour, n in enumerate(row):
            shade = 0.08 + 0.92 * n / top if n else 0.0
            parts.append(
                f'<rect class="cell" data-value="{n}" x="{left + hour * cell_w:.1f}" y="{y}" width="{cell_w - 2:.1f}" '
                f'height="20" fill="{BAR}" fill-opacity="{shade:.2f}" stroke="#eee"><title>{escape(day)} '
                f"{hour:02d}:00 {n}</title></rect>"
            )
    for hour in range(0, 24, 3):
        parts.append(f'<text x="{left + hour * cell_w:.1f}" y="{PAD - 8}" fill="#666">{hour:02d}</text>')
    parts.append(f'<text x="{left}" y="{height - 8}" fill="#666">{escape(words.darkest.format(top=top))}</text>')
    return "".join([*parts, "</svg>"])


def _questions(figures: dict[str, Any], words: ChartWords) -> str:
    points = [(p["day"], float(p["questions"])) for p in figures["questions_per_day"]]
    return bars(words.titles["questions"], points, words.per_day, words)


def _handoffs(figures: dict[str, Any], words: ChartWords) -> str:
    points = [(words.reasons.get(r, r), float(n)) for r, n in figures["handoffs"].items()]
    return hbars(words.titles["handoffs"], points, words)


def _incidents(figures: dict[str, Any], words: ChartWords) -> str:
    points = [(f"#{i['id']} {i['detected_at'][:10]}", float(i["size"])) for i in figures["incidents"]]
    return bars(words.titles["incidents"], points, words.questions, words)


def _heatmap(figures: dict[str, Any], words: ChartWords) -> str:
    return heatmap(words.titles["heatmap"], figures["heatmap"]["weekdays"], figures["heatmap"]["counts"], words)


CHARTS: dict[str, Callable[[dict[str, Any], ChartWords], str]] = {
    "questions": _questions,
    "handoffs": _handoffs,
    "incidents": _incidents,
    "heatmap": _heatmap,
}


def render(name: str, figures: dict[str, Any], words: ChartWords = WORDS["en"]) -> str:
    return CHARTS[name](figures, words)
