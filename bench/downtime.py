"""A service that was down: does its spike detector raise false incidents when it comes back?

An in-line detector (one process, SQLite, ``make run``) saves its state every 30 s and at shutdown; after a restart
it reads it back. The time it was down nobody watched: questions were not asked of it, not asked at all. Each draw
runs two quiet weeks of :mod:`bench.hidden_weeks`'s topics and traffic (no burst, no decoy), stops the service at a
moment of either week for a number of hours, and counts the incidents opened in the two days after it comes back:

- *as served*: the state file says until when the process watched, and the time after is skipped
  (``DetectorBank.pause``);
- *learned as empty*: the same state without that mark, so the downtime is learned as buckets nobody asked in (what
  the service did before 2026-12-07);
- *never stopped*: the same questions after the restart's moment through a detector that saw everything before it.

Every incident here is false (the weeks are quiet). ``python -m bench.downtime --draws 20 --workers 2`` prints the
totals per downtime and the draws where *as served* differs from *never stopped*.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from functools import partial

from bench.hidden_weeks import MONDAY, each_draw, opened, week_before
from escalation.spikes.pipeline import QuestionPipeline
from escalation.spikes.question import Question
from escalation.spikes.state_file import pipeline_state, restore

# When the service stops, in hours after the first week's Monday 00:00: Tuesday 10:00 (trading), Wednesday 14:00 (an
# hour before the close) and Thursday 11:00, of a detector's first week and of its second.
STOPS = (34.0, 62.0, 83.0, 202.0, 230.0, 251.0)
DOWN_HOURS = (3.0, 22.0, 70.0, 119.0)
AFTER = timedelta(hours=48)  # incidents are counted over the two days after the service is back
FIRST = MONDAY - timedelta(weeks=2)


@dataclass(frozen=True)
class Restart:
    draw: int
    stop: str
    hours: float
    served: int  # incidents in the two days after the restart
    as_empty: int
    never_stopped: int


def two_weeks(draw: int) -> list[Question]:
    return week_before(draw, 1, stream=3) + week_before(draw, 0)


def restarted(state: str, stop: datetime, back: datetime, *, mark: bool) -> QuestionPipeline:
    """The pipeline a service starting at ``back`` restores from the state it saved when it stopped at ``stop``
    (:func:`escalation.spikes.state_file.restore`, as reading its state file does)."""
    data = json.loads(state)
    if mark:
        data["watched_until"] = stop.isoformat()
    return restore(data, None, back)


def restarts(draw: int, stops: tuple[float, ...], hours: tuple[float, ...]) -> list[Restart]:
    questions = two_weeks(draw)
    found: list[datetime] = [detected for _, detected in opened(QuestionPipeline(), questions)]
    rows = []
    for at in stops:
        stop = FIRST + timedelta(hours=at)
        pipeline = QuestionPipeline()
        opened(pipeline, [q for q in questions if q.moment < stop])
        state = pipeline_state(pipeline)
        for down in hours:
            back = stop + timedelta(hours=down)
            later = [q for q in questions if back <= q.moment < back + AFTER]
            served, as_empty = (len(opened(restarted(state, stop, back, mark=mark), later)) for mark in (True, False))
            never = sum(back <= detected < back + AFTER for detected in found)
            rows.append(Restart(draw, stop.strftime("%a %d %H:%M"), down, served, as_empty, never))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.downtime", description=__doc__.splitlines()[0])
    parser.add_argument("--first", type=int, default=0, help="first draw (default 0)")
    parser.add_argument("--draws", type=int, default=20, help="how many draws (default 20)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print every restart as JSON lines too")
    args = parser.parse_args(argv)
    if args.draws < 1 or args.first < 0:
        parser.error("--draws takes a number >= 1 and --first one >= 0")
    draws = range(args.first, args.first + args.draws)
    rows = [
        row for rows in each_draw(partial(restarts, stops=STOPS, hours=DOWN_HOURS), draws, args.workers) for row in rows
    ]
    if args.json:
        for row in rows:
            print(json.dumps(asdict(row)))
    print(f"{args.draws} draws from {args.first}, {len(STOPS)} stops each; incidents after the service came back:")
    summary = {}
    for down in DOWN_HOURS:
        mine = [row for row in rows if row.hours == down]
        totals = {name: sum(getattr(row, name) for row in mine) for name in ("served", "as_empty", "never_stopped")}
        differ = sorted({row.draw for row in mine if row.served != row.never_stopped})
        summary[str(down)] = {**totals, "restarts": len(mine), "served_differs_in_draws": differ}
        print(
            f"  down {down:5.0f} h: as served {totals['served']}, learned as empty {totals['as_empty']}, "
            f"never stopped {totals['never_stopped']} ({len(mine)} restarts; as served differs in draws {differ})"
        )
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
