"""``make bench``: run every benchmark and write bench/RESULTS.md (the only source of README figures)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import followups, kb_bench, reliability, side_by_side, spike_scenarios, spikes_bench, typing_slips
from bench.record import RAW, RESULTS, machine, measured, stamp

OUT = Path(__file__).resolve().parent / "out"


def _section(name: str, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    print(f"bench: {name} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    when = measured(datetime.now(UTC), machine())
    result = run()
    result["_seconds"] = round(time.perf_counter() - started, 1)
    result["_measured"] = when
    print(f"bench: {name} done in {result['_seconds']} s: {json.dumps(result)}", file=sys.stderr, flush=True)
    return result


def _subprocess_json(module: str, *args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


SECTIONS: dict[str, Callable[[], dict[str, Any]]] = {
    "public": lambda: kb_bench.public_sets(OUT),
    "shipped": lambda: kb_bench.shipped(OUT),
    "chinese_bm25": lambda: {"bm25_top1": kb_bench.chinese_bm25_bar()},
    "chinese_pairs": lambda: kb_bench.chinese_pairs(OUT),
    "typing_slips": lambda: typing_slips.report(),
    "followups": lambda: followups.report(),
    "scale": lambda: kb_bench.scale(OUT),
    "hot_reload": lambda: kb_bench.hot_reload(OUT),
    "bot": lambda: _subprocess_json("bench.bot_bench", "--train"),
    "web": lambda: _subprocess_json("bench.web_bench", "--real"),
    "handoff": lambda: _subprocess_json("bench.handoff_bench"),
    "side_by_side": lambda: side_by_side.run(machine()),
    "spikes": lambda: spikes_bench.run(OUT),
    "spike_scenarios": lambda: spike_scenarios.report(OUT),
    "reliability": lambda: reliability.run(),  # production profile under load and faults, 3 throughput runs: ~20 min
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("sections", nargs="*", help=f"any of {', '.join(SECTIONS)} (default: all)")
    args = parser.parse_args(argv)
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    results: dict[str, Any] = json.loads(RAW.read_text()) if RAW.is_file() else {}
    results["machine"] = machine()
    results["date"] = stamp(datetime.now(UTC))
    for name in args.sections or list(SECTIONS):
        found = _section(name, SECTIONS[name])
        if "skipped" in found and "skipped" not in results.get(name, {"skipped": True}):
            kept = results[name]["_measured"]["date"]
            print(f"bench: {name} skipped; keeping the figures of {kept}", file=sys.stderr)
            continue  # a section whose data is not on this machine keeps its last measurement
        # Re-read before writing: another run (of other sections) may have written meanwhile.
        results = {**(json.loads(RAW.read_text()) if RAW.is_file() else {}), "machine": machine()}
        results["date"], results[name] = stamp(datetime.now(UTC)), found
        RAW.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    from bench.report import write_results

    write_results(results, RESULTS)
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
