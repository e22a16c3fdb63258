"""The date range a dashboard asks about: whole local days in the service's time zone, ``to`` inclusive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_DAYS = 30
MAX_DAYS = 366


class BadPeriod(ValueError):
    """A range that cannot be read or is backwards; the message says which."""


@dataclass(frozen=True)
class Period:
    first_day: date
    last_day: date  # inclusive
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        """The first moment of ``first_day`` in the zone, in UTC."""
        return datetime.combine(self.first_day, time(), self.zone).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The first moment after ``last_day`` (exclusive), in UTC."""
        return datetime.combine(self.last_day + timedelta(days=1), time(), self.zone).astimezone(UTC)

    @property
    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=n) for n in range((self.last_day - self.first_day).days + 1)]

    def as_json(self) -> dict[str, str]:
        return {"from": self.first_day.isoformat(), "to": self.last_day.isoformat(), "timezone": self.zone.key}


def parse_period(first: str | None, last: str | None, timezone: str, now: datetime) -> Period:
    """``from``/``to`` as YYYY-MM-DD; either missing: the last ``DEFAULT_DAYS`` days up to today."""
    zone = ZoneInfo(timezone)
    last_day = _day(last, "to") if last else now.astimezone(zone).date()
    first_day = _day(first, "from") if first else last_day - timedelta(days=DEFAULT_DAYS - 1)
    if first_day > last_day:
        raise BadPeriod("`from` is after `to`.")
    if (last_day - first_day).days >= MAX_DAYS:
        raise BadPeriod(f"A range is at most {MAX_DAYS} days.")
    return Period(first_day, last_day, zone)


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadPeriod(f"`{name}` must be a date as YYYY-MM-DD, not {text!r}.") from None
