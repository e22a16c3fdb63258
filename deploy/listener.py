"""supervisord event listener: rewrites ``processes.json`` at every process state change.

    python -m deploy.listener <data_dir>/prod      (started by supervisord, never by hand)

supervisord sends it every ``PROCESS_STATE_*`` event (STARTING, RUNNING, EXITED, ...) on stdin.
For each, it asks supervisord for every process's pid over the private socket and replaces the
file, so a restarted process's new pid is listed as soon as it is spawned. The protocol's
stdout is supervisord's channel: nothing else may be printed there (logs go to stderr).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TextIO

from deploy import processes

log = logging.getLogger("deploy.listener")
Infos = Callable[[], Iterable[Mapping[str, Any]]]


def refresh(folder: Path, infos: Infos) -> list[processes.Entry]:
    """Write the current list from supervisord's process table; returns it."""
    listed = processes.entries(infos(), processes.read_layout(folder / "layout.json"))
    processes.write(folder / "processes.json", listed)
    return listed


def serve(folder: Path, infos: Infos, stdin: TextIO, stdout: TextIO) -> None:
    """The listener loop: READY, read one event, refresh, OK; until supervisord closes stdin."""
    from supervisor.childutils import listener

    while True:
        listener.ready(stdout)
        line = stdin.readline()
        if not line:
            return  # supervisord is gone
        headers = dict(token.split(":", 1) for token in line.split())
        payload = stdin.read(int(headers["len"]))
        try:
            listed = refresh(folder, infos)
            log.info("%s %s: %d processes listed", headers.get("eventname"), _name(payload), len(listed))
            listener.ok(stdout)
        except Exception:  # e.g. supervisord shutting down; the next event refreshes again
            log.exception("could not rewrite processes.json")
            listener.ok(stdout)  # FAIL would make supervisord resend the same event at once, forever


def _name(payload: str) -> str:
    fields = dict(token.split(":", 1) for token in payload.split("\n", 1)[0].split() if ":" in token)
    return fields.get("processname", "?")


def rpc_infos(env: Mapping[str, str]) -> Infos:
    """supervisord's ``getAllProcessInfo`` over the socket it names in SUPERVISOR_SERVER_URL."""
    from supervisor.childutils import getRPCInterface

    proxy = getRPCInterface(env)

    def infos() -> list[Mapping[str, Any]]:
        rows: list[Mapping[str, Any]] = proxy.supervisor.getAllProcessInfo()
        return rows

    return infos


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m deploy.listener <data_dir>/prod", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s")
    serve(Path(args[0]), rpc_infos(os.environ), sys.stdin, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
