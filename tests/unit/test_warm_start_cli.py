"""``python -m escalation warm-start``: the service's detector starts from an old chat log, or refuses and saves
nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from escalation.__main__ import main
from escalation.spikes import question_log
from escalation.spikes.election import Leadership
from escalation.spikes.pipeline import QuestionPipeline
from escalation.spikes.watch import pipeline_config
from escalation.spikes.worker import DETECTOR_NAME
from funddesk.db import Database, Incident, IncidentStatus, Question, Team, make_engine, migrate
from tests.web.db_fixtures import postgres_schema_url

START = datetime(2026, 3, 2)  # a Monday
FAQ = """\
---
team: trading-desk
---
## How do I redeem my shares? {#redeem}
- how to sell my fund

Open the fund and tap Redeem.

## What is the subscription fee? {#subscription-fee}
- how much does buying cost

0.15% for most funds.
"""
ASKED = ["how do I redeem my shares", "what is the subscription fee", "when is the cut-off time"]


def history(path: Path, days: int = 2) -> Path:
    rows = ["timestamp,text,fund_code"]
    for minute in range(0, days * 24 * 60, 7):
        fund = "110022" if minute % 5 == 0 else ""
        rows.append(f"{START + timedelta(minutes=minute)},{ASKED[minute % 3]},{fund}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A service's settings on a temporary data folder and FAQ, with the fake embedding model."""
    faq = tmp_path / "faq"
    faq.mkdir()
    (faq / "trading.md").write_text(FAQ, encoding="utf-8")
    monkeypatch.setenv("FUNDDESK_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("FUNDDESK_KB_DIR", str(faq))
    monkeypatch.setenv("FUNDDESK_EMBEDDING_MODEL", "hashing")
    return tmp_path / "var"


def sqlite_engine(data_dir: Path) -> Engine:
    data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{data_dir / 'funddesk.sqlite3'}")
    migrate.upgrade(engine)
    return engine


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(["warm-start", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_a_warm_start_on_sqlite_saves_the_in_line_detectors_state_with_what_it_learned(
    service: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sqlite_engine(service).dispose()
    status, out, err = run([str(history(tmp_path / "past.csv"))], capsys)
    assert status == 0, err
    report = json.loads(out)
    assert report["questions"] == len(range(0, 2 * 24 * 60, 7)) and report["surges"] == 0
    assert report["first"] == f"{START}" and report["saved_to"].endswith("spikes_state.json")
    state = json.loads((service / "spikes_state.json").read_text(encoding="utf-8"))
    pipeline = QuestionPipeline.from_dict(state, pipeline_config(60))
    assert pipeline.questions == report["questions"] and pipeline.incidents == {}
    assert pipeline.bank.paused  # the service's first question comes later: the time until then is not learned
    keys = set(pipeline.bank.detectors)
    assert "fund:110022" in keys and {"entry:redeem", "entry:subscription-fee"} <= keys


def test_a_second_warm_start_is_refused_unless_told_to_replace_and_the_first_state_is_kept(
    service: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sqlite_engine(service).dispose()
    past = history(tmp_path / "past.csv")
    assert run([str(past)], capsys)[0] == 0
    before = (service / "spikes_state.json").read_bytes()
    status, out, err = run([str(history(tmp_path / "shorter.csv", days=1))], capsys)
    assert (status, out) == (2, "")
    assert "spikes_state.json exists: the detector has a state already (--replace replaces it)" in err
    assert (service / "spikes_state.json").read_bytes() == before
    assert run([str(tmp_path / "shorter.csv"), "--replace"], capsys)[0] == 0
    assert (service / "spikes_state.json").read_bytes() != before


def test_a_warm_start_is_refused_when_the_log_has_a_question_from_before_the_history_ends(
    service: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = sqlite_engine(service)
    with Database(engine).session(write=True) as session:  # 10:00 in Shanghai on the history's second day
        session.add(Question(asked_at=datetime(2026, 3, 3, 2, tzinfo=UTC), text="hello", lang="en"))
    engine.dispose()
    status, out, err = run([str(history(tmp_path / "past.csv"))], capsys)
    assert (status, out) == (2, "")
    assert "the question log holds 1 questions asked before the history ends" in err
    assert not (service / "spikes_state.json").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("timestamp,text\n", ":1: no questions to learn from"),
        ("timestamp,text\n2026-03-02 10:00:00,\n", ":2: empty text"),
        ("when,text\n2026-03-02 10:00:00,hi\n", ":1: header must be timestamp,text[,fund_code]"),
    ],
)
def test_a_bad_history_file_is_reported_as_file_line_message_and_saves_nothing(
    service: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    sqlite_engine(service).dispose()
    (tmp_path / "past.csv").write_text(content, encoding="utf-8")
    status, out, err = run([str(tmp_path / "past.csv")], capsys)
    assert (status, out) == (2, "")
    assert err.startswith(f"{tmp_path / 'past.csv'}{message}")
    assert not (service / "spikes_state.json").exists()


@pytest.mark.parametrize(("folder", "message"), [("missing", "FAQ folder not found"), ("empty", "no FAQ entry")])
def test_a_warm_start_without_an_faq_to_match_against_is_refused_and_saves_nothing(
    service: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    folder: str,
    message: str,
) -> None:
    """Learned without the FAQ, the detector would miss every entry's series: a misconfigured folder is an error."""
    sqlite_engine(service).dispose()
    if folder == "empty":
        (tmp_path / folder).mkdir()
    monkeypatch.setenv("FUNDDESK_KB_DIR", str(tmp_path / folder))
    status, out, err = run([str(history(tmp_path / "past.csv"))], capsys)
    assert (status, out) == (2, "")
    assert err.startswith(f"{tmp_path / folder}:0: {message}")
    assert not (service / "spikes_state.json").exists()


@pytest.fixture
def postgres(service: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The service's database on a migrated schema of its own on the real PostgreSQL (skipped, saying why, without)."""
    with postgres_schema_url("funddesk_warm") as url:
        monkeypatch.setenv("FUNDDESK_DATABASE_URL", url)
        engine = make_engine(url)
        migrate.upgrade(engine)
        try:
            yield engine
        finally:
            engine.dispose()


def snapshot_in(engine: Engine) -> question_log.Snapshot | None:
    with Database(engine).session() as session:
        return question_log.load_snapshot(session, DETECTOR_NAME)


@pytest.mark.integration
def test_a_warm_start_on_postgresql_saves_the_elected_detectors_snapshot_numbering_after_filed_incidents(
    service: Path, postgres: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Database(postgres).session(write=True) as session:
        now = datetime.now(UTC)
        session.add(Team(id="desk", name="Desk"))
        session.flush()
        closed = IncidentStatus.CLOSED
        session.add(Incident(key="i7", cluster_id="c1", label="earlier", team_id="desk", status=closed,
                             started_at=now, detected_at=now, count=9, baseline=1.0))  # fmt: skip
    status, out, err = run([str(history(tmp_path / "past.csv"))], capsys)
    assert status == 0, err
    assert json.loads(out)["saved_to"] == "the database's detector snapshot"
    snapshot = snapshot_in(postgres)
    assert snapshot is not None and snapshot.position == question_log.START
    pipeline = QuestionPipeline.from_dict(snapshot.state)
    assert pipeline.next_incident == 8 and pipeline.questions == len(range(0, 2 * 24 * 60, 7))
    assert pipeline.bank.paused
    assert not (service / "spikes_state.json").exists()


@pytest.mark.integration
def test_a_warm_start_on_postgresql_is_refused_while_an_action_servers_detector_is_running(
    postgres: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    running = Leadership(postgres, DETECTOR_NAME)
    assert running.hold()  # what the service's elected detector holds while it runs
    try:
        status, out, err = run([str(history(tmp_path / "past.csv"))], capsys)
    finally:
        running.release()
    assert (status, out, snapshot_in(postgres)) == (2, "", None)
    assert "an action server's spike detector is running on this database: stop the service first" in err
