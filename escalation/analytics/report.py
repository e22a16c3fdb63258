"""The dashboard's figures for one range: the repository's aggregates turned into the metrics' definitions,
and the same figures as CSV tables."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from escalation.analytics import gaps as gap_clusters
from escalation.analytics import metrics, repository
from escalation.analytics.gaps import Gap
from escalation.analytics.period import Period
from escalation.analytics.repository import Range
from escalation.spikes.clustering import ClusterConfig
from funddesk.db.base import as_utc

EVER = Range(datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC))


def span_of(period: Period, team: str | None) -> Range:
    return Range(period.start, period.end, team)


def summary(session: Session, period: Period, team: str | None, now: datetime) -> dict[str, Any]:
    span = span_of(period, team)
    repository.without_jit(session)
    conversations, handed_off = repository.conversation_counts(session, span)
    decisions: Counter[tuple[str, str | None]] = Counter()
    per_decision: Counter[str | None] = Counter()
    hourly: Counter[int] = Counter()
    for (hour, lang, decision), n in repository.question_counts(session, span).items():
        decisions[lang, decision] += n
        per_decision[decision] += n
        hourly[hour] += n
    feedback = repository.feedback_by_entry(session, span)
    return {
        "period": period.as_json(),
        "team": team,
        "conversations": conversations,
        "handed_off": handed_off,
        "messages": repository.message_count(session, span),
        "questions": sum(per_decision.values()),
        "containment_rate": metrics.containment_rate(conversations, handed_off),
        **metrics.decision_rates(per_decision),
        "by_language": metrics.rates_by_language(decisions),
        "handoffs": dict(sorted(repository.handoffs_by_reason(session, span).items())),
        "feedback": {
            "helpful": sum(f["helpful"] for f in feedback.values()),
            "not_helpful": sum(f["not_helpful"] for f in feedback.values()),
        },
        "feedback_by_entry": _feedback_rows(feedback),
        "response": metrics.response_figures(repository.handoff_times(session, span), now),
        "incidents": [_incident_row(i) for i in repository.incidents(session, span)],
        "questions_per_day": metrics.per_day(hourly, period.zone, period.days),
        "heatmap": {"weekdays": list(metrics.WEEKDAYS), "counts": metrics.heatmap(hourly, period.zone)},
        "entries_that_hurt": entries_that_hurt(feedback, repository.handoffs_by_entry(session, span)),
    }


def _feedback_rows(feedback: dict[str | None, dict[str, int]]) -> list[dict[str, Any]]:
    rows = [{"entry_id": entry, **counts} for entry, counts in feedback.items() if entry]
    return sorted(rows, key=lambda r: (-(r["helpful"] + r["not_helpful"]), r["entry_id"]))


def entries_that_hurt(
    feedback: dict[str | None, dict[str, int]], handoffs: dict[str, int], limit: int = 20
) -> list[dict[str, Any]]:
    """Entries by "not helpful" votes plus hand-offs right after they were shown, worst first."""
    entries = {e for e, f in feedback.items() if e and f["not_helpful"]} | set(handoffs)
    rows: list[dict[str, Any]] = [
        {
            "entry_id": entry,
            "not_helpful": feedback.get(entry, {}).get("not_helpful", 0),
            "handoffs_after": handoffs.get(entry, 0),
        }
        for entry in entries
    ]
    rows.sort(key=lambda r: (-(r["not_helpful"] + r["handoffs_after"]), r["entry_id"]))
    return rows[:limit]


def _incident_row(incident: Any) -> dict[str, Any]:
    detected = as_utc(incident.detected_at)
    answered = as_utc(incident.answered_at) if incident.answered_at else None
    return {
        "id": incident.id,
        "team_id": incident.team_id,
        "label": incident.label,
        "status": str(incident.status),
        "detected_at": detected.isoformat(),
        "size": incident.count,
        "answered_at": answered.isoformat() if answered else None,
        "minutes_to_answer": round((answered - detected).total_seconds() / 60, 1) if answered else None,
    }


def gaps(session: Session, span: Range, config: ClusterConfig | None = None) -> list[Gap]:
    repository.without_jit(session)
    groups = repository.gap_groups(session, span)
    top = gap_clusters.top_clusters(groups)
    members = repository.gap_members(session, span, top, gap_clusters.MEMBERS_PER_CLUSTER)
    return gap_clusters.build_gaps(groups, members, config)


def find_gap(session: Session, span: Range, gap_id: str) -> Gap | None:
    """The gap ``gap_id`` in the range; failing that, its main cluster's gap questions of all time."""
    cluster = gap_clusters.cluster_of(gap_id)
    for gap in gaps(session, span):
        if gap.id == gap_id or cluster in gap.clusters:
            return gap
    if cluster is None:
        return None
    everything = Range(EVER.start, EVER.end, span.team)
    groups = [g for g in repository.gap_groups(session, everything) if g.cluster_id == cluster]
    members = repository.gap_members(session, everything, [cluster], gap_clusters.MEMBERS_PER_CLUSTER)
    found = gap_clusters.build_gaps(groups, members)
    return found[0] if found else None


# -- CSV ------------------------------------------------------------------------------------------------

TABLES = (
    "overview",
    "languages",
    "handoffs",
    "feedback",
    "response",
    "incidents",
    "questions_per_day",
    "heatmap",
    "entries_that_hurt",
    "gaps",
)


def table(name: str, figures: dict[str, Any], gap_list: list[Gap] | None = None) -> list[list[Any]]:
    """One of ``TABLES`` as rows (the header first), from ``summary`` (and ``gaps`` for "gaps")."""
    if name == "overview":
        keys = ["conversations", "handed_off", "messages", "questions", "containment_rate"]
        keys += [f"{d}_rate" for d in metrics.DECISIONS]
        return [["metric", "value"], *[[k, figures[k]] for k in keys]]
    if name == "languages":
        header = ["lang", "questions", *[f"{d}_rate" for d in metrics.DECISIONS]]
        return [header, *[[lang, *[v[h] for h in header[1:]]] for lang, v in figures["by_language"].items()]]
    if name == "handoffs":
        return [["reason", "handoffs"], *[[r, n] for r, n in figures["handoffs"].items()]]
    if name == "feedback":
        return _records(["entry_id", "helpful", "not_helpful"], figures["feedback_by_entry"])
    if name == "response":
        response = dict(figures["response"])
        sla = response.pop("sla")
        return [["metric", "value"], *[[k, v] for k, v in response.items()], *[[f"sla_{k}", v] for k, v in sla.items()]]
    if name == "incidents":
        header = ["id", "team_id", "label", "status", "detected_at", "size", "answered_at", "minutes_to_answer"]
        return _records(header, figures["incidents"])
    if name == "questions_per_day":
        return _records(["day", "questions"], figures["questions_per_day"])
    if name == "heatmap":
        counts = figures["heatmap"]["counts"]
        return [["weekday", *range(24)], *[[d, *row] for d, row in zip(metrics.WEEKDAYS, counts, strict=True)]]
    if name == "entries_that_hurt":
        return _records(["entry_id", "not_helpful", "handoffs_after"], figures["entries_that_hurt"])
    if name == "gaps":
        rows = [
            [g.id, g.size, " | ".join(g.languages), " | ".join(g.funds), " | ".join(g.samples)] for g in gap_list or []
        ]
        return [["id", "size", "languages", "funds", "samples"], *rows]
    raise KeyError(name)


def _records(header: list[str], records: list[dict[str, Any]]) -> list[list[Any]]:
    return [header, *[[r.get(h) for h in header] for r in records]]


# A text cell starting with one of these is a formula to Excel and LibreOffice (CSV injection): samples and
# incident labels are investors' words, so such a cell is written with a leading apostrophe, as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _as_text(cell: Any) -> Any:
    return "'" + cell if isinstance(cell, str) and cell.startswith(FORMULA_START) else cell


def to_csv(rows: list[list[Any]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([[_as_text(cell) for cell in row] for row in rows])
    return out.getvalue()
