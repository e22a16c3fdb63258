"""The analytics dashboard at scale: one million logged questions in PostgreSQL, summary and gaps timed.

    python -m bench.analytics_bench [--questions 1000000] [--days 30] [--topics 2000] [--dim 384] [--runs 5]

Works in a schema of its own in the ``test`` database (``FUNDDESK_TEST_POSTGRES_URL``, default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``), created, migrated to head and dropped at the end.
The data is generated in the database (INSERT ... SELECT over generate_series), all within the ``days``
range, the worst case for a range of that length: ``questions`` questions (decisions 70% answer, 15% clarify,
15% fallback; topic clusters drawn with a heavy head, each with its own ``dim``-float embedding), one investor
message and one bot reply per question, half of the clarifies picked, a conversation per four questions,
hand-offs for 5% of the conversations and feedback on 5% of the answers (a fifth not helpful); then the hourly
rollup the question log's writer keeps is counted from those rows.

Then it times ``report.summary`` and ``report.gaps`` over the range ``runs`` times each (the first run on a
freshly analysed table, then warm) and prints one JSON object: the fill time, each query's first and median
seconds, and the sizes. No timing is asserted anywhere: it is a measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from escalation.analytics import report, rollup
from escalation.analytics.period import parse_period
from funddesk.db import make_engine, migrate

POSTGRES_URL = os.environ.get("FUNDDESK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TEAMS = ("service-desk", "trading-desk", "account-services", "investor-relations")

FILL = (
    """INSERT INTO teams (id, name, sla_seconds, created_at)
       SELECT t, t, 120, now() FROM unnest(CAST(:teams AS text[])) t""",
    """INSERT INTO conversations (id, token_hash, lang, state, created_at, updated_at)
       SELECT 'v' || g, md5(g::text) || md5(g::text), 'en', 'bot', :start + random() * :span, :start
       FROM generate_series(1, :conversations) g""",
    """INSERT INTO questions (conversation_id, asked_at, text, lang, fund_code, embedding, entry_id, score, decision,
                             cluster_id, team_id)
       SELECT 'v' || (1 + g % :conversations), :start + random() * :span,
              'question ' || g || ' about topic ' || t.k, CASE WHEN g % 5 = 0 THEN 'zh' ELSE 'en' END,
              CASE WHEN g % 3 = 0 THEN '9' || lpad((t.k % 50)::text, 5, '0') END, t.embedding,
              'entry-' || (g % 120), 0.5, d.decision, 'c' || t.k, (CAST(:teams AS text[]))[1 + t.k % 4]
       FROM generate_series(1, :questions) g
       CROSS JOIN LATERAL (SELECT floor(:topics * power(random(), 3))::int AS k, random() AS r, g AS gg) pick
       JOIN bench_topics t ON t.k = pick.k
       CROSS JOIN LATERAL (SELECT CASE WHEN pick.r < 0.70 THEN 'answer' WHEN pick.r < 0.85 THEN 'clarify'
                                       ELSE 'fallback' END AS decision, pick.gg) d""",
    """INSERT INTO messages (conversation_id, role, text, internal, created_at)
       SELECT conversation_id, r.role, text, false, asked_at + r.delay
       FROM questions CROSS JOIN (VALUES ('investor', interval '0'), ('bot', interval '1 second')) r(role, delay)""",
    """INSERT INTO messages (conversation_id, role, text, payload, internal, created_at)
       SELECT conversation_id, 'investor', 'choice', '/choose_faq{"faq_id":"x"}', false, asked_at + interval '1 minute'
       FROM questions WHERE decision = 'clarify' AND id % 2 = 0""",
    """INSERT INTO handoffs (conversation_id, team_id, status, ticket, reason, lang, created_at, first_response_at,
                            resolved_at, updated_at)
       SELECT id, (CAST(:teams AS text[]))[1 + n % 4], 'resolved', false,
              (ARRAY['requested', 'fallback', 'negative_feedback', 'faq_escalate'])[1 + n % 4], 'en',
              created_at, created_at + random() * interval '5 minutes', created_at + random() * interval '1 hour',
              created_at
       FROM (SELECT id, created_at, row_number() OVER () AS n FROM conversations) c WHERE n % 20 = 0""",
    """INSERT INTO feedback (conversation_id, entry_id, helpful, created_at)
       SELECT conversation_id, entry_id, (id / 20) % 5 <> 0, asked_at + interval '30 seconds'
       FROM questions WHERE decision = 'answer' AND id % 20 = 0""",
)


def fill(engine: Engine, questions: int, days: int, topics: int, dim: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    start = datetime.combine(now.date() - timedelta(days=days - 1), datetime.min.time(), UTC)
    params = {
        "teams": list(TEAMS),
        "start": start,
        "span": (now - start) - timedelta(minutes=5),
        "conversations": max(1, questions // 4),
        "questions": questions,
        "topics": topics,
    }
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((topics, dim)).astype("<f4")
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE bench_topics (k int PRIMARY KEY, embedding bytea)"))
        connection.execute(
            text("INSERT INTO bench_topics VALUES (:k, :embedding)"),
            [{"k": k, "embedding": vectors[k].tobytes()} for k in range(topics)],
        )
        for statement in FILL:
            connection.execute(text(statement), params)
        rollup.rebuild(connection)  # the rows bypassed the question log's writer, which keeps it
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    return {"first_day": start.date(), "last_day": now.date()}


def timed(engine: Engine, work: Any, runs: int) -> dict[str, float]:
    seconds = []
    for _ in range(runs):
        with Session(engine) as session:
            started = time.perf_counter()
            work(session)
            seconds.append(time.perf_counter() - started)
    return {"first_s": round(seconds[0], 3), "median_s": round(statistics.median(seconds), 3)}


def run(questions: int, days: int, topics: int, dim: int, runs: int) -> dict[str, Any]:
    schema = f"funddesk_bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))  # a generated name, not input
    engine = make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        migrate.upgrade(engine)
        started = time.perf_counter()
        days_range = fill(engine, questions, days, topics, dim)
        filled = time.perf_counter() - started
        period = parse_period(str(days_range["first_day"]), str(days_range["last_day"]), "UTC", datetime.now(UTC))
        span = report.span_of(period, None)
        now = datetime.now(UTC)
        summary = timed(engine, lambda s: report.summary(s, period, None, now), runs)
        gaps = timed(engine, lambda s: report.gaps(s, span), runs)
        with Session(engine) as session:
            figures = report.summary(session, period, None, now)
            found = report.gaps(session, span)
        return {
            "questions": figures["questions"],
            "conversations": figures["conversations"],
            "messages": figures["messages"],
            "days": (period.last_day - period.first_day).days + 1,
            "dim": dim,
            "fill_s": round(filled, 1),
            "summary": summary,
            "gaps": gaps | {"count": len(found), "largest": found[0].size if found else 0},
            "machine": f"{platform.node()} {os.cpu_count()} cpus, {platform.python_version()}",
            "date": datetime.now(UTC).isoformat(timespec="minutes"),
        }
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--topics", type=int, default=2000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.questions, args.days, args.topics, args.dim, args.runs), default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
