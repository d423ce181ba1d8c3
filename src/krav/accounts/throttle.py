"""Throttling of failed logins, kept in the database so every worker sees the same counts.

Two keys per attempt: the account (``account:<e-mail>``, whether or not it exists, so the
answer reveals nothing) and the client address (``address:<ip>``). After ``limit`` failures in a
row a key is locked for ``BASE × 2^(failures − limit)``, at most ``CAP``; a failure more than
``FORGET`` after the last one starts the count again. A successful login clears the account key
only: one good password must not reset the address's count of guesses at other accounts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from krav.accounts.tables import login_failures as lf

ACCOUNT_LIMIT = 5  # failures before an account is locked
ADDRESS_LIMIT = 20  # an office behind one address has many people
BASE = timedelta(seconds=30)
CAP = timedelta(hours=1)
FORGET = timedelta(hours=1)


def keys(email: str, address: str) -> list[tuple[str, int]]:
    return [(f"account:{email.strip().lower()[:250]}", ACCOUNT_LIMIT),
            (f"address:{address[:250]}", ADDRESS_LIMIT)]


def locked_until(conn: Connection, email: str, address: str, *, at: datetime) -> datetime | None:
    """The latest lock still running on the account or the address, else ``None``."""
    return locked_until_keys(conn, [k for k, _ in keys(email, address)], at=at)


def locked_until_keys(conn: Connection, names: list[str], *, at: datetime) -> datetime | None:
    """The latest lock still running on any of ``names`` (the debtor portal's keys too)."""
    until = conn.execute(select(lf.c.locked_until).where(lf.c.key.in_(names),
                                                         lf.c.locked_until > at)).scalars().all()
    return max(until) if until else None


def lock_for(failures: int, limit: int) -> timedelta | None:
    if failures < limit:
        return None
    return min(CAP, BASE * (2 ** min(failures - limit, 20)))


def fail(conn: Connection, email: str, address: str, *, at: datetime) -> None:
    """Count one failure on both keys (an upsert: atomic across workers)."""
    fail_keys(conn, keys(email, address), at=at)


def fail_keys(conn: Connection, limits: list[tuple[str, int]], *, at: datetime) -> None:
    """Count one failure on each ``(key, limit)``; a key at its limit is locked."""
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    for key, limit in limits:
        stmt = insert(lf).values(key=key, failures=1, last_failure_at=at, locked_until=None)
        conn.execute(stmt.on_conflict_do_update(
            index_elements=[lf.c.key],
            set_={"failures": _count(stmt, at), "last_failure_at": at}))
        failures = conn.execute(select(lf.c.failures).where(lf.c.key == key)).scalar_one()
        lock = lock_for(failures, limit)
        if lock is not None:
            conn.execute(lf.update().where(lf.c.key == key).values(locked_until=at + lock))


def _count(stmt, at: datetime):  # type: ignore[no-untyped-def]
    from sqlalchemy import case

    return case((lf.c.last_failure_at < at - FORGET, 1), else_=lf.c.failures + 1)


def succeed(conn: Connection, email: str) -> None:
    clear(conn, keys(email, "")[0][0])


def clear(conn: Connection, key: str) -> None:
    conn.execute(delete(lf).where(lf.c.key == key))
