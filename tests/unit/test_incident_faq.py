"""An incident's answer as an FAQ entry: what the knowledge base's parser accepts."""

from __future__ import annotations

from escalation.spikes import incident_faq
from knowledge_base.parser import parse_text


def test_phrasings_that_differ_only_in_case_or_final_punctuation_are_kept_once() -> None:
    text = incident_faq.render(
        7,
        "Why did 900001 fall today?",
        "The NAV fell with the index.",
        ["Why did fund 900001 drop?", "why did 900001 fall today", "WHY DID FUND 900001 DROP", "900001 down 5%?"],
        team="investor-relations",
        fund_code="900001",
    )
    parsed = parse_text(text, "incidents/incident-7.md")
    assert parsed.clean, parsed.problems
    assert parsed.entries[0].phrasings[1:] == ("Why did fund 900001 drop?", "900001 down 5%?")
