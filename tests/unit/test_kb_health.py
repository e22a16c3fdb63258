"""What a knowledge base tells staff after reading its files: how many entries serve, every problem as
``file:line``, and what serves in its place (knowledge_base/health.py); and how each action server records it
for the console (actions/kb_status.py)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from actions.kb_status import KbStatusReporter
from funddesk.db import Database, database_url, migrate
from funddesk.db import kb_status as repository
from knowledge_base.health import Health, failed
from knowledge_base.service import KnowledgeBase
from tests.conftest import WriteFaq

OpenKb = Callable[..., KnowledgeBase]
FEES = textwrap.dedent("""
    ## What are the fees? {#fees}
    - how much does it cost

    One percent.

    ## When does money arrive? {#arrival}

    T+1 to T+4.
    """).lstrip()


def test_a_clean_knowledge_base_serves_every_entry_and_has_no_problems(write_faq: WriteFaq, open_kb: OpenKb) -> None:
    write_faq("fees.md", FEES)
    health = served(open_kb())
    assert (health.outcome, health.files, health.entries, health.problems) == ("ok", 1, 2, ())


def test_an_entry_broken_by_an_edit_is_reported_at_its_line_and_its_last_good_version_serves(
    write_faq: WriteFaq, open_kb: OpenKb
) -> None:
    write_faq("fees.md", FEES)
    kb = open_kb()
    write_faq("fees.md", FEES.replace("One percent.", ""))  # the fees entry lost its answer
    kb.reload()
    health = served(kb)
    assert (health.outcome, health.entries) == ("rejected", 2)
    [problem] = health.problems
    assert (problem.file, problem.line, problem.severity, problem.scope) == ("fees.md", 1, "error", "entry")
    assert problem.serving == "last_good"
    assert "answer" in problem.message


def test_a_new_entry_with_an_error_serves_nothing_and_its_neighbours_serve(
    write_faq: WriteFaq, open_kb: OpenKb
) -> None:
    write_faq("fees.md", FEES)
    kb = open_kb()
    write_faq("fees.md", FEES + "\n## Can I convert? {#Bad_Id}\n\nYes.\n")
    kb.reload()
    health = served(kb)
    [problem] = health.problems
    assert (problem.line, problem.scope, problem.serving) == (10, "entry", "nothing")
    assert health.entries == 2


def test_a_file_broken_whole_keeps_its_last_good_version_and_says_so(write_faq: WriteFaq, open_kb: OpenKb) -> None:
    write_faq("fees.md", FEES)
    kb = open_kb()
    write_faq("fees.md", "---\nlang: fr\n---\n" + FEES)
    kb.reload()
    [problem] = served(kb).problems
    assert (problem.scope, problem.serving) == ("file", "last_good")
    assert served(kb).entries == 2


def test_a_file_that_never_served_and_is_broken_whole_serves_nothing(write_faq: WriteFaq, open_kb: OpenKb) -> None:
    write_faq("fees.md", FEES)
    write_faq("new.md", "---\nlang: fr\n---\n## Hello? {#hello}\n\nHi.\n")
    health = served(open_kb())
    [problem] = health.problems
    assert (problem.file, problem.scope, problem.serving) == ("new.md", "file", "nothing")


def test_errors_come_before_warnings_and_a_warning_serves_as_written(write_faq: WriteFaq, open_kb: OpenKb) -> None:
    write_faq("a.md", "## Fees? {#a-fees}\n- cost\n- cost\n\nOne percent.\n")  # a repeated phrasing: a warning
    write_faq("b.md", "## Hours? {#Bad}\n\nNine to five.\n")
    problems = served(open_kb()).problems
    assert [(p.file, p.severity, p.serving) for p in problems] == [
        ("b.md", "error", "nothing"),
        ("a.md", "warning", "as_written"),
    ]


def test_a_reload_that_raised_is_reported_as_failed_with_what_was_known() -> None:
    before = Health(datetime(2026, 12, 7, tzinfo=UTC), "rejected", 3, 40, ())
    after = failed(before, at=datetime(2026, 12, 8, tzinfo=UTC))
    assert (after.outcome, after.files, after.entries, after.checked_at.day) == ("failed", 3, 40, 8)


def test_each_action_server_replaces_its_own_row_removes_it_when_it_stops_and_a_refusing_database_costs_nothing(
    write_faq: WriteFaq, open_kb: OpenKb, tmp_path: Path
) -> None:
    write_faq("fees.md", FEES)
    kb = open_kb()
    db = Database.from_url(database_url("", tmp_path))
    migrate.upgrade(db.engine)
    reporter = KbStatusReporter(db, "host-a:5055", kb)
    reporter.report()
    kb.on_reload(reporter.report)
    write_faq("fees.md", FEES.replace("{#arrival}", "{#Arrival}"))
    kb.reload()
    KbStatusReporter(db, "host-b:5055", kb).report()
    with db.session() as session:
        rows = {row.server: row for row in repository.servers(session)}
        assert set(rows) == {"host-a:5055", "host-b:5055"}
        assert (rows["host-a:5055"].outcome, rows["host-a:5055"].entries) == ("rejected", 2)
        assert [p["line"] for p in rows["host-a:5055"].problems] == [6]
    reporter.close()
    with db.session(write=True) as session:
        assert [row.server for row in repository.servers(session)] == ["host-b:5055"]  # a stopped one is gone
        session.execute(text("DROP TABLE kb_status"))  # a database that refuses the next report
    reporter.report()  # a warning, not an exception on the reloading thread
    db.dispose()


def served(kb: KnowledgeBase) -> Health:
    assert kb.health is not None
    return kb.health
