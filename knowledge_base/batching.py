"""Questions that arrive together are embedded together.

On one CPU thread, all-MiniLM-L6-v2 spends about 13 ms of CPU on a short question embedded
alone, and about 6.5 ms each on questions embedded eight to a call (`python -m bench.embedding_batches`):
one question's few tokens make matrices too small to keep the core's vector units busy. Under
load, while one question is being embedded others wait; :class:`EmbeddingBatcher` embeds all
that waited in the next call. Nothing ever waits for company: a question that finds the model
idle is embedded at once, alone, so a quiet service answers as fast as before and a busy one
spends less CPU per question.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

import numpy as np

from knowledge_base.entries import Entry
from knowledge_base.followups import Answered
from knowledge_base.service import KnowledgeBase, Match

MAX_BATCH = 16  # measured (bench.embedding_batches): the cost per question stops falling at 16


class EmbeddingBatcher:
    """Embeds on a worker thread, so the event loop goes on receiving questions meanwhile.

    Made and used on one event loop (the action server's).
    """

    def __init__(
        self,
        embed_many: Callable[[list[str]], np.ndarray],
        *,
        max_batch: int = MAX_BATCH,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._embed_many = embed_many
        self._max_batch = max_batch
        self._on_batch = on_batch  # told each call's size (the action server's metrics)
        self._waiting: list[tuple[str, asyncio.Future[np.ndarray]]] = []
        self._draining: asyncio.Task[None] | None = None

    async def embed(self, text: str) -> np.ndarray:
        future: asyncio.Future[np.ndarray] = asyncio.get_running_loop().create_future()
        self._waiting.append((text, future))
        if self._draining is None:
            self._draining = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[: self._max_batch], self._waiting[self._max_batch :]
                await self._run(batch)
        finally:
            self._draining = None

    async def _run(self, batch: Sequence[tuple[str, asyncio.Future[np.ndarray]]]) -> None:
        try:
            vectors = await asyncio.to_thread(self._embed_many, [text for text, _ in batch])
        except Exception as error:  # every question of the batch hears of it; the next batch tries again
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        if self._on_batch is not None:
            self._on_batch(len(batch))
        for (_, future), vector in zip(batch, vectors, strict=True):
            if not future.done():  # its asker may have given up (cancelled) meanwhile
                future.set_result(vector)


class BatchedKnowledgeBase:
    """A knowledge base whose :meth:`ask_soon` embeds the question with any that arrive meanwhile."""

    def __init__(
        self, kb: KnowledgeBase, *, max_batch: int = MAX_BATCH, on_batch: Callable[[int], None] | None = None
    ) -> None:
        self.kb = kb
        self.batcher = EmbeddingBatcher(kb.embed_many, max_batch=max_batch, on_batch=on_batch)

    def ask(self, text: str, *, fund: str | None = None, after: Answered | None = None) -> Match:
        return self.kb.ask(text, fund=fund, after=after)

    async def ask_soon(self, text: str, *, fund: str | None = None, after: Answered | None = None) -> Match:
        """The same match as :meth:`ask` (within float rounding), without blocking the event loop."""
        started = time.perf_counter()
        reading, scope = self.kb.read(text, fund, after)
        vector = await self.batcher.embed(reading.text)
        return self.kb.answer(reading, scope, vector, since=started)

    def entry(self, entry_id: str) -> Entry | None:
        return self.kb.entry(entry_id)
