"""The live knowledge base: the index the bot asks, rebuilt and swapped when FAQ files change.

It serves the fund teams' folder and the answers published from the running service (see
:mod:`knowledge_base.faq_files`): both are watched, and both follow the rules below.

Errors never take serving down. An error in one entry costs that entry only: the rest of its
file serves, and the entry's last good version stays live if it had one. An error that breaks
the whole file (see :mod:`knowledge_base.parser`) keeps the file's last good version, whole.
Both hold across a restart, from the persisted index; every problem is kept on
:attr:`KnowledgeBase.problems`.

After every change the knowledge base calibrates itself (:mod:`knowledge_base.calibration`): in
the background while the previous calibration serves, except on the very first build, which
nothing serves yet. A policy file or an operator's lexical weight overrides what it finds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from funddesk.settings import Settings
from knowledge_base.cache import EmbeddingCache
from knowledge_base.calibration import (
    CALIBRATION_FILE,
    Calibration,
    fingerprint,
    load_calibration,
    prior,
    save_calibration,
    self_calibrate,
)
from knowledge_base.embedder import Embedder, LockedEmbedder, configured_embedder, languages_of
from knowledge_base.entries import LANGS, Entry, ParsedFile, Problem
from knowledge_base.faq_files import FaqFiles, Signature, problems_of
from knowledge_base.followups import Answered, in_context, something_new
from knowledge_base.funds import read_funds
from knowledge_base.health import Health, failed, health
from knowledge_base.index import FaqIndex, Scope, Weights
from knowledge_base.lexical import Tokenizer
from knowledge_base.normalize import Normalizer, Synonyms
from knowledge_base.policy import Candidate, Decision, Thresholds, decide, own_policy
from knowledge_base.published import published_dir
from knowledge_base.question import FollowUp, QuestionReader, Reading
from knowledge_base.reloads import ReloadOutcome, ReloadReport
from knowledge_base.synonyms_file import SynonymsFile

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Match:
    decision: Decision
    fund: str | None
    lang: str
    embedding: np.ndarray
    elapsed_ms: float
    ranked: tuple[Candidate, ...] = ()  # the best entries the decision was made from
    question: str = ""  # what was matched: the message without personal data, funds or greetings
    loggable: str = ""  # the message with personal numbers masked: the only form to store or log
    follows: FollowUp | None = None  # read as a follow-up of the entry answered before it


class KnowledgeBase:
    def __init__(
        self,
        root: Path,
        embedder: Embedder,
        *,
        index_dir: Path | None = None,
        cache: EmbeddingCache | None = None,
        thresholds: Thresholds | None = None,
        weights: Weights | None = None,
        reload_interval: float = 0.5,
        synonyms: Synonyms | None = None,
        synonyms_file: Path | None = None,
        fund_names: dict[str, tuple[str, ...]] | None = None,
        calibrate: bool = True,
        published: Path | None = None,
    ) -> None:
        self.root = root
        self.files = FaqFiles(root, published)  # ``published``: answers published from the running service
        self.embedder = embedder
        # Overrides (a policy file, eval --calibration, an operator's weight) beat self-calibration.
        self._thresholds_override = thresholds
        self._weights_override = weights
        languages = languages_of(embedder)
        self.calibration = Calibration(
            Weights({lang: prior(lang, languages) for lang in LANGS}), Thresholds(), "defaults"
        )
        self._calibrate = calibrate
        self._calibrated_key: str | None = None  # the index the calibration was made for
        self.synonyms = SynonymsFile(synonyms_file, synonyms)  # the file, when given, is read now and followed
        self.tokenizer = Tokenizer(Normalizer(self.synonyms.good))  # for the next build; a question uses its index's
        self.reader = QuestionReader(fund_names)
        self._index_dir = index_dir
        self._cache = cache
        self._owns_cache = False  # a cache passed in is the caller's to close
        self._interval = reload_interval
        self._encode_lock = threading.Lock()  # HF tokenizers are not safe across threads
        self._reload_lock = threading.Lock()
        self._problems: tuple[Problem, ...] = ()
        self.health: Health | None = None  # what serves and what each problem costs, as of the last reload
        self._index = FaqIndex(
            [], np.zeros((0, embedder.dim), np.float32), embedder.name, tokenizer=self.tokenizer, reader=self.reader
        )
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self._refitter: threading.Thread | None = None
        self._refit_wanted = threading.Event()
        self._signature: Signature = ()
        self._built = False
        self.last_reload: ReloadReport | None = None
        self._reload_listeners: list[Callable[[ReloadOutcome], None]] = []

    @classmethod
    def open(
        cls,
        settings: Settings,
        embedder: Embedder | None = None,
        *,
        watch: bool = True,
        persist: bool = True,
        progress: bool = False,
        published: bool = True,
    ) -> KnowledgeBase:
        """Load (or build) the index for ``settings.kb_dir`` and, with ``watch``, follow its edits.

        ``persist=False`` (eval on a throwaway folder) keeps the index in memory only;
        ``published=False`` leaves out the answers published from the running service.
        """
        policy = settings.policy_file or own_policy(settings.kb_dir)
        thresholds = Thresholds.load(policy) if policy is not None and policy.is_file() else None
        if policy is not None and thresholds is None:
            log.warning("policy file %s not found: the knowledge base calibrates itself", policy)
        weight = settings.lexical_weight
        kb = cls(
            settings.kb_dir,
            embedder or configured_embedder(settings),
            index_dir=settings.index_dir if persist else None,
            cache=EmbeddingCache(settings.embedding_cache),
            thresholds=thresholds,
            weights=Weights.fixed(weight) if weight is not None else None,
            reload_interval=settings.reload_interval,
            synonyms_file=settings.synonyms_file,
            fund_names={f.code: f.names for f in read_funds(settings.funds_file)},
            published=published_dir(settings) if published else None,
        )
        kb._owns_cache = True
        kb.start(watch=watch, progress=progress)
        return kb

    # -- serving -------------------------------------------------------------------------------

    @property
    def index(self) -> FaqIndex:
        return self._index

    @property
    def thresholds(self) -> Thresholds:
        return self._thresholds_override or self.calibration.thresholds

    @thresholds.setter
    def thresholds(self, value: Thresholds) -> None:
        self._thresholds_override = value

    @property
    def weights(self) -> Weights:
        return self._weights_override or self.calibration.weights

    @property
    def calibration_source(self) -> str:
        return "policy file" if self._thresholds_override else self.calibration.source

    @property
    def problems(self) -> tuple[Problem, ...]:
        return self._problems

    def entry(self, entry_id: str) -> Entry | None:
        return self._index.entry(entry_id)

    def embed(self, text: str) -> np.ndarray:
        vector: np.ndarray = self.embed_many([text])[0]
        return vector

    def embed_many(self, texts: list[str]) -> np.ndarray:
        """Questions embedded in one call (several questions cost far less together than one by one)."""
        with self._encode_lock:
            vectors = self.embedder.encode(texts)
        return np.asarray(vectors, dtype=np.float32)

    def read(self, text: str, fund: str | None = None, after: Answered | None = None) -> tuple[Reading, Scope]:
        """What a message asks, and who may answer it (a fund it names beats the conversation's); read in
        the context of ``after``, the answer before it, if it follows that up (:mod:`.followups`)."""
        reading = self.reader.read(text)
        reading = replace(reading, text=self._index.lexical.respell(reading.text))  # typos, for both channels
        reading = in_context(reading, fund, self._index, after, self._index.tokenizer.words)
        return reading, Scope(reading.lang, reading.fund or fund)

    def rank(self, text: str, *, fund: str | None = None, limit: int = 5) -> tuple[np.ndarray, list[Candidate]]:
        """The best entries for a message, and the embedding of the question read from it."""
        reading, scope = self.read(text, fund)
        vector = self.embed(reading.text)
        return vector, self._rank(reading, scope, vector, self._index, limit)

    def _rank(self, reading: Reading, scope: Scope, vector: np.ndarray, index: FaqIndex, limit: int) -> list[Candidate]:
        weight, tie = self.weights.for_lang(scope.lang), self.thresholds.for_lang(scope.lang).margin
        scores = something_new(index, index.fused(vector, reading.text, weight, scope), reading.follows, weight, scope)
        return index.order(scores, scope, tie=tie, limit=limit)

    def ask(self, text: str, *, fund: str | None = None, limit: int = 5, after: Answered | None = None) -> Match:
        """Answer, clarify or fall back for one investor message (``after``: see :meth:`read`)."""
        started = time.perf_counter()
        reading, scope = self.read(text, fund, after)
        return self.answer(reading, scope, self.embed(reading.text), limit=limit, since=started)

    def answer(self, reading: Reading, scope: Scope, vector: np.ndarray, *, limit: int = 5, since: float = 0) -> Match:
        """:meth:`ask` for a message already :meth:`read` and its question embedded (:mod:`knowledge_base.batching`
        embeds the questions that arrive together in one call). ``since``: when timing began, if before now."""
        started = since or time.perf_counter()
        index = self._index  # one snapshot per question: a swap mid-question changes nothing
        ranked = self._rank(reading, scope, vector, index, limit)
        decision = decide(ranked, self.thresholds, fund=scope.fund, lang=scope.lang)
        elapsed = (time.perf_counter() - started) * 1000
        fields = (tuple(ranked), reading.text, reading.loggable, reading.follows)
        return Match(decision, scope.fund, scope.lang, vector, elapsed, *fields)

    # -- loading and hot reload ----------------------------------------------------------------

    def start(self, *, watch: bool = True, progress: bool = False) -> None:
        self._restore()
        self.last_reload = self.reload(progress=progress)
        if self._calibrate and not self._calibrated_for(self._index):
            self.recalibrate()  # nothing serves yet: calibrate before the first question
        self.embed("warm-up")  # the first investor should not pay for lazy model initialisation
        if watch:
            self._watcher = threading.Thread(target=self._watch, name="kb-reload", daemon=True)
            self._refitter = threading.Thread(target=self._refit_loop, name="kb-head", daemon=True)
            self._watcher.start()
            self._refitter.start()

    def close(self) -> None:
        self._stop.set()
        for thread in (self._watcher, self._refitter):
            if thread:
                thread.join(timeout=30)
        if self._cache and self._owns_cache:
            self._cache.close()

    def _restore(self) -> None:
        """Start from the persisted index: fast, and it remembers what each file served (last good versions)."""
        if not self._index_dir:
            return
        saved = FaqIndex.load(self._index_dir, self.embedder.name, self.tokenizer, self.reader)
        if saved is None:
            return
        index, sources = saved
        self._restore_calibration(index)
        self.files.restore(index.entries, sources)
        self._index = index
        self._built = True

    def _watch(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                if self.files.signature() != self._signature or self.synonyms.changed():
                    self.reload()
            except Exception:  # the watcher must outlive any one bad reload
                log.exception("knowledge base reload failed; still serving the previous index")

    def on_reload(self, listener: Callable[[ReloadOutcome], None]) -> None:
        """Tell ``listener`` the outcome of every reload from now on: ``ok``, ``rejected`` (see
        :attr:`ReloadReport.outcome`) or ``failed`` (it raised; the previous index serves on).
        It is called on the reloading thread and must not raise."""
        self._reload_listeners.append(listener)

    def reload(self, *, progress: bool = False) -> ReloadReport:
        """Re-read every file; rebuild and swap the index if anything that serves changed."""
        try:
            report = self._reload(progress)
        except Exception:
            self.health = failed(self.health)
            self._tell("failed")
            raise
        self._tell(report.outcome)
        return report

    def _tell(self, outcome: ReloadOutcome) -> None:
        for listener in self._reload_listeners:
            listener(outcome)

    def _reload(self, progress: bool) -> ReloadReport:
        with self._reload_lock:
            self._signature = self.files.signature()
            retokenized = self.synonyms.changed() and self.synonyms.read()
            if retokenized:  # every lexical term may change: rebuild (the vectors are reused)
                self.tokenizer = Tokenizer(Normalizer(self.synonyms.good))
            good, checked = self.files.read()
            broken = {p.file for p in self.synonyms.problems}
            rejected = tuple(pf.path for pf in checked if not pf.clean) + tuple(broken)
            self._set_problems(checked)
            self.health = health(checked, {n: g.entries for n, g in good.items()}, self.synonyms.reports())
            entries = FaqFiles.entries(good)
            if self._built and not retokenized and entries == FaqFiles.entries(self.files.good):
                self.files.good = good  # same entries serve; digests and problems are new
                return ReloadReport(False, len(good), rejected, None)
            first = not self._built  # nothing serves yet: fit the head before going live
            locked = LockedEmbedder(self.embedder, self._encode_lock)
            index, report = FaqIndex.build(
                entries,
                locked,
                self._cache,
                previous=self._index,
                fit_head=first,
                progress=progress,
                tokenizer=self.tokenizer,
                reader=self.reader,
            )
            self._index, self.files.good, self._built = index, good, True
            if first:
                self._save(index)
            elif self._refitter is not None:  # the edit is live; the head catches up in the background
                self._refit_wanted.set()
            built = (report.entries, report.phrasings, report.embedded, report.seconds)
            log.info("knowledge base: %d entries, %d phrasings (%d embedded) in %.2fs", *built)
        if not first and self._refitter is None:
            self.refit_head()
        return ReloadReport(True, len(good), rejected, report)

    def refit_head(self) -> None:
        """Fit the entry head on the live index (seconds) and swap it in, unless an edit overtook it;
        then calibrate the new index (the previous calibration serves meanwhile)."""
        snapshot = self._index
        fitted = snapshot.with_fitted_head()
        with self._reload_lock:
            if self._index is not snapshot:
                return
            self._index = fitted
            self._save(fitted)
        if self._calibrate:
            self.recalibrate()

    def recalibrate(self) -> Calibration:
        """Self-calibrate on the live index and use the result, unless an edit overtook it."""
        snapshot = self._index
        started = time.perf_counter()
        found = self_calibrate(snapshot, model_languages=languages_of(self.embedder), base=Thresholds())
        with self._reload_lock:
            if self._index is snapshot:
                self.calibration = found
                self._save_calibration(snapshot, found)
        log.info(
            "knowledge base calibrated itself in %.1fs: lexical weight %s, thresholds %s",
            time.perf_counter() - started,
            dict(found.weights.lexical),
            found.thresholds.by_lang,
        )
        return found

    def _calibrated_for(self, index: FaqIndex) -> bool:
        return self.calibration.source == "self" and self._calibrated_key == fingerprint(index)

    def _save_calibration(self, index: FaqIndex, calibration: Calibration) -> None:
        self._calibrated_key = fingerprint(index)
        if self._index_dir:
            save_calibration(calibration, self._calibrated_key, self._index_dir / CALIBRATION_FILE)

    def _restore_calibration(self, index: FaqIndex) -> None:
        key = fingerprint(index)
        saved = load_calibration(self._index_dir / CALIBRATION_FILE, key) if self._index_dir else None
        if saved is not None:
            self.calibration, self._calibrated_key = saved, key

    def _save(self, index: FaqIndex) -> None:
        if self._index_dir:
            index.save(self._index_dir, {f: g.digest for f, g in self.files.good.items()})

    def _refit_loop(self) -> None:
        while not self._stop.is_set():
            if self._refit_wanted.wait(timeout=self._interval):
                self._refit_wanted.clear()
                try:
                    self.refit_head()
                except Exception:  # keep serving with the carried-over head
                    log.exception("refitting the entry head failed")

    def _set_problems(self, checked: list[ParsedFile]) -> None:
        problems = problems_of(checked) + self.synonyms.problems
        if problems != self._problems:
            for problem in problems:
                log.log(logging.ERROR if problem.severity == "error" else logging.WARNING, "%s", problem)
        self._problems = problems
