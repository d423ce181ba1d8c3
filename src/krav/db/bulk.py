"""Bulk writes for the hot paths (nightly run, imports), straight to the database driver.

SQLAlchemy Core spends tens of microseconds per row building ``executemany`` parameters; the
nightly run writes tens of thousands of rows per batch, so the batch writers hand plain tuples to
the driver (``sqlite3``, or psycopg 3 whose ``executemany`` pipelines) with the dialect's own
placeholder. Only trusted identifiers (table and column names from :mod:`krav.db.tables`) go into
the SQL text; every value is a bound parameter. Values are converted as SQLAlchemy would store
them: dates as ISO text on SQLite, JSON columns as JSON text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import JSON, Connection, Table

from krav.kernel.errors import UnableToProceed


def _mark(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def _converters(conn: Connection, table: Table, columns: Sequence[str]) -> list[Any]:
    sqlite = conn.dialect.name == "sqlite"
    result: list[Any] = []
    for name in columns:
        column = table.c[name]
        if isinstance(column.type, JSON):
            result.append(lambda v: None if v is None
                          else json.dumps(v, ensure_ascii=False, separators=(",", ":")))
        elif sqlite:
            result.append(lambda v: v.isoformat() if isinstance(v, date) else v)
        else:
            result.append(None)
    return result


def _convert(rows: Sequence[Sequence[Any]], converters: list[Any]) -> list[tuple[Any, ...]]:
    if not any(converters):
        return [tuple(r) for r in rows]
    pairs = list(enumerate(converters))
    return [tuple(c(row[i]) if c else row[i] for i, c in pairs) for row in rows]


def insert_rows(conn: Connection, table: Table, columns: Sequence[str],
                rows: Sequence[Sequence[Any]]) -> None:
    """``INSERT INTO table (columns) VALUES (…)`` for every tuple in ``rows``."""
    if not rows:
        return
    mark = _mark(conn)
    sql = (f'INSERT INTO "{table.name}" ({", ".join(f"{chr(34)}{c}{chr(34)}" for c in columns)}) '
           f'VALUES ({", ".join([mark] * len(columns))})')
    conn.exec_driver_sql(sql, _convert(rows, _converters(conn, table, columns)))


def update_versioned(conn: Connection, table: Table, columns: Sequence[str],
                     rows: Sequence[Sequence[Any]]) -> None:
    """``UPDATE table SET columns…, version = version + 1 WHERE id = ? AND version = ?``.

    Each row is ``(*values, id, version)``. If any row was changed by someone else meanwhile
    (its version moved), :class:`UnableToProceed` is raised and the caller's transaction rolls
    back: nothing of the batch is written.
    """
    if not rows:
        return
    mark = _mark(conn)
    sets = ", ".join(f'"{c}" = {mark}' for c in columns)
    sql = (f'UPDATE "{table.name}" SET {sets}, "version" = "version" + 1 '
           f'WHERE "id" = {mark} AND "version" = {mark}')
    converters = _converters(conn, table, columns) + [None, None]
    result = conn.exec_driver_sql(sql, _convert(rows, converters))
    if result.rowcount not in (-1, len(rows)):
        raise UnableToProceed(
            f"{len(rows) - result.rowcount} rader i {table.name} ble endret av en annen prosess; "
            "partiet er rullet tilbake — kjør igjen")
