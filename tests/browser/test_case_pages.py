"""The creditor's case pages in the real browser (Debian's Chromium through Playwright) against
the real ``krav serve``, on SQLite and PostgreSQL: a creditor's administrator logs in, finds a
case in the list, approves it for collection, reports a direct payment (first with a bad amount,
told next to the field), and gets 404 for another creditor's case URL; axe's WCAG 2.1 AA rules on
every page and no sideways scrolling at 360 px."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from tests.browser_support import assert_accessible, assert_fits
from tests.factories import FJORDNETT, KARI, NORDLYS, OLA, claim_row, import_claims

from krav.db.tables import claims


def submit(page: Any, form: str) -> Any:
    with page.expect_navigation() as navigation:
        page.locator(f"form[action='{form}'] button[type=submit]").click()
    return navigation.value


def test_a_creditor_approves_a_case_and_reports_a_direct_payment(site, phone,  # type: ignore[no-untyped-def]
                                                                  tmp_path) -> None:
    site.creditor(NORDLYS.orgnr, NORDLYS.name)
    site.creditor(FJORDNETT.orgnr, FJORDNETT.name)
    import_claims(site.engine, tmp_path, [
        claim_row(invoice="1001", debtor=KARI), claim_row(invoice="1002", debtor=OLA),
        claim_row(creditor=FJORDNETT, invoice="1001", debtor=KARI)])
    with site.engine.begin() as conn:
        conn.execute(update(claims).where(claims.c.ref == "K-0000001")
                     .values(stage="awaiting_approval", next_action_on=None))
    site.user("sjef@nordlys.no", "creditor_admin", creditor=NORDLYS.orgnr)
    site.log_in(phone, "sjef@nordlys.no")

    phone.goto(site.url("/saker"))
    assert phone.get_by_role("heading", level=1).inner_text() == "Saker"
    rows = phone.locator("table.cases tbody tr")
    assert rows.count() == 2  # not Fjordnett's
    assert_accessible(phone)
    assert_fits(phone)
    phone.locator("#sok").fill("Ola")
    submit(phone, "/saker")
    assert phone.locator("table.cases tbody tr").count() == 1

    phone.goto(site.url("/saker/K-0000001"))
    assert phone.get_by_role("heading", level=1).inner_text() == "Sak K-0000001"
    assert_accessible(phone)
    assert_fits(phone)
    phone.get_by_text("Godkjenn oversendelse til inkasso", exact=True).first.click()
    answer = submit(phone, "/saker/K-0000001/godkjenn")
    assert answer.status == 200
    assert phone.get_by_role("status").inner_text() == "Saken er godkjent for inkasso."

    phone.get_by_text("Registrer direkte betaling", exact=True).first.click()
    phone.locator("#direct_payment-amount").fill("12,345")
    answer = submit(phone, "/saker/K-0000001/direkte-betaling")
    assert answer.status == 422
    field = phone.locator("#direct_payment-amount")
    assert field.get_attribute("aria-invalid") == "true"
    assert field.get_attribute("aria-describedby") == "direct_payment-amount-error"
    assert "to desimaler" in phone.locator("#direct_payment-amount-error").inner_text()
    assert_accessible(phone)
    assert_fits(phone)
    field.fill("250,00")
    answer = submit(phone, "/saker/K-0000001/direkte-betaling")
    assert answer.status == 200
    assert phone.get_by_role("status").inner_text() == "Betalingen er registrert."
    assert "payment.direct" in phone.locator(".timeline").inner_text()

    theirs = phone.goto(site.url("/saker/K-0000003"))
    missing = phone.goto(site.url("/saker/K-0000099"))
    assert theirs.status == missing.status == 404
    assert_accessible(phone)
