"""Build-time tuning of the phrasing matcher and the scoring used over FAISS hits.

Two pieces, both optional and independent:

* ``fine_tune`` adapts the sentence embedder to the knowledge base's own phrasings
  (contrastive, MultipleNegativesRankingLoss: two phrasings of one entry are a positive
  pair, the other entries in the batch are negatives).  It runs at build time only;
  FAQ edits are embedded with the already tuned model and go live at once.
* ``aggregate`` turns the top-k phrasing hits of a question into entry scores
  (0.5 * max + 0.5 * mean of the entry's best 3 hits: better than max on every set tried).
* ``fit_head`` / ``head_probs`` / ``fuse``: a logistic-regression entry classifier over the
  phrasing embeddings, added to the kNN score (refit in seconds; not needed for new entries
  to be found).  ``fit_adapter`` (linear adapter) was tried and is not recommended.

Nothing happens at import time; torch / sentence-transformers are imported lazily so that
the serving path that only needs ``aggregate`` stays light.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import numpy as np

# Defaults chosen on BANKING77 / CLINC150 (see bench/experiments/retrieval_tuning.py).
DEFAULT_BATCH_SIZE = 32
DEFAULT_LR = 8e-5
DEFAULT_EPOCHS = 8.0  # passes over the phrasings (each step sees 2 * batch_size texts)
DEFAULT_MAX_STEPS = 300  # cap so that 10k+ phrasings still build in minutes on 2 cores
DEFAULT_SCALE = 20.0  # MNRL temperature 1/20, as in sentence-transformers


def plan_steps(
    n_phrasings: int,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    epochs: float = DEFAULT_EPOCHS,
    max_steps: int | None = DEFAULT_MAX_STEPS,
) -> int:
    """Number of optimiser steps: ``epochs`` passes over the phrasings, capped by ``max_steps``."""
    steps = math.ceil(epochs * n_phrasings / (2 * batch_size))
    if max_steps is not None:
        steps = min(steps, max_steps)
    return max(steps, min(20, max_steps or 20))  # tiny FAQs: a few steps still help


def _pairs_batch(groups: Sequence[Sequence[str]], rng: random.Random, batch_size: int) -> tuple[list[str], list[str]]:
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


def fine_tune(
    base_model: str,
    groups: Sequence[Sequence[str]],
    out_dir: Path,
    *,
    seed: int = 0,
    max_steps: int | None = DEFAULT_MAX_STEPS,
    epochs: float = DEFAULT_EPOCHS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    lr: float = DEFAULT_LR,
    freeze_embeddings: bool = True,
    num_threads: int | None = None,
    progress: bool = False,
) -> Path:
    """Fine-tune ``base_model`` on ``groups`` (phrasings of each entry) and save it to ``out_dir``.

    Returns ``out_dir``, a sentence-transformers model directory loadable with
    ``SentenceTransformer(str(out_dir))``.  Deterministic for a given seed and thread count.
    ``num_threads``: torch intra-op threads; on a busy shared box 1 thread is several times
    faster than 2 (OpenMP threads spin-wait for each other when cores are oversubscribed).
    """
    import torch
    import torch.nn.functional as F
    from sentence_transformers import SentenceTransformer

    groups = [list(g) for g in groups if len(g) > 0]
    if len(groups) < 2:
        raise ValueError("fine-tuning needs at least two entries (in-batch negatives)")
    if num_threads is not None:
        torch.set_num_threads(num_threads)
    rng = random.Random(seed)
    torch.manual_seed(seed)
    model = SentenceTransformer(base_model, device="cpu")
    saved_len = model.max_seq_length
    model.max_seq_length = min(saved_len or 64, 64)  # FAQ questions are short: cheaper steps
    if freeze_embeddings:
        # The token-embedding table is half the weights: freezing it makes steps cheaper and
        # keeps words that occur only in entries added after tuning where they were.
        embeddings = cast("torch.nn.Module", model[0].auto_model.embeddings)
        for p in embeddings.parameters():
            p.requires_grad = False
    params = [p for p in model.parameters() if p.requires_grad]
    n_phr = sum(len(g) for g in groups)
    steps = plan_steps(n_phr, batch_size=batch_size, epochs=epochs, max_steps=max_steps)
    warmup = max(1, steps // 10)
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup)))
    )
    model.train()
    t0 = time.perf_counter()
    for step in range(steps):
        anchors, positives = _pairs_batch(groups, rng, batch_size)
        feats = model.preprocess(anchors + positives)
        emb = model(feats)["sentence_embedding"]
        emb = F.normalize(emb, dim=-1)
        anc, pos = emb[: len(anchors)], emb[len(anchors) :]
        sim = anc @ pos.T * DEFAULT_SCALE
        labels = torch.arange(len(anchors))
        # Symmetric MNRL: anchor->positive and positive->anchor both rank the true pair first.
        loss = (F.cross_entropy(sim, labels) + F.cross_entropy(sim.T, labels)) / 2
        opt.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        if progress and (step % 25 == 0 or step == steps - 1):
            print(
                f"fine_tune step {step + 1}/{steps} loss {loss.item():.4f} {time.perf_counter() - t0:.0f}s", flush=True
            )
    model.eval()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.max_seq_length = saved_len  # serve with the base model's limit
    model.save(str(out_dir))
    return out_dir


def aggregate(
    phrase_scores: np.ndarray,
    phrase_ids: np.ndarray,
    entry_of_phrase: np.ndarray,
    *,
    top_m: int = 3,
    mean_weight: float = 0.5,
) -> tuple[np.ndarray, np.ndarray]:
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
        for s, e in zip(scores, pos, strict=False):
            if counts[e] < top_m:
                sums[e] += s
                counts[e] += 1
        mean = (sums + (top_m - counts) * floor) / top_m
        best = (1.0 - mean_weight) * best + mean_weight * mean
    rank = np.argsort(-best, kind="stable")
    return uniq[rank].astype(np.int64), best[rank]


def fit_adapter(
    phr_emb: np.ndarray,
    entry_of_phrase: np.ndarray,
    *,
    steps: int = 300,
    lr: float = 1e-3,
    temperature: float = 0.05,
    identity_weight: float = 1.0,
    batch_size: int = 1024,
    seed: int = 0,
) -> np.ndarray:
    """Linear adapter W (d x d) over frozen, normalised embeddings; use ``apply_adapter``.

    Trained with a supervised contrastive loss (phrasings of one entry attract, others repel)
    and an L2 pull towards the identity so that entries added later, never seen in training,
    are still embedded sensibly.  Seconds on CPU even for 15k phrasings.
    """
    import torch
    import torch.nn.functional as F

    g = torch.Generator().manual_seed(seed)
    x_all = torch.from_numpy(np.ascontiguousarray(phr_emb, dtype=np.float32))
    y_all = torch.from_numpy(np.asarray(entry_of_phrase, dtype=np.int64))
    d = x_all.shape[1]
    eye = torch.eye(d)
    w = torch.nn.Parameter(eye.clone())
    opt = torch.optim.Adam([w], lr=lr)
    n = len(x_all)
    for _ in range(steps):
        idx = torch.randperm(n, generator=g)[:batch_size] if n > batch_size else torch.arange(n)
        x, y = x_all[idx], y_all[idx]
        z = F.normalize(x @ w, dim=-1)
        sim = z @ z.T / temperature
        self_mask = torch.eye(len(x), dtype=torch.bool)
        sim = sim.masked_fill(self_mask, -1e9)
        pos = (y[:, None] == y[None, :]) & ~self_mask
        logp = sim - torch.logsumexp(sim, dim=1, keepdim=True)
        has = pos.any(1)
        loss = -(logp * pos).sum(1)[has] / pos.sum(1)[has]
        loss = loss.mean() + identity_weight * ((w - eye) ** 2).sum() / d
        opt.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        opt.step()
    adapter: np.ndarray = w.detach().numpy().astype(np.float32)
    return adapter


def apply_adapter(emb: np.ndarray, adapter: np.ndarray | None) -> np.ndarray:
    """Embeddings through the adapter, re-normalised for cosine / inner-product FAISS."""
    if adapter is None:
        return emb
    z = emb @ adapter
    out: np.ndarray = (z / np.linalg.norm(z, axis=-1, keepdims=True)).astype(np.float32)
    return out


def fit_head(
    phr_emb: np.ndarray, entry_of_phrase: np.ndarray, n_entries: int, *, c: float = 10.0
) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic-regression entry classifier over (frozen or tuned) embeddings.

    Returns ``(weights (n_entries x d), bias (n_entries,))`` for ``head_probs``.  Entries with
    no phrasing in the fit (e.g. added after it) get a zero row / very low bias: the kNN
    channel of ``fuse`` still finds them, the head is refit in the background.  Seconds for
    ~1k phrasings, under a minute for 15k on 2 cores.
    """
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=c, max_iter=3000)
    clf.fit(phr_emb, entry_of_phrase)
    w = np.zeros((n_entries, phr_emb.shape[1]), dtype=np.float32)
    b = np.full(n_entries, -1e4, dtype=np.float32)
    w[clf.classes_] = clf.coef_
    b[clf.classes_] = clf.intercept_
    return w, b


def head_probs(q_emb: np.ndarray, weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Softmax entry probabilities for one or more question embeddings."""
    z = np.atleast_2d(q_emb) @ weights.T + bias
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    out: np.ndarray = p / p.sum(axis=1, keepdims=True)
    return out


def fuse(
    entry_ids: np.ndarray, entry_scores: np.ndarray, probs: np.ndarray, *, beta: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """kNN entry scores (from ``aggregate``) + beta * head probability, re-sorted.

    Only entries retrieved by kNN are scored, so the fused score stays on the cosine scale
    the answer/clarify/fallback thresholds are calibrated on.
    """
    fused = entry_scores + beta * probs[entry_ids]
    order = np.argsort(-fused, kind="stable")
    return entry_ids[order], fused[order]
