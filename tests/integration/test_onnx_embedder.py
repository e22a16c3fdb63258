"""The packaged model on ONNX Runtime: torch's vectors, one export reused, and torch when export fails."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from knowledge_base import onnx_embedder
from knowledge_base.embedder import SentenceTransformerEmbedder, packaged_model_path
from knowledge_base.evaluation import read_questions
from knowledge_base.pooled_embedder import PooledTransformer
from tests.conftest import PROJECT

pytestmark = pytest.mark.integration


def shipped_questions() -> list[str]:
    names = ("shipped_faq_en.csv", "shipped_faq_zh.csv", "shipped_messages_dev3.csv")
    return [q.text for name in names for q in read_questions(PROJECT / "bench" / "data" / name)]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache holding one export of the packaged model, made by the embedder itself."""
    cache = tmp_path_factory.mktemp("models")
    assert SentenceTransformerEmbedder(cache=cache).runtime == "onnx"
    return cache


@pytest.fixture(scope="module")
def torch_vectors() -> PooledTransformer:
    return PooledTransformer(packaged_model_path(), batch_size=64)


def test_onnx_gives_torchs_vectors_for_every_shipped_question_alone_and_in_batches(
    exported: Path, torch_vectors: PooledTransformer
) -> None:
    texts = shipped_questions()
    onnx = SentenceTransformerEmbedder(cache=exported)
    expected = torch_vectors.encode(texts)
    assert np.abs(onnx.encode(texts) - expected).max() < onnx_embedder.TOLERANCE
    alone = np.concatenate([onnx.encode([t]) for t in texts[::25]])
    assert np.abs(alone - expected[::25]).max() < onnx_embedder.TOLERANCE


def test_the_tokenizer_without_transformers_gives_autotokenizers_ids(torch_vectors: PooledTransformer) -> None:
    texts = [*shipped_questions(), "", "   ", "😀 emoji and 中英 mixed", "x" * 3000]
    ours = onnx_embedder._tokenizer(packaged_model_path(), 256)(texts)
    theirs = torch_vectors.tokenize(texts)
    for name in ("input_ids", "attention_mask", "token_type_ids"):
        assert np.array_equal(ours[name], theirs[name].numpy()), name


def test_a_second_start_loads_the_exported_model_without_exporting_again(
    exported: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (model_file,) = exported.glob("*.onnx")
    before = model_file.stat().st_mtime_ns

    def no_export(*_: object) -> None:
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_embedder, "export", no_export)
    assert SentenceTransformerEmbedder(cache=exported).runtime == "onnx"
    assert model_file.stat().st_mtime_ns == before


def test_a_start_from_an_exported_model_never_imports_torch(exported: Path) -> None:
    script = (
        "import sys; from pathlib import Path; from knowledge_base.embedder import SentenceTransformerEmbedder as E; "
        f"e = E(cache=Path({str(exported)!r})); e.encode(['赎回多久到账']); print(e.runtime, 'torch' in sys.modules)"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(PROJECT)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["onnx", "False"]


def test_a_damaged_export_is_made_again_and_gives_the_right_vectors(
    exported: Path, tmp_path: Path, torch_vectors: PooledTransformer, caplog: pytest.LogCaptureFixture
) -> None:
    cache = tmp_path / "models"
    shutil.copytree(exported, cache)
    (model_file,) = cache.glob("*.onnx")
    model_file.write_bytes(model_file.read_bytes()[:1000])  # a copy cut short
    with caplog.at_level(logging.WARNING):
        onnx = SentenceTransformerEmbedder(cache=cache)
    assert onnx.runtime == "onnx" and "does not load" in caplog.text
    texts = ["How long until my redemption money arrives?", "赎回的钱多久到账"]
    assert np.abs(onnx.encode(texts) - torch_vectors.encode(texts)).max() < onnx_embedder.TOLERANCE


def test_an_export_that_differs_from_torch_is_not_kept_and_torch_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(onnx_embedder, "TOLERANCE", -1.0)  # no export can agree that closely
    with caplog.at_level(logging.WARNING):
        embedder = SentenceTransformerEmbedder(cache=tmp_path)
    assert embedder.runtime == "torch"
    assert "differs from torch" in caplog.text
    assert list(tmp_path.iterdir()) == []  # neither the export nor a partial file is left
    assert embedder.encode(["赎回多久到账"]).shape == (1, 384)


def test_an_unwritable_cache_falls_back_to_torch(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    with caplog.at_level(logging.WARNING):
        embedder = SentenceTransformerEmbedder(cache=blocked / "models")
    assert embedder.runtime == "torch" and "runs on torch" in caplog.text


def test_torch_runtime_is_torch_and_an_unknown_runtime_is_an_error() -> None:
    assert SentenceTransformerEmbedder(runtime="torch").runtime == "torch"
    with pytest.raises(ValueError, match="embedding runtime must be one of onnx, onnx-int8, torch"):
        SentenceTransformerEmbedder(runtime="tensorrt")


def test_a_mean_pooled_folder_without_a_normalize_module_runs_on_onnx_with_sentence_transformers_vectors(
    tmp_path: Path,
) -> None:
    """The layout of the paraphrase-multilingual models (no Normalize module), with a ``pad_token``
    written as an object, as newer transformers write it."""
    from sentence_transformers import SentenceTransformer

    folder = tmp_path / "no-normalize"
    folder.mkdir()
    for item in packaged_model_path().iterdir():
        (folder / item.name).symlink_to(item)
    modules = json.loads((folder / "modules.json").read_text())
    (folder / "modules.json").unlink()
    (folder / "modules.json").write_text(json.dumps(modules[:2]))
    config = json.loads((folder / "tokenizer_config.json").read_text())
    (folder / "tokenizer_config.json").unlink()
    config["pad_token"] = {"content": config["pad_token"], "lstrip": False, "special": True}
    (folder / "tokenizer_config.json").write_text(json.dumps(config))

    ours = SentenceTransformerEmbedder(str(folder), cache=tmp_path / "models")
    assert ours.runtime == "onnx"
    texts = ["How long until my redemption money arrives?", "赎回的钱多久到账", "hi", "fee " * 400]
    theirs = SentenceTransformer(str(folder), device="cpu").encode(texts, normalize_embeddings=True)
    assert np.abs(ours.encode(texts) - theirs).max() < 1e-5
