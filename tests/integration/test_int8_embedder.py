"""The packaged model with int8 matrix weights: close to the float vectors, kept apart from them, made once."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from knowledge_base import onnx_embedder
from knowledge_base.embedder import SentenceTransformerEmbedder
from knowledge_base.evaluation import read_questions
from tests.conftest import PROJECT

pytestmark = pytest.mark.integration


def shipped_questions() -> list[str]:
    names = ("shipped_faq_en.csv", "shipped_messages_dev3.csv")
    return [q.text for name in names for q in read_questions(PROJECT / "bench" / "data" / name)]


@pytest.fixture(scope="module")
def quantized(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache holding the float export and its int8 copy, made by the embedder itself."""
    cache = tmp_path_factory.mktemp("models")
    assert SentenceTransformerEmbedder(runtime="onnx-int8", cache=cache).runtime == "onnx-int8"
    return cache


def test_int8_vectors_stay_close_to_the_float_ones_for_every_shipped_question(quantized: Path) -> None:
    texts = shipped_questions()
    full = SentenceTransformerEmbedder(cache=quantized).encode(texts)
    small = SentenceTransformerEmbedder(runtime="onnx-int8", cache=quantized).encode(texts)
    cosine = (full * small).sum(axis=1)
    assert cosine.min() >= onnx_embedder.INT8_MIN_COSINE
    assert np.median(cosine) > 0.98
    assert not np.array_equal(full, small)  # really another model, not the float one under a new name


def test_int8_vectors_are_cached_under_their_own_name(quantized: Path) -> None:
    full = SentenceTransformerEmbedder(cache=quantized)
    small = SentenceTransformerEmbedder(runtime="onnx-int8", cache=quantized)
    assert small.name == f"{full.name}+int8"


def test_a_second_start_loads_the_int8_model_without_quantizing_again(
    quantized: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (model_file,) = quantized.glob("*+int8.onnx")
    before = model_file.stat().st_mtime_ns

    def no_quantizing(*_: object) -> None:
        raise AssertionError("quantized again")

    monkeypatch.setattr(onnx_embedder, "quantize", no_quantizing)
    assert SentenceTransformerEmbedder(runtime="onnx-int8", cache=quantized).runtime == "onnx-int8"
    assert model_file.stat().st_mtime_ns == before


def test_an_int8_model_that_strays_is_not_kept_and_the_float_model_serves(
    quantized: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    cache = tmp_path / "models"
    shutil.copytree(quantized, cache)
    for model_file in cache.glob("*+int8.onnx"):
        model_file.unlink()
    monkeypatch.setattr(onnx_embedder, "INT8_MIN_COSINE", 1.5)  # no quantized model comes that close
    with caplog.at_level(logging.WARNING):
        embedder = SentenceTransformerEmbedder(runtime="onnx-int8", cache=cache)
    assert embedder.runtime == "onnx" and "runs in floats" in caplog.text
    assert not embedder.name.endswith("+int8")
    assert [p.name for p in cache.iterdir() if "int8" in p.name] == []  # no partial file left either
    assert embedder.encode(["赎回多久到账"]).shape == (1, 384)


def test_a_damaged_int8_model_is_quantized_again(
    quantized: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = tmp_path / "models"
    shutil.copytree(quantized, cache)
    (model_file,) = cache.glob("*+int8.onnx")
    model_file.write_bytes(model_file.read_bytes()[:1000])  # a copy cut short
    with caplog.at_level(logging.WARNING):
        embedder = SentenceTransformerEmbedder(runtime="onnx-int8", cache=cache)
    assert embedder.runtime == "onnx-int8" and "quantizing the model again" in caplog.text
    full = SentenceTransformerEmbedder(cache=cache).encode(["How long until my redemption money arrives?"])
    again = embedder.encode(["How long until my redemption money arrives?"])
    assert float((full * again).sum()) >= onnx_embedder.INT8_MIN_COSINE


def test_an_export_that_fails_is_tried_once_and_torch_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(onnx_embedder, "TOLERANCE", -1.0)  # no export can agree that closely
    exports: list[tuple[Path, Path]] = []
    export = onnx_embedder.export

    def counted(model_dir: Path, target: Path) -> None:
        exports.append((model_dir, target))
        export(model_dir, target)

    monkeypatch.setattr(onnx_embedder, "export", counted)
    with caplog.at_level(logging.WARNING):
        embedder = SentenceTransformerEmbedder(runtime="onnx-int8", cache=tmp_path)
    assert embedder.runtime == "torch" and "runs on torch" in caplog.text
    assert len(exports) == 1  # the float export failed: the int8 copy cannot help, nor a second try
