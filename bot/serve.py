"""``rasa`` with :mod:`bot.speedups`, :mod:`bot.warmup` and :mod:`bot.sessions` applied: ``python -m bot.serve run``.

Every FundDesk Rasa server starts this way (``funddesk.stack``, ``make run-prod``); the arguments
are the ``rasa`` command's own. Training and the test stories run plain ``rasa``.
"""

from __future__ import annotations

import sys


def main() -> None:
    from rasa.__main__ import main as rasa_main

    from bot import sessions, speedups, warmup

    speedups.apply()
    warmup.apply()
    sessions.apply()
    sys.argv[0] = "rasa"  # argparse names the program after it in usage and errors
    rasa_main()


if __name__ == "__main__":
    main()
