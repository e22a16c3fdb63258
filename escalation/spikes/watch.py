"""Spike watch in the action path: every question the bot is asked goes through here.

:meth:`SpikeWatch.observe` runs :class:`escalation.spikes.pipeline.QuestionPipeline` on the question
(with the embedding the matcher computed: nothing is embedded twice) and answers at once whether
the question belongs to an open incident. The database work happens off the action's path: a
writer thread logs questions in batches, attaches conversations to incidents, reads back what
staff did (answered, closed) and saves the pipeline's state to a file, so clusters, baselines
and detector state survive a restart. Opening an incident is the exception: it is written before
``observe`` returns, so the web service can show it the moment the bot's reply reaches it.

One process (SQLite, ``make run``, tests) runs its pipeline here, in line. On PostgreSQL each action server only
logs (``detect=False``, holding replies from escalation/spikes/open_view.py) and one elected worker
(escalation/spikes/worker.py) runs this class over the log, filing each question read back (``Asked.logged_id``).
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select, update

from escalation.analytics import rollup
from escalation.spikes import incident_webhook, question_log, surge_end
from escalation.spikes.filed_incident import Filed, incident_row, utc
from escalation.spikes.open_view import OpenIncidents
from escalation.spikes.pipeline import PipelineConfig, QuestionPipeline, Spike
from escalation.spikes.question import Question as PipelineQuestion
from escalation.spikes.state_file import as_json, load_state, state_dict, write_state_file
from escalation.staff.teams import Router
from funddesk.db import Database, Incident, IncidentConversation, IncidentStatus, Question
from funddesk.masking import mask

log = logging.getLogger("escalation.spikes.watch")
FLUSH_EVERY = 0.5  # seconds between writer passes
SAVE_EVERY = 30.0  # seconds between state snapshots
MAX_UNWRITTEN = 100_000  # questions kept in memory while the database is away (a few minutes of a surge)


class IncidentsUnwritten(RuntimeError):
    """The questions are written, but the database still refuses some incidents' rows: each pass tries again."""


@dataclass(frozen=True)
class Asked:
    """One question as the bot saw it."""

    text: str
    lang: str
    embedding: np.ndarray | None
    conversation_id: str | None = None
    fund_code: str | None = None
    entry_id: str | None = None
    score: float | None = None
    decision: str | None = None
    moment: datetime = field(default_factory=lambda: datetime.now(UTC))
    logged_id: int | None = None  # its row when it is in the log already (the elected worker reads it back)


@dataclass(frozen=True)
class Observed:
    cluster_id: str | None
    incident: str | None = None  # the open incident's key
    label: str | None = None  # what the incident is about
    holding: bool = False  # open and unanswered: the bot says the team is preparing an answer
    opened: tuple[str, ...] = ()  # incidents this question opened


class SpikeWatch:
    def __init__(
        self,
        db: Database,
        *,
        router: Router,
        team_of_entry: Callable[[str], str | None],
        state_file: Path,
        timezone: str = "Asia/Shanghai",
        webhook_url: str = "",
        config: PipelineConfig | None = None,
        detect: bool = True,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.db = db
        self.clock = clock  # when a saved state was last watched (tests move it)
        self.detect = detect  # False: only log, and answer from the view (the elected worker detects)
        self.router = router
        self.team_of_entry = team_of_entry
        self.state_file = state_file
        self.zone = ZoneInfo(timezone)
        self.webhook_url = webhook_url
        self.pipeline = load_state(state_file, config, self.local(clock())) if detect else QuestionPipeline(config)
        self._lock = threading.Lock()
        self.view = OpenIncidents(self.pipeline.config.clusters.threshold)
        self._rows: queue.SimpleQueue[tuple[Asked, str | None, str | None]] = queue.SimpleQueue()
        self._unwritten: list[tuple[Asked, str | None, str | None]] = []  # a failed write's, retried
        self._status: dict[str, IncidentStatus] = {}
        self._backfill: set[str] = set()  # incidents opened since the last flush
        self._charted: int | None = None  # the bucket still being counted when the charts were last written
        self._unfiled: dict[str, datetime] = {}  # incidents the database refused at opening, with when they opened
        self._stop = threading.Event()
        self._writer = threading.Thread(target=self._write_loop, name="funddesk-spikes", daemon=True)
        self._saved_at = time.monotonic()

    def start(self) -> None:
        if self.detect:
            self.resume()
        else:
            self.sync_status()
        self._writer.start()

    def resume(self, *, renumber: bool = True) -> None:
        """Before detecting on a restored state: read what staff did, file on the next pass each open incident that
        has no row (the database refused it until the last stop), and with ``renumber`` number new incidents after
        the keys already taken (a state lost, unreadable or older than the database reuses none; the elected
        detector replaying the log from its snapshot must decide the same keys again)."""
        self.sync_status()
        taken = 0
        if renumber:
            with self.db.session() as session:
                taken = question_log.last_incident_number(session)
        with self._lock:
            self.pipeline.next_incident = max(self.pipeline.next_incident, taken + 1)
            for key, spike in self.pipeline.incidents.items():
                if key not in self._status:
                    self._unfiled[key] = utc(spike.detected_at, self.zone)

    def close(self) -> None:
        self._stop.set()
        if self._writer.is_alive():
            self._writer.join(timeout=10)
        try:
            self._flush()
        finally:  # questions the database refuses now are lost; the detector's state is not
            if self.detect:
                self.save()

    def flush(self) -> None:  # what the writer thread does every pass, now
        self._flush()

    def observe(self, asked: Asked) -> Observed:
        if asked.embedding is None:
            return Observed(None)
        # One rule: past this point (pipeline, clusters, incident samples and labels, the questions
        # table, webhooks, log lines) a question never holds a personal number. The actions pass
        # the masked text already; whoever else builds an Asked need not remember to.
        asked = replace(asked, text=mask(asked.text).text)
        if not self.detect:
            self._rows.put((asked, None, None))
            return self._from_view(asked)
        question = PipelineQuestion(
            moment=self.local(asked.moment),
            text=asked.text,
            embedding=np.asarray(asked.embedding, dtype=np.float32),
            lang=asked.lang,
            fund_code=asked.fund_code,
            entry_id=asked.entry_id,
            score=asked.score,
            decision=asked.decision,
            conversation_id=asked.conversation_id,
        )
        with self._lock:
            added = self.pipeline.add(question)
            opened = [self._open(spike, asked.moment) for spike in added.opened]
            spike = added.incident
            if spike is not None and surge_end.surge_over(self.pipeline, spike.id):
                spike = None  # it ended in the quiet this question broke: the writer's next pass closes it
            key = spike.id if spike is not None else None
            status = self._status.get(key) if key else None
        self._rows.put((asked, added.cluster_id, key))
        if spike is None or status is IncidentStatus.CLOSED:
            return Observed(added.cluster_id, opened=tuple(opened))
        return Observed(
            added.cluster_id,
            incident=key,
            label=spike.label,
            holding=status is not IncidentStatus.ANSWERED,
            opened=tuple(opened),
        )

    def _from_view(self, asked: Asked) -> Observed:
        found = (
            self.view.find(asked.embedding, asked.fund_code, asked.entry_id, asked.decision)
            if asked.embedding is not None
            else None
        )
        holding = found is not None and found.status is not IncidentStatus.ANSWERED
        return Observed(None, found.key, found.label, holding) if found is not None else Observed(None)

    def local(self, moment: datetime) -> datetime:
        """The detector's clock is the fund company's: trading hours and weekdays are local."""
        return moment.astimezone(self.zone).replace(tzinfo=None)

    def state(self) -> str:
        """The pipeline's state as JSON (clusters, baselines, detectors, incidents), watched until now: should this
        process stop, nobody watches until another restores it, and that time is skipped, not learned as buckets
        nobody asked in (escalation/spikes/unwatched.py). Only the copy holds the lock: questions go on being
        answered while it is written as JSON, three quarters of the time."""
        with self._lock:
            data = state_dict(self.pipeline, watched_until=self.local(self.clock()))
        return as_json(data)

    def save(self) -> None:
        write_state_file(self.state_file, self.state())

    # -- opening an incident ---------------------------------------------------------------------

    def _open(self, spike: Spike, moment: datetime) -> str:
        """File a new incident before the question that opened it is answered, so the console shows it as the bot
        replies. Should the database refuse (SQLite locked past its busy timeout by another process's long write),
        the question is answered all the same and the writer files the incident on its next pass."""
        try:
            self._file(spike, moment)
        except Exception:
            log.exception("incident %s could not be written yet: the writer retries it", spike.id)
            self._unfiled[spike.id] = moment
        return spike.id

    def _file_unfiled(self) -> list[str]:
        """Try again to file the incidents the database refused; those it still refuses."""
        with self._lock:
            for key, moment in list(self._unfiled.items()):
                try:
                    self._file(self.pipeline.incidents[key], moment)
                except Exception:
                    continue  # logged when first refused; the pass says so again
                del self._unfiled[key]
            return sorted(self._unfiled)

    def _file(self, spike: Spike, moment: datetime) -> None:
        team = self._team(spike)
        row = incident_row(spike, self.pipeline.chart(spike.id), team, moment, self.zone)
        with self.db.session(write=True) as session:
            won = question_log.insert_incident_if_absent(session, row)
        self._status[spike.id] = IncidentStatus.OPEN
        self._backfill.add(spike.id)
        if not won:  # another action server saw the same spike first: it sent the webhook
            log.info("incident %s was already open (another action server opened it)", spike.id)
            return
        log.warning("incident %s opened for team %s: %r (%d questions)", spike.id, team, spike.label, spike.count)
        if self.webhook_url:
            threading.Thread(target=self._notify, args=(spike, team), daemon=True).start()

    def _team(self, spike: Spike) -> str:
        for entry_id, _ in self.pipeline.team_votes(spike.id).most_common():
            team = self.team_of_entry(entry_id)
            if team:
                return self.router.route(entry_team=team, fund_code=spike.fund_code)
        return self.router.route(entry_team=None, fund_code=spike.fund_code)

    def _team_of_question(self, asked: Asked) -> str:
        """The queue the question routes to, as a hand-off of it would: its entry's team, else its fund's."""
        entry_team = self.team_of_entry(asked.entry_id) if asked.entry_id else None
        return self.router.route(entry_team=entry_team, fund_code=asked.fund_code)

    def _notify(self, spike: Spike, team: str) -> None:  # on a thread of its own: a slow receiver holds nobody
        incident_webhook.send(self.webhook_url, spike, team, self.zone)

    # -- the writer thread -------------------------------------------------------------------------

    def _write_loop(self) -> None:
        while not self._stop.wait(FLUSH_EVERY):
            try:
                try:
                    self._flush()
                except IncidentsUnwritten as refused:  # the rest of the pass must still run: staff's changes, saves
                    log.error("spike watch: %s", refused)
                if not self.detect:
                    with self.db.session() as session:
                        self.view.refresh(session)
                    continue
                self.sync_status()
                if time.monotonic() - self._saved_at > SAVE_EVERY:
                    self.save()
                    self._saved_at = time.monotonic()
            except Exception:  # the log must not take the bot down; the next pass retries
                log.exception("spike watch: writing failed")

    def _flush(self) -> None:
        # Incidents first, so the questions below are filed under them; the questions are written even where an
        # incident's row is still refused (a row the database never takes must not stop the question log).
        unfiled = self._file_unfiled() if self._unfiled else []
        self._write_questions()
        if unfiled:
            raise IncidentsUnwritten(f"incidents {unfiled} are not written yet: the next pass retries")

    def _write_questions(self) -> None:
        batch, self._unwritten = self._unwritten, []
        while not self._rows.empty():
            batch.append(self._rows.get_nowait())
        with self._lock:
            backfill, self._backfill = self._backfill, set()
        if not batch and not backfill:
            return
        try:
            self._write(batch, backfill)
        except Exception:  # nothing was written: keep it all for the next pass (a database restart)
            if len(batch) > MAX_UNWRITTEN:
                log.error("spike watch: dropping the %d oldest unwritten questions", len(batch) - MAX_UNWRITTEN)
            self._unwritten = batch[-MAX_UNWRITTEN:]
            with self._lock:
                self._backfill |= backfill
            raise

    def _write(self, batch: list[tuple[Asked, str | None, str | None]], backfill: set[str]) -> None:
        # What the pipeline knows is read before the write, never during it: a question that opens an incident holds
        # the pipeline and then writes, so a write that waited for the pipeline would wait for itself (on SQLite the
        # writers of a process take turns on one lock, and every other process would find the database locked).
        keys = {key for _, _, key in batch if key} | backfill
        with self._lock:
            if self.pipeline.bank.bucket != self._charted:  # a bucket closed: every open incident's chart moves on
                self._charted, keys = self.pipeline.bank.bucket, keys | set(self.pipeline.incidents)
            spikes = {
                key: Filed.of(spike, self.pipeline.chart(key), self.zone)
                for key in keys
                if (spike := self.pipeline.incidents.get(key))
            }
        with self.db.session(write=True) as session:
            ids = question_log.incident_ids(session, keys)
            logged = [
                _question_row(asked, cluster_id, ids.get(key or ""), self._team_of_question(asked))
                for asked, cluster_id, key in batch
                if asked.logged_id is None
            ]
            session.add_all(logged)
            rollup.add(session, logged)  # the dashboard's hourly counts, in the same transaction
            filed = [(a.logged_id, cluster, ids.get(k or "")) for a, cluster, k in batch if a.logged_id is not None]
            if filed:  # read back from the log: file each under its cluster and incident (one executemany)
                session.execute(update(Question), [{"id": i, "cluster_id": c, "incident_id": n} for i, c, n in filed])
            for asked, _, key in batch:
                if key in ids and asked.conversation_id:
                    link = IncidentConversation(
                        incident_id=ids[key], conversation_id=asked.conversation_id, asked_at=asked.moment
                    )
                    session.merge(link)
            session.flush()
            for key in backfill & ids.keys() & spikes.keys():
                if spikes[key].clusters:
                    question_log.file_earlier(session, ids[key], spikes[key])
            question_log.update_filed(session, {ids[key]: spikes[key] for key in ids.keys() & spikes.keys()})

    def sync_status(self) -> None:
        """What staff did in the console and what the surge did: answered incidents stop the holding reply; closed
        ones end, also those closed while this process was down; those whose surge is over end too, answered or not,
        and their rows say when (surge_end.py). An open incident without a row yet stays open."""
        with self._lock:
            mine = list(self.pipeline.incidents)
        if not mine:
            return
        with self.db.session() as session:  # only the detector's own: every answered incident ever is no concern
            rows = session.execute(select(Incident.key, Incident.status).where(Incident.key.in_(mine)))
            known = {key: status for key, status in rows}
        with self._lock:
            closed, over = surge_end.done_with(self.pipeline, known)
            now = self.pipeline.bank.start_of(self.pipeline.bank.bucket or 0)  # the detector's clock: local time
        ended = now.replace(tzinfo=self.zone).astimezone(UTC)
        if over:  # recorded first: should the write fail, the next pass decides again
            with self.db.session(write=True) as session:
                told = question_log.mark_surge_ended(session, over, ended)
            send = partial(incident_webhook.send_surge_ended, self.webhook_url)
            for surge in told if self.webhook_url else []:  # on threads of their own, as at opening
                threading.Thread(target=send, args=(surge, ended), daemon=True).start()
        with self._lock:
            for key in closed + over:
                self.pipeline.close(key)
            self._status.update(known)


def pipeline_config(warmup_minutes: float) -> PipelineConfig:
    """The service's pipeline: the defaults, with the configured learning period."""
    base = PipelineConfig()
    buckets = math.ceil(warmup_minutes * 60 / base.bank.detector.bucket_seconds)
    return replace(base, bank=replace(base.bank, warmup_buckets=max(0, buckets)))


def _question_row(asked: Asked, cluster_id: str | None, incident_id: int | None, team_id: str | None) -> Question:
    vector = None if asked.embedding is None else np.asarray(asked.embedding, dtype=np.float32).tobytes()
    return Question(
        conversation_id=asked.conversation_id,
        asked_at=asked.moment,
        text=asked.text[:2000],
        lang=asked.lang,
        fund_code=asked.fund_code,
        embedding=vector,
        entry_id=asked.entry_id,
        score=asked.score,
        decision=asked.decision,
        cluster_id=cluster_id,
        incident_id=incident_id,
        team_id=team_id,
    )
