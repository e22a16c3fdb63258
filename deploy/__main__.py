"""``python -m deploy``: the production profile (``make run-prod``); see :mod:`deploy.launcher`."""

from __future__ import annotations

from deploy.launcher import main

if __name__ == "__main__":
    raise SystemExit(main())
