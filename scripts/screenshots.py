"""``make screenshots``: PNGs of krav's main pages at 360 px (phone) and 1280 px (desktop).

Starts ``krav serve`` on a new SQLite database in a temporary folder, makes the people and data
the pages need (:func:`prepare`), then opens each page of :data:`PAGES` in Debian's Chromium and
saves ``<out>/<name>-phone.png`` and ``<out>/<name>-desktop.png`` (the whole page). Nothing is
downloaded; the server is stopped at the end.

A portal adds its pages: the data in :func:`prepare` (returned in the dict every page gets) and
one ``(name, function(site, page, data))`` in :data:`PAGES` that brings a fresh page (its own
cookies: log in first when the page needs it) to the state to show.

    .venv/bin/python scripts/screenshots.py [OUT]      # default docs/portal
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the test support module (tests/browser_support.py)

from tests.browser_support import (  # noqa: E402
    DESKTOP,
    PHONE,
    KravServer,
    Site,
    browser_missing,
    launch,
    make_database,
    new_page,
)

from krav.db.engine import make_engine  # noqa: E402

Page = Any


def prepare(site: Site) -> dict[str, Any]:
    """The data the pages show: a creditor, its admin, and a person who has not chosen a
    password yet (for the set-password page)."""
    orgnr = site.creditor()
    site.user("kunde@nordlys.no", "creditor_admin", creditor=orgnr)
    invite = site.user("ny@nordlys.no", "creditor_user", creditor=orgnr, password=None)
    return {"orgnr": orgnr, "user": "kunde@nordlys.no", "invite": invite}


def _login(site: Site, page: Page, data: dict[str, Any]) -> None:
    page.goto(site.url("/login"))


def _login_en(site: Site, page: Page, data: dict[str, Any]) -> None:
    page.goto(site.url("/login?lang=en"))


def _login_error(site: Site, page: Page, data: dict[str, Any]) -> None:
    page.goto(site.url("/login"))
    page.locator("#email").fill(data["user"])
    page.locator("#password").fill("feil passord")
    with page.expect_navigation():
        page.locator("form[action='/login'] button[type=submit]").click()


def _forgot(site: Site, page: Page, data: dict[str, Any]) -> None:
    page.goto(site.url("/passord/glemt"))


def _password(site: Site, page: Page, data: dict[str, Any]) -> None:
    page.goto(site.url(data["invite"]))


def _home(site: Site, page: Page, data: dict[str, Any]) -> None:
    site.log_in(page, data["user"])


PAGES: list[tuple[str, Callable[[Site, Page, dict[str, Any]], None]]] = [
    ("login", _login),
    ("login-en", _login_en),
    ("login-error", _login_error),
    ("password-forgotten", _forgot),
    ("password-choose", _password),
    ("home", _home),
]


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "docs" / "portal"
    missing = browser_missing()
    if missing:
        print(f"screenshots: {missing}", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="krav-screenshots-") as folder:
        url = make_database(None, Path(folder))
        with KravServer(url, Path(folder) / "serve.log") as server, \
                sync_playwright() as playwright:
            site = Site(server, make_engine(url))
            data = prepare(site)
            browser = launch(playwright)
            try:
                for name, show in PAGES:
                    for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
                        page = new_page(browser, viewport)
                        show(site, page, data)
                        target = out / f"{name}-{size}.png"
                        page.screenshot(path=str(target), full_page=True, animations="disabled")
                        page.context.close()
                        print(target.relative_to(ROOT) if target.is_relative_to(ROOT)
                              else target)
            finally:
                browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
