"""The live knowledge base: the index the bot asks, rebuilt and swapped when FAQ files change.

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

import hashlib
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

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
from knowledge_base.embedder import Embedder, languages_of, load_embedder
from knowledge_base.entries import LANGS, Entry, ParsedFile, Problem
from knowledge_base.funds import read_funds
from knowledge_base.index import BuildReport, FaqIndex, Scope, Weights
from knowledge_base.language import detect_lang
from knowledge_base.last_good import with_last_good
from knowledge_base.lexical import Tokenizer
from knowledge_base.lint import check_ids_across, discover
from knowledge_base.normalize import Normalizer, Synonyms
from knowledge_base.parser import parse_file
from knowledge_base.policy import Candidate, Decision, Thresholds, decide
from knowledge_base.question import QuestionReader, Reading

log = logging.getLogger(__name__)

POLICY_NAME = "policy.json"  # in a knowledge base's folder: its own dev-set calibration


def find_fund(text: str) -> str | None:
    """The fund a message names by its 6-digit code (names need the funds file: see QuestionReader)."""
    return QuestionReader().read(text).fund


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


@dataclass(frozen=True)
class ReloadReport:
    changed: bool
    files: int
    rejected: tuple[str, ...]  # files with errors: an error costs its entry or, if it breaks the file, the file
    build: BuildReport | None


@dataclass(frozen=True)
class _Good:
    """What one file serves: its entries (last good versions included) as of the digest last read."""

    digest: str
    entries: tuple[Entry, ...]
    problems: tuple[Problem, ...] | None = None  # None: not known yet (restored from the persisted index)

    @property
    def settled(self) -> bool:
        """Parsing the same bytes again would change nothing: problems known, none an error.

        An error can depend on other files (an id another file takes or gives up) and on what
        served before, so a file with one is parsed again at every reload.
        """
        return self.problems is not None and not any(p.severity == "error" for p in self.problems)


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


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
        fund_names: dict[str, tuple[str, ...]] | None = None,
        calibrate: bool = True,
    ) -> None:
        self.root = root
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
        self.tokenizer = Tokenizer(Normalizer(synonyms))
        self.reader = QuestionReader(fund_names)
        self._index_dir = index_dir
        self._cache = cache
        self._owns_cache = False  # a cache passed in is the caller's to close
        self._interval = reload_interval
        self._encode_lock = threading.Lock()  # HF tokenizers are not safe across threads
        self._reload_lock = threading.Lock()
        self._good: dict[str, _Good] = {}
        self._problems: tuple[Problem, ...] = ()
        self._index = FaqIndex([], np.zeros((0, embedder.dim), np.float32), embedder.name, tokenizer=self.tokenizer)
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self._refitter: threading.Thread | None = None
        self._refit_wanted = threading.Event()
        self._signature: tuple[tuple[str, int, int], ...] = ()
        self._built = False
        self.last_reload: ReloadReport | None = None

    @classmethod
    def open(
        cls,
        settings: Settings,
        embedder: Embedder | None = None,
        *,
        watch: bool = True,
        persist: bool = True,
        progress: bool = False,
    ) -> KnowledgeBase:
        """Load (or build) the index for ``settings.kb_dir`` and, with ``watch``, follow its edits.

        ``persist=False`` (eval on a throwaway folder) keeps the index in memory only.
        """
        policy = settings.policy_file or _own_policy(settings.kb_dir)
        thresholds = Thresholds.load(policy) if policy is not None and policy.is_file() else None
        if policy is not None and thresholds is None:
            log.warning("policy file %s not found: the knowledge base calibrates itself", policy)
        weight = settings.lexical_weight
        kb = cls(
            settings.kb_dir,
            embedder or load_embedder(settings.embedding_model),
            index_dir=settings.index_dir if persist else None,
            cache=EmbeddingCache(settings.embedding_cache),
            thresholds=thresholds,
            weights=Weights.fixed(weight) if weight is not None else None,
            reload_interval=settings.reload_interval,
            synonyms=Synonyms.load(settings.synonyms_file),
            fund_names={f.code: f.names for f in read_funds(settings.funds_file)},
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
        with self._encode_lock:
            vectors = self.embedder.encode([text])
        return np.asarray(vectors[0], dtype=np.float32)

    def read(self, text: str, fund: str | None = None) -> tuple[Reading, Scope]:
        """What a message asks, and who may answer it (a fund it names beats the conversation's)."""
        reading = self.reader.read(text)
        return reading, Scope(_lang_of(reading), reading.fund or fund)

    def rank(self, text: str, *, fund: str | None = None, limit: int = 5) -> tuple[np.ndarray, list[Candidate]]:
        """The best entries for a message, and the embedding of the question read from it."""
        return self._rank(*self.read(text, fund), self._index, limit)

    def _rank(self, reading: Reading, scope: Scope, index: FaqIndex, limit: int) -> tuple[np.ndarray, list[Candidate]]:
        vector = self.embed(reading.text)
        weight, tie = self.weights.for_lang(scope.lang), self.thresholds.for_lang(scope.lang).margin
        return vector, index.order(index.fused(vector, reading.text, weight), scope, tie=tie, limit=limit)

    def ask(self, text: str, *, fund: str | None = None, limit: int = 5) -> Match:
        """Answer, clarify or fall back for one investor message."""
        started = time.perf_counter()
        reading, scope = self.read(text, fund)
        index = self._index  # one snapshot per question: a swap mid-question changes nothing
        vector, ranked = self._rank(reading, scope, index, limit)
        decision = decide(ranked, self.thresholds, fund=scope.fund, lang=scope.lang)
        elapsed = (time.perf_counter() - started) * 1000
        return Match(decision, scope.fund, scope.lang, vector, elapsed, tuple(ranked), reading.text, reading.loggable)

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
        saved = FaqIndex.load(self._index_dir, self.embedder.name, self.tokenizer)
        if saved is None:
            return
        index, sources = saved
        self._restore_calibration(index)
        by_file: dict[str, list[Entry]] = {}
        for entry in index.entries:
            by_file.setdefault(entry.file, []).append(entry)
        self._good = {f: _Good(d, tuple(by_file.get(f, ()))) for f, d in sources.items()}
        self._index = index
        self._built = True

    def _scan_signature(self) -> tuple[tuple[str, int, int], ...]:
        out = []
        for path in discover(self.root):
            try:
                stat = path.stat()
            except OSError:
                continue
            out.append((path.as_posix(), stat.st_mtime_ns, stat.st_size))
        return tuple(out)

    def _watch(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                signature = self._scan_signature()
                if signature != self._signature:
                    self.reload()
            except Exception:  # the watcher must outlive any one bad reload
                log.exception("knowledge base reload failed; still serving the previous index")

    def reload(self, *, progress: bool = False) -> ReloadReport:
        """Re-read every file; rebuild and swap the index if anything that serves changed."""
        with self._reload_lock:
            self._signature = self._scan_signature()
            digests = {_rel(p, self.root): _digest(p) for p in discover(self.root)} if self.root.is_dir() else {}
            # An id that serves stays with its file: an edit elsewhere cannot take it over.
            serving = {e.id: path for path, g in self._good.items() for e in g.entries}
            checked = check_ids_across(self._unchanged(digests) + self._parse_changed(digests), keep=serving)
            good = {pf.path: _Good(digests[pf.path], pf.entries, pf.problems) for pf in checked}
            rejected = tuple(pf.path for pf in checked if not pf.clean)
            self._set_problems(checked)
            entries = [e for path in sorted(good) for e in good[path].entries]
            if self._built and entries == [e for path in sorted(self._good) for e in self._good[path].entries]:
                self._good = good  # same entries serve; digests and problems are new
                return ReloadReport(False, len(digests), rejected, None)
            first = not self._built  # nothing serves yet: fit the head before going live
            locked = _Locked(self.embedder, self._encode_lock)
            index, report = FaqIndex.build(
                entries,
                locked,
                self._cache,
                previous=self._index,
                fit_head=first,
                progress=progress,
                tokenizer=self.tokenizer,
            )
            self._index, self._good, self._built = index, good, True
            if first:
                self._save(index)
            elif self._refitter is not None:  # the edit is live; the head catches up in the background
                self._refit_wanted.set()
            log.info(
                "knowledge base: %d entries, %d phrasings (%d embedded) in %.2fs",
                report.entries,
                report.phrasings,
                report.embedded,
                report.seconds,
            )
        if not first and self._refitter is None:
            self.refit_head()
        return ReloadReport(True, len(digests), rejected, report)

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
            index.save(self._index_dir, {f: g.digest for f, g in self._good.items()})

    def _refit_loop(self) -> None:
        while not self._stop.is_set():
            if self._refit_wanted.wait(timeout=self._interval):
                self._refit_wanted.clear()
                try:
                    self.refit_head()
                except Exception:  # keep serving with the carried-over head
                    log.exception("refitting the entry head failed")

    def _unchanged(self, digests: dict[str, str]) -> list[ParsedFile]:
        """Files whose bytes did not change, listed first so they keep their ids against edited ones."""
        files = []
        for path in sorted(digests):
            good = self._good.get(path)
            if good is None or good.digest != digests[path]:
                continue
            files.append(ParsedFile(path, good.entries, good.problems or ()) if good.settled else self._parse(path))
        return files

    def _parse_changed(self, digests: dict[str, str]) -> list[ParsedFile]:
        """Parse new and edited files, each with the last good version of what its errors reject."""
        changed = [f for f, d in sorted(digests.items()) if f not in self._good or self._good[f].digest != d]
        return [self._parse(f) for f in changed]

    def _parse(self, path: str) -> ParsedFile:
        last = self._good.get(path)
        return with_last_good(parse_file(self.root / path, self.root), last.entries if last else ())

    def _set_problems(self, checked: list[ParsedFile]) -> None:
        problems = tuple(sorted((p for pf in checked for p in pf.problems), key=lambda p: (p.file, p.line)))
        if problems != self._problems:
            for problem in problems:
                log.log(logging.ERROR if problem.severity == "error" else logging.WARNING, "%s", problem)
        self._problems = problems


def _lang_of(reading: Reading) -> str:
    """The question's language, read without numbers and their masks ("[card ••••0123]" is not English)."""
    return detect_lang(reading.text, default=detect_lang(reading.loggable))


def _own_policy(kb_dir: Path) -> Path | None:
    """A knowledge base's own dev-set calibration: ``policy.json`` in its folder, if there is one."""
    path = kb_dir / POLICY_NAME
    return path if path.is_file() else None


class _Locked:
    """Encodes in small locked batches, so questions interleave with a long rebuild."""

    def __init__(self, embedder: Embedder, lock: threading.Lock, batch: int = 32) -> None:
        self._embedder, self._lock, self._batch = embedder, lock, batch

    @property
    def name(self) -> str:
        return self._embedder.name

    @property
    def dim(self) -> int:
        return self._embedder.dim

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        parts = [np.zeros((0, self.dim), np.float32)]
        batches = range(0, len(texts), self._batch)
        for start in tqdm(batches, desc="embedding", unit="batch", disable=not progress):
            with self._lock:
                parts.append(self._embedder.encode(texts[start : start + self._batch]))
        return np.concatenate(parts)


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()
