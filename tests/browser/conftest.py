"""Fixtures for the tests in the real browser (see ``tests/browser_support.py`` for how to use
them):

- ``server`` (one per test session and database, SQLite and PostgreSQL): ``krav serve`` on
  127.0.0.1 and a free port, stopped at the end of the session.
- ``site`` (per test): that server with its database emptied first, and helpers to make
  creditors and people (``site.creditor()``, ``site.user(...)``, ``site.log_in(page, ...)``).
- ``browser`` (one per test session): Debian's Chromium through Playwright.
- ``phone`` (360 × 740) and ``desktop`` (1280 × 800): a page in its own browser context (own
  cookies), closed after the test; ``page_at(viewport)`` makes more.

Every test here is marked ``browser``. Without Chromium they are skipped with the reason, except
under ``CI=true``, where they fail: CI never skips them silently.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tests.browser_support import (
    DESKTOP,
    PHONE,
    KravServer,
    Site,
    browser_missing,
    empty_database,
    launch,
    make_database,
    new_page,
)

from krav.db.engine import make_engine


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.browser)


def _need_browser() -> None:
    missing = browser_missing()
    if missing is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run under CI=true: {missing}")
    pytest.skip(missing)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session",
                params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[KravServer]:
    _need_browser()  # no server for tests that will be skipped anyway
    folder = tmp_path_factory.mktemp(f"serve-{request.param}")
    if request.param == "sqlite":
        url = make_database(None, folder)
    else:
        from tests.conftest import postgres_url

        url = postgres_url()  # this worker's own schema (made and migrated once)
    with KravServer(url, folder / "serve.log") as running:
        yield running


@pytest.fixture
def site(server: KravServer) -> Site:
    engine = make_engine(server.db_url)
    empty_database(engine)
    return Site(server, engine)


@pytest.fixture
def page_at(browser: Any) -> Iterator[Callable[..., Any]]:
    opened: list[Any] = []

    def make(viewport: dict[str, int] = DESKTOP, locale: str = "nb-NO") -> Any:
        page = new_page(browser, viewport, locale)
        opened.append(page.context)
        return page

    yield make
    for context in opened:
        context.close()


@pytest.fixture
def phone(page_at: Callable[..., Any]) -> Any:
    return page_at(PHONE)


@pytest.fixture
def desktop(page_at: Callable[..., Any]) -> Any:
    return page_at(DESKTOP)
