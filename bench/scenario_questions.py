"""The questions of a simulated week (:mod:`bench.scenario_weeks`): when each is asked, its topic, fund and burst,
and its text and embedding.

Embeddings: ``synthetic`` (the default, no model) gives each topic a random unit centroid in 384-d and each question
its centroid plus Gaussian parts, normalized, at a per-week level where a question's cosine to its centroid is about
0.55 (a poor model, like an English model reading Chinese) to 0.9, give or take 0.1 per question. The off-centroid
part is partly one of the topic's 3-30 phrasings (Zipf-popular), partly noise: with noise alone, two questions of a
topic in 384-d have a cosine of almost exactly the square of that level (0.59 at 0.77) and never reach the
clusterer's 0.72, so every question founds its own cluster; BANKING77 with MiniLM has 0.77 to the intent centroid on
average but question pairs spread widely (0.59 +- 0.17, nearest same-intent neighbour 0.89). With phrasings, 10k
questions of 77 topics at 0.77 form about 1,000 clusters at 0.72, as BANKING77 does (1,085). Topic centroids share a
common direction (cosine 0.15-0.35) and, in families of about three, another, so a few topics are close.
``corpus`` takes texts and vectors from BANKING77 instead, one intent per topic.

Each week also has its fund team's FAQ: one entry per topic it already had (a new topic has none), with 3 to 10
phrasings written like the topic's questions (drawn from their model, apart from the stream), and every question
carries the entry whose phrasing is nearest to it, as the matcher's best hit ranks it. The FAQ is drawn from a
generator of its own, so the questions, their times and vectors are those of the week without it.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from bench.scenario_weeks import (
    MAX_TOPICS,
    NEW_TOPICS,
    WEEK_MINUTES,
    Event,
    Scenario,
    Stream,
    draw_scenario,
    strength,
    zipf_weights,
)
from bench.spikes_bench import Corpus

DIM = 384
PHRASINGS = (3, 31)  # phrasings per topic (synthetic mode), Zipf-popular
COSINE_SD = 0.1  # spread of a question's cosine to its centroid around the week's level
FAQ_PHRASINGS = (3, 11)  # phrasings per FAQ entry, as fund teams write them (the shipped FAQ: 3 to 10)
FAMILY = 0.6  # largest share of a topic centroid drawn from its family's direction


def generate(seed: int, corpus: Corpus | None = None) -> Stream:
    """The week of ``seed``: synthetic embeddings, or BANKING77's texts and vectors when ``corpus`` is given."""
    rng = np.random.default_rng(seed)
    limit = MAX_TOPICS if corpus is None else len(set(corpus.intents)) - NEW_TOPICS
    scenario = draw_scenario(seed, rng, limit)
    minute, topic, fund, burst = _questions(rng, scenario)
    order = np.argsort(minute * 60.0 + (seconds := rng.uniform(0.0, 60.0, len(minute))), kind="stable")
    minute, topic, fund, burst, seconds = minute[order], topic[order], fund[order], burst[order], seconds[order]
    codes = scenario.codes
    named = [codes[f] if f >= 0 else None for f in fund.tolist()]
    faq_rng = np.random.default_rng([seed, 1])  # the FAQ's own draws: the week is the same with or without it
    known = range(len(scenario.peaks))  # a new topic's id comes after these: the FAQ has no entry for it
    if corpus is None:
        texts, vectors, entries = _synthetic(rng, scenario, topic, named, faq_rng, known)
    else:
        texts, vectors, entries = _from_corpus(rng, corpus, topic, named, faq_rng, known)
    events = [
        Event(scenario.start + timedelta(seconds=60.0 * m + s), text, vectors[i], code, t, b if b >= 0 else None, e)
        for i, (m, s, text, code, t, b, e) in enumerate(
            zip(minute.tolist(), seconds.tolist(), texts, named, topic.tolist(), burst.tolist(), entries, strict=True)
        )
    ]
    return Stream(scenario, events)


def _questions(rng: np.random.Generator, scenario: Scenario) -> tuple[np.ndarray, ...]:
    """(minute, topic, fund index or -1, burst id or -1) of every question, unsorted."""
    rates = scenario.rates()
    k = scenario.hourly_shape
    rates *= np.repeat(rng.gamma(k, 1.0 / k, size=(WEEK_MINUTES // 60, rates.shape[1])), 60, axis=0)
    rates *= scenario.decoy_factor()[:, None]
    counts = rng.poisson(rates)
    minutes, topics = np.nonzero(counts)
    repeats = counts[minutes, topics]
    minute, topic = np.repeat(minutes, repeats), np.repeat(topics, repeats)
    naming = np.asarray(scenario.fund_naming)[topic]
    picks = rng.choice(len(scenario.funds), size=len(topic), p=scenario.fund_popularity())
    fund = np.where(rng.random(len(topic)) < naming, picks, -1)
    parts = [(minute, topic, fund, np.full(len(topic), -1))]
    base = scenario.rates()
    for b in scenario.bursts:
        first = int((b.start - scenario.start).total_seconds() // 60)
        ramp = strength(b.minutes, b.onset)
        if b.factor is None:
            extra = b.rate / 5.0 * ramp
        else:
            extra = (b.factor - 1.0) * ramp * base[first : first + b.minutes, b.topic]
        n = rng.poisson(extra)
        at = np.repeat(np.arange(first, first + b.minutes), n)
        index = scenario.codes.index(b.fund) if b.fund else -1
        parts.append((at, np.full(len(at), b.topic), np.full(len(at), index), np.full(len(at), b.id)))
    return tuple(np.concatenate([p[i] for p in parts]).astype(np.int64) for i in range(4))


def _synthetic(
    rng: np.random.Generator,
    scenario: Scenario,
    topic: np.ndarray,
    named: list[str | None],
    faq_rng: np.random.Generator,
    known: range,
) -> tuple[list[str], np.ndarray, list[str | None]]:
    """Each question: its topic's centroid, one of the topic's phrasings and noise, at the week's cosine (give or
    take ``COSINE_SD`` per question) to the centroid. The FAQ's phrasings of a known topic are drawn the same way."""
    centroids = _centroids(rng, scenario, int(topic.max()) + 1 if len(topic) else 0)
    phrasing = np.zeros((len(topic), DIM), dtype=np.float32)
    faq_topic: list[int] = []
    faq_way: list[np.ndarray] = []
    for t in range(len(centroids)):
        mine = np.flatnonzero(topic == t)
        ways = _unit(rng.standard_normal((int(rng.integers(*PHRASINGS)), DIM))).astype(np.float32)
        weights = zipf_weights(len(ways), 1.0)
        phrasing[mine] = ways[rng.choice(len(ways), size=len(mine), p=weights)]
        if t in known:
            k = int(faq_rng.integers(*FAQ_PHRASINGS))
            faq_topic += [t] * k
            faq_way.append(ways[faq_rng.choice(len(ways), size=k, p=weights)])
    vectors = _place(rng, scenario, centroids[topic], phrasing)
    faq_ways = np.concatenate(faq_way) if faq_way else np.zeros((0, DIM), np.float32)
    faq_of = np.asarray(faq_topic, dtype=np.int64)
    faq = _place(faq_rng, scenario, centroids[faq_of], faq_ways)
    texts = [
        f"topic {t} question {i}" + (f" fund {code}" if code else "")
        for i, (t, code) in enumerate(zip(topic.tolist(), named, strict=True))
    ]
    return texts, vectors, _nearest_entry(vectors, faq, faq_of)


def _place(rng: np.random.Generator, scenario: Scenario, centroid: np.ndarray, phrasing: np.ndarray) -> np.ndarray:
    """Questions at the week's cosine (give or take ``COSINE_SD``) to their centroids, off it towards a phrasing."""
    n = len(centroid)
    cosine = np.clip(rng.normal(scenario.cosine, COSINE_SD, n), 0.3, 0.98).astype(np.float32)[:, None]
    noise = rng.standard_normal((n, DIM), dtype=np.float32) / np.float32(np.sqrt(DIM))
    share = np.float32(scenario.phrasing)
    off = np.sqrt(share) * phrasing + np.sqrt(1 - share) * noise
    return _unit(cosine * centroid + np.sqrt(1 - cosine**2) * off).astype(np.float32)


def _nearest_entry(vectors: np.ndarray, faq: np.ndarray, owner: np.ndarray) -> list[str | None]:
    """Each question's FAQ entry by its nearest phrasing (the matcher's best hit), ``e<topic>``; None without an FAQ."""
    if not len(faq) or not len(vectors):
        return [None] * len(vectors)
    out: list[str | None] = []
    for start in range(0, len(vectors), 4096):
        best = (vectors[start : start + 4096] @ faq.T).argmax(axis=1)
        out += [f"e{t}" for t in owner[best].tolist()]
    return out


def _centroids(rng: np.random.Generator, scenario: Scenario, count: int) -> np.ndarray:
    """Unit topic centroids sharing one direction (``spread``) and, in families of about three topics, another
    (a random share up to ``FAMILY``): most topics are as far apart as BANKING77 intents, a few are close."""
    common = _unit(rng.standard_normal(DIM))
    families = _unit(rng.standard_normal((max(1, count // 3), DIM)))
    family = families[rng.integers(len(families), size=count)]
    near = rng.uniform(0.0, FAMILY, count)[:, None]
    own = _unit(rng.standard_normal((count, DIM)))
    mixed = np.sqrt(scenario.spread) * common + np.sqrt(near) * family + np.sqrt(1 - scenario.spread - near) * own
    return _unit(mixed).astype(np.float32)


def _from_corpus(
    rng: np.random.Generator,
    corpus: Corpus,
    topic: np.ndarray,
    named: list[str | None],
    faq_rng: np.random.Generator,
    known: range,
) -> tuple[list[str], np.ndarray, list[str | None]]:
    intents = sorted(set(corpus.intents))
    order = rng.permutation(len(intents))  # topic t is intent order[t]; new topics take the last ones
    rows: dict[str, list[int]] = {}
    for i, intent in enumerate(corpus.intents):
        rows.setdefault(intent, []).append(i)
    picks = [rows[intents[order[t]]][int(rng.integers(len(rows[intents[order[t]]])))] for t in topic.tolist()]
    texts = [corpus.texts[p] + (f" fund {code}" if code else "") for p, code in zip(picks, named, strict=True)]
    vectors = corpus.vectors[np.asarray(picks, dtype=np.int64)].astype(np.float32)
    if corpus.ranked is not None:
        # A real matcher's ranking (the shipped FAQ's): the week's new topics are not in its FAQ, so their
        # entries are passed over, as a knowledge base without them would rank.
        unknown = {intents[order[t]] for t in set(topic.tolist()) if t not in known}
        best = (next((e for e in corpus.ranked[p] if e not in unknown), None) for p in picks)
        return texts, vectors, list(best)
    faq_rows: list[int] = []
    faq_of: list[int] = []
    for t in known:  # the FAQ's phrasings: other questions of the intent (a question may be one, as in a real FAQ)
        mine = rows[intents[order[t]]]
        k = min(len(mine), int(faq_rng.integers(*FAQ_PHRASINGS)))
        faq_rows += faq_rng.choice(mine, size=k, replace=False).tolist()
        faq_of += [t] * k
    faq_vectors = corpus.vectors[np.asarray(faq_rows, dtype=np.int64)].astype(np.float32)
    return texts, vectors, _nearest_entry(vectors, faq_vectors, np.asarray(faq_of, np.int64))


def _unit(x: np.ndarray) -> np.ndarray:
    return np.asarray(x / np.linalg.norm(x, axis=-1, keepdims=True))
