"""Business hours: ``always``, or day ranges with opening times, e.g. ``mon-fri 09:00-17:30; sat 09:00-12:00``.

Parsed once from the setting (a bad value is an error at start-up, naming the part it could not
read); ``is_open`` and ``next_opening`` answer for any moment, in the configured time zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PART = re.compile(
    r"^(?P<days>[a-z]{3}(?:-[a-z]{3})?(?:,[a-z]{3}(?:-[a-z]{3})?)*)\s+"
    r"(?P<open>\d{1,2}:\d{2})-(?P<close>\d{1,2}:\d{2})$"
)


class BadHours(ValueError):
    pass


@dataclass(frozen=True)
class Window:
    weekday: int  # Monday is 0
    opens: time
    closes: time  # 24:00 is written as time.max


@dataclass(frozen=True)
class BusinessHours:
    windows: tuple[Window, ...]  # empty: always open
    zone: ZoneInfo

    @classmethod
    def parse(cls, spec: str, timezone: str = "UTC") -> BusinessHours:
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise BadHours(f"unknown time zone {timezone!r}") from exc
        spec = spec.strip().lower()
        if spec in ("", "always", "24/7"):
            return cls((), zone)
        windows: list[Window] = []
        for part in filter(None, (p.strip() for p in spec.split(";"))):
            match = _PART.match(part)
            if match is None:
                raise BadHours(f"cannot read {part!r}: write e.g. 'mon-fri 09:00-17:30'")
            opens, closes = _clock(match["open"], part), _clock(match["close"], part)
            if closes <= opens:
                raise BadHours(f"{part!r}: closing time must be after opening time")
            windows.extend(Window(day, opens, closes) for day in _days(match["days"], part))
        return cls(tuple(windows), zone)

    @property
    def always(self) -> bool:
        return not self.windows

    def is_open(self, moment: datetime) -> bool:
        if self.always:
            return True
        local = moment.astimezone(self.zone)
        now = local.time()
        return any(w.weekday == local.weekday() and w.opens <= now < w.closes for w in self.windows)

    def next_opening(self, moment: datetime) -> datetime | None:
        """When staff are next there (``moment`` itself if open now); None if never."""
        if self.is_open(moment):
            return moment
        local = moment.astimezone(self.zone)
        for ahead in range(8):
            day = (local + timedelta(days=ahead)).date()
            starts = sorted(
                datetime.combine(day, w.opens, self.zone) for w in self.windows if w.weekday == day.weekday()
            )
            for start in starts:
                if start > local:
                    return start
        return None


def _clock(text: str, part: str) -> time:
    hours, minutes = (int(x) for x in text.split(":"))
    if (hours, minutes) == (24, 0):
        return time.max
    if hours > 23 or minutes > 59:
        raise BadHours(f"{part!r}: {text} is not a time of day")
    return time(hours, minutes)


def _days(spec: str, part: str) -> list[int]:
    days: list[int] = []
    for piece in spec.split(","):
        first, _, last = piece.partition("-")
        for name in (first, last or first):
            if name not in DAYS:
                raise BadHours(f"{part!r}: {name!r} is not a day (use {', '.join(DAYS)})")
        start, end = DAYS.index(first), DAYS.index(last or first)
        days.extend(range(start, end + 1) if start <= end else [*range(start, 7), *range(0, end + 1)])
    return days
