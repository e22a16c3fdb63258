"""Start nginx for supervisord, after clearing what a killed master left behind.

    python -m deploy.nginx_exec <pid file> <nginx command ...>

When nginx's master dies by SIGKILL its workers live on, still holding the listening sockets,
so a new master cannot bind and nginx would never come back. Its workers are in the dead
master's process group (supervisord gives each program its own), and the pid file still names
that master. They are told to quit gracefully (SIGQUIT: stop listening at once, finish the
requests in flight), and a detached helper kills whatever is left ``GRACE_S`` later (open
WebSockets; their clients reconnect). Then this process *becomes* nginx (exec), so the pid
supervisord and ``processes.json`` show is the new master's; it binds as soon as the old
workers have let go (nginx retries a busy address for a few seconds).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from pathlib import Path

GRACE_S = 15.0  # longer than any request: FUNDDESK_RASA_TIMEOUT is 10 s by default


def orphans(old_master: int, proc: Path = Path("/proc")) -> list[int]:
    """Live nginx processes in the dead ``old_master``'s process group (none while it lives)."""
    if old_master <= 0 or (proc / str(old_master)).exists():
        return []
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            name = stat[stat.index("(") + 1 : stat.rindex(")")]
            state, _, pgid = stat[stat.rindex(")") + 2 :].split()[:3]
            if name == "nginx" and int(pgid) == old_master and state != "Z":
                found.append(int(entry.name))
    return found


def old_master(pid_file: Path) -> int:
    try:
        return int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return 0


def clear(pid_file: Path) -> list[int]:
    """Make the orphaned workers of a killed master quit; returns their pids."""
    master = old_master(pid_file)
    found = orphans(master)
    for pid in found:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGQUIT)
    if found:
        _kill_later(master, GRACE_S)
    return found


def _kill_later(master: int, delay: float) -> None:
    """SIGKILL the old master's workers still running after ``delay``, from a detached helper."""
    if os.fork() == 0:  # double fork: the helper is nobody's child, least of all the nginx we become
        if os.fork() == 0:
            time.sleep(delay)
            for pid in orphans(master):  # looked up again: a pid may have been reused meanwhile
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        os._exit(0)
    os.wait()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2:
        print("usage: python -m deploy.nginx_exec <pid file> <nginx command ...>", file=sys.stderr)
        return 2
    cleared = clear(Path(args[0]))
    if cleared:
        print(f"asked {len(cleared)} nginx workers orphaned by a killed master to quit", file=sys.stderr, flush=True)
    os.execv(args[1], args[1:])


if __name__ == "__main__":
    raise SystemExit(main())
