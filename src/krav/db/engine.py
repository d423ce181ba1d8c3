"""Database connection: the URL from ``--db``, ``KRAV_DATABASE_URL`` or ``krav.db`` here."""

from __future__ import annotations

import importlib
import os
from functools import lru_cache

from sqlalchemy import Engine, create_engine, event, inspect

from krav.db.tables import metadata

DEFAULT_URL = "sqlite:///krav.db"


def database_url(explicit: str | None = None) -> str:
    """The URL to use: explicit, else ``KRAV_DATABASE_URL``, else ``sqlite:///krav.db``."""
    url = explicit or os.environ.get("KRAV_DATABASE_URL") or DEFAULT_URL
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # SQLite's lower() folds ASCII only; searching "ørjan" must find "Ørjan" (``cases.search``)
    dbapi_connection.create_function("krav_fold", 1, _fold, deterministic=True)


def _fold(text: str | None) -> str | None:
    return None if text is None else text.lower()


@lru_cache(maxsize=16)
def make_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (cached per URL); SQLite gets WAL and foreign keys."""
    resolved = database_url(url)
    # ten pooled connections: krav serve's threads (krav.web.app.THREADS) each keep one, so
    # none is opened and closed per request (SQLAlchemy's default keeps five)
    if resolved.startswith("sqlite"):
        engine = create_engine(resolved, pool_size=10)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(resolved, pool_pre_ping=True, pool_size=10)
    return engine


# Contexts that own tables of their own define them in ``krav/<context>/tables.py`` on the same
# ``metadata``; they are imported here so ``create_all`` sees every table.
CONTEXT_TABLE_MODULES = ("krav.letters.tables", "krav.payments.tables", "krav.accounts.tables",
                         "krav.audit.tables", "krav.intake.tables", "krav.webhooks.tables",
                         "krav.portal.tables", "krav.agreements.tables")


def import_present(names: tuple[str, ...]) -> None:
    """Import each module in ``names``; one that does not exist is skipped, but an import error
    inside a module that does exist is raised."""
    for name in names:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


def load_all_tables() -> None:
    """Import every context's table module."""
    import_present(CONTEXT_TABLE_MODULES)


def ensure_schema(engine: Engine) -> None:
    """Bring the schema to the newest migration (creating it in an empty database)."""
    from krav.db.migrate import ensure_migrated

    ensure_migrated(engine)


def has_schema(engine: Engine) -> bool:
    return inspect(engine).has_table("claims")


def reset_schema(engine: Engine) -> None:
    """Drop every table and create the newest schema, stamped (benchmarks start empty)."""
    from krav.db.migrate import forget, migrate

    load_all_tables()
    metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    forget(engine)
    migrate(engine)
