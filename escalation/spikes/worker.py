"""One spike detector for the whole deployment: the elected action server runs it over the shared question log.

Every action server logs its questions (with their embeddings) and nothing else. Each also runs this worker in a
background thread; the one that holds the election (escalation/spikes/election.py) reads the log in
``(asked_at, id)`` order up to a watermark a few seconds old and feeds every question, in event time, to a
:class:`escalation.spikes.watch.SpikeWatch` that files it under its cluster and opens incidents. Detection is
causal and deterministic, so the same log gives the same decisions, down to the incident keys, whoever reads it.

A snapshot of the detector's state, with the position it was taken at, is saved in the database at takeover,
after every pass that opened an incident, and every half minute. The next leader restores it and reads on from
there: what the previous leader did after its last snapshot is decided again, identically. Opening an incident is
an insert-if-absent on the unique ``incidents.key``, so a decision taken twice (a replay, or two leaders for a
moment) is one row, and only the insert that won sends the webhook.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np

from escalation.spikes import question_log
from escalation.spikes.election import Leadership
from escalation.spikes.question_log import Position, aware
from escalation.spikes.state_file import restore
from escalation.spikes.watch import Asked, IncidentsUnwritten, SpikeWatch
from funddesk.db import Database, Question

log = logging.getLogger("escalation.spikes.worker")
SETTLE_SECONDS = 5.0  # how old a question must be to be read: every replica's write of it has committed by then
PASS_EVERY = 0.5  # seconds between passes while leading
ELECT_EVERY = 2.0  # seconds between tries to take the lead while another server has it
SNAPSHOT_EVERY = 30.0
BATCH = 2000  # questions per read
DETECTOR_NAME = "spikes"  # its election and its snapshot


class DetectorWorker:
    def __init__(
        self,
        db: Database,
        make_watch: Callable[[], SpikeWatch],
        *,
        name: str = DETECTOR_NAME,
        settle_seconds: float = SETTLE_SECONDS,
        snapshot_every: float = SNAPSHOT_EVERY,
        on_opened: Callable[[int], None] | None = None,
    ) -> None:
        self.db = db
        self.make_watch = make_watch  # a detecting watch (its state file only seeds a log never snapshotted)
        self.name = name
        self.settle = timedelta(seconds=settle_seconds)
        self.snapshot_every = snapshot_every
        self.on_opened = on_opened  # told how many incidents a pass opened (the server's metrics)
        self.leadership = Leadership(db.engine, name)
        self.watch: SpikeWatch | None = None  # set while leading
        self.position: Position = question_log.START
        self._saved_at = 0.0
        self._read_id = 0  # the highest question id read
        self._checked_id = 0  # questions up to this id were checked for writes that came too late to be read
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="funddesk-spike-detector", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        """Stop; a leader snapshots what it read and steps down, so another server takes over at once."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        if self.watch is not None and self.leadership.leading:
            self.save()
        self.watch = None
        self.leadership.release()

    def step(self, now: datetime | None = None) -> int:
        """One pass: hold the lead or try for it; if leading, read and detect what is new. Questions read."""
        if not self.leadership.hold():
            self.watch = None  # another server leads: this state will be stale if the lead comes back
            return 0
        if self.watch is None:
            self.watch = self._take_over()
        watch = self.watch
        watermark = (now or datetime.now(UTC)) - self.settle
        with self.db.session() as session:
            rows = [(row.id, _asked(row)) for row in question_log.read_after(session, self.position, watermark, BATCH)]
        opened = 0
        for row_id, asked in rows:
            if asked.embedding is not None:
                opened += len(watch.observe(asked).opened)
            self.position = (asked.moment, row_id)
            self._read_id = max(self._read_id, row_id)
        try:
            watch.flush()
        except IncidentsUnwritten as refused:  # stepping down would only read it all again and be refused again
            log.error("spike detector: %s", refused)
        watch.sync_status()
        if opened and self.on_opened is not None:
            self.on_opened(opened)
        if opened or time.monotonic() - self._saved_at > self.snapshot_every:
            self.save()
        return len(rows)

    def save(self) -> None:
        """Snapshot the detector with the position it has read up to (its state is exactly that prefix's)."""
        if self.watch is None:
            return
        state = self.watch.state()
        with self.db.session(write=True) as session:
            question_log.save_snapshot(session, self.name, self.position, state)
            missed, last = question_log.logged_late(session, self._checked_id, self.position[0])
        if missed:
            log.warning("spike detector: %d questions were logged after it had read past them (unclustered)", missed)
        self._checked_id = max(last, self._read_id)
        self._saved_at = time.monotonic()

    def _take_over(self) -> SpikeWatch:
        watch = self.make_watch()
        with self.db.session() as session:
            snapshot = question_log.load_snapshot(session, self.name)
            if snapshot is not None:
                # Skipped: from the last leader's last snapshot until now, when no server was up to lead (any
                # server that runs takes the lead within seconds), so none logged a question.
                watch.pipeline = restore(snapshot.state, watch.pipeline.config, watch.local(watch.clock()))
                self.position = snapshot.position
            else:  # the first leader: go on from what an in-line detector filed (resume numbers after its incidents)
                self.position = question_log.filed_up_to(session)
        self._checked_id = self._read_id = self.position[1]
        log.info("spike detector: reading the question log from %s (question %d)", *self.position)
        watch.resume(renumber=snapshot is None)  # and files what the snapshot holds that the database refused
        self.watch = watch
        if snapshot is None:
            self.save()
        return watch

    def _run(self) -> None:
        while not self._stop.is_set():
            read = 0
            try:
                read = self.step()
            except Exception:  # the database is away, or a bug: give up the lead cleanly and try again
                log.exception("spike detector: a pass failed; stepping down")
                self.watch = None
                self.leadership.release()
            wait = 0.0 if read == BATCH else PASS_EVERY if self.leadership.leading else ELECT_EVERY
            self._stop.wait(wait)


def _asked(row: Question) -> Asked:
    embedding = np.frombuffer(row.embedding, dtype=np.float32) if row.embedding else None
    return Asked(
        row.text,
        row.lang,
        embedding,
        conversation_id=row.conversation_id,
        fund_code=row.fund_code,
        entry_id=row.entry_id,
        score=row.score,
        decision=row.decision,
        moment=aware(row.asked_at),
        logged_id=row.id,
    )
