"""A persistent embedding cache keyed by model and text, so a rebuild embeds only changed text."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from knowledge_base.embedder import Embedder

_CHUNK = 500  # SQLite's host-parameter limit is generous, but big IN lists are slow to plan


def _key(model: str, text: str) -> str:
    return hashlib.sha256(f"{model}\0{text}".encode()).hexdigest()


class EmbeddingCache:
    """SQLite file shared safely by the action server, the CLI and the web service."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB NOT NULL)")
        self._lock = threading.Lock()

    def get(self, model: str, texts: Sequence[str]) -> dict[str, np.ndarray]:
        keys = {_key(model, t): t for t in texts}
        found: dict[str, np.ndarray] = {}
        key_list = list(keys)
        with self._lock:
            for start in range(0, len(key_list), _CHUNK):
                chunk = key_list[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(f"SELECT key, vec FROM vectors WHERE key IN ({marks})", chunk)
                for key, blob in rows:
                    found[keys[key]] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put(self, model: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        rows = [(_key(model, t), v.astype(np.float32).tobytes()) for t, v in zip(texts, vectors, strict=False)]
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO vectors (key, vec) VALUES (?, ?)", rows)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def embed_with_cache(
    embedder: Embedder,
    cache: EmbeddingCache | None,
    texts: Sequence[str],
    *,
    known: dict[str, np.ndarray] | None = None,
    progress: bool = False,
) -> tuple[np.ndarray, int]:
    """Vectors for ``texts`` in order, and how many had to be computed.

    ``known`` (vectors already in memory, e.g. the live index's) is tried before the cache file.
    """
    unique = list(dict.fromkeys(texts))
    known = {t: known[t] for t in unique if t in known} if known else {}
    rest = [t for t in unique if t not in known]
    if cache and rest:
        known.update(cache.get(embedder.name, rest))
    missing = [t for t in unique if t not in known]
    if missing:
        fresh = embedder.encode(missing, progress=progress)
        known.update(zip(missing, fresh, strict=False))
        if cache:
            cache.put(embedder.name, missing, fresh)
    matrix = np.stack([known[t] for t in texts]) if texts else np.zeros((0, embedder.dim), np.float32)
    return matrix.astype(np.float32, copy=False), len(missing)
