"""Real-browser testing of krav's pages: the real server, Debian's Chromium, axe-core.

The fixtures in ``tests/browser/conftest.py`` are built from this module; ``make screenshots``
(``scripts/screenshots.py``) uses it too. A portal's browser tests go in ``tests/browser/``:

    def test_my_page(site, phone):                 # runs on SQLite and on PostgreSQL
        orgnr = site.creditor()                    # Nordlys Energi AS, with its profile
        site.user("kunde@nordlys.no", "creditor_admin", creditor=orgnr)
        site.log_in(phone, "kunde@nordlys.no")     # through the login form
        phone.goto(site.url("/min/side"))
        assert_accessible(phone)                   # axe: no WCAG 2.1 AA violation
        assert_fits(phone)                         # nothing scrolls sideways at 360 px

- :class:`KravServer` is ``krav serve`` as an operator starts it, on 127.0.0.1 and a free port,
  with ``KRAV_PUBLIC_URL`` pointing at itself (so mailed links lead back to it). It is stopped
  (terminate, then kill) when the fixture ends; the run never waits on it.
- :class:`Site` is that server with helpers to make creditors and people with a password through
  the same service functions the CLI calls, and to log in through the form.
- ``CHROMIUM`` is Debian's ``/usr/bin/chromium`` (``scripts/install-browser.sh``, run by
  ``make test``); Playwright is launched with it and never downloads a browser. Without it the
  browser tests are skipped locally with the reason, and fail under ``CI=true``.
- :func:`axe_violations` runs the axe-core that ships inside ``axe-playwright-python`` (no
  download) with the WCAG 2.0/2.1 A and AA rules.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Engine, insert, text

from krav.db.engine import load_all_tables, make_engine
from krav.db.tables import metadata

CHROMIUM = os.environ.get("KRAV_CHROMIUM", "/usr/bin/chromium")
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
PASSWORD = "korthest batteri stift"  # what Site.user gives everyone unless told otherwise
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
HOW_TO_INSTALL = ("Debian's Chromium is needed at {path}: run 'scripts/install-browser.sh' as "
                  "root (it runs apt-get install chromium), or set KRAV_CHROMIUM")


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or ``None`` when they can."""
    try:
        import axe_playwright_python  # noqa: F401
        import playwright  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} is not installed: pip install -e '.[dev]'"
    if not os.access(CHROMIUM, os.X_OK):
        return HOW_TO_INSTALL.format(path=CHROMIUM)
    return None


def launch(playwright: Any) -> Any:
    """Debian's Chromium, headless, through Playwright (``playwright.sync_api``)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class KravServer:
    """``krav serve --port P --db URL`` on 127.0.0.1 in a child process.

    ``env`` adds ``KRAV_*`` settings (e.g. another session length). Use as a context manager or
    call :meth:`start` and :meth:`stop`; the server's log (JSON lines) is in ``log_path``."""

    def __init__(self, db_url: str, log_path: Path, env: dict[str, str] | None = None) -> None:
        self.db_url = db_url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = {**os.environ, "KRAV_PUBLIC_URL": self.base, **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120.0) -> KravServer:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "krav", "serve", "--host", "127.0.0.1",
                 "--port", str(self.port), "--db", self.db_url],
                env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        atexit.register(self.stop)  # also when the run is interrupted before the fixture ends
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"krav serve stopped at start:\n{self.log()}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"krav serve did not answer /healthz in {timeout} s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def __enter__(self) -> KravServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def empty_database(engine: Engine) -> None:
    """Delete every row of every krav table (the schema and its migration stamp stay), ids from 1.

    The audit table is append-only by trigger; on SQLite its triggers are dropped for the delete
    and made again in the same transaction (PostgreSQL's TRUNCATE does not fire row triggers)."""
    from krav.audit.tables import trigger_statements

    load_all_tables()
    tables = list(reversed(metadata.sorted_tables))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(t.name for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return
        conn.execute(text("DROP TRIGGER IF EXISTS audit_no_update"))
        conn.execute(text("DROP TRIGGER IF EXISTS audit_no_delete"))
        for table in tables:
            conn.execute(table.delete())
        if conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")).first():
            conn.execute(text("DELETE FROM sqlite_sequence"))
        for statement in trigger_statements("sqlite"):
            conn.execute(text(statement))


@dataclass
class Site:
    """A running :class:`KravServer` and its database, for one test."""

    server: KravServer
    engine: Engine

    @property
    def base(self) -> str:
        return self.server.base

    def url(self, path: str = "/") -> str:
        return f"{self.server.base}{path}"

    def creditor(self, orgnr: str = "845085153", name: str = "Nordlys Energi AS") -> str:
        """A creditor with a complete profile (as ``tests.factories.add_creditor``); its orgnr."""
        from tests.factories import Creditor, add_creditor

        add_creditor(self.engine, Creditor(orgnr=orgnr, name=name))
        return orgnr

    def user(self, email: str, role: str = "admin", *, creditor: str | None = None,
             password: str | None = PASSWORD, language: str = "nb") -> str:
        """A person (``krav user add``) who has chosen ``password`` through the one-time link
        (``None``: no password yet). Returns the link's path when no password was set."""
        from krav.accounts.principal import Actor, Principal
        from krav.accounts.users import add_user, set_password_with_token

        at = datetime.now(UTC).replace(tzinfo=None)
        with self.engine.begin() as conn:
            made = add_user(conn, email, role=role, creditor_orgnr=creditor,
                            actor=Actor(Principal.cli("browser-test"), at),
                            public_url=self.base, valid=timedelta(hours=1), language=language)
            token = made.link.rsplit("/", 1)[1]
            if password is None:
                return urlsplit(made.link).path
            set_password_with_token(conn, token, password, password, at=at)
        return ""

    def log_in(self, page: Any, email: str, password: str = PASSWORD) -> None:
        """Log in through the login form and wait for the page it leads to."""
        page.goto(self.url("/login"))
        page.locator("#email").fill(email)
        page.locator("#password").fill(password)
        with page.expect_navigation():
            page.locator("form[action='/login'] button[type=submit]").click()

    def insert(self, table: Any, **values: Any) -> Any:
        """One row straight into ``table``; its primary key."""
        with self.engine.begin() as conn:
            return conn.execute(insert(table).values(**values)).inserted_primary_key[0]


def axe_violations(page: Any, tags: list[str] | None = None) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now, for the WCAG 2.1 A and AA rules."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": tags or WCAG_21_AA},
               "resultTypes": ["violations"]}
    return Axe().run(page, options=options).response["violations"]


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(f"{v['id']} ({v['impact']}): {v['help']} — "
                     + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"])
                     for v in violations)


def assert_accessible(page: Any) -> None:
    found = axe_violations(page)
    assert not found, f"axe on {page.url}:\n{describe(found)}"


def horizontal_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than its viewport (0 when nothing scrolls
    sideways)."""
    return page.evaluate("() => Math.max(document.documentElement.scrollWidth,"
                         " document.body.scrollWidth) - document.documentElement.clientWidth")


def assert_fits(page: Any) -> None:
    over = horizontal_overflow(page)
    assert over <= 0, f"{page.url} scrolls sideways by {over} px at {page.viewport_size}"


def new_page(browser: Any, viewport: dict[str, int], locale: str = "nb-NO") -> Any:
    """A page in a fresh browser context (own cookies) of ``viewport``'s size."""
    context = browser.new_context(viewport=viewport, locale=locale, device_scale_factor=1)
    context.set_default_timeout(10_000)
    return context.new_page()


def make_database(url: str | None, folder: Path) -> str:
    """``url``, or a new SQLite file in ``folder``, with krav's schema."""
    from krav.db.engine import ensure_schema

    url = url or f"sqlite:///{folder / 'krav.db'}"
    ensure_schema(make_engine(url))
    return url
