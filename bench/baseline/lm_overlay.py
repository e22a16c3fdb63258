"""``rasa[transformers]`` for the strong baseline only: a package folder put on ``PYTHONPATH``.

``.venv-rasa`` holds FundDesk's Rasa and nothing else (no transformers), so the extra packages
LanguageModelFeaturizer needs are pip-installed once (``--no-deps``, pinned in
``requirements-lm.txt``) into ``<work>/lm-site-<hash>`` and only the strong baseline's processes
(the weight exporter, ``rasa train``, ``rasa run``) see them. The folder also holds the custom
Rasa components in ``rasa_components/`` (a tokenizer that works around a Rasa bug).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

from bot.tooling import rasa_model

REQUIREMENTS = Path(__file__).resolve().parent / "requirements-lm.txt"
COMPONENTS = Path(__file__).resolve().parent / "rasa_components"


def ensure(work: Path) -> Path:
    """The package folder, installed first if this requirements file has not been installed yet."""
    sha = hashlib.sha256(REQUIREMENTS.read_bytes())
    for component in sorted(COMPONENTS.glob("*.py")):
        sha.update(component.name.encode() + b"\0" + component.read_bytes())
    key = sha.hexdigest()[:12]
    folder = work / f"lm-site-{key}"
    if (folder / ".complete").is_file():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    python = rasa_model.rasa_venv() / "bin" / "python"
    command = [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(folder)]
    done = subprocess.run([*command, "-r", str(REQUIREMENTS)], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"installing {REQUIREMENTS.name} failed:\n{done.stderr[-2000:]}")
    for component in COMPONENTS.glob("*.py"):
        shutil.copy2(component, folder / component.name)
    (folder / ".complete").touch()
    return folder
