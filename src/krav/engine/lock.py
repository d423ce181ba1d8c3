"""One nightly run at a time per database (issue 8 part 11).

Two ``krav run`` started at once would both plan the same steps and collide on the postings'
idempotency keys (a ``UniqueViolation`` in the second). The run therefore holds a lock that
lives exactly as long as the process that holds it:

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a connection of its
  own, held for the whole run; its key is derived from the schema, so runs against other schemas
  on the same server do not wait for each other. The server releases it when the connection
  ends, so a crashed or killed run never leaves it behind.
- SQLite: an exclusive ``flock`` on a file beside the database (``<database>-run.lock``). SQLite's
  own locks cannot be held for a run (they would block the run's own writes); the kernel drops a
  ``flock`` when the process dies, so a stale lock file never blocks the next run. An in-memory
  database belongs to one process and needs no lock.

The second run does not wait: it stops at once with one line, and the first run's work stands.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

from krav.kernel.errors import UnableToProceed

BUSY = "en annen kjøring pågår mot denne databasen; prøv igjen når den er ferdig"


class RunInProgress(UnableToProceed):
    """Another nightly run holds the database's run lock."""


@contextmanager
def run_lock(engine: Engine) -> Iterator[None]:
    """Hold the database's run lock for the ``with`` block; :class:`RunInProgress` if taken."""
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine):
            yield
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with _file_lock(f"{database}-run.lock"):
        yield


@contextmanager
def _advisory_lock(engine: Engine) -> Iterator[None]:
    key = "SELECT hashtext('krav-run:' || current_database() || ':' || current_schema())"
    with engine.connect() as conn:
        got = conn.execute(text(f"SELECT pg_try_advisory_lock(({key})::bigint)")).scalar()
        conn.commit()  # the lock is the session's; no transaction stays open during the run
        if not got:
            raise RunInProgress(BUSY)
        try:
            yield
        finally:
            conn.execute(text(f"SELECT pg_advisory_unlock(({key})::bigint)"))
            conn.commit()


@contextmanager
def _file_lock(path: str) -> Iterator[None]:
    import fcntl  # POSIX; krav's SQLite lane runs on Linux and macOS

    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunInProgress(BUSY) from None
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
