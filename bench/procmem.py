"""Resident memory of a set of processes and all their descendants, read from ``/proc``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

PROC = Path("/proc")


def descendants(pid: int) -> Iterator[int]:
    """``pid`` and every process below it (each thread's ``children`` list, depth first)."""
    yield pid
    tasks = PROC / str(pid) / "task"
    try:
        children = {int(c) for task in tasks.iterdir() for c in (task / "children").read_text().split()}
    except OSError:  # gone already
        return
    for child in sorted(children):
        yield from descendants(child)


def _status_kb(pid: int, field: str) -> int:
    try:
        lines = (PROC / str(pid) / "status").read_text().splitlines()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in lines if line.startswith(f"{field}:")), 0)


def rss_mb(pids: Iterable[int]) -> dict[str, float]:
    """Summed ``VmRSS`` (now) and ``VmHWM`` (each process's peak) over the process trees, in MiB."""
    every = {p for pid in pids for p in descendants(pid)}
    return {
        "rss_mb": round(sum(_status_kb(p, "VmRSS") for p in every) / 1024, 1),
        "peak_rss_mb": round(sum(_status_kb(p, "VmHWM") for p in every) / 1024, 1),
        "processes": len(every),
    }


def folder_mb(*paths: Path) -> float:
    """Bytes on disk of files and folders, in MiB."""
    total = 0
    for path in paths:
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        total += sum(f.stat().st_size for f in files)
    return round(total / 2**20, 1)
