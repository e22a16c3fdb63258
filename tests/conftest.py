"""Fixtures shared by unit and integration tests."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from knowledge_base.embedder import Embedder, HashingEmbedder
from knowledge_base.service import KnowledgeBase

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

PROJECT = Path(__file__).resolve().parent.parent
SHIPPED_FAQ = PROJECT / "knowledge_base" / "faq"

WriteFaq = Callable[[str, str], Path]


@pytest.fixture
def faq_dir(tmp_path: Path) -> Path:
    root = tmp_path / "faq"
    root.mkdir()
    return root


@pytest.fixture
def write_faq(faq_dir: Path) -> WriteFaq:
    """Write a FAQ file (dedented) under the test's FAQ folder and return its path."""

    def write(name: str, text: str) -> Path:
        path = faq_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


@pytest.fixture
def fake_embedder() -> Embedder:
    return HashingEmbedder()


@pytest.fixture
def open_kb(faq_dir: Path, tmp_path: Path) -> Iterator[Callable[..., KnowledgeBase]]:
    """Open a knowledge base over the test's FAQ folder (fake embedder unless one is given)."""
    opened: list[KnowledgeBase] = []

    def open_(embedder: Embedder | None = None, *, watch: bool = False, **kwargs: object) -> KnowledgeBase:
        kb = KnowledgeBase(faq_dir, embedder or HashingEmbedder(), index_dir=tmp_path / "index", **kwargs)  # type: ignore[arg-type]
        kb.start(watch=watch)
        opened.append(kb)
        return kb

    yield open_
    for kb in opened:
        kb.close()
