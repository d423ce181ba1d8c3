"""Bulk statements for the import's hot path, straight to the database driver.

SQLAlchemy Core spends tens of microseconds per row building parameters for ``executemany``;
for a million-payment file that is most of the import. These helpers hand plain tuples to the
driver (``sqlite3``'s ``executemany``, psycopg 3's ``COPY``) with the dialect's own placeholder.
Only trusted identifiers (table and column names from :mod:`krav.db.tables`) are put into the
SQL text; every value is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, Table

CHUNK = 20_000  # bound parameters per IN list (SQLite allows 32 766, PostgreSQL 65 535)


def _mark(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def _value(conn: Connection):  # type: ignore[no-untyped-def]
    """How a value is passed: SQLite stores dates as ISO text (as SQLAlchemy does)."""
    if conn.dialect.name != "sqlite":
        return None
    return lambda v: v.isoformat() if isinstance(v, date) else v


def insert_rows(conn: Connection, table: Table, columns: Sequence[str],
                rows: Sequence[Sequence[Any]], *, convert: bool = True) -> None:
    """Insert every tuple in ``rows`` into ``columns`` of ``table``.

    PostgreSQL gets ``COPY … FROM STDIN`` (psycopg adapts each value; several times faster than
    ``executemany``); SQLite an ``INSERT`` with ``executemany``. With ``convert`` dates become ISO
    text on SQLite; pass ``False`` when the rows already hold what the driver should store."""
    if not rows:
        return
    quoted = ", ".join(f'"{c}"' for c in columns)
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.cursor()
        try:
            with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        finally:
            cursor.close()
        return
    mark = _mark(conn)
    sql = f'INSERT INTO "{table.name}" ({quoted}) VALUES ({", ".join([mark] * len(columns))})'
    to_db = _value(conn) if convert else None
    if to_db is not None:
        rows = [tuple(to_db(v) for v in row) for row in rows]
    conn.exec_driver_sql(sql, list(rows))


def next_ids(conn: Connection, table: Table, count: int) -> list[int]:
    """Reserve ``count`` ids from a PostgreSQL table's own sequence (one query)."""
    return [row[0] for row in conn.exec_driver_sql(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
        (table.name, count))]


def select_in(conn: Connection, sql: str, values: Sequence[Any],
              chunk: int = CHUNK) -> Iterator[tuple]:
    """Run ``sql`` (with one ``IN ({})`` slot) for ``values`` in chunks; yield plain tuples.

    Uses the transaction's own DBAPI cursor: the rows are the driver's tuples, not wrapped."""
    if not values:
        return
    mark = _mark(conn)
    cursor = conn.connection.cursor()
    try:
        for start in range(0, len(values), chunk):
            part = tuple(values[start:start + chunk])
            cursor.execute(sql.format(", ".join([mark] * len(part))), part)
            yield from cursor.fetchall()
    finally:
        cursor.close()
