"""Build-time tuning of the phrasing matcher and the scoring used over FAISS hits.

Two pieces, both optional and independent:

* ``fine_tune`` adapts the sentence embedder to the knowledge base's own phrasings
  (contrastive, MultipleNegativesRankingLoss: two phrasings of one entry are a positive
  pair, the other entries in the batch are negatives).  It runs at build time only;
  FAQ edits are embedded with the already tuned model and go live at once.
* ``aggregate`` turns the top-k phrasing hits of a question into entry scores.

Nothing happens at import time; torch / sentence-transformers are imported lazily so that
the serving path that only needs ``aggregate`` stays light.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

# Defaults chosen on BANKING77 / CLINC150 (see bench/experiments/retrieval_tuning.py).
DEFAULT_BATCH_SIZE = 32
DEFAULT_LR = 5e-5
DEFAULT_EPOCHS = 3.0  # passes over the phrasings (each step sees 2 * batch_size texts)
DEFAULT_MAX_STEPS = 300  # cap so that 10k+ phrasings still build in minutes on 2 cores
DEFAULT_SCALE = 20.0  # MNRL temperature 1/20, as in sentence-transformers


def plan_steps(n_phrasings: int, *, batch_size: int = DEFAULT_BATCH_SIZE,
               epochs: float = DEFAULT_EPOCHS, max_steps: int | None = DEFAULT_MAX_STEPS) -> int:
    """Number of optimiser steps: ``epochs`` passes over the phrasings, capped by ``max_steps``."""
    steps = math.ceil(epochs * n_phrasings / (2 * batch_size))
    if max_steps is not None:
        steps = min(steps, max_steps)
    return max(steps, 1)


def _pairs_batch(groups: Sequence[Sequence[str]], rng: random.Random,
                 batch_size: int) -> tuple[list[str], list[str]]:
    """One batch of (anchor, positive) pairs from distinct entries.

    Distinct entries per batch, so that no in-batch "negative" is really a positive.
    Entries with a single phrasing pair it with itself: dropout still makes the two views
    differ and the entry keeps acting as a negative for the others.
    """
    chosen = rng.sample(range(len(groups)), min(batch_size, len(groups)))
    anchors: list[str] = []
    positives: list[str] = []
    for g in chosen:
        texts = groups[g]
        if len(texts) >= 2:
            a, p = rng.sample(range(len(texts)), 2)
        else:
            a = p = 0
        anchors.append(texts[a])
        positives.append(texts[p])
    return anchors, positives


def fine_tune(base_model: str, groups: Sequence[Sequence[str]], out_dir: Path, *,
              seed: int = 0, max_steps: int | None = DEFAULT_MAX_STEPS,
              epochs: float = DEFAULT_EPOCHS, batch_size: int = DEFAULT_BATCH_SIZE,
              lr: float = DEFAULT_LR, progress: bool = False) -> Path:
    """Fine-tune ``base_model`` on ``groups`` (phrasings of each entry) and save it to ``out_dir``.

    Returns ``out_dir``, a sentence-transformers model directory loadable with
    ``SentenceTransformer(str(out_dir))``.  Deterministic for a given seed and thread count.
    """
    import torch
    import torch.nn.functional as F
    from sentence_transformers import SentenceTransformer

    groups = [list(g) for g in groups if len(g) > 0]
    if len(groups) < 2:
        raise ValueError("fine-tuning needs at least two entries (in-batch negatives)")
    rng = random.Random(seed)
    torch.manual_seed(seed)
    model = SentenceTransformer(base_model, device="cpu")
    model.max_seq_length = min(model.max_seq_length, 64)  # FAQ questions are short
    n_phr = sum(len(g) for g in groups)
    steps = plan_steps(n_phr, batch_size=batch_size, epochs=epochs, max_steps=max_steps)
    warmup = max(1, steps // 10)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup))))
    model.train()
    t0 = time.perf_counter()
    for step in range(steps):
        anchors, positives = _pairs_batch(groups, rng, batch_size)
        feats = model.preprocess(anchors + positives)
        emb = model(feats)["sentence_embedding"]
        emb = F.normalize(emb, dim=-1)
        a, p = emb[: len(anchors)], emb[len(anchors):]
        sim = a @ p.T * DEFAULT_SCALE
        labels = torch.arange(len(anchors))
        # Symmetric MNRL: anchor->positive and positive->anchor both rank the true pair first.
        loss = (F.cross_entropy(sim, labels) + F.cross_entropy(sim.T, labels)) / 2
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if progress and (step % 25 == 0 or step == steps - 1):
            print(f"fine_tune step {step + 1}/{steps} loss {loss.item():.4f} "
                  f"{time.perf_counter() - t0:.0f}s", flush=True)
    model.eval()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.max_seq_length = 256 if model.max_seq_length == 64 else model.max_seq_length
    model.save(str(out_dir))
    return out_dir


def aggregate(phrase_scores: np.ndarray, phrase_ids: np.ndarray, entry_of_phrase: np.ndarray, *,
              top_m: int = 3, mean_weight: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Entry scores for one question from its FAISS hits, best first.

    ``phrase_scores``/``phrase_ids``: one row of FAISS ``search`` output (cosine, ids; ids of
    -1 are padding).  ``entry_of_phrase[i]`` is the entry index of phrasing ``i``.
    Score = (1 - w) * max + w * mean of the entry's best ``top_m`` hits (hits an entry lacks
    count as its worst retrieved hit, so entries with few phrasings are not favoured).
    """
    ok = phrase_ids >= 0
    scores = phrase_scores[ok].astype(np.float64)
    entries = entry_of_phrase[phrase_ids[ok]]
    if scores.size == 0:
        return np.empty(0, dtype=np.int64), np.empty(0)
    order = np.argsort(-scores, kind="stable")  # FAISS output is sorted already; be safe
    scores, entries = scores[order], entries[order]
    uniq, first = np.unique(entries, return_index=True)
    best = scores[first]
    if mean_weight > 0.0 and top_m > 1:
        floor = scores[-1]
        sums = np.zeros(len(uniq))
        counts = np.zeros(len(uniq))
        pos = np.searchsorted(uniq, entries)
        for s, e in zip(scores, pos):
            if counts[e] < top_m:
                sums[e] += s
                counts[e] += 1
        mean = (sums + (top_m - counts) * floor) / top_m
        best = (1.0 - mean_weight) * best + mean_weight * mean
    rank = np.argsort(-best, kind="stable")
    return uniq[rank].astype(np.int64), best[rank]
