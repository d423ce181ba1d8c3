"""``/api/v1/settlements`` on SQLite and PostgreSQL: a month's settlements, one settlement with
its lines, what was held back and why and the payout's status, the statement files (the same CSV
and PDF ``krav settle --out`` writes), tenancy (another creditor's settlement is a 404 exactly
like a missing one) and a bad period (422 naming ``period`` and its form).

The book is tests/integration/test_settlement_oppgjor.py's: Nordlys (10 % commission) collected
1 538.00 through the agency on K-0000001 and 2 000.00 directly on K-0000002 in January 2026."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import update
from tests.e2e.test_api import bearer, staff
from tests.e2e.test_web import PROBLEM
from tests.factories import FJORDNETT, NORDLYS, Krav, add_creditor, claim_row, import_claims
from tests.integration.test_settlement_oppgjor import DUE, charge, pay

from krav.db.tables import creditors
from krav.payments.queue import direct_payment
from krav.settings import Settings
from krav.web.app import create_app

AMOUNT = re.compile(r"^-?\d+\.\d{2}$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@pytest.fixture
def krav(db_url, capsys, engine, tmp_path) -> Krav:  # type: ignore[no-untyped-def]
    return book(db_url, capsys, engine, tmp_path)


def book(db_url, capsys, engine, tmp_path) -> Krav:  # type: ignore[no-untyped-def]
    """Nordlys's January (see the module docstring) and Fjordnett's unpaid K-0000004."""
    add_creditor(engine, NORDLYS)
    add_creditor(engine, FJORDNETT)
    import_claims(engine, tmp_path, [claim_row(invoice="1", amount="1000.00"),
                                     claim_row(invoice="2", amount="2000.00"),
                                     claim_row(invoice="3", amount="500.00"),
                                     claim_row(creditor=FJORDNETT, invoice="9")])
    with engine.begin() as conn:
        conn.execute(update(creditors).where(creditors.c.orgnr == NORDLYS.orgnr)
                     .values(commission_pct="10"))
    charge(engine, "K-0000001", "salaer", 50_000, "agency")
    charge(engine, "K-0000001", "reminder_fee", 3_800, "creditor")
    charge(engine, "K-0000002", "collection_notice_fee", 10_000, "agency")
    pay(engine, 153_800, "K-0000001", DUE, as_of=DUE, transmission=1)
    with engine.begin() as conn:
        direct_payment(conn, "K-0000002", Decimal("2000.00"), on=date(2026, 1, 10),
                       as_of=date(2026, 1, 11))
    return Krav(db_url, capsys)


@pytest.fixture
def client(engine) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(create_app(Settings(public_url="http://testserver"), engine))


def settle(krav: Krav, creditor=NORDLYS, *argv: str) -> dict:  # type: ignore[no-untyped-def]
    return krav.json("settle", "--creditor", creditor.orgnr, "--period", "2026-01",
                     "--as-of", "2026-01-31", *argv)


MONEY = ("collected", "creditor_share", "agency_share", "direct", "direct_agency",
         "direct_agency_share", "commission_base", "commission", "vat", "payout", "invoice",
         "agency_transfer", "net", "to_creditor", "amount")


def amounts(data: object) -> list[str]:
    """Every value under a money key in ``data``, however deep."""
    if isinstance(data, dict):
        return [x for k, v in data.items()
                for x in ([v] if k in MONEY and not isinstance(v, dict | list) else amounts(v))]
    if isinstance(data, list):
        return [x for v in data for x in amounts(v)]
    return []


def test_a_creditor_reads_its_settlements_as_krav_settle_made_them(krav, client,  # type: ignore[no-untyped-def]
                                                                    tmp_path) -> None:
    made = settle(krav, NORDLYS, "--out", str(tmp_path / "out"))
    settle(krav, FJORDNETT)
    nordlys = bearer(krav)
    listed = client.get("/api/v1/settlements?period=2026-01", headers=nordlys)
    assert listed.status_code == 200, listed.text
    assert listed.json()["period"] == "2026-01"
    [item] = listed.json()["items"]
    same = {k: v for k, v in made.items()
            if k not in ("already_settled", "files", "payment_file", "reissued", "held")}
    assert {k: item[k] for k in same} == same  # the figures `krav settle --json` printed
    assert (item["collected"], item["direct"], item["commission"], item["vat"],
            item["payout"], item["invoice"], item["net"]) == (
        "1538.00", "2000.00", "290.00", "72.50", "575.50", "0.00", "575.50")
    assert item["reference"] == f"OPP-2026-01-{made['settlement']}"
    assert (item["period_from"], item["period_through"], item["created_on"]) == (
        "2026-01-01", "2026-01-31", "2026-01-31")
    assert item["payout_status"] == "instructed" and item["claims"] == 2  # --out paid it

    shown = client.get(f"/api/v1/settlements/{made['settlement']}", headers=nordlys)
    assert shown.status_code == 200
    detail = shown.json()
    assert {k: detail[k] for k in item} == item
    assert [line["ref"] for line in detail["lines"]] == ["K-0000001", "K-0000002"]
    first = detail["lines"][0]
    assert (first["collected"], first["agency_share"], first["commission"], first["vat"],
            first["to_creditor"]) == ("1538.00", "500.00", "100.00", "25.00", "913.00")
    assert first["debtor"] == "Kari Nordmann" and first["invoice_number"] == "1"
    held = {h["what"]: h["amount"] for h in detail["held_back"]}
    assert held == {"commission": "290.00", "vat": "72.50", "direct_agency": "100.00",
                    "agency_share": "500.00"}
    assert all(h["why"] for h in detail["held_back"])
    assert "merverdiavgiftsloven § 5-1" in next(
        h["why"] for h in detail["held_back"] if h["what"] == "vat")
    payout = detail["transfer"]
    assert (payout["status"], payout["amount"], payout["account_number"]) == (
        "instructed", "575.50", "12038004563")
    assert payout["msg_id"] == made["payment_file"]["msg_id"]
    assert payout["end_to_end_id"] == item["reference"]
    assert len(amounts(detail)) == 12 + 2 * 8 + 4 + 1  # totals, lines, held back, transfer
    assert all(isinstance(v, str) and AMOUNT.match(v) for v in amounts(detail)), detail
    assert all(DAY.match(detail[k]) for k in ("period_from", "period_through", "created_on"))

    written = tmp_path / "out" / f"oppgjor-{NORDLYS.orgnr}-2026-01"
    as_csv = client.get(f"/api/v1/settlements/{made['settlement']}.csv", headers=nordlys)
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert f'filename="oppgjor-{NORDLYS.orgnr}-2026-01.csv"' in \
        as_csv.headers["content-disposition"]
    assert as_csv.content == written.with_suffix(".csv").read_bytes()
    assert as_csv.text.splitlines()[1].startswith("K-0000001,1,Kari Nordmann,1538.00,")
    as_pdf = client.get(f"/api/v1/settlements/{made['settlement']}.pdf", headers=nordlys)
    assert as_pdf.status_code == 200 and as_pdf.headers["content-type"] == "application/pdf"
    assert as_pdf.content.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(as_pdf.content)).pages)
    cli_text = "".join(p.extract_text() for p in PdfReader(written.with_suffix(".pdf")).pages)
    assert text == cli_text
    assert item["reference"] in text and "K-0000002" in text


def test_another_creditors_settlement_is_not_found_like_a_missing_one(krav, client,  # type: ignore[no-untyped-def]
                                                                       engine) -> None:
    nordlys_id = settle(krav, NORDLYS)["settlement"]
    fjordnett_id = settle(krav, FJORDNETT)["settlement"]
    fjordnett = bearer(krav, FJORDNETT)
    for suffix in ("", ".csv", ".pdf"):
        theirs = client.get(f"/api/v1/settlements/{nordlys_id}{suffix}", headers=fjordnett)
        missing = client.get(f"/api/v1/settlements/987654{suffix}", headers=fjordnett)
        assert theirs.status_code == missing.status_code == 404, suffix
        assert theirs.headers["content-type"] == missing.headers["content-type"] == PROBLEM
        assert set(theirs.json()) == set(missing.json())
        assert theirs.json()["detail"].replace(str(nordlys_id), "987654") == \
            missing.json()["detail"]
        assert NORDLYS.name not in theirs.text
    for huge in ("0", "-1", str(2**63), "99999999999999999999999"):
        assert client.get(f"/api/v1/settlements/{huge}", headers=fjordnett).status_code == 404
    own = client.get("/api/v1/settlements?period=2026-01", headers=fjordnett).json()["items"]
    assert [(i["settlement"], i["creditor"], i["payout_status"]) for i in own] == [
        (fjordnett_id, FJORDNETT.orgnr, "nothing")]
    assert client.get(f"/api/v1/settlements?period=2026-01&orgnr={NORDLYS.orgnr}",
                      headers=fjordnett).status_code == 404
    assert client.get(f"/api/v1/settlements?period=2026-01&orgnr={FJORDNETT.orgnr}",
                      headers=fjordnett).json()["items"] == own
    assert client.get("/api/v1/settlements?period=2026-01").status_code == 401

    person = staff(krav, engine)  # agency staff: every creditor's, or the one named
    every = person.get("/api/v1/settlements?period=2026-01").json()["items"]
    assert [i["creditor"] for i in every] == sorted([NORDLYS.orgnr, FJORDNETT.orgnr])
    named = person.get(f"/api/v1/settlements?period=2026-01&orgnr={NORDLYS.orgnr}").json()
    assert [i["settlement"] for i in named["items"]] == [nordlys_id]
    shown = person.get(f"/api/v1/settlements/{nordlys_id}").json()
    assert shown["creditor"] == NORDLYS.orgnr and shown["payout_status"] == "pending"
    assert shown["transfer"]["msg_id"] is None  # settled without --out: no payment file yet
    assert person.get("/api/v1/settlements?period=2026-01&orgnr=974760673").status_code == 404
    assert person.get("/api/v1/settlements?period=2026-02").json()["items"] == []


@pytest.mark.parametrize("query", ["period=2026-13", "period=26-01", "period=2026-1",
                                   "period=2026-01-01", "period=", "", "period=%D9%A2%D9%A0"
                                   "%D9%A2%D9%A6-%D9%A0%D9%A1", "period=9999-12",
                                   "period=januar"])
def test_a_bad_period_is_422_naming_period_and_its_form(krav, client, query) -> None:  # type: ignore[no-untyped-def]
    bad = client.get(f"/api/v1/settlements?{query}", headers=bearer(krav))
    assert bad.status_code == 422, bad.text
    assert bad.headers["content-type"] == PROBLEM
    [error] = bad.json()["errors"]
    assert error["field"] == "period" and "ÅÅÅÅ-MM" in error["allowed"]
    assert "period" in bad.json()["detail"]


def test_a_creditor_without_an_account_has_its_payout_held_back(krav, client, engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(update(creditors).where(creditors.c.orgnr == NORDLYS.orgnr)
                     .values(account_number=""))
    sid = settle(krav)["settlement"]
    detail = client.get(f"/api/v1/settlements/{sid}", headers=bearer(krav)).json()
    assert detail["transfer"]["status"] == "held" and detail["transfer"]["account_number"] is None
    assert "kontonummer" in detail["transfer"]["status_text"]
    assert {"what": "payout", "amount": "575.50"}.items() <= detail["held_back"][-1].items()
