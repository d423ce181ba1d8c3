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


HEADINGS = "Fakturanummer;Fakturadato;Forfallsdato;Beløp;Kundetype;Navn;Org.nr;Adresse;" \
    "Postnummer;Poststed\r\n"
GOOD = "5001;01.12.2025;15.12.2025;1 234,50;consumer;Åse Ødegård;30076025378;Storgata 1;" \
    "0150;Oslo\r\n"
BAD = "5002;01.12.2025;15.12.2025;12,345;consumer;Ola Hansen;29049024116;Kirkeveien 3;" \
    "5003;Bergen\r\n"


def test_a_creditor_uploads_a_file_with_a_bad_row_then_a_good_one(site, phone,  # type: ignore[no-untyped-def]
                                                                    tmp_path) -> None:
    from sqlalchemy import func, select

    site.creditor(NORDLYS.orgnr, NORDLYS.name)
    site.user("sjef@nordlys.no", "creditor_admin", creditor=NORDLYS.orgnr)
    site.log_in(phone, "sjef@nordlys.no")

    def claim_count() -> int:
        with site.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(claims)).scalar_one()

    phone.goto(site.url("/levere"))
    assert phone.get_by_role("heading", level=1).inner_text() == "Lever krav"
    assert_accessible(phone)
    assert_fits(phone)
    bad = tmp_path / "krav-feil.csv"
    bad.write_bytes((HEADINGS + GOOD + BAD).encode("cp1252"))
    phone.locator("#file").set_input_files(str(bad))
    submit(phone, "/levere")
    cell = phone.locator("td.bad")
    assert cell.count() == 1 and "12" in cell.inner_text()
    assert "to desimaler" in cell.locator(".cell-error").inner_text()
    assert phone.get_by_role("button", name="Importer alle kravene").count() == 0
    assert claim_count() == 0
    assert_accessible(phone)
    assert_fits(phone)

    phone.goto(site.url("/levere"))
    good = tmp_path / "krav.csv"
    good.write_bytes((HEADINGS + GOOD).encode("cp1252"))
    phone.locator("#file").set_input_files(str(good))
    submit(phone, "/levere")
    assert phone.locator("#summary").inner_text() == "1 krav er klare til import."
    with phone.expect_navigation():
        phone.get_by_role("button", name="Importer alle kravene").click()
    assert phone.get_by_role("status").inner_text() == "1 krav er importert."
    assert claim_count() == 1
    assert_accessible(phone)


def test_the_administration_page(site, phone) -> None:  # type: ignore[no-untyped-def]
    site.creditor(NORDLYS.orgnr, NORDLYS.name)
    site.user("sjef@nordlys.no", "creditor_admin", creditor=NORDLYS.orgnr)
    site.log_in(phone, "sjef@nordlys.no")
    phone.goto(site.url("/admin"))
    assert phone.get_by_role("heading", level=1).inner_text() == \
        "Administrasjon: Nordlys Energi AS"
    phone.get_by_text("Lag API-nøkkel", exact=True).first.click()
    phone.locator("#key-name").fill("Regnskap")
    submit(phone, "/admin/nokler")
    assert phone.locator(".secret").inner_text().startswith("krav_")
    assert_accessible(phone)
    assert_fits(phone)
