"""A mean-pooled transformer run by ONNX Runtime: the same vectors as torch, in less time per question.

Torch on the CPU pays a large fixed cost per call, and an investor's question is embedded alone or
in a batch of a few: one question took 12.5 ms of CPU with torch and 5.3 ms here, four together 7.0
and 4.2 ms each (``python -m bench.embedding_batches``, one thread, 2-core AMD EPYC, 2026-12-04).

A :func:`knowledge_base.pooled_embedder.supports` folder is exported once, with the masked mean
and the L2 norm inside the graph, to ``<cache>/<folder name>@<fingerprint>.onnx``. Before it is
kept, the export is compared with torch on texts of both languages and several lengths, and kept
only if every vector agrees within :data:`TOLERANCE`. Later starts load the file and never import
torch. A folder that cannot be exported, or a cache that cannot be written, runs on torch.

:func:`load_int8` derives ``<name>+int8.onnx`` from that export: every matrix product's weights in
8-bit integers, one scale per output column (ONNX Runtime's dynamic quantization), activations
quantized as they come. The word-embedding table stays in floats: its rows are looked up, not
multiplied, so quantizing it saves no time and costs accuracy.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from knowledge_base.pooled_embedder import PooledTransformer, in_batches, read_config, read_json

log = logging.getLogger(__name__)

# As close as the torch path must be to sentence-transformers (tests/integration): float noise only.
TOLERANCE = 1e-5
CHECK_TEXTS = (
    "How long until my redemption money reaches my bank card?",
    "赎回的钱多久到账",
    "hi",
    "fee " * 400,  # past the model's length limit: truncation must agree too
    "900001今天跌了好多，怎么回事 my ID is [id ••••1234]",
)


# How far an int8 vector may turn from the float one before the quantized file is refused. Not a
# tuned figure: per-column int8 keeps these texts at cosine 0.98 or more, while a broken graph or
# a per-tensor scale on a layer with outlier columns falls to 0.9 or below.
INT8_MIN_COSINE = 0.95


class ExportError(RuntimeError):
    """The model could not be exported faithfully; it runs on torch instead."""


class QuantizeError(ExportError):
    """The int8 copy could not be made faithfully; the float export serves instead."""


class OnnxPooledTransformer:
    """:class:`PooledTransformer`'s ``encode``, on an exported graph."""

    def __init__(self, model_file: Path, model_dir: Path, batch_size: int, threads: int | None) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        if threads:
            # The same reason as torch's one thread: three processes share two cores.
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
        self._names = [i.name for i in self._session.get_inputs()]
        self._max_length, self._lower = read_config(model_dir)
        self._tokenize = _tokenizer(model_dir, self._max_length)
        self._batch_size = batch_size
        self.dim = int(self._session.get_outputs()[0].shape[-1])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return in_batches(texts, self._batch_size, self.dim, self._encode_batch)

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        texts = [t.lower() for t in texts] if self._lower else texts
        tokens = self._tokenize(texts)
        return np.asarray(self._session.run(None, {name: tokens[name] for name in self._names})[0], dtype=np.float32)


Tokenize = Callable[[list[str]], dict[str, np.ndarray]]


def _tokenizer(model_dir: Path, max_length: int) -> Tokenize:
    """The folder's fast tokeniser (``tokenizer.json``) on its own: ``transformers`` would import torch,
    which this runtime exists to do without. Same ids as ``AutoTokenizer`` (a test compares them)."""
    file = model_dir / "tokenizer.json"
    if not file.is_file():
        return _auto_tokenizer(model_dir, max_length)
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(file))
    config = read_json(model_dir / "tokenizer_config.json")
    pad_token = config.get("pad_token")
    if isinstance(pad_token, dict):  # written as an AddedToken by some versions of transformers
        pad_token = pad_token.get("content")
    pad = str(pad_token or "[PAD]")
    pad_id = tokenizer.token_to_id(pad)
    tokenizer.enable_truncation(max_length)
    tokenizer.enable_padding(pad_id=0 if pad_id is None else pad_id, pad_token=pad)

    def tokenize(texts: list[str]) -> dict[str, np.ndarray]:
        found = tokenizer.encode_batch(texts)
        return {
            "input_ids": np.array([e.ids for e in found], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in found], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in found], dtype=np.int64),
        }

    return tokenize


def _auto_tokenizer(model_dir: Path, max_length: int) -> Tokenize:
    from transformers import AutoTokenizer

    tokenizer: Any = AutoTokenizer.from_pretrained(str(model_dir))

    def tokenize(texts: list[str]) -> dict[str, np.ndarray]:
        found = tokenizer(texts, padding=True, truncation=True, max_length=max_length, return_tensors="np")
        return {name: np.asarray(value, dtype=np.int64) for name, value in found.items()}

    return tokenize


def load(model_dir: Path, name: str, cache: Path, batch_size: int, threads: int | None) -> OnnxPooledTransformer:
    """The model's exported graph from ``cache``, exported (and checked) first if it is not there.

    Raises :class:`ExportError` (or ``OSError`` for an unwritable cache) when that fails; a cached
    file that no longer loads is exported again.
    """
    target = cache / f"{name}.onnx"
    return _cached(target, lambda: export(model_dir, target), "exporting", model_dir, batch_size, threads)


def _cached(
    target: Path, make: Callable[[], None], making: str, model_dir: Path, batch_size: int, threads: int | None
) -> OnnxPooledTransformer:
    """``target`` loaded, after ``make`` wrote it if it is missing or no longer loads."""
    if target.is_file():
        try:
            return OnnxPooledTransformer(target, model_dir, batch_size, threads)
        except Exception as error:  # onnxruntime raises its own types for a damaged file
            log.warning("embedding: %s does not load (%s); %s the model again", target, error, making)
    make()
    return OnnxPooledTransformer(target, model_dir, batch_size, threads)


def export(model_dir: Path, target: Path) -> None:
    """Export ``model_dir`` to ``target`` and keep it only if it gives torch's vectors."""
    import torch

    reference = PooledTransformer(model_dir, batch_size=len(CHECK_TEXTS))
    names = list(reference.input_names)
    sample = reference.tokenize(list(CHECK_TEXTS[:2]))
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on shape-dependent Python code
            torch.onnx.export(
                _pooled_module(reference.model, names),
                tuple(sample[n] for n in names),
                str(partial),
                input_names=names,
                output_names=["embedding"],
                dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in names}, "embedding": {0: "batch"}},
                opset_version=17,
                dynamo=False,
            )
        threads = torch.get_num_threads()
        exported = OnnxPooledTransformer(partial, model_dir, len(CHECK_TEXTS), threads)
        gap = float(np.abs(exported.encode(CHECK_TEXTS) - reference.encode(CHECK_TEXTS)).max())
        if not gap <= TOLERANCE:
            raise ExportError(f"the exported model differs from torch by {gap:.2e} (allowed {TOLERANCE:.0e})")
        os.replace(partial, target)  # atomic: two servers exporting at once both leave a whole file
        log.info("embedding: exported %s to %s (largest difference from torch %.1e)", model_dir.name, target, gap)
    except ExportError:
        raise
    except Exception as error:  # torch's exporter fails in many ways; each means "use torch"
        raise ExportError(f"could not export {model_dir} to ONNX: {error}") from error
    finally:
        partial.unlink(missing_ok=True)


def _pooled_module(model: Any, names: list[str]) -> Any:
    import torch

    class Pooled(torch.nn.Module):
        """The transformer, its masked mean and the L2 norm, as one graph."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            named = dict(zip(names, inputs, strict=True))
            hidden = self.model(**named).last_hidden_state
            mask = named["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    return Pooled().eval()


def load_int8(model_dir: Path, name: str, cache: Path, batch_size: int, threads: int | None) -> OnnxPooledTransformer:
    """The exported graph with int8 matrix weights (derived once into ``cache``, see the module doc).

    Raises :class:`QuantizeError` when the quantized vectors stray from the float ones by more than
    :data:`INT8_MIN_COSINE` allows, and what :func:`load` raises when the float export itself fails.
    """
    target = cache / f"{name}+int8.onnx"

    def make() -> None:
        full = load(model_dir, name, cache, len(CHECK_TEXTS), threads)
        quantize(cache / f"{name}.onnx", target, model_dir, full)

    return _cached(target, make, "quantizing", model_dir, batch_size, threads)


def quantize(source: Path, target: Path, model_dir: Path, full: OnnxPooledTransformer) -> None:
    """Write ``source`` with int8 matrix weights to ``target``, kept only if its vectors stay close."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    partial = target.with_name(f".{target.name}.{os.getpid()}")
    try:
        root = logging.getLogger()
        was, root.disabled = root.disabled, True  # the quantizer's advice to pre-process, not ours to act on
        try:
            quantize_dynamic(
                str(source),
                str(partial),
                weight_type=QuantType.QInt8,
                per_channel=True,
                op_types_to_quantize=["MatMul"],
            )
        finally:
            root.disabled = was
        small = OnnxPooledTransformer(partial, model_dir, len(CHECK_TEXTS), 1)
        cosine = float((small.encode(CHECK_TEXTS) * full.encode(CHECK_TEXTS)).sum(axis=1).min())
        if not cosine >= INT8_MIN_COSINE:
            raise QuantizeError(
                f"the int8 model's vectors reach cosine {cosine:.3f} (at least {INT8_MIN_COSINE} needed)"
            )
        os.replace(partial, target)
        log.info("embedding: quantized %s to %s (lowest cosine to the float model %.4f)", source.name, target, cosine)
    except QuantizeError:
        raise
    except Exception as error:  # the quantizer fails in many ways; each means "use the float model"
        raise QuantizeError(f"could not quantize {source}: {error}") from error
    finally:
        partial.unlink(missing_ok=True)
