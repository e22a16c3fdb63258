"""``replay-counts`` and ``replay-questions`` print exactly what other tools parse (a contract)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from escalation.__main__ import main
from escalation.spikes.tails import share_tail

START = datetime(2026, 3, 2)  # a Monday

ROUTINE = ["how do I redeem my shares", "what is the subscription fee", "when is the cut-off time"]


def routine_days(*, fund_column: bool = True) -> list[str]:
    """The CSV's header and three days of routine questions, one every 7 minutes, none naming a fund."""
    tail = "," if fund_column else ""
    rows = ["timestamp,text,fund_code" if fund_column else "timestamp,text"]
    for minute in range(0, 3 * 24 * 60, 7):
        rows.append(f"{START + timedelta(minutes=minute)},{ROUTINE[minute % 3]}{tail}")
    return rows


@pytest.fixture(autouse=True)
def fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUNDDESK_EMBEDDING_MODEL", "hashing")


def counts_csv(path: Path, spike_at: int) -> tuple[Path, list[str]]:
    stamps = [(START + timedelta(minutes=5 * i)).strftime("%Y-%m-%d %H:%M:%S") for i in range(3 * 288)]
    values = [3 if i % 2 else 4 for i in range(len(stamps))]
    for i in range(spike_at, spike_at + 6):
        values[i] = 60
    path.write_text("timestamp,value\n" + "".join(f"{s},{v}\n" for s, v in zip(stamps, values, strict=True)))
    return path, stamps


def test_replay_counts_prints_each_alarm_timestamp_as_written_then_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, stamps = counts_csv(tmp_path / "counts.csv", spike_at=2 * 288 + 100)
    assert main(["replay-counts", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [stamps[2 * 288 + 100], json.dumps({"points": len(stamps), "alarms": 1})]


def test_replay_counts_takes_a_series_first_counts_as_its_normal_and_a_flat_series_never_alarms(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As a fresh detector in the service does: it only learns until what it saw outweighs its prior (an hour). Before,
    any series counting more than the prior's 0.2 a bucket alarmed at its first row."""
    path = tmp_path / "flat.csv"
    stamps = [(START + timedelta(minutes=5 * i)).strftime("%Y-%m-%d %H:%M:%S") for i in range(288)]
    path.write_text("timestamp,value\n" + "".join(f"{stamp},40\n" for stamp in stamps))
    assert main(["replay-counts", str(path)]) == 0
    assert capsys.readouterr().out.splitlines() == [json.dumps({"points": 288, "alarms": 0})]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("time,value\n2026-03-02 00:00:00,1\n", ":1: header must be timestamp,value"),
        ("timestamp,value\n2026-03-02 00:00:00,1\n2026-03-02 00:05:00,many\n", ":3: bad value 'many'"),
        ("timestamp,value\nyesterday,1\n", ":2: bad timestamp 'yesterday'"),
        ("timestamp,value\n2026-03-02 00:05:00,1\n2026-03-02 00:00:00,1\n", ":3: timestamp is not in a later bucket"),
        ("timestamp,value\n2026-03-02 00:00:00,-4\n", ":2: bad value '-4'"),
        ('timestamp,value\n2026-03-02 00:00:00,1\n2026-03-02 00:05:00,"2\n2026-03-02 00:10:00,3\n', ":3: a quoted"),
        ("timestamp,value\n2026-03-02 00:00:00,many\n2026-03-02 00:00:00,1\nyesterday,1\n", ":2: bad value"),  # first
        ("timestamp,value\n2026-03-02 00:05:00,1\n2026-03-02 00:00:00,1\n2026-03-02 00:10:00,x\n", ":3: timestamp"),
    ],
)
def test_replay_counts_reports_bad_input_as_file_line_message_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    assert main(["replay-counts", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"{path}{message}")


def test_replay_counts_on_a_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay-counts", str(tmp_path / "missing.csv")]) == 2
    assert "missing.csv:0: cannot open" in capsys.readouterr().err


def test_replay_questions_opens_one_incident_for_a_burst_of_one_new_question(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = routine_days()
    burst = START + timedelta(days=2, hours=10)
    for i in range(40):  # 40 times in ten minutes, for one fund
        rows.append(f"{burst + timedelta(seconds=15 * i)},why did 110022 fall today?,110022")
    path = tmp_path / "questions.csv"
    path.write_text("\n".join(rows) + "\n")
    assert main(["replay-questions", str(path)]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    incidents, summary = out[:-1], out[-1]
    assert len(incidents) == 1
    incident = incidents[0]
    assert incident.keys() >= {"detected_at", "cluster", "fund_code", "count", "samples"}
    assert incident["fund_code"] == "110022"
    assert incident["samples"] == ["why did 110022 fall today?"]
    assert datetime.fromisoformat(incident["detected_at"]) - burst <= timedelta(minutes=10)
    assert summary == {"questions": len(rows) - 1, "clusters": summary["clusters"], "incidents": 1}
    assert summary["clusters"] >= 4


def test_replay_questions_rejects_a_file_without_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "q.csv"
    path.write_text("timestamp,question\n2026-03-02 10:00:00,hello\n")
    assert main(["replay-questions", str(path)]) == 2
    assert ":1: header must be timestamp,text[,fund_code]" in capsys.readouterr().err


def test_replay_questions_refuses_a_quote_that_is_never_closed_instead_of_reading_the_rest_as_one_question(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "q.csv"
    path.write_text(
        "timestamp,text\n"
        '2026-03-02 10:00:00,"he said ""hi"""\n'  # quotes that close are fine, doubled ones too
        '2026-03-02 10:01:00,"a question\nover two lines"\n'
        '2026-03-02 10:02:00,"how do I redeem?\n'
        "2026-03-02 10:03:00,what is the NAV?\n"
    )
    assert main(["replay-questions", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"{path}:5: a quoted field starts here and is never closed")


def test_replay_questions_prints_samples_with_personal_numbers_masked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = routine_days()
    burst = START + timedelta(days=2, hours=10)
    for i in range(40):  # the same question, each investor adding their phone number
        rows.append(f"{burst + timedelta(seconds=15 * i)},why did 110022 fall today? call me on 1381234{i:04d},110022")
    path = tmp_path / "questions.csv"
    path.write_text("\n".join(rows) + "\n")
    assert main(["replay-questions", str(path)]) == 0
    out = capsys.readouterr().out
    [incident] = [json.loads(line) for line in out.splitlines()][:-1]
    assert incident["samples"] and all("call me on [phone ••••" in s for s in incident["samples"])
    assert "1381234" not in out


def test_replay_questions_reads_the_fund_from_the_text_when_the_file_has_no_fund_column_and_explains_the_incident(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = routine_days(fund_column=False)
    burst = START + timedelta(days=2, hours=10)
    wordings = ["why did 110022 fall today?", "110022 dropped a lot so what happened", "what is going on with 110022"]
    for i in range(30):  # three wordings that a weak model may well put in three clusters
        rows.append(f"{burst + timedelta(seconds=20 * i)},{wordings[i % 3]}")
    path = tmp_path / "questions.csv"
    path.write_text("\n".join(rows) + "\n")
    assert main(["replay-questions", str(path)]) == 0
    [incident] = [json.loads(line) for line in capsys.readouterr().out.splitlines()][:-1]
    assert incident["fund_code"] == "110022"
    assert datetime.fromisoformat(incident["detected_at"]) - burst <= timedelta(minutes=10)
    evidence = incident["evidence"]
    assert evidence.keys() == {
        "trigger",
        "resolution_minutes",
        "observed",
        "expected",
        "p_value",
        "significance",
        "funds",
        "entry",  # the FAQ entry whose series fired: none here (a replay without --knowledge-base)
        "asks",  # the FAQ entry most of its questions were matched to: none without --knowledge-base either
        "share_total",  # the share of all questions it passed: observed of share_total, against share_expected
        "share_expected",
        "share_p_value",
        "share_others",  # the other questions in those minutes against their expectation: were they up too?
        "share_others_expected",
        "share_others_p_value",  # and how few they were for a market that rose as this series did
    }
    assert evidence["entry"] is None and evidence["asks"] is None
    assert evidence["observed"] >= 8 > evidence["expected"] and evidence["p_value"] < 1e-6
    assert evidence["share_total"] >= evidence["observed"]
    share = share_tail(evidence["observed"], evidence["share_total"], evidence["share_expected"])
    assert evidence["share_p_value"] == pytest.approx(share, rel=0.1)


def shifted(rows: list[str], days: int) -> list[str]:
    """The same CSV rows (header first) moved ``days`` in time."""
    moved = [rows[0]]
    for row in rows[1:]:
        stamp, rest = row.split(",", 1)
        moved.append(f"{datetime.fromisoformat(stamp) + timedelta(days=days)},{rest}")
    return moved


def test_replay_questions_with_a_history_learns_it_first_and_prints_only_the_files_incidents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    past = shifted(routine_days(), -3)
    for i in range(40):  # a surge last week: learned as a surge, not printed
        past.append(f"{START - timedelta(days=2, hours=-10) + timedelta(seconds=15 * i)},why did 110022 fall?,110022")
    rows = routine_days()
    burst = START + timedelta(days=2, hours=10)
    for i in range(40):
        rows.append(f"{burst + timedelta(seconds=15 * i)},why did 161725 fall today?,161725")
    (tmp_path / "past.csv").write_text("\n".join(past) + "\n")
    (tmp_path / "questions.csv").write_text("\n".join(rows) + "\n")
    assert main(["replay-questions", str(tmp_path / "questions.csv"), "--history", str(tmp_path / "past.csv")]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    [incident], summary = out[:-1], out[-1]
    assert incident["fund_code"] == "161725" and incident["incident"] == "i1"
    assert summary == {
        "questions": len(rows) - 1,
        "clusters": summary["clusters"],
        "incidents": 1,
        "history": len(past) - 1,
    }


def test_replay_questions_refuses_a_history_that_runs_into_the_file_and_prints_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = routine_days()
    past = shifted(rows, -2)  # its third day is the file's first
    (tmp_path / "past.csv").write_text("\n".join(past) + "\n")
    (tmp_path / "questions.csv").write_text("\n".join(rows) + "\n")
    assert main(["replay-questions", str(tmp_path / "questions.csv"), "--history", str(tmp_path / "past.csv")]) == 2
    captured = capsys.readouterr()
    late = next(i for i, row in enumerate(past) if i and datetime.fromisoformat(row.split(",")[0]) >= START)
    assert captured.out == ""
    assert captured.err.startswith(f"{tmp_path / 'past.csv'}:{late + 1}: history must end before")


@pytest.mark.parametrize(
    "args", [["--history"], ["a.csv", "--history"], ["a.csv", "--since", "b.csv"], ["--knowledge-base"]]
)
def test_replay_questions_with_bad_arguments_prints_its_usage_and_exits_2(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay-questions", *args]) == 2
    assert capsys.readouterr().err.startswith("usage: python -m escalation replay-questions FILE.csv [--history")


TOPICS = ["redemption", "dividend", "conversion", "subscription", "custody"]


def scattered_days(tmp_path: Path) -> datetime:
    """An FAQ of five topics, and two days of questions that share nothing but their topic's word: each founds a
    cluster of its own (as Chinese does under the packaged English model), then a 40-minute burst of one topic at
    ten times its rate. Returns when the burst starts."""
    faq = tmp_path / "faq"
    faq.mkdir()
    entries = "".join(f"## What about {t}? {{#{t}}}\n- tell me about {t}\n\nOn {t}.\n\n" for t in TOPICS)
    (faq / "topics.md").write_text(f"---\nteam: trading-desk\n---\n{entries}")
    rng = np.random.default_rng(3)

    def asked(topic: str) -> str:
        return " ".join([topic, *("".join(rng.choice(list("bcdfghjklmnpqrstvwxz"), 7)) for _ in range(6))])

    questions = [
        (START + timedelta(minutes=minute), asked(TOPICS[int(rng.integers(5))]))
        for minute in range(2 * 24 * 60)
        for _ in range(int(rng.poisson(1.5)))
    ]
    burst = START + timedelta(days=1, hours=10)
    questions += [(burst + timedelta(seconds=s), asked("dividend")) for s in range(0, 40 * 60, 20)]
    rows = ["timestamp,text", *(f"{moment},{text}" for moment, text in sorted(questions))]
    (tmp_path / "questions.csv").write_text("\n".join(rows) + "\n")
    return burst


def test_replay_questions_with_the_knowledge_base_catches_a_surge_through_its_faq_entry_as_the_service_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    burst = scattered_days(tmp_path)
    for name, value in {"KB_DIR": "faq", "DATA_DIR": "var", "FUNDS_FILE": "none.yml"}.items():
        monkeypatch.setenv(f"FUNDDESK_{name}", str(tmp_path / value))
    csv_file = str(tmp_path / "questions.csv")
    assert main(["replay-questions", csv_file]) == 0
    without = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert without[-1]["incidents"] == 0  # cluster by cluster, nothing stands out
    assert main(["replay-questions", csv_file, "--knowledge-base"]) == 0
    *incidents, summary = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert summary == {**without[-1], "incidents": 1}
    assert incidents[0]["evidence"]["trigger"] == "entry" and incidents[0]["evidence"]["entry"] == "dividend"
    assert incidents[0]["evidence"]["asks"] == "dividend"
    assert timedelta(0) <= datetime.fromisoformat(incidents[0]["detected_at"]) - burst <= timedelta(minutes=10)
    assert all(sample.startswith("dividend ") for sample in incidents[0]["samples"])


@pytest.mark.parametrize(("folder", "message"), [("missing", "FAQ folder not found"), ("empty", "no FAQ entry")])
def test_replay_questions_asked_to_match_against_an_faq_it_cannot_find_says_so_and_prints_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], folder: str, message: str
) -> None:
    """A replay that quietly ran without the FAQ would look like the FAQ's own figures."""
    if folder == "empty":
        (tmp_path / folder).mkdir()
    monkeypatch.setenv("FUNDDESK_KB_DIR", str(tmp_path / folder))
    monkeypatch.setenv("FUNDDESK_DATA_DIR", str(tmp_path / "var"))
    (tmp_path / "questions.csv").write_text("\n".join(routine_days()) + "\n")
    assert main(["replay-questions", str(tmp_path / "questions.csv"), "--knowledge-base"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"{tmp_path / folder}:0: {message}")
