"""Schema migrations with Alembic (``src/krav/db/migrations``).

A new database gets every table from the metadata and is stamped at the newest revision (the
Alembic cookbook's recipe); an existing one is upgraded to it. A database created before krav
had migrations (tables but no ``alembic_version``) is stamped at the first revision, which
describes that schema, and then upgraded.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

from krav.db.tables import metadata

MIGRATIONS = Path(__file__).parent / "migrations"
BASELINE = "0001"
_ensured: set[str] = set()


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migrations found"
    return head


def migrate(engine: Engine) -> str:
    """Bring the schema of ``engine`` to the newest revision; returns what was done."""
    from krav.db.engine import load_all_tables

    load_all_tables()
    with engine.begin() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        config = alembic_config(conn)
        if current is None and not inspect(conn).has_table("claims"):
            metadata.create_all(conn)
            command.stamp(config, "head")
            return "created"
        if current is None:
            command.stamp(config, BASELINE)
        if current != head_revision():
            command.upgrade(config, "head")
            return "upgraded"
    return "current"


def forget(engine: Engine) -> None:
    """Let the next ``ensure_migrated`` check ``engine`` again (after its tables were dropped)."""
    _ensured.discard(str(engine.url))


def ensure_migrated(engine: Engine) -> None:
    """``migrate`` once per engine and process (commands call this on every start)."""
    key = str(engine.url)
    if key not in _ensured:
        migrate(engine)
        _ensured.add(key)
