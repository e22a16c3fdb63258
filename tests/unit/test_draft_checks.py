"""What publishing a knowledge-gap draft refuses before anything is served: a file with no entry, a question another
entry already asks (the bot would offer a choice between them) and a team that does not exist. What it publishes, it
names (escalation/analytics/drafts.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from escalation.analytics import drafts
from escalation.staff.errors import Invalid
from funddesk.settings import Settings

REDEEM = "---\nteam: trading-desk\n---\n## How do I redeem? {#redeem}\n- how to sell my fund\n\nOpen the fund, Sell.\n"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "redemption.md").write_text(REDEEM, encoding="utf-8")
    return Settings(data_dir=tmp_path / "var", kb_dir=tmp_path / "kb")


def draft(heading: str, team: str = "service-desk", funds: str = "") -> str:
    front = f"team: {team}\n" + (f'funds: ["{funds}"]\n' if funds else "")
    return f"---\n{front}---\n## {heading} {{#gap-c1}}\n\nThe answer.\n"


def test_a_published_draft_names_the_entries_it_serves(settings: Settings) -> None:
    path, entries = drafts.publish(settings, "gap-c1", draft("Can I hold funds in a pension account?"))
    assert [e.id for e in entries] == ["gap-c1"] and path.is_file()


def test_a_draft_without_an_entry_is_refused(settings: Settings) -> None:
    with pytest.raises(Invalid, match="no entry"):
        drafts.publish(settings, "gap-c1", "---\nteam: service-desk\n---\nJust some words.\n")


def test_a_draft_asking_what_another_entry_asks_is_refused_with_where_that_entry_is(settings: Settings) -> None:
    with pytest.raises(Invalid, match=r"already asked by entry redeem \(redemption\.md:4\)"):
        drafts.publish(settings, "gap-c1", draft("How to sell my fund"))
    assert not any(settings.data_dir.rglob("*.md"))


def test_a_funds_own_entry_may_ask_what_a_generic_entry_asks(settings: Settings) -> None:
    _, [entry] = drafts.publish(settings, "gap-c1", draft("How do I redeem?", funds="900001"))
    assert entry.funds == ("900001",)


def test_a_team_that_does_not_exist_is_refused(settings: Settings) -> None:
    with pytest.raises(Invalid, match="no team 'no-such-team'"):
        drafts.publish(settings, "gap-c1", draft("Is there an ESG fund?", team="no-such-team"))


def test_a_refusal_lists_each_problem_with_its_line_and_its_words_in_every_console_language(settings: Settings) -> None:
    with pytest.raises(Invalid) as refused:
        drafts.publish(settings, "gap-c1", draft("How to sell my fund", team="no-such-team"))
    assert refused.value.message == (  # the English sentence, as before
        "The draft is not a valid FAQ file yet: line 4: 'How to sell my fund' is already asked by entry redeem "
        "(redemption.md:4): edit that entry's answer instead, or take this phrasing out; line 1: no team "
        "'no-such-team' in teams.yml: its hand-offs would go to the default queue"
    )
    asked, team = refused.value.problems or []
    assert (asked["line"], asked["code"]) == (4, "draft_asked_already")
    assert (team["line"], team["code"]) == (1, "draft_unknown_team")
    assert asked["messages"]["zh"] == (
        "问法 'How to sell my fund' 已经是条目 redeem（redemption.md:4）的问题：请改那个条目的答案，或者删掉这个问法"
    )
    assert team["messages"]["en"] == "no team 'no-such-team' in teams.yml: its hand-offs would go to the default queue"
