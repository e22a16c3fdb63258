"""Train-if-changed: the model is named by a hash of its inputs and reused while they match."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from bot.tooling import rasa_model
from funddesk.settings import Settings

FAKE_RASA = f"""#!{sys.executable}
# Stands in for `rasa train`: writes <out>/<fixed-model-name>.tar.gz and counts its runs.
import pathlib, sys
args = sys.argv[1:]
out, name = args[args.index("--out") + 1], args[args.index("--fixed-model-name") + 1]
if pathlib.Path("FAIL").exists():
    print("training broke")
    sys.exit(3)
pathlib.Path(out, name + ".tar.gz").write_text("model")
with open("runs.txt", "a") as runs:
    runs.write(name + "\\n")
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder with bot inputs and a fake .venv-rasa/bin/rasa."""
    root = tmp_path / "project"
    (root / "bot" / "data" / "nlu").mkdir(parents=True)
    (root / "config.yml").write_text("recipe: default.v1\n")
    (root / "bot" / "domain.yml").write_text("version: '3.1'\n")
    (root / "bot" / "data" / "nlu" / "chitchat.yml").write_text("nlu: []\n")
    rasa = root / ".venv-rasa" / "bin" / "rasa"
    rasa.parent.mkdir(parents=True)
    rasa.write_text(FAKE_RASA)
    rasa.chmod(0o755)
    return root


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", funds_file=tmp_path / "no-funds.yml")


def runs(project: Path) -> list[str]:
    path = project / "runs.txt"
    return path.read_text().split() if path.exists() else []


def test_the_hash_changes_with_any_input_and_nothing_else(project: Path) -> None:
    before = rasa_model.inputs_hash(project)
    (project / "README.md").write_text("not an input")
    assert rasa_model.inputs_hash(project) == before
    (project / "bot" / "data" / "nlu" / "chitchat.yml").write_text("nlu: [x]\n")
    assert rasa_model.inputs_hash(project) != before


def test_moving_a_data_file_changes_the_hash(project: Path) -> None:
    before = rasa_model.inputs_hash(project)
    (project / "bot" / "data" / "nlu" / "chitchat.yml").rename(project / "bot" / "data" / "nlu" / "small.yml")
    assert rasa_model.inputs_hash(project) != before


def test_a_model_is_trained_once_then_reused(project: Path, settings: Settings) -> None:
    first = rasa_model.train(settings, project, quiet=True)
    again = rasa_model.train(settings, project, quiet=True)
    assert first == again == settings.data_dir / "models" / f"{rasa_model.inputs_hash(project)}.tar.gz"
    assert first.read_text() == "model"
    assert runs(project) == [first.name.removesuffix(".tar.gz")]


def test_changed_inputs_train_a_new_model(project: Path, settings: Settings) -> None:
    first = rasa_model.train(settings, project, quiet=True)
    (project / "bot" / "domain.yml").write_text("version: '3.1'\nintents: [greet]\n")
    second = rasa_model.train(settings, project, quiet=True)
    assert second != first
    assert len(runs(project)) == 2


def test_force_retrains_even_when_a_model_exists(project: Path, settings: Settings) -> None:
    rasa_model.train(settings, project, quiet=True)
    rasa_model.train(settings, project, force=True, quiet=True)
    assert len(runs(project)) == 2


def test_a_failed_training_leaves_no_model_and_points_to_its_log(project: Path, settings: Settings) -> None:
    (project / "FAIL").write_text("")
    with pytest.raises(rasa_model.TrainingFailed) as failure:
        rasa_model.train(settings, project, quiet=True)
    assert not rasa_model.model_path(settings, project).exists()
    assert "training broke" in failure.value.log.read_text()


def test_training_regenerates_the_fund_lookup_first(project: Path, settings: Settings) -> None:
    rasa_model.train(settings, project, quiet=True)
    assert (project / "bot" / "data" / "nlu" / "funds_lookup.yml").read_text().endswith("nlu: []\n")


def test_only_the_newest_models_are_kept(tmp_path: Path) -> None:
    for i in range(5):
        model = tmp_path / f"m{i}.tar.gz"
        model.write_text("x")
        (tmp_path / f"m{i}.train.log").write_text("log")
        os.utime(model, (i, i))
    rasa_model.prune(tmp_path, keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m3.tar.gz", "m3.train.log", "m4.tar.gz", "m4.train.log"]


def test_a_missing_rasa_environment_says_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="make setup"):
        rasa_model.rasa_executable(tmp_path)


def test_rasa_runs_quietly_with_its_cache_under_the_data_dir(settings: Settings) -> None:
    env = rasa_model.rasa_env(settings, {"PATH": "/bin"})
    assert env["RASA_TELEMETRY_ENABLED"] == "false"
    assert env["RASA_CACHE_DIRECTORY"] == str(settings.data_dir / "rasa-cache")
    assert env["FUNDDESK_ACTIONS_PORT"] == str(settings.actions_port)
    assert env["PATH"] == "/bin"
