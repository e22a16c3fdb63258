"""``<data_dir>/prod/processes.json``: which process serves which role right now (a contract).

A JSON list of ``{"role": "web"|"rasa"|"actions"|"nginx", "replica": N, "pid": PID, "port": PORT}``,
one entry per live process (supervisord's child: nginx's is its master), in a stable order.
A process that died is absent until supervisord has started it again. Outside tools read it
(a fault test kills what it lists), so it is always replaced whole, never written in place.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypedDict

ROLE_ORDER = ("nginx", "web", "rasa", "actions")


class Place(TypedDict):
    role: str
    replica: int
    port: int


class Entry(TypedDict):
    role: str
    replica: int
    pid: int
    port: int


def read_layout(path: Path) -> dict[str, Place]:
    layout: dict[str, Place] = json.loads(path.read_text(encoding="utf-8"))
    return layout


def entries(infos: Iterable[Mapping[str, Any]], layout: Mapping[str, Place]) -> list[Entry]:
    """Entries for supervisord's ``getAllProcessInfo()`` rows that have a live pid."""
    found: list[Entry] = []
    for info in infos:
        place = layout.get(str(info.get("name")))
        pid = int(info.get("pid") or 0)
        if place is None or pid <= 0:
            continue  # the event listener itself, or a process that is not running
        found.append({"role": place["role"], "replica": place["replica"], "pid": pid, "port": place["port"]})
    return sorted(found, key=lambda e: (_rank(e["role"]), e["replica"]))


def _rank(role: str) -> int:
    return ROLE_ORDER.index(role) if role in ROLE_ORDER else len(ROLE_ORDER)


def write(path: Path, listed: list[Entry]) -> None:
    """Replace ``path`` atomically: a reader sees the old list or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with partial.open("w", encoding="utf-8") as out:
        json.dump(listed, out, indent=1)
        out.write("\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, path)


def read(path: Path) -> list[Entry]:
    """The current list ([] when the file is missing)."""
    try:
        listed: list[Entry] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    return listed
