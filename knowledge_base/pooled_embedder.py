"""Mean-pooled transformer embeddings without importing sentence-transformers at serving time.

A sentence-transformers folder made of exactly a Transformer and a mean Pooling module, with or
without a Normalize module after them (all-MiniLM-L6-v2 has one; paraphrase-multilingual-MiniLM-L12-v2,
a model for the Chinese deployment profile, has none), is just ``AutoModel`` + masked mean, and the
L2 norm every embedder here applies (sentence-transformers' ``normalize_embeddings=True``). Doing
that directly gives the same vectors (tests/integration compares them) without importing
sentence-transformers: 70 MiB less resident memory in a process that only embeds, about 10 MiB
in the action server (which loads SciPy anyway). Any other layout goes through sentence-transformers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

_TRANSFORMER = "sentence_transformers.models.Transformer"
_POOLING = "sentence_transformers.models.Pooling"
_NORMALIZE = "sentence_transformers.models.Normalize"
# Without Normalize the folder's own vectors are unnormalised, but every embedder returns them L2-normalised.
_LAYOUTS = ([_TRANSFORMER, _POOLING, _NORMALIZE], [_TRANSFORMER, _POOLING])
_OTHER_POOLING_MODES = ("cls_token", "max_tokens", "mean_sqrt_len_tokens", "weightedmean_tokens", "lasttoken")


def supports(path: Path) -> bool:
    """True when ``path`` is Transformer → mean Pooling (→ Normalize), with nothing else."""
    try:
        modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
        types = [m["type"] for m in modules]
        if types not in _LAYOUTS or modules[0].get("path", "") != "":
            return False
        pooling = json.loads((path / modules[1]["path"] / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return False
    other = any(pooling.get(f"pooling_mode_{mode}") for mode in _OTHER_POOLING_MODES)
    return bool(pooling.get("pooling_mode_mean_tokens")) and not other


class PooledTransformer:
    """The ``encode`` of a :func:`supports` folder: tokenise, run, masked mean, L2-normalise."""

    def __init__(self, path: Path, batch_size: int) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        self._torch = torch
        self._max_length, self._lower = read_config(path)
        self._tokenizer: Any = AutoTokenizer.from_pretrained(str(path))
        self.model: Any = AutoModel.from_pretrained(str(path)).eval()
        self._batch_size = batch_size
        self.dim = int(self.model.config.hidden_size)

    @property
    def input_names(self) -> tuple[str, ...]:
        """What the tokeniser gives the model (BERT: ids, attention mask and token types)."""
        return tuple(self._tokenizer.model_input_names)

    def tokenize(self, texts: list[str]) -> Any:
        texts = [t.lower() for t in texts] if self._lower else texts
        return self._tokenizer(texts, padding=True, truncation=True, max_length=self._max_length, return_tensors="pt")

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return in_batches(texts, self._batch_size, self.dim, self._encode_batch)

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        torch = self._torch
        tokens = self.tokenize(texts)
        with torch.inference_mode():
            hidden = self.model(**tokens).last_hidden_state
            mask = tokens["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            unit = torch.nn.functional.normalize(mean, p=2, dim=1)
        return np.asarray(unit.numpy(), dtype=np.float32)


def in_batches(
    texts: Sequence[str], size: int, dim: int, encode_batch: Callable[[list[str]], np.ndarray]
) -> np.ndarray:
    """``encode_batch`` over ``texts`` in batches of ``size``, longest first (as sentence-transformers
    batches, so a batch pads to similar lengths), rows returned in the order given."""
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for start in range(0, len(order), size):
        rows = order[start : start + size]
        out[rows] = encode_batch([texts[i] for i in rows])
    return out


def read_config(path: Path) -> tuple[int, bool]:
    """The folder's longest input in tokens and whether it lower-cases (sentence_bert_config.json)."""
    config = read_json(path / "sentence_bert_config.json")
    return int(config.get("max_seq_length") or 512), bool(config.get("do_lower_case"))


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from a model folder's file; empty when the file is missing or not an object."""
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}
