"""Questions that arrive while the model is busy are embedded together, each getting its own vector."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from knowledge_base.batching import EmbeddingBatcher


class SlowModel:
    """Embeds a text as [len(text)]; each call waits until the test lets it finish."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.release = threading.Event()
        self.fail_next = False

    def embed_many(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        self.release.wait(timeout=5)
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("model fell over")
        return np.array([[float(len(t))] for t in texts], dtype=np.float32)


async def until(condition: object, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.005)


def test_a_question_that_finds_the_model_idle_is_embedded_at_once_alone() -> None:
    model = SlowModel()
    model.release.set()
    batcher = EmbeddingBatcher(model.embed_many)

    vector = asyncio.run(batcher.embed("abc"))

    assert vector.tolist() == [3.0]
    assert model.calls == [["abc"]]


def test_questions_arriving_while_one_is_embedded_go_together_in_the_next_call() -> None:
    async def scenario() -> tuple[list[list[float]], list[list[str]]]:
        model = SlowModel()
        batcher = EmbeddingBatcher(model.embed_many)
        first = asyncio.create_task(batcher.embed("a"))
        await until(lambda: len(model.calls) == 1)  # the model is busy with "a"
        later = [asyncio.create_task(batcher.embed(t)) for t in ("bb", "ccc", "dddd")]
        await asyncio.sleep(0.01)
        model.release.set()
        vectors = await asyncio.gather(first, *later)
        return [v.tolist() for v in vectors], model.calls

    vectors, calls = asyncio.run(scenario())

    assert calls == [["a"], ["bb", "ccc", "dddd"]]
    assert vectors == [[1.0], [2.0], [3.0], [4.0]]  # each asker gets its own question's vector


def test_no_call_embeds_more_than_the_largest_batch() -> None:
    async def scenario() -> list[list[str]]:
        model = SlowModel()
        batcher = EmbeddingBatcher(model.embed_many, max_batch=2)
        first = asyncio.create_task(batcher.embed("a"))
        await until(lambda: len(model.calls) == 1)
        rest = [asyncio.create_task(batcher.embed(t)) for t in ("b", "c", "d", "e", "f")]
        await asyncio.sleep(0.01)
        model.release.set()
        await asyncio.gather(first, *rest)
        return model.calls

    assert asyncio.run(scenario()) == [["a"], ["b", "c"], ["d", "e"], ["f"]]


def test_a_failed_call_reaches_every_question_in_it_and_the_next_questions_still_get_answers() -> None:
    async def scenario() -> tuple[tuple[np.ndarray | BaseException, np.ndarray | BaseException], np.ndarray]:
        model = SlowModel()
        model.fail_next = True
        batcher = EmbeddingBatcher(model.embed_many)
        first = asyncio.create_task(batcher.embed("a"))
        await until(lambda: len(model.calls) == 1)
        second = asyncio.create_task(batcher.embed("bb"))
        await asyncio.sleep(0.01)
        model.release.set()
        outcomes = await asyncio.gather(first, second, return_exceptions=True)
        return outcomes, await batcher.embed("ccc")

    outcomes, after = asyncio.run(scenario())

    assert isinstance(outcomes[0], RuntimeError)
    assert isinstance(outcomes[1], np.ndarray) and outcomes[1].tolist() == [2.0]
    assert after.tolist() == [3.0]


def test_an_asker_that_gives_up_does_not_stop_the_others() -> None:
    async def scenario() -> np.ndarray:
        model = SlowModel()
        batcher = EmbeddingBatcher(model.embed_many)
        first = asyncio.create_task(batcher.embed("a"))
        await until(lambda: len(model.calls) == 1)
        impatient = asyncio.create_task(batcher.embed("bb"))
        patient = asyncio.create_task(batcher.embed("ccc"))
        await asyncio.sleep(0.01)
        impatient.cancel()
        model.release.set()
        await first
        return await patient

    assert asyncio.run(scenario()).tolist() == [3.0]


def test_a_batch_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        EmbeddingBatcher(SlowModel().embed_many, max_batch=0)
