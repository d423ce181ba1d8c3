"""The creditor pages' "hand over claims" (``/levere``) on SQLite and PostgreSQL: a Norwegian
Excel CSV (semicolon, decimal comma, Windows-1252, Norwegian headings) is understood, the column
mapping is offered and remembered per creditor, a file with a bad row shows the bad cell and
imports nothing, a good file (CSV or XLSX) imports every row as ``krav import claims`` does (the
same claims, the audit row); CSRF, roles and tenancy (another creditor's upload is a 404)."""

from __future__ import annotations

import io
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.e2e.test_api import audit_rows
from tests.e2e.test_case_pages import person
from tests.e2e.test_web import csrf
from tests.factories import FJORDNETT, NORDLYS, Krav, add_creditor

from krav.db.tables import claims

HEADINGS = "Fakturanummer;Fakturadato;Forfallsdato;Beløp;Kundetype;Navn;Org.nr;Adresse;" \
    "Postnummer;Poststed\r\n"
GOOD = ("5001;01.12.2025;15.12.2025;1 234,50;consumer;Åse Ødegård;30076025378;Storgata 1;"
        "0150;Oslo\r\n"
        "5002;01.12.2025;15.12.2025;99,00;business;Hansen Bygg AS;821175135;Industriveien 9;"
        "7010;Trondheim\r\n")
BAD_ROW = "5003;01.12.2025;15.12.2025;12,345;consumer;Ola Hansen;29049024116;Kirkeveien 3;" \
    "5003;Bergen\r\n"


@pytest.fixture
def krav(db_url, capsys, engine) -> Krav:  # type: ignore[no-untyped-def]
    add_creditor(engine, NORDLYS)
    add_creditor(engine, FJORDNETT)
    return Krav(db_url, capsys)


def count(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(claims)).scalar_one()


def send(client: TestClient, content: bytes, name: str = "krav.csv", **fields: str):  # type: ignore[no-untyped-def]
    token = csrf(client.get("/levere"))
    return client.post("/levere", data={"csrf": token, **fields},
                       files={"file": (name, content, "text/csv")}, follow_redirects=False)


def step(client: TestClient, url: str, action: str = "preview", **mapping: str):  # type: ignore[no-untyped-def]
    page = client.get(url)
    chosen = dict(re.findall(r'<select id="(map_\w+)" name="map_\w+">\s*<option value="">[^<]*'
                             r'</option>(?:\s*<option value="[^"]*">[^<]*</option>)*?'
                             r'\s*<option value="([^"]*)" selected>', page.text))
    form = {"csrf": csrf(page), "action": action, "format": "auto", **chosen, **mapping}
    return client.post(url, data=form, follow_redirects=False)


def test_a_norwegian_csv_with_a_bad_row_shows_the_cell_and_imports_nothing(krav, engine) -> None:  # type: ignore[no-untyped-def]
    boss = person(krav, engine, "sjef@nordlys.no", "creditor_admin")
    bad_file = (HEADINGS + GOOD + BAD_ROW).encode("cp1252")
    sent = send(boss, bad_file)
    assert sent.status_code == 303 and re.fullmatch(r"/levere/\d+", sent.headers["location"])
    url = sent.headers["location"]
    page = boss.get(url)
    assert page.status_code == 200
    # the Norwegian headings are recognised, the Windows-1252 letters read
    assert '<option value="Beløp" selected>' in page.text
    assert "Åse Ødegård" in page.text
    assert re.search(r'<td class="bad"[^>]*>12[.,]345<span class="cell-error">[^<]*beløp',
                     page.text), page.text
    assert "Importer alle kravene" not in page.text and "ingenting er importert" in page.text
    refused = step(boss, url, "import")
    assert refused.status_code == 422 and count(engine) == 0

    good = send(boss, (HEADINGS + GOOD).encode("cp1252"))
    url = good.headers["location"]
    ready = boss.get(url)
    assert "2 krav er klare til import." in ready.text
    done = step(boss, url, "import")
    assert done.status_code == 303
    assert "2 krav er importert." in boss.get(url).text
    assert count(engine) == 2
    shown = krav.json("case", "show", "K-0000001")
    assert (shown["principal"], shown["debtor"]["name"], shown["creditor"]["orgnr"]) == \
        ("1234.50", "Åse Ødegård", NORDLYS.orgnr)
    assert audit_rows(engine, "claims.import")[-1].details["claims"] == 2
    assert step(boss, url, "import").status_code == 303  # once imported, never again
    assert count(engine) == 2
    # the same invoices again: refused by the import (duplicates), nothing imported
    again = send(boss, (HEADINGS + GOOD).encode("cp1252"))
    assert step(boss, again.headers["location"], "import").status_code == 422
    assert count(engine) == 2


def test_the_mapping_is_remembered_and_an_xlsx_is_read(krav, engine) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from openpyxl import Workbook

    boss = person(krav, engine, "sjef@nordlys.no", "creditor_admin")
    odd = HEADINGS.replace("Fakturanummer", "Bilag") + GOOD
    url = send(boss, odd.encode("utf-8")).headers["location"]
    assert "kolonnen for invoice_number er ikke valgt" in boss.get(url).text
    assert step(boss, url, "import", map_invoice_number="Bilag").status_code == 303
    book = Workbook()
    sheet = book.active
    sheet.append(["Bilag", "Fakturadato", "Forfallsdato", "Beløp", "Kundetype", "Navn",
                  "Org.nr", "Adresse", "Postnummer", "Poststed"])
    sheet.append([6001, date(2025, 12, 1), date(2025, 12, 15), 250.5, "consumer", "Kari",
                  "30076025378", "Storgata 1", "0150", "Oslo"])
    data = io.BytesIO()
    book.save(data)
    url = send(boss, data.getvalue(), "krav.xlsx").headers["location"]
    page = boss.get(url)
    assert '<option value="Bilag" selected>' in page.text  # remembered
    assert "1 krav er klare til import." in page.text, page.text
    assert step(boss, url, "import").status_code == 303
    assert krav.json("case", "show", "K-0000003")["principal"] == "250.50"


def test_csrf_roles_and_another_creditors_upload(krav, engine) -> None:  # type: ignore[no-untyped-def]
    boss = person(krav, engine, "sjef@nordlys.no", "creditor_admin")
    url = send(boss, (HEADINGS + GOOD).encode("utf-8")).headers["location"]
    refused = boss.post("/levere", data={}, files={"file": ("k.csv", b"x", "text/csv")})
    assert refused.status_code == 403
    assert boss.post(url, data={"action": "import"}).status_code == 403
    user = person(krav, engine, "les@nordlys.no", "creditor_user")
    assert user.get("/levere").status_code == 403
    other = person(krav, engine, "sjef@fjordnett.no", "creditor_admin", creditor=FJORDNETT)
    token = csrf(other.get("/levere"))
    missing = re.sub(r"\d+$", "999", url)
    for target in (url, missing):
        assert other.get(target).status_code == 404
        assert other.post(target, data={"csrf": token, "action": "import"}).status_code == 404
    assert count(engine) == 0
    staff = person(krav, engine, "handler@krav.example", "handler", creditor=None)
    chosen = send(staff, (HEADINGS + GOOD).encode("utf-8"), creditor=FJORDNETT.orgnr)
    assert step(staff, chosen.headers["location"], "import").status_code == 303
    assert krav.json("case", "show", "K-0000001")["creditor"]["orgnr"] == FJORDNETT.orgnr
