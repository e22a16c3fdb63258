"""Step 2 of :mod:`bench.baseline.weights`, run by ``.venv-rasa``'s Python (TensorFlow, no torch).

    .venv-rasa/bin/python bench/baseline/tf_export.py STAGING OUT

Builds ``TFBertModel`` from ``STAGING/config.json``, assigns every variable from
``STAGING/weights.npz`` (PyTorch names), saves it with ``save_pretrained`` into ``OUT`` with the
tokenizer, and writes ``OUT/check.json``: the largest difference between its mean-pooled,
L2-normalised embeddings and FundDesk's (``STAGING/reference.npz``).
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

# TensorFlow and transformers 4.x exist only in .venv-rasa: imported by name, typed as Any.
_PT_LAST = {"kernel": "weight", "gamma": "weight", "beta": "bias", "embeddings": "weight", "weight": "weight"}


def pt_name(tf_name: str) -> tuple[str, bool]:
    """``tf_bert_model/bert/encoder/layer_._0/.../kernel:0`` → (``bert.encoder.layer.0....weight``, transpose)."""
    parts = tf_name.removesuffix(":0").split("/")[1:]  # the first part is the Keras model's own scope
    last = parts[-1]
    parts[-1] = _PT_LAST.get(last, last)
    return ".".join(parts).replace("layer_._", "layer."), last == "kernel"


def assign(model: Any, tensors: dict[str, np.ndarray]) -> list[str]:
    """Set every model variable from ``tensors``; returns the names it could not find."""
    missing = []
    for variable in model.weights:
        name, transpose = pt_name(variable.name)
        value = tensors.get(name, tensors.get(name.removeprefix("bert.")))
        if value is None:
            missing.append(name)
            continue
        value = value.T if transpose else value
        if tuple(value.shape) != tuple(variable.shape):
            raise ValueError(f"{name}: shape {value.shape} does not fit {tuple(variable.shape)}")
        variable.assign(value)
    return missing


def mean_pooled(model: Any, tokenizer: Any, sentences: list[str]) -> np.ndarray:
    batch = tokenizer(sentences, padding=True, return_tensors="np")
    hidden = model(dict(batch)).last_hidden_state.numpy()
    mask = batch["attention_mask"][..., None].astype(np.float32)
    pooled = (hidden * mask).sum(axis=1) / mask.sum(axis=1)
    return np.asarray(pooled / np.linalg.norm(pooled, axis=1, keepdims=True), dtype=np.float32)


def main(staging: Path, out: Path) -> dict[str, Any]:
    transformers = importlib.import_module("transformers")
    config = transformers.BertConfig.from_pretrained(str(staging))
    model = transformers.TFBertModel(config)
    model(model.dummy_inputs)  # creates the variables
    with np.load(staging / "weights.npz") as npz:
        tensors = {key: npz[key] for key in npz.files}
    missing = assign(model, tensors)
    if [m for m in missing if ".pooler." not in f".{m}"]:
        raise ValueError(f"no weights for {missing}")
    model.save_pretrained(str(out))
    tokenizer = transformers.BertTokenizer.from_pretrained(str(staging))
    tokenizer.save_pretrained(str(out))
    # Reload what was saved: the check covers the files Rasa will read, not the object in memory.
    saved = transformers.TFBertModel.from_pretrained(str(out))
    sentences = json.loads((staging / "sentences.json").read_text(encoding="utf-8"))
    with np.load(staging / "reference.npz") as npz:
        reference = npz["embeddings"]
    diff = float(np.abs(mean_pooled(saved, tokenizer, sentences) - reference).max())
    result = {"max_abs_diff": diff, "sentences": len(sentences), "missing": missing}
    (out / "check.json").write_text(json.dumps(result) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]))))
