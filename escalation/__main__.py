"""``python -m escalation``: staff accounts and the replay commands.

    python -m escalation users add NAME --role admin        # asks for the password
    python -m escalation replay-counts FILE.csv             # exact contract
    python -m escalation replay-questions FILE.csv          # exact contract ([--history PAST.csv] [--knowledge-base])
    python -m escalation warm-start PAST.csv                # the spike detector learns an old chat log

Each command lives in its own module and is imported only when it runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = {
    "users": "escalation.staff.users_cli",
    "replay-counts": "escalation.spikes.replay",
    "replay-questions": "escalation.spikes.replay",
    "warm-start": "escalation.spikes.warm_start_cli",
}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help") or args[0] not in COMMANDS:
        parser = argparse.ArgumentParser(
            prog="python -m escalation", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
        )
        parser.add_argument("command", choices=sorted(COMMANDS))
        parser.parse_args(args[:1])
        return 2
    module = importlib.import_module(COMMANDS[args[0]])
    return int(module.main(args))


if __name__ == "__main__":
    sys.exit(main())
