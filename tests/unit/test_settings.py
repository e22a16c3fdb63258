from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from funddesk import settings as config

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.parametrize("name", [f.name for f in fields(config.Settings)])
def test_every_setting_has_help_and_a_row_in_the_readme(name: str) -> None:
    assert config.HELP.get(name), f"{name} has no help text in funddesk/settings.py"
    assert f"| `{config.env_name(name)}` |" in README.read_text(encoding="utf-8")


def test_settings_come_from_funddesk_variables_with_their_types() -> None:
    loaded = config.load({"FUNDDESK_RASA_PORT": "6005", "FUNDDESK_DATA_DIR": "/tmp/x", "PATH": "/bin"})
    assert loaded.rasa_port == 6005
    assert loaded.data_dir == Path("/tmp/x")


def test_a_misspelt_setting_is_an_error_not_silently_ignored() -> None:
    with pytest.raises(ValueError, match="unknown setting FUNDDESK_RASA_PROT"):
        config.load({"FUNDDESK_RASA_PROT": "6005"})


def test_a_setting_of_the_wrong_type_names_the_variable() -> None:
    with pytest.raises(ValueError, match="FUNDDESK_WEB_PORT='eighty'"):
        config.load({"FUNDDESK_WEB_PORT": "eighty"})
