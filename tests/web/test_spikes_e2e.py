"""A spike end to end, on the whole stack: 30 investors suddenly ask the same new question through
the API, an incident reaches the owning team's queue, staff publish one answer, and the bot gives
it to a new investor (and pushes it to those who asked).

The data folder starts with a day of ordinary traffic already seen by the spike detector (as a
service that has been running would have), so the detector is past its learning period.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from escalation.spikes.watch import Asked, SpikeWatch, pipeline_config
from escalation.staff import accounts
from escalation.staff.teams import Router, load_fund_teams, load_teams
from funddesk.db import Database, StaffRole, database_url, migrate
from funddesk.settings import Settings
from knowledge_base.embedder import configured_embedder
from knowledge_base.published import published_dir
from tests.conftest import SHIPPED_FAQ
from tests.web.stack_fixture import running_stack, seed

pytestmark = pytest.mark.integration
NEW_QUESTION = "Why did the Demo Balanced Fund 900001 drop 5% today?"
USUAL = (
    "How long until my redemption money arrives?",
    "What is the cut-off time for orders?",
    "How do I change my bank card?",
    "When is the NAV published?",
    "How do I start a monthly investment plan?",
)
PASSWORD = "a long password"


def _seed_history(data: Path, settings: Settings) -> None:
    """A day of ordinary questions, ending now, through the same spike watch the action server runs."""
    db = Database.from_url(database_url("", data))
    migrate.upgrade(db.engine)
    teams = load_teams(settings.teams_file)
    with db.session(write=True) as session:
        accounts.sync_teams(session, teams)
        accounts.create_user(session, "ivy", PASSWORD, role=StaffRole.ADMIN)
    router = Router(frozenset(t.id for t in teams), load_fund_teams(settings.funds_file), settings.default_team)
    vectors = configured_embedder(settings).encode(list(USUAL))
    watch = SpikeWatch(db, router=router, team_of_entry=lambda _: None, state_file=data / "spikes_state.json",
                       timezone=settings.timezone, config=pipeline_config(settings.spike_warmup_minutes))  # fmt: skip
    moment = datetime.now(UTC) - timedelta(hours=25)
    while moment < datetime.now(UTC) - timedelta(minutes=1):
        for text, vector in zip(USUAL, vectors, strict=True):
            watch.observe(Asked(text, "en", vector, moment=moment))
        moment += timedelta(minutes=5)
    watch.close()
    db.dispose()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    root = tmp_path_factory.mktemp("spikes")
    data, kb = root / "var", root / "faq"
    data.mkdir()
    shutil.copytree(SHIPPED_FAQ, kb)  # a copy, to show that publishing writes nothing into it
    seed(data)
    _seed_history(data, Settings(kb_dir=kb))
    with running_stack(data, kb_dir=str(kb)) as settings:
        yield settings


def _ask(http: httpx.Client, text: str) -> tuple[str, dict[str, str], list[dict[str, object]]]:
    created = http.post("/conversations", json={"lang": "en"}).json()
    auth = {"Authorization": f"Bearer {created['token']}"}
    reply = http.post(f"/conversations/{created['conversation_id']}/messages", json={"text": text}, headers=auth)
    assert reply.status_code == 200, reply.text
    return created["conversation_id"], auth, reply.json()["messages"]


def test_thirty_investors_asking_the_same_new_question_open_an_incident_that_one_answer_closes(
    stack: Settings,
) -> None:
    base = f"http://{stack.web_host}:{stack.web_port}/api/v1"
    with httpx.Client(base_url=base, timeout=60) as http, httpx.Client(base_url=base, timeout=60) as staff:
        login = staff.post("/staff/session", json={"username": "ivy", "password": PASSWORD}).json()
        csrf = {"X-CSRF-Token": login["csrf_token"]}
        askers = [_ask(http, NEW_QUESTION) for _ in range(30)]
        incidents = staff.get("/staff/incidents").json()["incidents"]
        assert len(incidents) == 1, incidents
        incident = incidents[0]
        assert incident["fund_code"] == "900001" and incident["count"] >= 8
        assert incident["team_id"] == "investor-relations"  # the fund's team
        held = [m for _, _, messages in askers[-5:] for m in messages if "Many investors are asking" in str(m["text"])]
        assert held, askers[-1][2]  # the later askers were told the team is on it

        answer = "Demo Balanced Fund 900001 fell with the equity market today; its holdings are unchanged."
        published = staff.post(f"/staff/incidents/{incident['id']}/answer", json={"answer": answer}, headers=csrf)
        assert published.status_code == 200, published.text
        first_id, first_auth, _ = askers[0]
        pushed = http.get(f"/conversations/{first_id}/messages", headers=first_auth).json()["messages"]
        assert pushed[-1]["text"] == answer

        got: list[dict[str, object]] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # hot reload makes the new entry live within seconds
            _, _, got = _ask(http, "why did fund 900001 drop 5% today")
            if any(m["text"] == answer for m in got):
                break
            time.sleep(1)
        assert any(m["text"] == answer for m in got), got
        assert (published_dir(stack) / "incidents" / f"incident-{incident['id']}.md").is_file()  # under data_dir
        assert _files(stack.data_dir.parent / "faq") == _files(SHIPPED_FAQ)


def _files(root: Path) -> list[Path]:
    return sorted(path.relative_to(root) for path in root.rglob("*"))
