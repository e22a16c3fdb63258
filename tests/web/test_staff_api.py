"""The staff API end to end over HTTP and WebSockets: queues, claims, live chat, hand-back, security."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.asyncio.client import connect

from tests.web.conftest import Api
from tests.web.staff_helpers import StaffClient, add_user, next_of


@pytest.fixture
def agent(api: Api) -> Iterator[StaffClient]:
    add_user(api, "anna", "agent", ["service-desk"])
    client = StaffClient(api, "anna")
    assert client.login().status_code == 200
    yield client
    client.close()


def _investor_ws(api: Api, conversation_id: str, auth: dict[str, str]) -> str:
    token = auth["Authorization"].removeprefix("Bearer ")
    return f"ws://{api.client.host}:{api.client.port}/api/v1/conversations/{conversation_id}/ws?token={token}"


def _texts(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(m["role"], m["text"]) for m in body["messages"]]


def test_an_investor_who_asks_for_a_person_while_nobody_is_online_can_leave_a_message(api: Api) -> None:
    conversation, auth = api.start()
    body = api.say(conversation, auth, text="I want to talk to a person").json()
    assert body["state"] == "waiting"
    assert body["messages"][0]["role"] == "bot"
    system = body["messages"][-1]
    assert system["role"] == "system" and "No one from our team is available" in system["text"]
    assert system["buttons"] == [{"title": "Back to the assistant", "payload": "/back_to_bot"}]
    # Further messages go to staff: the bot does not answer them.
    again = api.say(conversation, auth, text="How do I redeem?").json()
    assert again == {
        "messages": [],
        "state": "waiting",
        "queue": {"position": 1, "estimate_seconds": None, "ticket": True},
    }


def test_with_an_agent_online_the_investor_learns_their_place_in_the_queue(api: Api, agent: StaffClient) -> None:
    first, first_auth = api.start()
    second, second_auth = api.start()

    async def scenario() -> tuple[list[dict[str, Any]], dict[str, Any]]:
        async with agent.live() as console:
            said = []
            for conversation, auth in ((first, first_auth), (second, second_auth)):
                url = f"{api.url}/api/v1/conversations/{conversation}/messages"
                said.append((await api.http.post(url, json={"text": "a person please"}, headers=auth)).json())
            item = await next_of(console, "queue")
            return said, item

    said, item = api.run(scenario())
    assert "You are number 1 in the queue" in said[0]["messages"][-1]["text"]
    assert "You are number 2 in the queue" in said[1]["messages"][-1]["text"]
    assert item["item"]["team_id"] == "service-desk" and item["item"]["reason"] == "requested"
    assert item["item"]["status"] == "waiting" and item["item"]["sla"] == "ok"


def test_a_claimed_conversation_is_a_live_chat_both_ways_and_the_bot_stays_quiet(api: Api, agent: StaffClient) -> None:
    conversation, auth = api.start()

    async def scenario() -> dict[str, Any]:
        async with agent.live() as console, connect(_investor_ws(api, conversation, auth)) as investor:
            await investor.recv()  # ready
            url = f"{api.url}/api/v1/conversations/{conversation}/messages"
            await api.http.post(url, json={"text": "person"}, headers=auth)
            await next_of(console, "queue")
            claimed = await agent.aconversation(conversation, "claim")
            await console.send(json.dumps({"type": "watch", "conversation_id": conversation}))
            await next_of(console, "watching", conversation_id=conversation)
            await next_of(investor, "state", state="staff")
            reply = await agent.aconversation(conversation, "messages", json={"text": "Hello, I'm Anna."})
            pushed = await next_of(investor, "message")
            while pushed["message"]["role"] != "staff":
                pushed = await next_of(investor, "message")
            await investor.send(json.dumps({"type": "typing", "active": True}))
            typing = await next_of(console, "typing", conversation_id=conversation)
            answer = (await api.http.post(url, json={"text": "My card ends 6222021234567890128"}, headers=auth)).json()
            seen = await next_of(console, "message", conversation_id=conversation)
            return {
                "claimed": claimed, "reply": reply, "pushed": pushed, "typing": typing, "answer": answer, "seen": seen
            }  # fmt: skip

    got = api.run(scenario())
    assert got["claimed"].status_code == 200 and got["claimed"].json()["status"] == "active"
    assert got["reply"].status_code == 201
    assert got["pushed"]["message"] | {"id": 0, "created_at": ""} == {
        "id": 0,
        "role": "staff",
        "text": "Hello, I'm Anna.",
        "buttons": [],
        "created_at": "",
        "author": "Anna",
    }
    assert got["typing"]["role"] == "investor" and got["typing"]["active"] is True
    assert got["answer"] == {"messages": [], "state": "staff"}  # no bot reply, ever, while staff have it
    assert got["seen"]["message"]["role"] == "investor"
    assert got["seen"]["message"]["masked"] is True and "6222021234567890128" not in got["seen"]["message"]["text"]


def test_of_two_agents_claiming_at_once_exactly_one_wins(api: Api, agent: StaffClient) -> None:
    add_user(api, "bo", "agent", ["service-desk"])
    other = StaffClient(api, "bo")
    other.login()
    conversation, auth = api.start()
    api.say(conversation, auth, text="person")

    async def race() -> list[int]:
        claims = [agent.aconversation(conversation, "claim"), other.aconversation(conversation, "claim")]
        return sorted(r.status_code for r in await asyncio.gather(*claims))

    assert api.run(race()) == [200, 409]
    other.close()


def test_resolving_hands_the_conversation_back_to_the_bot_which_answers_again(api: Api, agent: StaffClient) -> None:
    conversation, auth = api.start()
    api.say(conversation, auth, text="person")
    assert agent.conversation(conversation, "claim").status_code == 200
    assert agent.conversation(conversation, "resolve").json() == {"state": "bot"}
    history = api.request("get", f"/api/v1/conversations/{conversation}/messages", headers=auth).json()
    assert history["state"] == "bot"
    assert history["messages"][-2]["text"] == "Anna has handed you back to the assistant."
    greeting = history["messages"][-1]
    assert greeting["role"] == "bot" and "back with the FundDesk assistant" in greeting["text"]
    answered = api.say(conversation, auth, text="How do I redeem?").json()
    assert answered["state"] == "bot" and answered["messages"][0]["role"] == "bot"


def test_the_investor_may_leave_the_queue_and_go_back_to_the_bot(api: Api) -> None:
    conversation, auth = api.start()
    api.say(conversation, auth, text="person")
    body = api.say(conversation, auth, payload="/back_to_bot").json()
    assert body["state"] == "bot"
    assert [m["role"] for m in body["messages"]] == ["system", "bot"]


def test_the_queues_back_button_clicked_while_a_person_chats_reaches_them_and_does_not_end_the_chat(
    api: Api, agent: StaffClient
) -> None:
    conversation, auth = api.start()
    api.say(conversation, auth, text="person")
    agent.conversation(conversation, "claim")
    body = api.say(conversation, auth, payload="/back_to_bot").json()
    assert body == {"messages": [], "state": "staff"}
    transcript = agent.conversation(conversation).json()
    assert transcript["state"] == "staff" and transcript["messages"][-1]["text"] == "Back to the assistant"


def test_internal_notes_reach_staff_but_never_the_investor(api: Api, agent: StaffClient) -> None:
    conversation, auth = api.start()
    api.say(conversation, auth, text="person")
    agent.conversation(conversation, "claim")
    note = agent.conversation(conversation, "messages", json={"text": "VIP client, be careful", "internal": True})
    assert note.status_code == 201 and note.json()["internal"] is True
    transcript = agent.conversation(conversation).json()
    assert any(m["internal"] and m["text"] == "VIP client, be careful" for m in transcript["messages"])
    history = api.request("get", f"/api/v1/conversations/{conversation}/messages", headers=auth).json()
    assert all("VIP" not in m["text"] for m in history["messages"])


def test_the_transcript_shows_the_bots_matched_entry_and_score(api: Api, agent: StaffClient) -> None:
    conversation, auth = api.start()
    api.say(conversation, auth, text="How do I redeem?")
    api.say(conversation, auth, text="person")
    messages = agent.conversation(conversation).json()["messages"]
    matched = [m["match"] for m in messages if m["match"] and m["match"]["decision"] == "answer"]
    assert matched and matched[0]["entry_id"] and matched[0]["score"] == pytest.approx(0.93)


def test_an_agent_of_another_team_may_not_read_or_claim_the_conversation(api: Api) -> None:
    add_user(api, "carl", "agent", ["trading-desk"])
    carl = StaffClient(api, "carl")
    carl.login()
    conversation, auth = api.start()
    api.say(conversation, auth, text="person")  # routed to service-desk
    assert carl.conversation(conversation).status_code == 403
    assert carl.conversation(conversation, "claim").status_code == 403
    carl.close()


def test_a_state_changing_request_without_the_csrf_token_is_refused(api: Api, agent: StaffClient) -> None:
    conversation, auth = api.start()
    api.say(conversation, auth, text="person")
    refused = agent.conversation(conversation, "claim", csrf=False)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf"
    assert agent.conversation(conversation, "claim").status_code == 200


def test_every_staff_route_in_the_openapi_document_needs_a_session(api: Api) -> None:
    document = api.request("get", "/api/v1/openapi.json").json()
    checked = 0
    for path, operations in document["paths"].items():
        if not path.startswith("/api/v1/staff/"):
            continue
        concrete = path.replace("{conversation_id}", "c" * 32).replace("{team_id}", "service-desk")
        for name in ("message_id", "canned_id", "user_id", "incident_id"):
            concrete = concrete.replace("{" + name + "}", "1")
        for method in operations:
            if (method, path) == ("post", "/api/v1/staff/session"):
                continue  # logging in
            response = api.request(method, concrete, json={})
            assert response.status_code == 401, (method, path, response.status_code)
            checked += 1
    assert checked >= 25


def test_a_wrong_password_is_refused_and_logging_out_ends_the_session(api: Api) -> None:
    add_user(api, "dora", "lead", ["service-desk"])
    dora = StaffClient(api, "dora")
    assert dora.login("wrong password!").status_code == 401
    assert dora.login().status_code == 200
    assert dora.request("get", "/api/v1/staff/session").json()["reveal_allowed"] is True
    assert dora.request("delete", "/api/v1/staff/session").status_code == 204
    assert dora.request("get", "/api/v1/staff/queues").status_code == 401
    dora.close()


def test_revealing_personal_data_is_for_leads_and_is_audited(api: Api, agent: StaffClient) -> None:
    add_user(api, "lena", "lead", ["service-desk"])
    lead = StaffClient(api, "lena")
    lead.login()
    conversation, auth = api.start()
    api.say(conversation, auth, text="person")
    agent.conversation(conversation, "claim")
    api.say(conversation, auth, text="call me on 13812345678")
    message = next(m for m in agent.conversation(conversation).json()["messages"] if m["masked"])
    assert "13812345678" not in message["text"]
    reveal = f"/api/v1/staff/conversations/{conversation}/messages/{message['id']}/reveal"
    assert agent.request("post", reveal).status_code == 403
    shown = lead.request("post", reveal)
    assert shown.json()["text"] == "call me on 13812345678"
    actions = [(e["username"], e["action"]) for e in lead.request("get", "/api/v1/staff/audit").json()["entries"]]
    assert ("lena", "reveal") in actions and ("anna", "claim") in actions
    assert agent.request("get", "/api/v1/staff/audit").status_code == 403
    lead.close()


def test_leads_keep_canned_responses_that_their_agents_can_read(api: Api, agent: StaffClient) -> None:
    add_user(api, "lena", "lead", ["service-desk"])
    lead = StaffClient(api, "lena")
    lead.login()
    path = "/api/v1/staff/teams/service-desk/canned"
    assert agent.request("post", path, json={"shortcut": "hi", "text": "Hello!"}).status_code == 403
    assert lead.request("post", path, json={"shortcut": "/hi", "text": "Hello!"}).status_code == 201
    assert lead.request("post", path, json={"shortcut": "hi", "text": "Again"}).status_code == 409
    assert agent.request("get", path).json()["canned"][0] | {"id": 0} == {"id": 0, "shortcut": "hi", "text": "Hello!"}
    lead.close()


def test_a_transfer_moves_the_conversation_to_the_other_teams_queue(api: Api, agent: StaffClient) -> None:
    conversation, auth = api.start()
    api.say(conversation, auth, text="person")
    agent.conversation(conversation, "claim")
    moved = agent.conversation(conversation, "transfer", json={"team_id": "trading-desk"})
    assert moved.status_code == 200
    assert moved.json()["team_id"] == "trading-desk" and moved.json()["status"] == "waiting"
    assert agent.conversation(conversation).status_code == 403  # no longer anna's team
    history = api.request("get", f"/api/v1/conversations/{conversation}/messages", headers=auth).json()
    assert history["messages"][-1]["text"] == "You are being passed to another team. Please stay with us."


def test_a_transfer_to_a_colleague_in_the_same_team_tells_the_investor_just_that(api: Api, agent: StaffClient) -> None:
    colleague = add_user(api, "ben", "agent", ["service-desk"])
    conversation, auth = api.start()
    api.say(conversation, auth, text="person")
    agent.conversation(conversation, "claim")
    moved = agent.conversation(conversation, "transfer", json={"team_id": "service-desk", "user_id": colleague})
    assert moved.status_code == 200
    history = api.request("get", f"/api/v1/conversations/{conversation}/messages", headers=auth).json()
    assert history["messages"][-1]["text"] == "You are being passed to a colleague. Please stay with us."


def test_admins_create_users_and_nobody_else_can(api: Api, agent: StaffClient) -> None:
    add_user(api, "root", "admin", [])
    admin = StaffClient(api, "root")
    admin.login()
    new = {"username": "eve", "password": "a long password", "role": "agent", "teams": ["trading-desk"]}
    assert agent.request("post", "/api/v1/staff/users", json=new).status_code == 403
    created = admin.request("post", "/api/v1/staff/users", json=new)
    assert created.status_code == 201 and created.json()["teams"] == ["trading-desk"]
    weak = admin.request("post", "/api/v1/staff/users", json=new | {"username": "fay", "password": "short"})
    assert weak.status_code == 400 and weak.json()["error"]["code"] == "weak_password"
    admin.close()


def test_password_guessing_is_slowed_per_address_at_the_configured_login_rate(make_api: Any) -> None:
    api = make_api(staff_login_rate=3)
    add_user(api, "guessed")
    guesser = StaffClient(api, "guessed")
    assert [guesser.login("wrong password").status_code for _ in range(3)] == [401, 401, 401]
    refused = guesser.login()  # even the right password waits: the address used its attempts
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["error"]["code"] == "login_rate_limited"


def _admin_and_anna(api: Api) -> tuple[StaffClient, dict[str, Any]]:
    """An admin, signed in, and the agent anna's account as the admin sees it."""
    add_user(api, "root", "admin", [])
    admin = StaffClient(api, "root")
    admin.login()
    anna = next(u for u in admin.request("get", "/api/v1/staff/users").json()["users"] if u["username"] == "anna")
    return admin, anna


def test_deactivating_an_agent_puts_their_conversations_back_in_the_queue_and_the_audit_says_what_changed(
    api: Api, agent: StaffClient
) -> None:
    admin, anna = _admin_and_anna(api)
    conversation, auth = api.start()
    api.say(conversation, auth, text="person")
    agent.conversation(conversation, "claim")
    assert admin.request("patch", f"/api/v1/staff/users/{anna['id']}", json={"active": False}).status_code == 200
    queues = admin.request("get", "/api/v1/staff/queues").json()["queues"]
    [item] = next(q for q in queues if q["team"]["id"] == "service-desk")["items"]
    assert (item["conversation_id"], item["status"], item["assignee"]) == (conversation, "waiting", None)
    history = api.request("get", f"/api/v1/conversations/{conversation}/messages", headers=auth).json()
    assert history["state"] == "waiting" and history["messages"][-1]["text"].startswith("You are back in the queue")
    [update] = [
        e for e in admin.request("get", "/api/v1/staff/audit").json()["entries"] if e["action"] == "user_update"
    ]
    assert update["detail"]["changes"] == {"active": [True, False]}
    admin.close()


def test_a_deactivated_agent_who_signs_in_is_told_the_account_is_deactivated_and_a_wrong_password_learns_nothing(
    api: Api, agent: StaffClient
) -> None:
    admin, anna = _admin_and_anna(api)
    admin.request("patch", f"/api/v1/staff/users/{anna['id']}", json={"active": False})
    assert agent.request("get", "/api/v1/staff/session").status_code == 401  # signed out everywhere
    refused = agent.login()
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "account_deactivated"
    assert "funddesk_staff" not in refused.cookies
    wrong = agent.login("not the password")
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "bad_login"
    entries = admin.request("get", "/api/v1/staff/audit").json()["entries"]
    failures = [e for e in entries if e["action"] == "login_failed"]
    assert [e["detail"].get("reason") for e in failures] == [None, "account_deactivated"]  # newest first
    admin.request("patch", f"/api/v1/staff/users/{anna['id']}", json={"active": True})
    assert agent.login().status_code == 200
    admin.close()
