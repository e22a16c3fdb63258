"""Which action server runs the deployment's one spike detector: a PostgreSQL session-level advisory lock.

The lock is held on a connection of its own for as long as the server leads. PostgreSQL releases it when that
session ends, however it ends (the process killed, the connection dropped), so another server's next try wins
within one retry period. On SQLite there is one process by construction: it always leads.
"""

from __future__ import annotations

import logging
import zlib

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

log = logging.getLogger("escalation.spikes.election")
LOCK_CLASS = 0x5F1E  # the first key of the two-key advisory lock: "spike detector" in this database


class Leadership:
    def __init__(self, engine: Engine, name: str = "spikes") -> None:
        self.engine = engine
        self.name = name
        self._connection: Connection | None = None
        self._held: dict[str, int] | None = None

    @property
    def shared(self) -> bool:
        """Several processes may share this database (PostgreSQL): leadership must be won."""
        return self.engine.dialect.name == "postgresql"

    def hold(self) -> bool:
        """Keep or take the lead; False while another server has it. Call it before every pass of work."""
        if not self.shared:
            return True
        if self._connection is not None:
            if self._alive(self._connection):
                return True
            log.warning("spike detector: the lock's connection is gone; no longer leading")
            self._drop()
        connection = self.engine.connect()
        try:
            key = self._key(connection)
            won = bool(connection.execute(text("SELECT pg_try_advisory_lock(:a, :b)"), key).scalar())
            connection.commit()  # the lock is the session's, not the transaction's: end the transaction
        except DBAPIError:
            connection.invalidate()
            connection.close()
            raise
        if not won:
            connection.close()
            return False
        self._connection, self._held = connection, key
        log.info("spike detector: this action server leads")
        return True

    def release(self) -> None:
        """Step down now: unlock, then close the session (and the pool must not keep that session).

        Closing alone would release the lock too, but only once the server has processed the disconnect, so
        another server's try straight after could still lose; the explicit unlock makes the handover immediate.
        """
        if self._connection is not None and self._held is not None:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:a, :b)"), self._held)
                self._connection.commit()
            except DBAPIError:
                pass  # the session is gone already, and its lock with it
        self._drop()

    @property
    def leading(self) -> bool:
        return not self.shared or self._connection is not None

    def _key(self, connection: Connection) -> dict[str, int]:
        # Advisory locks are per database: a key per schema lets separate schemas (tests, tenants) each elect one.
        schema = str(connection.execute(text("SELECT current_schema()")).scalar())
        signed = zlib.crc32(f"{self.name}:{schema}".encode()) - 2**31
        return {"a": LOCK_CLASS, "b": signed}

    @staticmethod
    def _alive(connection: Connection) -> bool:
        try:
            connection.execute(text("SELECT 1"))
            connection.commit()
        except DBAPIError:
            return False
        return True

    def _drop(self) -> None:
        connection, self._connection, self._held = self._connection, None, None
        if connection is None:
            return
        connection.invalidate()  # the DBAPI connection is closed, never returned to the pool still locked
        connection.close()
