"""The words the server draws into its SVG charts, in the staff console's languages: ``?lang=zh`` on a chart's URL
(the console asks in its own language), English otherwise."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from escalation.analytics.metrics import WEEKDAYS
from web.context import WebRequest
from web.errors import BadRequest


@dataclass(frozen=True)
class ChartWords:
    empty: str  # a chart with nothing in its range
    not_yet: str  # an incident's chart before its first bucket
    top: str  # the highest bar: {top} {unit}
    per_day: str
    questions: str
    darkest: str  # the heatmap's darkest cell: {top}
    per_bucket: str  # the incident chart's scale: {top}
    bars: str  # the incident chart's legend
    line: str
    so_far: str  # the incident chart's pale last bar: the bucket still being counted
    incident: str  # the incident chart's title: {id}, {label}
    titles: Mapping[str, str]  # the dashboard's charts, by name
    reasons: Mapping[str, str] = field(default_factory=dict)  # hand-off reasons (a code not here is drawn as it is)
    weekdays: Mapping[str, str] = field(default_factory=dict)


WORDS = {
    "en": ChartWords(
        empty="no data in this range",
        not_yet="no data yet",
        top="max {top} {unit}",
        per_day="questions a day",
        questions="questions",
        darkest="darkest: {top} questions an hour",
        per_bucket="{top} questions / bucket",
        bars="■ questions",
        line="— expected",
        so_far="▯ this bucket so far",
        incident="Incident {id}: {label}",
        titles={
            "questions": "Questions per day",
            "handoffs": "Hand-offs by reason",
            "incidents": "Incidents by size (questions)",
            "heatmap": "Busiest hours",
        },
        reasons={  # as the console's tables name them (words_en.js)
            "requested": "Asked for a person",
            "fallback": "Bot could not answer",
            "negative_feedback": "Unhappy with an answer",
            "faq_escalate": "Escalating topic",
            "incident": "Incident",
            "staff": "Opened by staff",
        },
    ),
    "zh": ChartWords(
        empty="此时间段内没有数据",
        not_yet="暂无数据",
        top="最高 {top} {unit}",
        per_day="个提问/天",
        questions="个提问",
        darkest="颜色最深：每小时 {top} 个提问",
        per_bucket="每 5 分钟 {top} 个提问",
        bars="■ 提问量",
        line="— 预期",
        so_far="▯ 本时段至今",
        incident="事件 {id}：{label}",
        titles={
            "questions": "每日提问量",
            "handoffs": "按原因统计的转人工",
            "incidents": "集中咨询事件（按提问量）",
            "heatmap": "最繁忙时段",
        },
        reasons={
            "requested": "要求人工",
            "fallback": "机器人无法回答",
            "negative_feedback": "对回答不满意",
            "faq_escalate": "需升级的问题",
            "incident": "集中咨询事件",
            "staff": "客服发起",
        },
        weekdays=dict(zip(WEEKDAYS, ("周一", "周二", "周三", "周四", "周五", "周六", "周日"), strict=True)),
    ),
}


def chart_words_of(request: WebRequest) -> ChartWords:
    """The words of the request's ``?lang=`` (none: English); another language is a 400, not a silent default."""
    lang = request.args.get("lang") or "en"
    if lang not in WORDS:
        raise BadRequest(f"lang must be one of {', '.join(WORDS)}, not {lang!r}.", code="bad_lang")
    return WORDS[lang]
