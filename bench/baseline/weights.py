"""Give the strong baseline FundDesk's all-MiniLM-L6-v2 weights in the form Rasa 3.6 loads.

Rasa 3.6's LanguageModelFeaturizer calls ``TFBertModel.from_pretrained(model_weights)``, and the
packaged model is a PyTorch/safetensors checkpoint. ``.venv-rasa`` has TensorFlow but no torch
(and gets none; transformers comes from :mod:`bench.baseline.lm_overlay`), so the conversion goes
through numpy in two steps:

1. here, in ``.venv``: the safetensors tensors → ``weights.npz``, plus ``config.json``, the
   tokenizer files, and reference embeddings of a few sentences from FundDesk's own embedder;
2. :mod:`bench.baseline.tf_export`, run by ``.venv-rasa``'s Python: build ``TFBertModel`` from the
   config, assign every variable from the npz by name, ``save_pretrained`` (``tf_model.h5``), and
   check that mean-pooled embeddings match the references.

The result is cached under ``<work>/minilm-tf/`` by a hash of the source weights.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.baseline import lm_overlay
from bot.tooling import rasa_model

TOKENIZER_FILES = ("vocab.txt", "tokenizer_config.json", "special_tokens_map.json")
CHECK_SENTENCES = (
    "How long until my redemption money arrives?",
    "what happens if I place an order after 3pm",
    "I am still waiting on my card?",
    "赎回的钱多久到账",
)
TOLERANCE = 1e-4
EXPORTER = Path(__file__).resolve().parent / "tf_export.py"


@dataclass(frozen=True)
class ConvertedWeights:
    folder: Path  # tf_model.h5 + config + tokenizer: LanguageModelFeaturizer's model_weights
    max_abs_diff: float  # mean-pooled, L2-normalised embeddings: TF vs FundDesk's PyTorch model
    sentences: int

    @property
    def matches(self) -> bool:
        return self.max_abs_diff <= TOLERANCE

    @property
    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file())


def convert(source: Path, work: Path) -> ConvertedWeights:
    """TF weights for the sentence-transformers model in ``source``, converted once and then reused."""
    weights = source / "model.safetensors"
    key = hashlib.sha256(weights.read_bytes()).hexdigest()[:12]
    folder = work / f"minilm-tf-{key}"
    check = folder / "check.json"
    if not check.is_file():
        staging = work / f".minilm-export-{key}"
        shutil.rmtree(staging, ignore_errors=True)
        export_numpy(source, staging)
        shutil.rmtree(folder, ignore_errors=True)
        _run_exporter(staging, folder, lm_overlay.ensure(work))
        shutil.rmtree(staging)
    found = json.loads(check.read_text(encoding="utf-8"))
    return ConvertedWeights(folder, float(found["max_abs_diff"]), int(found["sentences"]))


def export_numpy(source: Path, staging: Path) -> None:
    """Everything the TF side needs, without torch: tensors, config, tokenizer, reference vectors."""
    from safetensors.numpy import load_file

    from knowledge_base.embedder import SentenceTransformerEmbedder

    staging.mkdir(parents=True)
    tensors: dict[str, Any] = load_file(str(source / "model.safetensors"))
    np.savez(staging / "weights.npz", **tensors)
    for name in ("config.json", *TOKENIZER_FILES):
        shutil.copy2(source / name, staging / name)
    reference = SentenceTransformerEmbedder(str(source)).encode(list(CHECK_SENTENCES))
    np.savez(staging / "reference.npz", embeddings=reference)
    (staging / "sentences.json").write_text(json.dumps(CHECK_SENTENCES, ensure_ascii=False), encoding="utf-8")


def _run_exporter(staging: Path, folder: Path, overlay: Path) -> None:
    python = rasa_model.rasa_venv() / "bin" / "python"
    if not python.exists():
        raise FileNotFoundError(f"{python} not found: run `make setup` to create .venv-rasa")
    env = {
        "PATH": "/usr/bin:/bin", "PYTHONPATH": str(overlay),
        "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "2",
    }  # fmt: skip
    done = subprocess.run(
        [str(python), str(EXPORTER), str(staging), str(folder)], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"TF export failed ({done.returncode}):\n{done.stderr[-3000:]}")
