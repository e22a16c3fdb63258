"""Why an incident opened: the test that fired, in numbers a fund team can check (stored as JSON)."""

from __future__ import annotations

from dataclasses import dataclass, field

from escalation.spikes.bank import SpikeAlarm
from escalation.spikes.tails import surprise


@dataclass(frozen=True)
class Evidence:
    """Why an incident opened: the test that fired, in numbers a fund team can check."""

    trigger: str  # "topic" (a cluster's series), "fund" (all questions naming one fund) or "entry" (one FAQ entry's)
    resolution_minutes: int  # the window judged: 5 minutes for a sharp burst, longer for a gradual rise
    observed: float  # questions in that window
    expected: float  # what the baseline expected in that window
    p_value: float  # chance of at least ``observed`` if nothing had happened
    significance: float  # -log10(p_value)
    funds: dict[str, int] = field(default_factory=dict)  # fund code -> questions of the burst naming it
    entry: str | None = None  # the FAQ entry whose series fired ("entry" trigger)
    # The FAQ entry more than half of the questions that made it were matched to (escalation/spikes/surge.py): later
    # questions of another entry do not join it, and those of this one join it whatever their cluster.
    asks: str | None = None
    # The share test the alarm passed: ``observed`` of ``share_total`` questions in the same minutes, against the
    # series' expected share of all questions. None where no share test was made (and in evidence stored before).
    share_total: float | None = None
    share_expected: float | None = None
    share_p_value: float | None = None
    # The other series' questions in those minutes against their expectation: the share test vetoes only where they
    # rose too, or could not have shown a rise (where they did not rise and could have, no market-wide rise can explain
    # the alarm away, and the count alone decided).
    share_others: float | None = None
    share_others_expected: float | None = None
    # Chance of so few other questions had all traffic risen as the series did: whether they could have shown a rise.
    share_others_p_value: float | None = None

    @classmethod
    def of(
        cls,
        alarm: SpikeAlarm,
        trigger: str,
        funds: dict[str, int],
        bucket_seconds: int,
        entry: str | None = None,
        *,
        asks: str | None = None,
    ) -> Evidence:
        share = alarm.share
        return cls(
            trigger=trigger,
            resolution_minutes=alarm.window * bucket_seconds // 60,
            observed=round(alarm.window_count, 1),
            expected=round(alarm.window_expected, 3),
            p_value=float(f"{alarm.p_value:.3g}"),
            significance=round(surprise(alarm.p_value), 1),
            funds=funds,
            entry=entry,
            asks=asks,
            share_total=round(share.total, 1) if share else None,
            share_expected=round(share.expected_share, 4) if share else None,
            share_p_value=float(f"{share.p_value:.3g}") if share else None,
            share_others=round(share.others, 1) if share else None,
            share_others_expected=round(share.others_expected, 1) if share else None,
            share_others_p_value=float(f"{share.others_p_value:.3g}") if share else None,
        )
