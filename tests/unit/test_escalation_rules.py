"""The staff side's plain rules: routing, business hours, first-response colours, masking, passwords."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from escalation.staff import passwords
from escalation.staff.hours import BadHours, BusinessHours
from escalation.staff.sla import sla_state
from escalation.staff.teams import BadTeamsFile, Router, load_fund_teams, load_teams
from funddesk.masking import mask
from funddesk.settings import Settings

ROUTER = Router(frozenset({"desk", "bonds", "service"}), {"900002": "bonds", "900009": "gone"}, "service")
T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # Thursday 10:00 in Shanghai


def test_a_hand_off_goes_to_the_team_of_the_matched_entry_first() -> None:
    assert ROUTER.route(entry_team="desk", fund_code="900002") == "desk"


def test_without_an_entry_team_the_funds_team_takes_it() -> None:
    assert ROUTER.route(entry_team=None, fund_code="900002") == "bonds"


def test_an_unknown_team_never_strands_a_hand_off() -> None:
    assert ROUTER.route(entry_team="nowhere", fund_code="900009") == "service"
    assert ROUTER.route(entry_team=None, fund_code=None) == "service"


def test_the_shipped_teams_cover_every_team_the_faq_and_funds_name() -> None:
    settings = Settings()
    teams = {t.id for t in load_teams(settings.teams_file)}
    assert settings.default_team in teams
    assert set(load_fund_teams(settings.funds_file).values()) <= teams
    named = {
        line.split(":", 1)[1].strip()
        for path in settings.kb_dir.rglob("*.md")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("team:")
    }
    assert named <= teams


def test_a_teams_file_with_a_bad_entry_is_refused_with_its_place(tmp_path: Path) -> None:
    bad = tmp_path / "teams.yml"
    bad.write_text("teams:\n  - id: desk\n  - id: Bad Name\n", encoding="utf-8")
    with pytest.raises(BadTeamsFile, match="team 2"):
        load_teams(bad)


def test_business_hours_follow_the_configured_time_zone() -> None:
    hours = BusinessHours.parse("mon-fri 09:00-17:30; sat 09:00-12:00", "Asia/Shanghai")
    assert hours.is_open(T0)
    assert not hours.is_open(T0 + timedelta(hours=8))  # 18:00 local
    assert hours.next_opening(T0 + timedelta(hours=8)) == datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
    saturday_afternoon = datetime(2026, 11, 28, 5, 0, tzinfo=UTC)
    assert hours.next_opening(saturday_afternoon) == datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


def test_always_is_always_open() -> None:
    assert BusinessHours.parse("always").is_open(T0 + timedelta(hours=15))


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [("weekdays 9-5", "cannot read"), ("mon-fri 18:00-09:00", "after opening"), ("mon-fry 09:00-17:00", "not a day")],
)
def test_unreadable_business_hours_are_refused_saying_why(spec: str, complaint: str) -> None:
    with pytest.raises(BadHours, match=complaint):
        BusinessHours.parse(spec)


def test_the_sla_colour_turns_amber_at_half_the_target_and_red_past_it() -> None:
    assert sla_state(T0, None, 120, T0 + timedelta(seconds=59)) == "ok"
    assert sla_state(T0, None, 120, T0 + timedelta(seconds=60)) == "warning"
    assert sla_state(T0, None, 120, T0 + timedelta(seconds=121)) == "breached"
    assert sla_state(T0, T0 + timedelta(seconds=100), 120, T0 + timedelta(hours=1)) == "met"
    assert sla_state(T0, T0 + timedelta(seconds=200), 120, T0 + timedelta(hours=1)) == "missed"


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("my ID is 11010519491231002X", "11010519491231002X"),
        ("card 6222 0212 3456 7890 128", "6222 0212 3456 7890 128"),
        ("银行卡6217000010012345678", "6217000010012345678"),
        ("call 13812345678", "13812345678"),
        ("or +86 138-1234-5678", "138-1234-5678"),
        ("office 010-12345678", "010-12345678"),
    ],
)
def test_personal_numbers_are_masked_to_their_last_four_digits(text: str, hidden: str) -> None:
    masked = mask(text)
    assert hidden not in masked.text and masked.changed
    assert "••••" + hidden.replace(" ", "").replace("-", "")[-4:] in masked.text


def test_fund_codes_amounts_and_dates_stay_readable() -> None:
    text = "Fund 110022 fell 5% on 2026-11-25; I hold 10000 units worth 12345.67"
    assert mask(text).text == text


def test_passwords_are_hashed_with_argon2id_and_short_ones_are_refused() -> None:
    hashed = passwords.hash_password("a long password")
    assert hashed.startswith("$argon2id$")
    assert passwords.verify(hashed, "a long password") and not passwords.verify(hashed, "a wrong password")
    assert not passwords.verify(None, "anything at all")
    with pytest.raises(passwords.WeakPassword):
        passwords.hash_password("short")
