"""``replay-counts`` and ``replay-questions``: the service's detector and pipeline over a CSV, in event time.

Both outputs are contracts: tools outside the project parse them. ``replay-counts FILE.csv`` (header
``timestamp,value``, one bucket per row) prints each alarm's timestamp as written in the file, then ``{"points": N,
"alarms": M}``. ``replay-questions FILE.csv`` (header ``timestamp,text`` and optionally ``fund_code``) prints one
JSON object per opened incident, then ``{"questions": N, "clusters": K, "incidents": M}``; an incident's
``evidence`` (the test that fired: resolution, observed and expected counts, significance, funds, and the share of
all questions it passed) is an extra key. ``--history PAST.csv`` (the same format, every row before ``FILE``'s first)
warms the detector on questions asked before (:mod:`escalation.spikes.warm_start`); the summary then adds
``"history": N``. ``--knowledge-base`` matches each question against the configured FAQ (``FUNDDESK_KB_DIR``) as the
service does: typos are read back, and the entry its matcher ranks first counts in that entry's series, as it does in
the service, where the clustering scatters a topic or a model cannot read the language (Chinese under the packaged
English model). Without it the replay has no FAQ, and its output is what it always was.
Bad input is reported as ``file:line: message`` on stderr with exit status 2, before anything is printed.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from escalation.spikes import warm_start
from escalation.spikes.bank import BankConfig
from escalation.spikes.detector import SpikeDetector
from escalation.spikes.pipeline import QuestionPipeline, Spike
from escalation.spikes.question import Question
from escalation.spikes.series import bucket_of
from knowledge_base.question import QuestionReader

if TYPE_CHECKING:
    from funddesk.settings import Settings
    from knowledge_base.embedder import Embedder
    from knowledge_base.service import KnowledgeBase

EMBED_BATCH = 256


class InputError(Exception):
    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")


@dataclass(frozen=True)
class Row:
    line: int
    stamp: str
    moment: datetime
    fields: dict[str, str]


def main(argv: list[str]) -> int:
    command, args = argv[0], argv[1:]
    history: str | None = None
    faq = False
    if command == "replay-questions":
        if "--history" in args:
            at = args.index("--history")
            history = args[at + 1] if at + 1 < len(args) else None
            args = args[:at] + args[at + 2 :] if history is not None else []
        if "--knowledge-base" in args:
            faq = True
            args = [arg for arg in args if arg != "--knowledge-base"]
    if len(args) != 1 or args[0].startswith("--"):
        options = " [--history PAST.csv] [--knowledge-base]" if command == "replay-questions" else ""
        print(f"usage: python -m escalation {command} FILE.csv{options}", file=sys.stderr)
        return 2
    try:
        if command == "replay-counts":
            return replay_counts(args[0])
        return replay_questions(args[0], history, knowledge_base=faq)
    except InputError as error:
        print(error, file=sys.stderr)
        return 2


def replay_counts(path: str) -> int:
    detector = SpikeDetector()
    rows: list[Row] = []
    values: list[float] = []
    buckets: list[int] = []
    for row in _read(path, required=("timestamp", "value"), optional=()):  # each row whole: the first error is named
        value = _value(path, row)
        bucket = bucket_of(row.moment, detector.config.bucket_seconds)
        if buckets and bucket <= buckets[-1]:
            raise InputError(path, row.line, "timestamp is not in a later bucket than the row before it")
        rows.append(row)
        values.append(value)
        buckets.append(bucket)
    alarms = alarming_rows(buckets, values, detector)
    for at in alarms:
        print(rows[at].stamp)
    print(json.dumps({"points": len(rows), "alarms": len(alarms)}))
    return 0


def alarming_rows(buckets: Sequence[int], values: Sequence[float], detector: SpikeDetector) -> list[int]:
    """The rows of one count series that alarm, as the service decides them: like a fresh detector bank, the
    detector only learns until what it saw outweighs its prior (the bank's warm-up), so the series' first count is its
    normal rather than a surge against the prior's 0.2 a bucket."""
    warmup = BankConfig().warmup_buckets
    first = buckets[0] if buckets else 0
    return [
        at
        for at, (bucket, value) in enumerate(zip(buckets, values, strict=True))
        if detector.observe(bucket, value, armed=bucket - first >= warmup).alarm
    ]


def replay_questions(path: str, history: str | None = None, *, knowledge_base: bool = False) -> int:
    """``history``: questions asked before ``path``'s, in the same format, learned first (a warm start,
    :mod:`escalation.spikes.warm_start`): what they would have opened is not printed. ``knowledge_base``: each question
    is matched against the configured FAQ, as the service matches it."""
    from funddesk import settings

    rows = question_rows(path)
    past = question_rows(history) if history is not None else []
    if past and rows and past[-1].moment >= rows[0].moment:
        late = next(row for row in past if row.moment >= rows[0].moment)
        raise InputError(history or "", late.line, f"history must end before {path}'s first question ({rows[0].stamp})")
    config = settings.load()
    with reading(config, knowledge_base=knowledge_base) as read:
        pipeline = QuestionPipeline()
        learned = warm_start.learn(pipeline, read(past)) if past else None
        incidents = 0
        for question in read(rows):
            for incident in pipeline.add(question).opened:
                incidents += 1
                print(json.dumps(_incident_json(incident), ensure_ascii=False))
    if rows:  # the last bucket is complete once the file ends
        for incident in pipeline.tick(rows[-1].moment + timedelta(seconds=pipeline.bank.bucket_seconds)):
            incidents += 1
            print(json.dumps(_incident_json(incident), ensure_ascii=False))
    summary: dict[str, object] = {
        "questions": len(rows),
        "clusters": pipeline.clusterer.next_id - 1,
        "incidents": incidents,
    }
    if learned is not None:
        summary["history"] = learned.questions
    print(json.dumps(summary))
    return 0


def question_rows(path: str) -> list[Row]:
    rows = sorted(_read(path, required=("timestamp", "text"), optional=("fund_code",)), key=lambda r: r.moment)
    for row in rows:
        if not row.fields["text"].strip():
            raise InputError(path, row.line, "empty text")
    return rows


Reader = Callable[[list[Row]], Iterator[Question]]


@contextmanager
def reading(config: Settings, *, knowledge_base: bool) -> Iterator[Reader]:
    """How rows become the pipeline's questions: matched against the FAQ (``warm-start`` always is), or read and
    embedded without it."""
    if knowledge_base:
        kb = _open_faq(config)
        try:
            yield lambda rows: _matched_questions(kb, rows)
        finally:
            kb.close()
        return
    from knowledge_base.embedder import configured_embedder
    from knowledge_base.funds import read_funds

    embedder = configured_embedder(config)
    # Funds are recognised by code and, as the service does, by the names in the funds file.
    reader = QuestionReader({fund.code: fund.names for fund in read_funds(config.funds_file)})
    yield lambda rows: _questions(rows, reader, embedder)


def _open_faq(config: Settings) -> KnowledgeBase:
    """The configured FAQ as the service would serve it. A folder that is missing or serves no entry is an error:
    asked to match against the FAQ, a command must not quietly run without one."""
    from knowledge_base.service import KnowledgeBase

    if not config.kb_dir.is_dir():
        raise InputError(str(config.kb_dir), 0, "FAQ folder not found (FUNDDESK_KB_DIR)")
    kb = KnowledgeBase.open(config, watch=False, persist=False, published=False)
    if not kb.index.entries:
        kb.close()
        raise InputError(str(config.kb_dir), 0, "no FAQ entry to match against (FUNDDESK_KB_DIR)")
    return kb


def _questions(rows: list[Row], reader: QuestionReader, embedder: Embedder) -> Iterator[Question]:
    """The rows as the pipeline takes them, embedded in batches."""
    for start in range(0, len(rows), EMBED_BATCH):
        batch = rows[start : start + EMBED_BATCH]
        # Read as the service reads a message: the question is embedded without personal numbers,
        # reference numbers or the fund code (which say nothing about the topic), the fund is the
        # file's column or else the code the message names, and what is printed is masked.
        readings = [reader.read(row.fields["text"]) for row in batch]
        vectors = embedder.encode([reading.text or reading.loggable for reading in readings])
        for row, reading, vector in zip(batch, readings, vectors, strict=True):
            yield Question(row.moment, reading.loggable, vector, fund_code=_fund_column(row) or reading.fund)


def _matched_questions(kb: KnowledgeBase, rows: list[Row]) -> Iterator[Question]:
    """Each row as the service would have seen it: read, embedded and matched (the entry its matcher ranked first
    is a series of the detector's own). The fund is the file's column or else the one the message names."""
    for start in range(0, len(rows), EMBED_BATCH):
        batch = rows[start : start + EMBED_BATCH]
        read = [kb.read(row.fields["text"], _fund_column(row)) for row in batch]
        vectors = kb.embed_many([reading.text for reading, _ in read])
        for row, (reading, scope), vector in zip(batch, read, vectors, strict=True):
            match = kb.answer(reading, scope, vector)
            best = match.decision.best
            yield Question(
                row.moment,
                match.loggable,
                vector,
                lang=match.lang,
                fund_code=_fund_column(row) or match.fund,
                entry_id=best.entry.id if best else None,
                score=round(best.score, 4) if best else None,
                decision=match.decision.kind,
            )


def _fund_column(row: Row) -> str | None:
    """The file's ``fund_code`` for the row (it beats a code the message names), if the file has one."""
    return row.fields.get("fund_code", "").strip() or None


def _incident_json(incident: Spike) -> dict[str, object]:
    return {
        "detected_at": incident.detected_at,
        "cluster": incident.cluster_id,
        "fund_code": incident.fund_code,
        "count": incident.count,
        "samples": incident.samples,
        "label": incident.label,
        "incident": incident.id,
        "started_at": incident.started_at,
        "baseline": incident.baseline,
        **({"evidence": asdict(incident.evidence)} if incident.evidence is not None else {}),
    }


def _read(path: str, *, required: tuple[str, ...], optional: tuple[str, ...]) -> Iterator[Row]:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as error:
        raise InputError(path, 0, f"cannot open: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise InputError(path, 0, f"not UTF-8: {error}") from error
    opened = _unclosed_quote(text)
    if opened is not None:
        raise InputError(path, opened, "a quoted field starts here and is never closed (it would swallow the rest)")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(reader, [])]
        allowed = set(required) | set(optional)
        if not set(required) <= set(header) or not set(header) <= allowed or len(set(header)) != len(header):
            wanted = ",".join(required) + "".join(f"[,{name}]" for name in optional)
            raise InputError(path, 1, f"header must be {wanted}, got {','.join(header) or 'nothing'}")
        for cells in reader:
            if not cells:
                continue
            if len(cells) != len(header):
                raise InputError(path, reader.line_num, f"expected {len(header)} fields, got {len(cells)}")
            fields = dict(zip(header, cells, strict=True))
            yield Row(reader.line_num, fields["timestamp"], _moment(path, reader.line_num, fields["timestamp"]), fields)
    except csv.Error as error:
        raise InputError(path, reader.line_num, f"unreadable CSV: {error}") from error


def _unclosed_quote(text: str) -> int | None:
    """The line of the record whose quoted field runs to the end of the file, if one does. The reader is lenient
    elsewhere (as it always was), but there it would take every later row as that one field's text."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    while True:
        try:
            next(reader)
        except StopIteration:
            return None
        except csv.Error as error:
            if "unexpected end of data" in str(error):
                return start
            # Any other quirk the lenient reader has always accepted: go on to the next record.
        start = reader.line_num + 1


def _moment(path: str, line: int, stamp: str) -> datetime:
    try:
        # Wall-clock time as written: trading hours are local to the market, whatever the offset.
        return datetime.fromisoformat(stamp.strip()).replace(tzinfo=None)
    except ValueError:
        raise InputError(path, line, f"bad timestamp {stamp!r} (want ISO 8601, e.g. 2015-02-26 21:42:53)") from None


def _value(path: str, row: Row) -> float:
    raw = row.fields["value"]
    try:
        value = float(raw)
    except ValueError:
        raise InputError(path, row.line, f"bad value {raw!r} (want a count)") from None
    if not math.isfinite(value) or value < 0:
        raise InputError(path, row.line, f"bad value {raw!r} (want a count >= 0)")
    return value
