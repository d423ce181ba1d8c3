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
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Connection, Date, DateTime, Table

from krav.db.tables import utcnow
from krav.kernel.errors import UnableToProceed

IN_CHUNK = 20_000  # bound parameters per IN list (SQLite allows 32 766, PostgreSQL 65 535)


def placeholder(conn: Connection) -> str:
    """The driver's parameter mark: ``?`` for sqlite3, ``%s`` for psycopg."""
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def _insert_sql(conn: Connection, table: str, columns: Sequence[str],
                literal_null: frozenset[str] = frozenset()) -> str:
    """``INSERT`` into ``columns``, a parameter for each except ``literal_null`` (``NULL``)."""
    quoted = ", ".join(f'"{c}"' for c in columns)
    values = ", ".join("NULL" if c in literal_null else placeholder(conn) for c in columns)
    return f'INSERT INTO "{table}" ({quoted}) VALUES ({values})'


@lru_cache(maxsize=4096)
def _json_of_items(items: tuple[tuple[str, Any], ...]) -> str:
    return json.dumps(dict(items), ensure_ascii=False, separators=(",", ":"))


def json_text(value: Any) -> str | None:
    """JSON text; small flat dicts that repeat (a payment's order, an event's reason) are
    encoded once."""
    if value is None:
        return None
    if isinstance(value, dict) and len(value) <= 3 and \
            all(isinstance(v, str) for v in value.values()):
        return _json_of_items(tuple(value.items()))
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _sqlite_datetime(value: Any) -> Any:
    """A timestamp as SQLAlchemy stores it on SQLite (space, microseconds), so that the text
    sorts and compares like the rows SQLAlchemy writes (``updated_at >= ?``)."""
    return f"{value:%Y-%m-%d %H:%M:%S.%f}" if isinstance(value, datetime) else _iso(value)


def _converters(conn: Connection, table: Table, columns: Sequence[str]) -> list[Any]:
    """Per column the conversion SQLAlchemy would apply: JSON text, and ISO dates on SQLite."""
    sqlite = conn.dialect.name == "sqlite"
    result: list[Any] = []
    for name in columns:
        column_type = table.c[name].type
        if isinstance(column_type, JSON):
            result.append(json_text)
        elif sqlite and isinstance(column_type, DateTime):
            result.append(_sqlite_datetime)
        elif sqlite and isinstance(column_type, Date):
            result.append(_iso)
        else:
            result.append(None)
    return result


def _convert(rows: Sequence[Sequence[Any]], converters: list[Any]) -> list[tuple[Any, ...]]:
    """Convert only the columns that need it; other cells pass through untouched. Column by
    column (transposed with ``zip``), and a day or a timestamp that repeats down a column is
    formatted once."""
    todo = [(i, c) for i, c in enumerate(converters) if c]
    if not todo or not rows:
        return [r if isinstance(r, tuple) else tuple(r) for r in rows]
    columns: list[Any] = list(zip(*rows, strict=True))
    for i, convert in todo:
        if convert is json_text:
            columns[i] = map(convert, columns[i])
        else:
            formatted: dict[Any, Any] = {}
            columns[i] = [formatted[v] if v in formatted else
                          formatted.setdefault(v, convert(v)) for v in columns[i]]
    return list(zip(*columns, strict=True))


def insert_rows(conn: Connection, table: Table, columns: Sequence[str],
                rows: Sequence[Sequence[Any]]) -> None:
    """``INSERT INTO table (columns) VALUES (…)`` for every tuple in ``rows``."""
    if not rows:
        return
    mark = placeholder(conn)
    sql = (f'INSERT INTO "{table.name}" ({", ".join(f"{chr(34)}{c}{chr(34)}" for c in columns)}) '
           f'VALUES ({", ".join([mark] * len(columns))})')
    conn.exec_driver_sql(sql, _convert(rows, _converters(conn, table, columns)))


def insert_dicts(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """``conn.execute(insert(table), rows)`` through the driver: ``rows`` are dicts with the
    same keys; a column they leave out gets its Python-side ``default`` as Core would give it
    (a callable default, e.g. ``utcnow``, is called once for the whole batch)."""
    if not rows:
        return
    given = list(rows[0])
    defaults: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.name in rows[0] or default is None or column.primary_key:
            continue
        if getattr(default, "is_scalar", False):
            defaults[column.name] = default.arg  # type: ignore[attr-defined]
        elif getattr(default, "is_callable", False):
            defaults[column.name] = default.arg(None)  # type: ignore[attr-defined]
    tail = tuple(defaults.values())
    insert_rows(conn, table, given + list(defaults),
                [tuple([row[c] for c in given]) + tail for row in rows])


def update_versioned(conn: Connection, table: Table, columns: Sequence[str],
                     rows: Sequence[Sequence[Any]]) -> None:
    """``UPDATE table SET columns…, version = version + 1 WHERE id = ? AND version = ?``.

    Each row is ``(*values, id, version)``. If any row was changed by someone else meanwhile
    (its version moved), :class:`UnableToProceed` is raised and the caller's transaction rolls
    back: nothing of the batch is written.
    """
    if not rows:
        return
    mark = placeholder(conn)
    sets = ", ".join(f'"{c}" = {mark}' for c in columns)
    if "updated_at" in table.c:  # what a Core update sets by itself (claims.updated_at)
        sets += f', "updated_at" = \'{utcnow():%Y-%m-%d %H:%M:%S.%f}\''
    sql = (f'UPDATE "{table.name}" SET {sets}, "version" = "version" + 1 '
           f'WHERE "id" = {mark} AND "version" = {mark}')
    converters = _converters(conn, table, columns) + [None, None]
    result = conn.exec_driver_sql(sql, _convert(rows, converters))
    if result.rowcount not in (-1, len(rows)):
        raise UnableToProceed(
            f"{len(rows) - result.rowcount} rader i {table.name} ble endret av en annen prosess; "
            "partiet er rullet tilbake — kjør igjen")


def insert_prepared(conn: Connection, table: str, columns: Sequence[str],
                    rows: Sequence[Sequence[Any]]) -> None:
    """Insert ``rows`` that already hold what the driver stores (ISO dates on SQLite, JSON as
    text) into ``table``: ``COPY … FROM STDIN`` on PostgreSQL (several times faster than
    ``executemany``), ``executemany`` on SQLite. ``table`` may be a temporary table."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        quoted = ", ".join(f'"{c}"' for c in columns)
        cursor = conn.connection.cursor()
        try:
            with cursor.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        finally:
            cursor.close()
        return
    conn.exec_driver_sql(_insert_sql(conn, table, columns),
                         rows if isinstance(rows, list) else list(rows))


def insert_columns(conn: Connection, table: str, columns: dict[str, list[Any]]) -> None:
    """Insert rows given column-wise (``{column: values}``, equal lengths) into ``table``.

    On SQLite a column that is NULL in every row is written as the literal ``NULL`` instead of
    a bound parameter: Python's ``sqlite3`` binds ``None`` about three times slower than an int
    or a string (it goes through the adaptation protocol), and a bank file leaves most optional
    columns empty. PostgreSQL gets ``COPY`` with every column."""
    names = list(columns)
    if not names or not columns[names[0]]:
        return
    count = len(columns[names[0]])
    if conn.dialect.name == "postgresql":
        insert_prepared(conn, table, names, list(zip(*columns.values(), strict=True)))
        return
    empty = frozenset(n for n in names if columns[n].count(None) == count)
    conn.exec_driver_sql(_insert_sql(conn, table, names, empty),
                         list(zip(*(columns[n] for n in names if n not in empty), strict=True)))


def next_ids(conn: Connection, table: Table, count: int) -> list[int]:
    """Reserve ``count`` ids from a PostgreSQL table's own sequence (one query)."""
    return [row[0] for row in conn.exec_driver_sql(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
        (table.name, count))]


def select_in(conn: Connection, sql: str, values: Sequence[Any],
              chunk: int = IN_CHUNK) -> Iterator[tuple]:
    """Run ``sql`` (with one ``IN ({})`` slot) for ``values`` in chunks; yield plain tuples.

    Uses the transaction's own DBAPI cursor: the rows are the driver's tuples, not wrapped."""
    if not values:
        return
    mark = placeholder(conn)
    cursor = conn.connection.cursor()
    try:
        for start in range(0, len(values), chunk):
            part = tuple(values[start:start + chunk])
            cursor.execute(sql.format(", ".join([mark] * len(part))), part)
            yield from cursor.fetchall()
    finally:
        cursor.close()
