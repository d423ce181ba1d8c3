"""Shared test fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from ``KRAV_TEST_POSTGRES_URL`` (default: the local server with trust auth).
Each pytest-xdist worker gets its own schema; tables are emptied between tests.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from krav.db.engine import ensure_schema, load_all_tables, make_engine
from krav.db.tables import metadata

PG_URL = os.environ.get(
    "KRAV_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
HOW_TO_START_PG = (
    "PostgreSQL is not reachable at {url}. Start it with "
    "'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start' "
    "or point KRAV_TEST_POSTGRES_URL at a server (trust auth, database 'test')."
)
SAMPLES = os.path.join(os.path.dirname(__file__), "data")


@pytest.fixture(autouse=True)
def _no_local_law(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see krav's own law data only, unless a test sets ``KRAV_LAW_DIR`` itself."""
    monkeypatch.delenv("KRAV_LAW_DIR", raising=False)


@pytest.fixture(autouse=True)
def _no_default_database(monkeypatch: pytest.MonkeyPatch,
                         tmp_path_factory: pytest.TempPathFactory) -> None:
    """A command run without ``--db`` (``krav law set`` audits into the default database) uses
    a scratch SQLite file, never ``krav.db`` in the working directory."""
    if "KRAV_DATABASE_URL" not in os.environ:
        path = tmp_path_factory.getbasetemp() / "default.db"
        monkeypatch.setenv("KRAV_DATABASE_URL", f"sqlite:///{path}")


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


_pg_ready: dict[str, str] = {}


def postgres_url() -> str:
    """URL of this worker's own schema on the test server (created once per worker)."""
    worker = _worker()
    if worker in _pg_ready:
        return _pg_ready[worker]
    # one schema per process: parallel test runs on one server never share (or drop) a schema
    schema = f"krav_test_{worker}_{os.getpid()}"
    try:
        admin = create_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        admin.dispose()
    except Exception as exc:  # noqa: BLE001 - any connection failure gets the same advice
        message = HOW_TO_START_PG.format(url=PG_URL) + f" ({type(exc).__name__})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    sep = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"
    ensure_schema(make_engine(url))
    _pg_ready[worker] = url
    atexit.register(_drop_schema, schema, url)
    return url


def _drop_schema(schema: str, url: str) -> None:
    """Drop this process's schema when the test run ends."""
    make_engine(url).dispose()
    try:
        admin = create_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()
    except Exception:  # noqa: BLE001 - best effort at exit
        pass


def _truncate_pg(url: str) -> None:
    engine = make_engine(url)
    load_all_tables()
    names = ", ".join(t.name for t in reversed(metadata.sorted_tables))
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A fresh, empty database URL: a SQLite file, or this worker's PostgreSQL schema."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'krav.db'}"
        ensure_schema(make_engine(url))
        yield url
        make_engine(url).dispose()
    else:
        url = postgres_url()
        _truncate_pg(url)
        yield url


@pytest.fixture
def engine(db_url: str):  # type: ignore[no-untyped-def]
    return make_engine(db_url)


@pytest.fixture
def samples() -> str:
    """Path of tests/data: the public sample files (origins and licences in SOURCES.md)."""
    return os.path.abspath(SAMPLES)
