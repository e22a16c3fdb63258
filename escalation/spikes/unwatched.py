"""Time nobody watched: the detector skips it instead of learning it as buckets nobody asked in.

Two cases. A warm start's history (an exported chat log) ends days or weeks before the service goes live; and an
in-line detector's process is down, so nobody could ask it anything. Learned as empty, days of such buckets would
teach every series a level near zero and, against its weekly profile, a wide noise: the first morning back would
be all alarms. Buckets count from 1970 (:func:`escalation.spikes.series.bucket_of`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from escalation.spikes.series import bucket_of


@dataclass(frozen=True)
class Unwatched:
    """Unwatched after bucket ``watched_through`` (None: after the last question's) until bucket ``back_from`` (None:
    until the next question's)."""

    watched_through: int | None = None
    back_from: int | None = None

    @classmethod
    def between(cls, watched_until: datetime | None, back_at: datetime | None, bucket_seconds: int) -> Unwatched:
        def bucket(moment: datetime | None) -> int | None:
            return None if moment is None else bucket_of(moment, bucket_seconds)

        return cls(bucket(watched_until), bucket(back_at))

    def span(self, bucket: int, asked: bool, target: int) -> tuple[int, int]:
        """The first unwatched bucket and the first watched again, for a question in bucket ``target`` when the
        bank's open bucket is ``bucket`` (``asked``: it has questions). Never before the open bucket ends when it has
        questions (they were watched), never after ``target`` (the question is being watched)."""
        watched = bucket + 1 if asked else bucket
        if self.watched_through is not None:
            watched = max(watched, self.watched_through + 1)
        back = target if self.back_from is None else min(target, max(watched, self.back_from))
        return watched, back

    def then(self, later: Unwatched) -> Unwatched:
        """This pause (still set: nobody asked since) followed by ``later``, which starts no later than this one
        ends: it stays, and learns when watching began if it did not know (a warm start's pause, restored by a process
        that watches from its start). A pause whose end is known is closed by :meth:`DetectorBank.pause` first."""
        return self if self.back_from is not None else replace(self, back_from=later.back_from)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Unwatched:
        return cls(data.get("watched_through"), data.get("back_from"))
