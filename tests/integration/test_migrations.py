"""The migrations describe exactly the tables in the code, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from krav.db.engine import load_all_tables, make_engine
from krav.db.migrate import BASELINE, alembic_config, head_revision, migrate
from krav.db.tables import metadata


def _fresh(db_url: str):  # type: ignore[no-untyped-def]
    """The fixture's database emptied of every table, so the migrations start from nothing."""
    engine = make_engine(db_url)
    load_all_tables()
    with engine.begin() as conn:
        metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    return engine


def test_upgrading_from_nothing_gives_the_schema_in_the_code(db_url) -> None:  # type: ignore[no-untyped-def]
    engine = _fresh(db_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
        version = MigrationContext.configure(conn).get_current_revision()
    assert diff == [], "the tables changed without a migration: run alembic revision --autogenerate"
    assert version == head_revision()


def test_a_new_database_is_created_and_stamped_and_a_second_call_changes_nothing(db_url) -> None:  # type: ignore[no-untyped-def]
    engine = _fresh(db_url)
    assert migrate(engine) == "created"
    assert migrate(engine) == "current"
    assert inspect(engine).has_table("claims")


def test_a_database_made_before_migrations_is_stamped_and_kept(db_url) -> None:  # type: ignore[no-untyped-def]
    """Tables as the first release created them (revision 0001) but no ``alembic_version``."""
    engine = _fresh(db_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), BASELINE)
        conn.execute(text("DROP TABLE alembic_version"))
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO settings (key, value) VALUES ('claim_sequence', '7')"))
    migrate(engine)
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head_revision()
        assert conn.execute(text("SELECT value FROM settings")).scalar() == "7"


def test_downgrading_to_the_baseline_and_back_gives_the_same_schema(db_url) -> None:  # type: ignore[no-untyped-def]
    engine = _fresh(db_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
        command.downgrade(alembic_config(conn), BASELINE)
        command.upgrade(alembic_config(conn), "head")
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
