"""The web service's Prometheus metrics: a protected route, and counters that follow the chat."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.web.conftest import Api, MakeApi
from tests.web.staff_helpers import StaffClient, add_user

TOKEN = "scrape-secret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def scrape(api: Api) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = api.request("get", "/metrics", headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_without_a_metrics_token_there_is_no_metrics_route(api: Api) -> None:
    assert api.request("get", "/metrics").status_code == 404


def test_the_metrics_route_refuses_a_scrape_without_the_token_or_with_a_wrong_one(make_api: MakeApi) -> None:
    api = make_api(metrics_token=TOKEN)
    assert api.request("get", "/metrics").status_code == 401
    assert api.request("get", "/metrics", headers={"Authorization": "Bearer guess"}).status_code == 401
    assert api.request("get", "/metrics", headers=AUTH).status_code == 200


def test_after_a_chat_the_message_decision_latency_and_error_counters_moved(make_api: MakeApi) -> None:
    api = make_api(metrics_token=TOKEN)
    before = scrape(api)
    conversation_id, headers = api.start()
    assert api.say(conversation_id, headers, text="How long until my redemption money arrives?").status_code == 200
    assert api.request("get", "/api/v1/conversations/unknown/messages", headers=headers).status_code == 404
    after = scrape(api)

    def moved(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert moved("funddesk_messages_total", role="investor") == 1
    assert moved("funddesk_messages_total", role="bot") >= 1
    assert moved("funddesk_decisions_total", decision="answer", lang="en") == 1
    assert moved("funddesk_stage_seconds_count", stage="web") == 1
    assert moved("funddesk_stage_seconds_count", stage="rasa") == 1
    assert moved("funddesk_http_errors_total", status="404") == 1


def test_a_hand_off_is_counted_and_its_queue_length_read_at_the_scrape(make_api: MakeApi) -> None:
    api = make_api(metrics_token=TOKEN)
    conversation_id, headers = api.start()
    assert api.say(conversation_id, headers, text="I want to talk to a person").json()["state"] == "waiting"
    after = scrape(api)
    assert after[("funddesk_handoffs_total", (("reason", "requested"),))] == 1
    assert after[("funddesk_queue_waiting", (("team", "service-desk"),))] == 1


def test_a_staff_reply_is_counted_as_a_staff_message(make_api: MakeApi) -> None:
    api = make_api(metrics_token=TOKEN)
    conversation_id, headers = api.start()
    api.say(conversation_id, headers, text="I want to talk to a person")
    add_user(api, "alice", "agent", teams=["service-desk"])
    alice = StaffClient(api, "alice")
    try:
        assert alice.login().status_code == 200
        assert alice.conversation(conversation_id, "claim").status_code == 200
        assert alice.conversation(conversation_id, "messages", json={"text": "Hello, Alice here."}).status_code == 201
    finally:
        alice.close()
    assert scrape(api)[("funddesk_messages_total", (("role", "staff"),))] == 1
