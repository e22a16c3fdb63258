"""processes.json (a contract read by outside fault tests), the supervisord event listener that
keeps it current, and the clean-up that lets nginx come back after its master was killed."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path
from typing import Any

import pytest

from deploy import listener, nginx_exec, processes

LAYOUT: dict[str, processes.Place] = {
    "nginx-1": {"role": "nginx", "replica": 1, "port": 8080},
    "web-1": {"role": "web", "replica": 1, "port": 8100},
    "web-2": {"role": "web", "replica": 2, "port": 8101},
    "rasa-1": {"role": "rasa", "replica": 1, "port": 8102},
    "actions-1": {"role": "actions", "replica": 1, "port": 8104},
}


def info(name: str, pid: int, state: str = "RUNNING") -> dict[str, Any]:
    return {"name": name, "group": name.split("-")[0], "pid": pid, "statename": state}


def test_each_live_process_is_listed_with_its_role_replica_pid_and_port() -> None:
    rows = [info("web-2", 31), info("actions-1", 41), info("nginx-1", 11), info("rasa-1", 21), info("web-1", 30)]
    assert processes.entries(rows, LAYOUT) == [
        {"role": "nginx", "replica": 1, "pid": 11, "port": 8080},
        {"role": "web", "replica": 1, "pid": 30, "port": 8100},
        {"role": "web", "replica": 2, "pid": 31, "port": 8101},
        {"role": "rasa", "replica": 1, "pid": 21, "port": 8102},
        {"role": "actions", "replica": 1, "pid": 41, "port": 8104},
    ]


def test_a_dead_process_and_the_listener_itself_are_not_listed() -> None:
    rows = [info("web-1", 0, "BACKOFF"), info("processes", 99), info("web-2", 31)]
    assert [e["replica"] for e in processes.entries(rows, LAYOUT)] == [2]


def test_the_file_is_replaced_whole_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "prod" / "processes.json"
    processes.write(path, [{"role": "web", "replica": 1, "pid": 30, "port": 8100}])
    processes.write(path, [])
    assert json.loads(path.read_text()) == [] and processes.read(path) == []
    assert [p.name for p in path.parent.iterdir()] == ["processes.json"]
    assert processes.read(tmp_path / "missing.json") == []


def test_a_reader_never_sees_half_a_list_while_it_is_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "processes.json"
    big = [{"role": "web", "replica": n, "pid": 1000 + n, "port": 8100} for n in range(2000)]
    processes.write(path, [])
    done = threading.Event()

    def rewrite() -> None:
        for _ in range(50):
            processes.write(path, big)  # type: ignore[arg-type]
            processes.write(path, [])
        done.set()

    writer = threading.Thread(target=rewrite)
    writer.start()
    while not done.is_set():
        assert len(json.loads(path.read_text())) in (0, 2000)
    writer.join()


def event(name: str, process: str, pid: int) -> str:
    payload = f"processname:{process} groupname:{process.split('-')[0]} from_state:STARTING pid:{pid}"
    header = f"ver:3.0 server:supervisor serial:1 pool:processes poolserial:1 eventname:{name}"
    return f"{header} len:{len(payload)}\n{payload}"


def protocol(tmp_path: Path, events: list[str], infos: listener.Infos) -> str:
    (tmp_path / "layout.json").write_text(json.dumps(LAYOUT))
    stdout = io.StringIO()
    listener.serve(tmp_path, infos, io.StringIO("".join(events)), stdout)
    return stdout.getvalue()


def test_the_listener_rewrites_the_file_at_every_state_change_and_acknowledges_it(tmp_path: Path) -> None:
    table = [[info("web-1", 30)], [info("web-1", 0, "EXITED")], [info("web-1", 77, "STARTING")]]
    calls = iter(table)
    seen: list[list[processes.Entry]] = []

    def infos() -> list[dict[str, Any]]:
        rows = next(calls)
        return rows

    events = [event("PROCESS_STATE_RUNNING", "web-1", 30), event("PROCESS_STATE_EXITED", "web-1", 30)]
    events.append(event("PROCESS_STATE_STARTING", "web-1", 77))
    original = processes.write

    def recording(path: Path, listed: list[processes.Entry]) -> None:
        seen.append(listed)
        original(path, listed)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(processes, "write", recording)
        out = protocol(tmp_path, events, infos)
    assert out == "READY\nRESULT 2\nOK" * 3 + "READY\n"
    assert [[e["pid"] for e in listed] for listed in seen] == [[30], [], [77]]
    assert processes.read(tmp_path / "processes.json")[0]["pid"] == 77


def test_the_listener_acknowledges_an_event_it_could_not_act_on(tmp_path: Path) -> None:
    def shutting_down() -> list[dict[str, Any]]:
        raise ConnectionRefusedError("supervisord is shutting down")

    out = protocol(tmp_path, [event("PROCESS_STATE_STOPPING", "web-1", 30)], shutting_down)
    assert out == "READY\nRESULT 2\nOK" + "READY\n"  # a FAIL would be resent at once, forever


def fake_proc(root: Path, pid: int, name: str, pgid: int, state: str = "S") -> None:
    (root / str(pid)).mkdir(parents=True)
    (root / str(pid) / "stat").write_text(f"{pid} ({name}) {state} 1 {pgid} {pgid} 0 -1 4194560 0 0")


def test_the_workers_a_killed_nginx_master_left_are_found_by_its_process_group(tmp_path: Path) -> None:
    fake_proc(tmp_path, 201, "nginx", 200)  # orphaned workers of master 200, which is gone
    fake_proc(tmp_path, 202, "nginx", 200)
    fake_proc(tmp_path, 203, "nginx", 200, state="Z")  # already dead, not yet reaped
    fake_proc(tmp_path, 301, "nginx", 300)  # another nginx's worker
    fake_proc(tmp_path, 204, "python3", 200)
    assert sorted(nginx_exec.orphans(200, tmp_path)) == [201, 202]


def test_nothing_is_stopped_while_the_old_master_lives_or_without_a_pid_file(tmp_path: Path) -> None:
    fake_proc(tmp_path, 200, "nginx", 200)
    fake_proc(tmp_path, 201, "nginx", 200)
    assert nginx_exec.orphans(200, tmp_path) == []
    assert nginx_exec.old_master(tmp_path / "no.pid") == 0
    assert nginx_exec.orphans(0, tmp_path) == []
