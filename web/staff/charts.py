"""An incident's chart as a small SVG, rendered on the server: the cluster's questions per bucket
(bars) against the baseline the detector expected (line). The bucket still being counted, a point marked "open", is
drawn pale and named in the legend: its bar is a count so far. No script, no external library."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from web.staff.chart_words import WORDS, ChartWords

WIDTH, HEIGHT, PAD = 640, 220, 36


def incident_svg(series: Sequence[Sequence[Any]], title: str, words: ChartWords = WORDS["en"]) -> str:
    points = [(str(p[0]), float(p[1]), float(p[2])) for p in series if len(p) >= 3]
    still_open = bool(series) and len(series[-1]) > 3 and series[-1][3] == "open"  # only the last bucket can be
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title, {chr(34): "&quot;"})}" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>',
    ]
    if not points:
        empty = escape(words.not_yet)
        parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" fill="#666">{empty}</text>')
        return "".join([*parts, "</svg>"])
    top = max(max(c, e) for _, c, e in points) or 1.0
    plot_w, plot_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    step = plot_w / len(points)

    def y(value: float) -> float:
        return PAD + plot_h - value / top * plot_h

    for i, (_, count, _) in enumerate(points):
        x = PAD + i * step
        last_open = still_open and i == len(points) - 1
        pale = ' fill-opacity="0.4" stroke="#d9534f" stroke-dasharray="3 2"' if last_open else ""
        parts.append(
            f'<rect x="{x + step * 0.1:.1f}" y="{y(count):.1f}" width="{step * 0.8:.1f}" '
            f'height="{PAD + plot_h - y(count):.1f}" fill="#d9534f"{pale}/>'
        )
    line = " ".join(f"{PAD + (i + 0.5) * step:.1f},{y(e):.1f}" for i, (_, _, e) in enumerate(points))
    parts.append(f'<polyline points="{line}" fill="none" stroke="#337ab7" stroke-width="2"/>')
    parts.append(f'<line x1="{PAD}" y1="{PAD + plot_h}" x2="{WIDTH - PAD}" y2="{PAD + plot_h}" stroke="#999"/>')
    parts.append(f'<text x="{PAD}" y="{PAD - 8}" fill="#333">{escape(words.per_bucket.format(top=f"{top:g}"))}</text>')
    parts.append(f'<text x="{PAD}" y="{HEIGHT - 8}" fill="#666">{escape(points[0][0][:16])}</text>')
    parts.append(
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - 8}" fill="#666" text-anchor="end">{escape(points[-1][0][:16])}</text>'
    )
    so_far = f' <tspan fill="#d9534f" fill-opacity="0.6">{escape(words.so_far)}</tspan>' if still_open else ""
    parts.append(
        f'<text x="{WIDTH - PAD}" y="{PAD - 8}" text-anchor="end"><tspan fill="#d9534f">{escape(words.bars)}</tspan>'
        f'{so_far} <tspan fill="#337ab7">{escape(words.line)}</tspan></text>'
    )
    return "".join([*parts, "</svg>"])
