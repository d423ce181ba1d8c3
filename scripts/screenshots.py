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
    debtor = _debtor(site)
    return {"orgnr": orgnr, "user": "kunde@nordlys.no", "invite": invite, **debtor,
            "awaiting": _cases(site, orgnr)}


PORTAL_SECRET = "screenshots-only"  # KRAV_SECRET_KEY of the screenshot server (access codes)


def _debtor(site: Site) -> dict[str, Any]:
    """The debtor portal's case: Kari's invoice after reminder, notice and payment demand."""
    from datetime import date

    from tests.factories import KARI, claim_row, import_claims, run_days

    from krav.cases import codes

    folder = Path(tempfile.mkdtemp(prefix="krav-screenshots-csv-"))
    import_claims(site.engine, folder, [claim_row(invoice="1001", debtor=KARI,
                                                  amount="12450.00")])
    run_days(site.engine, date(2026, 1, 6), date(2026, 3, 10))
    key = codes.portal_key(PORTAL_SECRET)
    assert key is not None
    return {"case": "K-0000001", "code": codes.access_code(key, "K-0000001", 0),
            "pay": codes.pay_path(key, "K-0000001")}


def _portal_login(site: Site, page: Page, data: dict[str, Any]) -> None:
    page.goto(site.url("/logg-inn"))
    page.locator("#saksnummer").fill(data["case"])
    page.locator("#kode").fill(data["code"])
    with page.expect_navigation():
        page.locator("form[action='/logg-inn'] button[type=submit]").click()


def _portal_case(site: Site, page: Page, data: dict[str, Any]) -> None:
    _portal_login(site, page, data)


def _portal_case_nn(site: Site, page: Page, data: dict[str, Any]) -> None:
    _portal_login(site, page, data)
    page.goto(site.url(f"/sak/{data['case']}?lang=nn"))


def _portal_contact(site: Site, page: Page, data: dict[str, Any]) -> None:
    _portal_login(site, page, data)
    page.goto(site.url(f"/sak/{data['case']}/kontakt?lang=nb"))


def _portal_pay(site: Site, page: Page, data: dict[str, Any]) -> None:
    page.goto(site.url(data["pay"] + "?lang=nb"))


def _cases(site: Site, orgnr: str) -> str:
    """Claims for the creditor pages: three debtors, one case awaiting approval (its ref is
    returned) with a note."""
    from datetime import date, datetime

    from sqlalchemy import select, update
    from tests.factories import BYGG, KARI, OLA, claim_row, import_claims

    from krav.accounts.principal import Actor, Principal
    from krav.cases.service import note
    from krav.db.tables import claims

    with tempfile.TemporaryDirectory(prefix="krav-claims-") as folder:
        import_claims(site.engine, Path(folder), [
            claim_row(invoice="2001", debtor=KARI), claim_row(invoice="2002", debtor=OLA),
            claim_row(invoice="2003", debtor=BYGG, amount="2500.50")])
    with site.engine.begin() as conn:
        ref = conn.execute(select(claims.c.ref).where(claims.c.invoice_number == "2001")
                           ).scalar_one()
        conn.execute(update(claims).where(claims.c.ref == ref)
                     .values(stage="awaiting_approval", next_action_on=None))
        note(conn, ref, on=date(2026, 1, 20), text="Kunden har lovet å betale",
             actor=Actor(Principal.cli("screenshots"), datetime(2026, 1, 20, 9)))
    return ref


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


def _case_list(site: Site, page: Page, data: dict[str, Any]) -> None:
    site.log_in(page, data["user"])
    page.goto(site.url("/saker"))


def _case(site: Site, page: Page, data: dict[str, Any]) -> None:
    site.log_in(page, data["user"])
    page.goto(site.url(f"/saker/{data['awaiting']}"))
    page.locator("details.action summary").first.click()


def _admin(site: Site, page: Page, data: dict[str, Any]) -> None:
    site.log_in(page, data["user"])
    page.goto(site.url("/admin"))


def _upload(site: Site, page: Page, data: dict[str, Any]) -> None:
    site.log_in(page, data["user"])
    page.goto(site.url("/levere"))


UPLOAD = ("Fakturanummer;Fakturadato;Forfallsdato;Beløp;Kundetype;Navn;Org.nr;Adresse;"
          "Postnummer;Poststed\r\n"
          "5001;01.12.2025;15.12.2025;1 234,50;consumer;Åse Ødegård;30076025378;Storgata 1;"
          "0150;Oslo\r\n"
          "5002;01.12.2025;15.12.2025;12,345;consumer;Ola Hansen;29049024116;Kirkeveien 3;"
          "5003;Bergen\r\n")


def _upload_preview(site: Site, page: Page, data: dict[str, Any]) -> None:
    site.log_in(page, data["user"])
    page.goto(site.url("/levere"))
    with tempfile.TemporaryDirectory(prefix="krav-upload-") as folder:
        path = Path(folder) / "krav.csv"
        path.write_bytes(UPLOAD.encode("cp1252"))
        page.locator("#file").set_input_files(str(path))
        with page.expect_navigation():
            page.locator("form[action='/levere'] button[type=submit]").click()


PAGES: list[tuple[str, Callable[[Site, Page, dict[str, Any]], None]]] = [
    ("login", _login),
    ("login-en", _login_en),
    ("login-error", _login_error),
    ("password-forgotten", _forgot),
    ("password-choose", _password),
    ("home", _home),
    ("debtor-login", lambda site, page, data: page.goto(site.url("/logg-inn"))),
    ("debtor-case", _portal_case),
    ("debtor-case-nn", _portal_case_nn),
    ("debtor-contact", _portal_contact),
    ("debtor-pay", _portal_pay),
    ("cases", _case_list),
    ("case", _case),
    ("upload", _upload),
    ("upload-preview", _upload_preview),
    ("admin", _admin),
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
        with KravServer(url, Path(folder) / "serve.log",
                        env={"KRAV_SECRET_KEY": PORTAL_SECRET}) as server, \
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
