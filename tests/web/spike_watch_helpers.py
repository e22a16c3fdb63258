"""A spike watch on a real SQLite database, and the traffic its tests feed it: six topics a few degrees apart, fund
900001 owned by team "ir", questions matched to the FAQ entry "nav" routed to it too."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from escalation.spikes.watch import Asked, Observed, SpikeWatch, pipeline_config
from escalation.staff import accounts
from escalation.staff.teams import Router, TeamConfig
from funddesk.db import Database, make_engine, migrate

ROUTER = Router(frozenset({"desk", "ir"}), {"900001": "ir"}, "desk")
T0 = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)  # a Monday, 09:30 in Shanghai


def topic_vectors(seed: int = 0) -> Callable[[int], np.ndarray]:
    """A question of topic 0-5 as a unit vector near that topic's, drawn from a generator seeded with ``seed``: a
    stream built from a fresh one is the same on every run, whatever other tests drew."""
    rng = np.random.default_rng(seed)
    topics = rng.normal(size=(6, 32)).astype(np.float32)

    def vector(topic: int) -> np.ndarray:
        noisy = topics[topic] + rng.normal(scale=0.05, size=32).astype(np.float32)
        unit: np.ndarray = noisy / np.linalg.norm(noisy)  # numpy's stubs give this arithmetic Any
        return unit

    return vector


vector = topic_vectors()  # shared by the tests that only need questions near their topic


def spike_database(tmp_path: Path, name: str = "spikes.sqlite3") -> Database:
    """A SQLite database ``name`` in ``tmp_path``, migrated, with the teams "desk" and "ir"."""
    database = Database(make_engine(f"sqlite:///{tmp_path / name}"))
    migrate.upgrade(database.engine)
    with database.session(write=True) as session:
        accounts.sync_teams(session, [TeamConfig("desk", "Desk"), TeamConfig("ir", "IR")])
    return database


def watch(db: Database, tmp_path: Path, *, detect: bool = True) -> SpikeWatch:
    return SpikeWatch(
        db,
        router=ROUTER,
        team_of_entry=lambda entry_id: "ir" if entry_id == "nav" else None,
        state_file=tmp_path / "spikes.json",
        config=pipeline_config(0),
        detect=detect,
    )


def quiet_traffic(spikes: SpikeWatch, start: datetime, hours: int) -> datetime:
    moment = start
    for _ in range(hours * 12):  # a question of each usual topic every 5 minutes
        for topic in range(1, 6):
            spikes.observe(Asked(f"usual question {topic}", "en", vector(topic), moment=moment))
        moment += timedelta(minutes=5)
    return moment


def burst_about_900001(
    spikes: SpikeWatch, moment: datetime, prefix: str = "c", *, until_opened: bool = False
) -> list[Observed]:
    """40 investors in 10 minutes, one every 15 seconds, ask why fund 900001 dropped: one incident opens
    (``until_opened``: the burst ends with the question that opens it)."""
    seen: list[Observed] = []
    for i in range(40):
        at = moment + timedelta(seconds=15 * i)
        seen.append(
            spikes.observe(Asked("why did 900001 drop?", "en", vector(0), f"{prefix}{i}", "900001", "nav", moment=at))
        )
        if until_opened and seen[-1].opened:
            break
    return seen
