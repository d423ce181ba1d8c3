"""The debtor portal in Debian's Chromium against the real ``krav serve`` (SQLite and
PostgreSQL): log in with the code the letter prints, read the amounts (they equal ``krav case
show --as-of today``), switch language, change contact data, the pay page — every page without a
WCAG 2.1 AA violation (axe) and without sideways scrolling at 360 px."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from tests.browser_support import (
    KravServer,
    assert_accessible,
    assert_fits,
    browser_missing,
    empty_database,
    make_database,
)
from tests.factories import KARI, NORDLYS, OLA, add_creditor, claim_row, import_claims, run_days

from krav.cases import codes
from krav.cases.read import case_view
from krav.db.engine import make_engine
from krav.kernel.money import fmt_nok

SECRET = "browser-portal-secret"
KEY = codes.portal_key(SECRET)


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def portal_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[tuple[KravServer, Any]]:
    """``krav serve`` with a secret key (the access codes need one)."""
    missing = browser_missing()
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests cannot run under CI=true: {missing}")
        pytest.skip(missing)
    folder = tmp_path_factory.mktemp(f"portal-{request.param}")
    if request.param == "sqlite":
        url = make_database(None, folder)
    else:
        from tests.conftest import postgres_url

        url = postgres_url()
    with KravServer(url, folder / "serve.log", env={"KRAV_SECRET_KEY": SECRET}) as server:
        yield server, make_engine(url)


@pytest.fixture
def portal(portal_server, tmp_path) -> tuple[KravServer, Any]:  # type: ignore[no-untyped-def]
    """Two debtors' cases with letters and fees (the database emptied first: on PostgreSQL it
    is this worker's schema, which other browser tests empty too)."""
    server, engine = portal_server
    empty_database(engine)
    add_creditor(engine, NORDLYS)
    import_claims(engine, tmp_path, [claim_row(invoice="1001", debtor=KARI, amount="12450.00"),
                                     claim_row(invoice="1002", debtor=OLA)])
    run_days(engine, date(2026, 1, 6), date(2026, 3, 10))
    return server, engine


def log_in(server: KravServer, page: Any, ref: str = "K-0000001") -> None:
    page.goto(f"{server.base}/logg-inn")
    assert_accessible(page)
    page.locator("#saksnummer").fill(ref)
    page.locator("#kode").fill(codes.access_code(KEY, ref, 0))  # type: ignore[arg-type]
    with page.expect_navigation():
        page.locator("form[action='/logg-inn'] button[type=submit]").click()


def test_log_in_with_the_letter_code_and_read_the_amounts(portal, phone) -> None:  # type: ignore[no-untyped-def]
    server, engine = portal
    log_in(server, phone)
    assert phone.url.endswith("/sak/K-0000001")
    with engine.connect() as conn:
        shown = case_view(conn, "K-0000001", as_of=date.today())
    total = phone.locator("[data-amount=to_pay_today]").first.inner_text()
    assert total.replace("\u00a0", " ") == f"{fmt_nok(shown['to_pay_today'])} kr".replace(
        "\u00a0", " ")
    assert Decimal(shown["to_pay_today"]) > 0
    assert phone.locator("[data-kid]").first.inner_text() == shown["kid"]
    assert_accessible(phone)
    assert_fits(phone)
    phone.goto(f"{server.base}/sak/K-0000002")  # another debtor's case
    assert "Finnes ikke" in phone.content() or "finnes ikke" in phone.content()


def test_a_wrong_code_is_shown_next_to_the_field(portal, phone) -> None:  # type: ignore[no-untyped-def]
    server, _ = portal
    phone.goto(f"{server.base}/logg-inn")
    phone.locator("#saksnummer").fill("K-0000002")
    phone.locator("#kode").fill("ABCDE-FGHJK")
    with phone.expect_navigation():
        phone.locator("form[action='/logg-inn'] button[type=submit]").click()
    assert phone.locator("#kode").get_attribute("aria-describedby") == "kode-feil"
    assert "feil" in phone.locator("#kode-feil").inner_text()
    assert_accessible(phone)
    assert_fits(phone)


def test_nynorsk_english_contact_and_pay_pages(portal, phone, desktop) -> None:  # type: ignore[no-untyped-def]
    server, _ = portal
    log_in(server, phone)
    phone.goto(f"{server.base}/sak/K-0000001?lang=nn")
    assert "Å betala i dag" in phone.content()
    assert_accessible(phone)
    phone.goto(f"{server.base}/sak/K-0000001?lang=en")
    assert "Amount to pay today" in phone.content()
    phone.goto(f"{server.base}/sak/K-0000001/kontakt?lang=nb")
    assert_accessible(phone)
    assert_fits(phone)
    phone.locator("#postcode").fill("12")
    with phone.expect_navigation():
        phone.locator("form button[type=submit]").click()
    assert phone.locator("#postcode").get_attribute("aria-describedby") == "postcode-feil"
    assert_accessible(phone)
    desktop.goto(server.base + codes.pay_path(KEY, "K-0000001"))  # type: ignore[arg-type]
    assert_accessible(desktop)
    assert "Kari" not in desktop.content()
