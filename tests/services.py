"""The machine's services that some tests talk to for real, and a skip that says why when one is away."""

from __future__ import annotations

import socket

import pytest

REDIS_URL = "redis://127.0.0.1:6379/0"


def reachable(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=0.5).close()
    except OSError:
        return False
    return True


needs_redis = pytest.mark.skipif(not reachable("127.0.0.1", 6379), reason="Redis is not reachable on 127.0.0.1:6379")
