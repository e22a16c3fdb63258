"""An incident's chart says which bar is still being counted: pale, and named in the legend, in both languages."""

from __future__ import annotations

import re

from web.staff.chart_words import WORDS
from web.staff.charts import incident_svg

CLOSED = [["2026-11-26 13:55:00", 0, 0.4], ["2026-11-26 14:00:00", 22, 0.5]]


def bars(svg: str) -> list[str]:
    return re.findall(r'<rect x="[^"]*"[^>]*fill="#d9534f"[^>]*/>', svg)


def test_the_bucket_still_being_counted_is_drawn_pale_last_and_named_in_the_legend() -> None:
    svg = incident_svg([*CLOSED, ["2026-11-26 14:05:00", 9, 0.5, "open"]], "Incident 1: drop")
    *full, last = bars(svg)
    assert len(full) == 2 and all("fill-opacity" not in bar for bar in full)
    assert 'fill-opacity="0.4"' in last and "stroke-dasharray" in last
    assert "this bucket so far" in svg
    assert "本时段至今" in incident_svg([*CLOSED, ["2026-11-26 14:05:00", 9, 0.5, "open"]], "事件 1", WORDS["zh"])


def test_a_chart_of_closed_buckets_as_rows_stored_before_draws_every_bar_full_and_no_such_legend() -> None:
    svg = incident_svg(CLOSED, "Incident 1: drop")
    assert len(bars(svg)) == 2 and "fill-opacity" not in svg and "so far" not in svg
