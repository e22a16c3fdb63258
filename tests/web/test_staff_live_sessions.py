"""The console's live connection ends with its session: at once when the session is closed through the API, and at
the next heartbeat however busy the connection is when it ends any other way (a password reset from the command
line)."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import delete
from websockets.exceptions import ConnectionClosed

from funddesk.db import Database, StaffSession, database_url
from tests.web.conftest import Api
from tests.web.staff_helpers import StaffClient, add_user, next_of
from web.api.staff import live

pytestmark = pytest.mark.integration
LOGGED_OUT = 4401


async def _closed_with(ws: object, timeout: float) -> int | None:
    """The close code once the server closes ``ws``, reading (and skipping) every frame before it."""

    async def drain() -> int | None:
        try:
            while True:
                await ws.recv()  # type: ignore[attr-defined]
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd is not None else None

    return await asyncio.wait_for(drain(), timeout)


def test_an_admin_deactivating_an_agent_closes_the_agents_console_at_once(api: Api) -> None:
    add_user(api, "anna")
    add_user(api, "root", "admin", [])
    agent, admin = StaffClient(api, "anna"), StaffClient(api, "root")
    agent.login()
    admin.login()
    anna = next(u for u in admin.request("get", "/api/v1/staff/users").json()["users"] if u["username"] == "anna")

    async def scenario() -> int | None:
        async with agent.live() as console:
            await admin.arequest("patch", f"/api/v1/staff/users/{anna['id']}", json={"active": False})
            return await _closed_with(console, timeout=5.0)  # the heartbeat is 20 s away

    assert api.run(scenario()) == LOGGED_OUT
    agent.close()
    admin.close()


def test_logging_out_closes_the_sessions_other_consoles_but_not_the_users_other_sessions(api: Api) -> None:
    add_user(api, "anna")
    tab, other_browser = StaffClient(api, "anna"), StaffClient(api, "anna")
    tab.login()
    other_browser.login()

    async def scenario() -> tuple[int | None, str]:
        async with tab.live() as console, other_browser.live() as elsewhere:
            await tab.arequest("delete", "/api/v1/staff/session")
            code = await _closed_with(console, timeout=5.0)
            await elsewhere.send(json.dumps({"type": "nonsense", "conversation_id": "x"}))
            still = await next_of(elsewhere, "error")  # it answers: still open
            return code, still["code"]

    assert api.run(scenario()) == (LOGGED_OUT, "bad_command")
    tab.close()
    other_browser.close()


def test_a_busy_console_is_still_asked_at_each_heartbeat_whether_its_session_lives(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "HEARTBEAT", 1.0)
    add_user(api, "anna")
    agent = StaffClient(api, "anna")
    agent.login()

    async def scenario() -> int | None:
        async with agent.live() as console:
            # The session ends outside the API (as `python -m escalation users set-password` does), while
            # investors keep the console busy with a queue update every fifth of a second.
            db = Database.from_url(database_url("", api.settings.data_dir))
            try:
                with db.session(write=True) as session:
                    session.execute(delete(StaffSession))
            finally:
                db.dispose()

            async def keep_busy() -> None:
                while True:
                    conversation = (await api.http.post(f"{api.url}/api/v1/conversations")).json()
                    auth = {"Authorization": f"Bearer {conversation['token']}"}
                    url = f"{api.url}/api/v1/conversations/{conversation['conversation_id']}/messages"
                    await api.http.post(url, json={"text": "person"}, headers=auth)
                    await asyncio.sleep(0.2)

            busy = asyncio.ensure_future(keep_busy())
            try:
                return await _closed_with(console, timeout=10.0)
            finally:
                busy.cancel()

    assert api.run(scenario()) == LOGGED_OUT
    agent.close()
