"""The baselines the side-by-side benchmark compares with, built from named knowledge bases.

``shipped`` is ``knowledge_base/faq``; ``banking77-10`` is BANKING77 as FAQ with 10 phrasings per
intent (the split of :func:`bench.datasets.banking77`). Everything is written under ``var/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bench import datasets
from bench.baseline import lm_overlay, weights
from bench.baseline.project import RasaProject, generate
from bench.baseline.training import TrainedModel, cached, train
from funddesk.settings import PROJECT_ROOT
from knowledge_base.entries import Entry
from knowledge_base.lint import parse_tree

WORK = PROJECT_ROOT / "var" / "baseline"
SHIPPED = PROJECT_ROOT / "knowledge_base" / "faq"
KBS = ("shipped", "banking77-10")


def entries_of(kb_dir: Path) -> list[Entry]:
    """Every entry FundDesk serves from a fresh knowledge base (broken entries and files skipped)."""
    return [e for parsed in parse_tree(kb_dir) for e in parsed.entries]


def kb_dir(name: str, work: Path = WORK) -> Path:
    if name == "shipped":
        return SHIPPED
    if name == "banking77-10":
        return datasets.banking77(work / "data", 10).kb
    raise ValueError(f"unknown knowledge base {name!r} (one of {', '.join(KBS)})")


def project_for(
    name: str, entries: Sequence[Entry], variant: str, converted: weights.ConvertedWeights | None
) -> RasaProject:
    return generate(f"{name}-{variant}", entries, variant, lm_weights=converted.folder if converted else None)


def build(name: str, variant: str, work: Path = WORK, *, kb: Path | None = None) -> TrainedModel:
    """Generate and train (or reuse) the ``variant`` baseline of knowledge base ``name``."""
    project, extra = _project(name, variant, work, kb)
    overlay = lm_overlay.ensure(work) if extra else None
    return train(project, work, extra=extra, overlay=overlay)


def built(name: str, variant: str, work: Path = WORK, *, kb: Path | None = None) -> TrainedModel | None:
    """The baseline if an earlier run trained it for exactly these inputs, else None (no training)."""
    project, extra = _project(name, variant, work, kb)
    return cached(project, work, extra=extra, overlay=lm_overlay.ensure(work) if extra else None)


def _project(name: str, variant: str, work: Path, kb: Path | None) -> tuple[RasaProject, tuple[Path, ...]]:
    converted = strong_weights(work) if variant == "strong" else None
    project = project_for(name, entries_of(kb or kb_dir(name, work)), variant, converted)
    if converted is None:
        return project, ()
    components = (lm_overlay.COMPONENTS,) if project.language == "zh" else ()  # the Jieba workaround
    return project, (converted.folder, lm_overlay.REQUIREMENTS, *components)


def strong_weights(work: Path = WORK) -> weights.ConvertedWeights:
    from knowledge_base.embedder import packaged_model_path

    return weights.convert(packaged_model_path(), work)
