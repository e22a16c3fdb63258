"""Which last good versions a file with errors keeps serving: rules checked on parsed text alone."""

from __future__ import annotations

from knowledge_base.entries import Entry
from knowledge_base.last_good import with_last_good
from knowledge_base.parser import parse_text

SERVED = "## Fees? {#fees}\nOld fees.\n\n## Costs? {#costs}\nOld costs.\n\n## Hours? {#hours}\nOld hours.\n"


def served() -> tuple[Entry, ...]:
    return parse_text(SERVED, "faq/a.md").entries


def answers(text: str) -> list[str]:
    return [e.answer for e in with_last_good(parse_text(text, "faq/a.md"), served()).entries]


def test_a_clean_file_serves_as_written() -> None:
    assert answers("## Fees? {#fees}\nNew fees.\n") == ["New fees."]


def test_a_rejected_entry_whose_id_parsed_keeps_the_served_entry_with_that_id() -> None:
    assert answers("## Fees? {#fees}\n\n## Costs? {#costs}\nNew costs.\n") == ["Old fees.", "New costs."]


def test_a_rejected_entry_with_an_unreadable_id_keeps_the_served_entry_with_its_question() -> None:
    assert answers("## fees {#Fees}\nNew fees.\n\n## Costs? {#costs}\nNew costs.\n") == ["Old fees.", "New costs."]


def test_an_id_that_parsed_is_not_looked_up_by_question() -> None:
    assert answers("## Fees? {#new-fees}\n\n## Costs? {#costs}\nNew costs.\n") == ["New costs."]


def test_a_last_good_version_never_takes_an_id_a_good_entry_of_the_new_version_has() -> None:
    assert answers("## Fees? {#Bad}\nNew.\n\n## Other? {#fees}\nOther fees.\n") == ["Other fees."]


def test_a_last_good_version_takes_its_sections_place_in_the_file() -> None:
    text = "## Hours? {#hours}\nNew hours.\n\n## Fees? {#fees}\n\n## Costs? {#costs}\nNew costs.\n"
    assert answers(text) == ["New hours.", "Old fees.", "New costs."]


def test_entries_deleted_from_the_file_are_gone_even_with_errors_elsewhere() -> None:
    assert answers("## Fees? {#fees}\n") == ["Old fees."]


def test_a_file_level_error_keeps_everything_the_file_served() -> None:
    assert answers("---\nlang: fr\n---\n## Fees? {#fees}\nNew fees.\n") == ["Old fees.", "Old costs.", "Old hours."]


def test_a_file_that_never_served_keeps_nothing() -> None:
    parsed = parse_text("---\nlang: fr\n---\n## Fees? {#fees}\nNew fees.\n", "faq/a.md")
    assert with_last_good(parsed, ()).entries == ()
