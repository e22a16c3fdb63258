"""The action server's Prometheus metrics: protected, and moved by matching, reloads and incidents."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sanic import Sanic

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # sanic-testing imports websockets.legacy
    import sanic_testing  # noqa: F401

from actions.__main__ import build_app
from actions.metrics import ActionMetrics, MeteredSpikeWatch, count_reloads
from escalation.spikes.watch import Asked, Observed
from funddesk.db import database_url, make_engine, migrate
from funddesk.settings import Settings
from knowledge_base.embedder import HashingEmbedder
from knowledge_base.service import KnowledgeBase
from tests.conftest import WriteFaq
from tests.unit.test_action_server import FAQ, action_call

TOKEN = "scrape-secret"
OpenKb = Callable[..., KnowledgeBase]


@pytest.fixture
def app(faq_dir: Path, write_faq: WriteFaq, tmp_path: Path) -> Sanic[Any, Any]:
    Sanic.test_mode = True
    write_faq("accounts.md", FAQ)
    settings = Settings(
        kb_dir=faq_dir, data_dir=tmp_path / "var", funds_file=tmp_path / "none.yml", metrics_token=TOKEN
    )
    engine = make_engine(database_url("", settings.data_dir))
    migrate.upgrade(engine)  # as `make run` does before starting the action server
    engine.dispose()
    return build_app(settings, embedder=HashingEmbedder())


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_the_action_servers_metrics_refuse_a_scrape_without_the_token(app: Sanic[Any, Any]) -> None:
    _, refused = app.test_client.get("/metrics")
    _, wrong = app.test_client.get("/metrics", headers={"Authorization": "Bearer guess"})
    assert (refused.status, wrong.status) == (401, 401)


def test_after_a_question_the_match_latency_and_the_decision_are_counted(app: Sanic[Any, Any]) -> None:
    question = action_call("action_answer_faq", "How do I change the bank card linked to my account?")
    _, answered = app.test_client.post("/webhook", json=question)
    assert answered.status == 200
    _, scraped = app.test_client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert scraped.status == 200
    counted = samples(scraped.text)
    assert counted[("funddesk_match_decisions_total", (("decision", "answer"), ("lang", "en")))] == 1
    assert counted[("funddesk_stage_seconds_count", (("stage", "match"),))] == 1
    assert counted[("funddesk_embedding_batch_size_count", ())] == 1  # one question, one model call
    assert counted[("funddesk_embedding_batch_size_sum", ())] == 1


def reloads(metrics: ActionMetrics) -> dict[str, float]:
    return {outcome: metrics.reloads.labels(outcome)._value.get() for outcome in ("ok", "rejected", "failed")}


def test_every_reload_outcome_is_exported_before_any_reload() -> None:
    assert samples(generate_latest(ActionMetrics().registry).decode()).keys() >= {
        ("funddesk_kb_reloads_total", (("outcome", outcome),)) for outcome in ("ok", "rejected", "failed")
    }


def gauges(metrics: ActionMetrics) -> tuple[float, ...]:
    problems = (metrics.kb_problems.labels(severity)._value.get() for severity in ("error", "warning"))
    return (metrics.kb_entries._value.get(), *problems)


def test_a_good_edit_counts_as_ok_a_broken_one_as_rejected_and_a_reload_that_raises_as_failed(
    write_faq: WriteFaq, open_kb: OpenKb, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_faq("accounts.md", FAQ)
    metrics, kb = ActionMetrics(), open_kb()
    count_reloads(kb, metrics)
    path.write_text(path.read_text() + "\n## How do I close my account? {#account-closing}\n\nCall us.\n")
    kb.reload()
    assert reloads(metrics) == {"ok": 1, "rejected": 0, "failed": 0}
    path.write_text(path.read_text().replace("{#account-closing}", "{#account closing!}"))  # not a valid id
    assert kb.reload().rejected == ("accounts.md",)
    assert kb.entry("account-closing") is not None  # the last good version still serves
    assert reloads(metrics) == {"ok": 1, "rejected": 1, "failed": 0}
    assert gauges(metrics) == (2, 1, 0)  # entries serving (the last good one too), errors, warnings
    monkeypatch.setattr(kb.files, "read", lambda: (_ for _ in ()).throw(OSError("disk gone")))
    with pytest.raises(OSError):
        kb.reload()
    assert reloads(metrics) == {"ok": 1, "rejected": 1, "failed": 1}


class OpeningWatch:
    def observe(self, asked: Asked) -> Observed:
        return Observed("c1", incident="i1", opened=("i1",))


def test_incidents_the_spike_watch_opens_are_counted() -> None:
    metrics = ActionMetrics()
    MeteredSpikeWatch(OpeningWatch(), metrics).observe(Asked("why is the NAV late", "en", None))
    assert metrics.incidents._value.get() == 1
