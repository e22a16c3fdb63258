"""Scoring a split's questions against its entries: FAISS search, aggregation variants, and the
answer / clarify / fallback policy with thresholds calibrated on held-out questions."""

from __future__ import annotations

import numpy as np

from bench.experiments import fine_tune as tuning
from bench.experiments.retrieval_splits import Split

TOPK = 50  # FAISS hits per question fed to the aggregation


def search(phr: np.ndarray, q: np.ndarray, k: int = TOPK) -> tuple[np.ndarray, np.ndarray]:
    import faiss

    index = faiss.IndexFlatIP(phr.shape[1])
    index.add(phr)
    return index.search(q, min(k, len(phr)))


def rank_entries(
    D: np.ndarray, I: np.ndarray, entry_of: np.ndarray, **agg
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per question: top entry, its score, and the runner-up's score (via tuning.aggregate)."""
    top = np.empty(len(D), dtype=np.int64)
    s1 = np.empty(len(D))
    s2 = np.empty(len(D))
    for i in range(len(D)):
        e, s = tuning.aggregate(D[i], I[i], entry_of, **agg)
        top[i] = e[0]
        s1[i] = s[0]
        s2[i] = s[1] if len(s) > 1 else -1.0
    return top, s1, s2


def top1(split: Split, top: np.ndarray) -> float:
    m = split.q_entry >= 0
    return float((top[m] == split.q_entry[m]).mean())


def policy(top, s1, s2, t_ans, margin, floor):
    """0 = fallback, 1 = clarify, 2 = answer (with ``top``)."""
    act = np.zeros(len(top), dtype=np.int8)
    act[s1 >= floor] = 1
    act[(s1 >= t_ans) & (s1 - s2 >= margin)] = 2
    return act


def policy_metrics(gold, top, act) -> dict[str, float]:
    ins = gold >= 0
    return {
        "answer_acc": float(((act == 2) & (top == gold))[ins].mean()),
        "oos_recall": float((act[~ins] == 0).mean()),
        "wrong": float(((act == 2) & (top != gold))[ins].mean()),
        "clarify": float((act[ins] == 1).mean()),
    }


def calibrate(split: Split, top, s1, s2, objective: str = "acc@oos0.8") -> tuple[tuple[float, float, float], dict]:
    """Grid-search (t_ans, margin, floor) on the calibration questions; metrics on the rest."""
    cal = split.cal_mask
    extra = split.extra_mask if split.extra_mask is not None else np.zeros_like(cal)
    test = ~cal & ~extra
    g = split.q_entry
    ts = np.unique(np.quantile(s1[cal], np.linspace(0.0, 1.0, 101)))
    best, best_key = None, None
    for t in ts:
        for m in (0.0, 0.005, 0.01, 0.02, 0.03, 0.05):
            for d in (0.0, 0.02, 0.05, 0.1):
                act = policy(top[cal], s1[cal], s2[cal], t, m, t - d)
                r = policy_metrics(g[cal], top[cal], act)
                if objective == "mean":
                    key = (r["answer_acc"] + r["oos_recall"]) / 2
                else:  # answer accuracy subject to oos recall >= 0.8; ties -> fewer wrong answers
                    key = (r["oos_recall"] >= 0.8, r["answer_acc"] - 0.1 * r["wrong"])
                if best_key is None or key > best_key:
                    best_key, best = key, (float(t), m, float(t - d))
    act = policy(top[test], s1[test], s2[test], *best)
    met = policy_metrics(g[test], top[test], act)
    t150 = test | extra
    met["oos_rec150"] = policy_metrics(g[t150], top[t150], policy(top[t150], s1[t150], s2[t150], *best))["oos_recall"]
    return best, met


def from_matrix(S: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    o = np.argsort(-S, axis=1)[:, :2]
    r = np.arange(len(S))
    return o[:, 0], S[r, o[:, 0]], S[r, o[:, 1]]


def knn_vote(D, I, entry_of, n_entries, T=0.05):
    """Softmax-temperature kNN voting: P(entry) ∝ Σ_hits exp(s/T)."""
    S = np.zeros((len(D), n_entries))
    w = np.exp((D - D[:, :1]) / T)
    for i in range(len(D)):
        np.add.at(S[i], entry_of[I[i]], w[i])
    S /= S.sum(1, keepdims=True)
    return S


def centroids(phr, entry_of, n):
    C = np.zeros((n, phr.shape[1]))
    np.add.at(C, entry_of, phr)
    return C / np.linalg.norm(C, axis=1, keepdims=True)


def max_matrix(D, I, entry_of, n):
    S = np.full((len(D), n), D.min() - 0.0)
    for i in range(len(D)):
        e = entry_of[I[i]]
        np.maximum.at(S[i], e, D[i])
    return S


def lr_probs(phr, entry_of, q, C=10.0):
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=C, max_iter=2000)
    clf.fit(phr, entry_of)
    return clf.predict_proba(q)


def top1_test(split: Split, top) -> float:
    m = (split.q_entry >= 0) & ~split.cal_mask  # in-scope test questions only
    return float((top[m] == split.q_entry[m]).mean())
