"""The open incidents as an action server that does not lead the detector sees them (escalation/spikes/open_view.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from escalation.spikes.open_view import OpenIncidents
from escalation.staff import accounts
from escalation.staff.teams import TeamConfig
from funddesk.db import Database, Incident, IncidentStatus, Question, make_engine, migrate

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SHARED = (np.ones(8) / np.sqrt(8)).astype(np.float32)  # every question of one cluster points here


def database(tmp_path: Path) -> Database:
    db = Database(make_engine(f"sqlite:///{tmp_path / 'view.sqlite3'}"))
    migrate.upgrade(db.engine)
    with db.session(write=True) as session:
        accounts.sync_teams(session, [TeamConfig("desk", "Desk")])
    return db


def incident(key: str, evidence: dict[str, object]) -> Incident:
    return Incident(
        key=key, cluster_id="c1", label="赎回多久到账", fund_code=None, team_id="desk", status=IncidentStatus.OPEN,
        started_at=NOW, detected_at=NOW, count=30, baseline=1.0, samples=[], series=[], evidence=evidence,
    )  # fmt: skip


def test_an_entrys_incident_takes_that_entrys_questions_and_not_the_rest_of_its_cluster(tmp_path: Path) -> None:
    db = database(tmp_path)
    with db.session(write=True) as session:
        session.add(incident("i1", {"trigger": "entry", "entry": "zh-redemption-arrival"}))
        for entry in ("zh-redemption-arrival", "zh-purchase-fees"):
            session.add(Question(asked_at=NOW, text="q", lang="zh", embedding=SHARED.tobytes(), entry_id=entry,
                                 cluster_id="c1"))  # fmt: skip
    view = OpenIncidents(threshold=0.72)
    with db.session() as session:
        view.refresh(session)
    found = view.find(SHARED, None, "zh-redemption-arrival")
    assert found is not None and found.key == "i1"
    assert view.find(SHARED, None, "zh-purchase-fees") is None  # same cluster, same direction: another question
    assert view.find(SHARED, None) is None


def test_a_topics_incident_still_takes_questions_near_its_cluster(tmp_path: Path) -> None:
    db = database(tmp_path)
    with db.session(write=True) as session:
        session.add(incident("i2", {"trigger": "topic"}))
        session.add(Question(asked_at=NOW, text="q", lang="zh", embedding=SHARED.tobytes(), cluster_id="c1"))
    view = OpenIncidents(threshold=0.72)
    with db.session() as session:
        view.refresh(session)
    found = view.find(SHARED, None, "anything")
    assert found is not None and found.key == "i2"
    assert view.find(SHARED, None, "anything", "fallback") is not None
    assert view.find(SHARED, None, "anything", "answer") is None  # it asks no entry, and the FAQ answered this one


def test_a_topics_incident_that_asks_one_entry_takes_its_questions_anywhere_and_no_other_entrys(
    tmp_path: Path,
) -> None:
    """Its cluster may hold other topics (escalation/spikes/surge.py): as the detector's own pipeline decides."""
    db = database(tmp_path)
    with db.session(write=True) as session:
        session.add(incident("i3", {"trigger": "topic", "asks": "zh-redemption-arrival"}))
        session.add(Question(asked_at=NOW, text="q", lang="zh", embedding=SHARED.tobytes(), cluster_id="c1"))
    view = OpenIncidents(threshold=0.72)
    with db.session() as session:
        view.refresh(session)
    elsewhere = np.roll(np.eye(8, dtype=np.float32)[0], 3)
    for vector in (SHARED, elsewhere):
        found = view.find(vector, None, "zh-redemption-arrival")
        assert found is not None and found.key == "i3"
    assert view.find(SHARED, None, "zh-purchase-fees") is None  # near its cluster, but another question
    found = view.find(SHARED, None)  # no entry to tell: near its cluster is enough
    assert found is not None and found.key == "i3"


def test_an_answered_incident_left_open_gives_way_to_the_next_surge_of_its_question(tmp_path: Path) -> None:
    """Before, the view held every incident not closed, and an entry's question found the oldest: the answered one, so
    the next surge's askers got no holding reply from the servers that do not lead."""
    db = database(tmp_path)
    with db.session(write=True) as session:
        answered = incident("i1", {"trigger": "entry", "entry": "zh-redemption-arrival"})
        answered.status = IncidentStatus.ANSWERED
        session.add(answered)
        session.add(Question(asked_at=NOW, text="q", lang="zh", embedding=SHARED.tobytes(), cluster_id="c1"))
    view = OpenIncidents(threshold=0.72)
    with db.session() as session:
        view.refresh(session)
    assert view.find(SHARED, None, "zh-redemption-arrival") is None and view.find(SHARED, None) is None
    with db.session(write=True) as session:
        session.add(incident("i2", {"trigger": "entry", "entry": "zh-redemption-arrival"}))
        session.add(incident("i3", {"trigger": "topic"}))
    with db.session() as session:
        view.refresh(session)
    found = view.find(SHARED, None, "zh-redemption-arrival")
    assert found is not None and found.key == "i2"
    found = view.find(SHARED, None)
    assert found is not None and found.key == "i3"


def test_an_unanswered_incident_whose_surge_is_over_holds_no_asker(tmp_path: Path) -> None:
    """Before, an incident nobody answered held its askers from every server that does not lead, however long after
    its surge, for as long as nobody in the console acted."""
    db = database(tmp_path)
    with db.session(write=True) as session:
        over = incident("i1", {"trigger": "entry", "entry": "zh-redemption-arrival"})
        over.surge_ended_at = NOW
        session.add(over)
        session.add(Question(asked_at=NOW, text="q", lang="zh", embedding=SHARED.tobytes(), cluster_id="c1"))
    view = OpenIncidents(threshold=0.72)
    with db.session() as session:
        view.refresh(session)
    assert view.find(SHARED, None, "zh-redemption-arrival") is None and view.incidents == []
