"""Train a generated baseline project in ``.venv-rasa``, once per distinct set of inputs.

The model is stored as ``<work>/models/<project name>-<hash>.tar.gz``, the hash covering the
generated files, ``bot/requirements.txt`` (the Rasa version) and any extra inputs (the converted
language-model weights). Next to it, ``.json`` records how long that training took, so a rerun
reports the measured time without training again.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.baseline.project import RasaProject
from bot.tooling import rasa_model
from funddesk.settings import PROJECT_ROOT, Settings


@dataclass(frozen=True)
class TrainedModel:
    path: Path
    project_dir: Path
    seconds: float  # wall time of the ``rasa train`` that produced it
    trained_at: str  # when (UTC): this run, or an earlier one if the model came from the cache
    cached: bool
    overlay: Path | None = None  # extra packages (rasa[transformers]) the model needs to load

    @property
    def size_bytes(self) -> int:
        return self.path.stat().st_size


def inputs_hash(project: RasaProject, extra: tuple[Path, ...] = ()) -> str:
    sha = hashlib.sha256(project.digest().encode())
    sha.update((PROJECT_ROOT / "bot" / "requirements.txt").read_bytes())
    for path in extra:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            sha.update(file.name.encode() + b"\0" + hashlib.sha256(file.read_bytes()).digest())
    return sha.hexdigest()[:16]


def model_path(project: RasaProject, work: Path, extra: tuple[Path, ...] = ()) -> Path:
    return work / "models" / f"{project.name}-{inputs_hash(project, extra)}.tar.gz"


def cached(
    project: RasaProject, work: Path, *, extra: tuple[Path, ...] = (), overlay: Path | None = None
) -> TrainedModel | None:
    """The model an earlier training left for exactly these inputs, if any."""
    target = model_path(project, work, extra)
    meta = target.with_suffix("").with_suffix(".json")
    if not (target.is_file() and meta.is_file()):
        return None
    recorded = json.loads(meta.read_text(encoding="utf-8"))
    folder = project.write(work / "projects" / project.name)
    return TrainedModel(target, folder, float(recorded["seconds"]), str(recorded["trained_at"]), True, overlay)


def train(
    project: RasaProject,
    work: Path,
    *,
    extra: tuple[Path, ...] = (),
    overlay: Path | None = None,
    force: bool = False,
) -> TrainedModel:
    """The trained model for ``project`` (written to ``<work>/projects/<name>``), training if needed.

    Rasa's own training cache lives in ``<work>/rasa-cache/<name>``, as it would in a user's project
    folder, so a retrain after an edit reuses whatever Rasa can.
    """
    found = None if force else cached(project, work, extra=extra, overlay=overlay)
    if found:
        return found
    folder = project.write(work / "projects" / project.name)
    target = model_path(project, work, extra)
    target.parent.mkdir(parents=True, exist_ok=True)
    log = target.with_suffix("").with_suffix(".train.log")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".training-") as tmp:
        env = rasa_env(work / "rasa-cache" / project.name, overlay)
        _rasa_train(folder, Path(tmp), target.name.removesuffix(".tar.gz"), env, log)
        os.replace(Path(tmp) / target.name, target)
    seconds = round(time.monotonic() - started, 1)
    trained_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    meta = target.with_suffix("").with_suffix(".json")
    meta.write_text(json.dumps({"seconds": seconds, "trained_at": trained_at}) + "\n", encoding="utf-8")
    return TrainedModel(target, folder, seconds, trained_at, False, overlay)


def _rasa_train(folder: Path, out: Path, name: str, env: dict[str, str], log: Path) -> None:
    command = [
        str(rasa_model.rasa_executable()), "train",
        "--config", "config.yml", "--domain", "domain.yml", "--data", "data",
        "--out", str(out), "--fixed-model-name", name,
    ]  # fmt: skip
    with log.open("w", encoding="utf-8") as sink:
        done = subprocess.run(command, cwd=folder, env=env, stdout=sink, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise rasa_model.TrainingFailed(done.returncode, log)


def rasa_env(cache: Path, overlay: Path | None = None) -> dict[str, str]:
    """FundDesk's environment for rasa commands, with this project's own training cache."""
    env = rasa_model.rasa_env(Settings(data_dir=cache.parent))
    env.update(RASA_CACHE_DIRECTORY=str(cache), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    if overlay:
        env["PYTHONPATH"] = str(overlay)
    return env
