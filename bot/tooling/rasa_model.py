"""Train the Rasa model only when its inputs change.

The model is named by a hash of everything that shapes it (``config.yml``, ``bot/domain.yml``,
``bot/data/**``, ``bot/requirements.txt`` and the custom NLU component's code) and stored as
``<data_dir>/models/<hash>.tar.gz``; a matching file is reused as is. Training shells out to
``.venv-rasa`` (Rasa 3.6 on Python 3.10).

    python -m bot.tooling.rasa_model train [--force]   # prints the model path
    python -m bot.tooling.rasa_model path              # the path for the current inputs, exit 1 if untrained
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from bot.tooling import fund_lookup
from funddesk.settings import PROJECT_ROOT, Settings, load

INPUTS = ("config.yml", "bot/domain.yml", "bot/data", "bot/requirements.txt", "bot/known_words.py", "bot/vocabulary.py")
KEEP_MODELS = 3


class TrainingFailed(RuntimeError):
    def __init__(self, returncode: int, log: Path) -> None:
        super().__init__(f"rasa train exited with {returncode}; see {log}")
        self.returncode = returncode
        self.log = log


def rasa_venv(root: Path = PROJECT_ROOT) -> Path:
    return root / ".venv-rasa"


def rasa_executable(root: Path = PROJECT_ROOT) -> Path:
    exe = rasa_venv(root) / "bin" / "rasa"
    if not exe.exists():
        raise FileNotFoundError(f"{exe} not found: run `make setup` to create .venv-rasa")
    return exe


def rasa_server(root: Path = PROJECT_ROOT) -> list[str]:
    """The ``rasa`` command for serving, with :mod:`bot.speedups` applied (run it in ``root``)."""
    rasa_executable(root)  # the same error when the environment is missing
    return [str(rasa_venv(root) / "bin" / "python"), "-m", "bot.serve"]


def rasa_env(settings: Settings, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for any rasa command: quiet, no telemetry, caches under ``data_dir``."""
    env = dict(os.environ if base is None else base)
    env.update(
        RASA_TELEMETRY_ENABLED="false",
        RASA_CACHE_DIRECTORY=str(settings.data_dir / "rasa-cache"),
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        TF_CPP_MIN_LOG_LEVEL="2",
        PYTHONWARNINGS="ignore",
        FUNDDESK_ACTIONS_PORT=str(settings.actions_port),
    )
    return env


def _input_files(root: Path) -> Iterator[Path]:
    for name in INPUTS:
        path = root / name
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            yield path


def inputs_hash(root: Path = PROJECT_ROOT) -> str:
    """Content hash of the training inputs (paths included: moving a file retrains)."""
    digest = hashlib.sha256()
    for path in _input_files(root):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def model_path(settings: Settings, root: Path = PROJECT_ROOT) -> Path:
    return settings.data_dir / "models" / f"{inputs_hash(root)}.tar.gz"


def train(settings: Settings, root: Path = PROJECT_ROOT, *, force: bool = False, quiet: bool = False) -> Path:
    """The model for the current inputs, trained first if there is none yet."""
    fund_lookup.generate(settings.funds_file, root / "bot" / "data" / "nlu" / "funds_lookup.yml")
    target = model_path(settings, root)
    if target.is_file() and not force:
        _say(f"rasa model up to date: {target}", quiet)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    log = target.parent / f"{target.name[: -len('.tar.gz')]}.train.log"
    _say(f"training the rasa model: its inputs changed (2-3 minutes; log: {log})", quiet)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".training-") as tmp:
        _run_training(settings, root, Path(tmp) / target.name, log, quiet)
        os.replace(Path(tmp) / target.name, target)  # atomic: never a half-written model
    _say(f"rasa model trained in {time.monotonic() - started:.0f}s", quiet)
    prune(target.parent, keep=KEEP_MODELS)
    return target


def _run_training(settings: Settings, root: Path, model: Path, log: Path, quiet: bool) -> None:
    command = [
        str(rasa_executable(root)), "train",
        "--config", "config.yml", "--domain", "bot/domain.yml", "--data", "bot/data",
        "--out", str(model.parent), "--fixed-model-name", model.name[: -len(".tar.gz")],
    ]  # fmt: skip
    with log.open("w", encoding="utf-8") as sink:
        result = subprocess.run(command, cwd=root, env=rasa_env(settings), stdout=sink, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        if not quiet:
            sys.stderr.write(log.read_text(encoding="utf-8")[-4000:])
        raise TrainingFailed(result.returncode, log)


def prune(models: Path, *, keep: int) -> None:
    """Keep the ``keep`` newest models (switching branches back and forth reuses them)."""
    found = sorted(models.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in found[keep:]:
        old.unlink(missing_ok=True)
        old.with_name(old.name.replace(".tar.gz", ".train.log")).unlink(missing_ok=True)


def _say(message: str, quiet: bool) -> None:
    if not quiet:
        print(message, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.tooling.rasa_model", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    train_cmd = sub.add_parser("train", help="train if the inputs changed; print the model path")
    train_cmd.add_argument("--force", action="store_true", help="train even if a model exists")
    sub.add_parser("path", help="print the model path for the current inputs")
    args = parser.parse_args(argv)
    settings = load()
    if args.command == "train":
        try:
            print(train(settings, force=args.force))
        except TrainingFailed as exc:
            print(exc, file=sys.stderr)
            return 1
        return 0
    path = model_path(settings)
    print(path)
    return 0 if path.is_file() else 1


if __name__ == "__main__":
    raise SystemExit(main())
