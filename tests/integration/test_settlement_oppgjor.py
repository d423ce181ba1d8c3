"""Settlement (oppgjør) and client-funds reconciliation on SQLite and PostgreSQL.

The book: Nordlys (10 % success commission) has three claims due 2026-01-05.
- K-0000001: 1 000.00 + salær 500.00 (agency) + reminder fee 38.00 (the creditor's own letter),
  paid in full through the bank on the due date: 1 538.00.
- K-0000002: 2 000.00 + collection-notice fee 100.00 sent by the agency; the debtor paid
  2 000.00 straight to Nordlys on 2026-01-10 (fee first: 100.00, then 1 900.00 principal).
- K-0000003: 500.00, unpaid in January.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, insert, select, update
from tests.factories import FJORDNETT, NORDLYS, claim, claim_row, import_claims

from krav.db.tables import claims, creditors, postings
from krav.kernel.errors import KravError
from krav.payments.formats.ocr_writer import OcrPayment, write_ocr
from krav.payments.queue import direct_payment
from krav.payments.reconcile import reconcile
from krav.payments.report import settlement_csv, write_reports
from krav.payments.service import import_bank_file
from krav.payments.settlement import settle
from krav.payments.tables import client_funds, settlement_lines
from krav.settings import Agency

DUE = date(2026, 1, 5)
END = date(2026, 1, 31)


def charge(engine, ref: str, component: str, ore: int, sender: str) -> None:  # type: ignore[no-untyped-def]
    """A fee posting as the nightly run writes it (with the sender), and the cached balance."""
    with engine.begin() as conn:
        claim_id = conn.execute(select(claims.c.id).where(claims.c.ref == ref)).scalar_one()
        conn.execute(insert(postings).values(
            claim_id=claim_id, on=DUE, kind=component, component=component, amount_ore=ore,
            rule=component, reference="test", inputs={"sender": sender}, key=f"fee:{component}"))
        conn.execute(update(claims).where(claims.c.id == claim_id)
                     .values(costs_ore=claims.c.costs_ore + ore))


def pay(engine, ore: int, ref: str, paid_on: date, *, as_of: date, transmission: int) -> None:  # type: ignore[no-untyped-def]
    data = write_ocr([OcrPayment(ore, claim(engine, ref)["kid"], bank_date=paid_on)],
                     nets_date=paid_on, transmission=transmission)
    with engine.begin() as conn:
        import_bank_file(conn, data.encode(), name=f"ocr-{transmission}.txt", fmt="ocr",
                         as_of=as_of, now=datetime(2026, 1, 1))


@pytest.fixture
def book(engine, tmp_path):  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(invoice="1", amount="1000.00"),
                                     claim_row(invoice="2", amount="2000.00"),
                                     claim_row(invoice="3", amount="500.00")])
    with engine.begin() as conn:
        conn.execute(update(creditors).where(creditors.c.orgnr == NORDLYS.orgnr)
                     .values(commission_pct="10", account_number="12038004563"))
    charge(engine, "K-0000001", "salaer", 50_000, "agency")
    charge(engine, "K-0000001", "reminder_fee", 3_800, "creditor")
    charge(engine, "K-0000002", "collection_notice_fee", 10_000, "agency")
    pay(engine, 153_800, "K-0000001", DUE, as_of=DUE, transmission=1)
    with engine.begin() as conn:
        direct_payment(conn, "K-0000002", Decimal("2000.00"), on=date(2026, 1, 10),
                       as_of=date(2026, 1, 11))
    return engine


def reconciled(engine) -> dict:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        result = reconcile(conn)
    assert result.ok, result.as_json()
    return result.as_json()


def test_settlement_pays_the_creditor_and_keeps_the_agencys_share(book) -> None:  # type: ignore[no-untyped-def]
    before = reconciled(book)
    assert before["balance"] == Decimal("1538.00")
    assert (before["owed_to_creditors"], before["agency_unsettled"]) == (Decimal("1038.00"),
                                                                       Decimal("500.00"))
    with book.begin() as conn:
        s = settle(conn, creditor_orgnr=NORDLYS.orgnr, period="2026-01", as_of=END)
    t = s.totals
    assert (t["collected_ore"], t["creditor_share_ore"], t["agency_share_ore"]) == \
        (153_800, 103_800, 50_000)
    assert (t["direct_ore"], t["direct_agency_ore"]) == (200_000, 10_000)
    assert (t["commission_base_ore"], t["commission_ore"]) == (290_000, 29_000)
    assert t["vat_ore"] == 7_250  # 25 % of the commission (merverdiavgiftsloven § 5-1)
    assert (t["payout_ore"], t["agency_transfer_ore"], t["invoice_ore"]) == (57_550, 96_250, 0)
    assert [x.ref for x in s.lines] == ["K-0000001", "K-0000002"]
    after = reconciled(book)
    assert after["balance"] == Decimal("0.00") and after["owed_to_creditors"] == Decimal("0.00")


def test_a_period_is_settled_once_and_a_posting_never_twice(book) -> None:  # type: ignore[no-untyped-def]
    with book.begin() as conn:
        first = settle(conn, creditor_orgnr=NORDLYS.orgnr, period="2026-01", as_of=END)
    with book.connect() as conn:
        lines = conn.execute(select(func.count()).select_from(settlement_lines)).scalar_one()
        moves = conn.execute(select(func.count()).select_from(client_funds)).scalar_one()
    with book.begin() as conn:
        again = settle(conn, creditor_orgnr=NORDLYS.orgnr, period="2026-01", as_of=END)
    assert again.already and again.id == first.id and again.totals == first.totals
    assert [x.to_creditor_ore for x in again.lines] == [x.to_creditor_ore for x in first.lines]
    # A January payment imported in February goes into February's settlement.
    pay(book, 50_000, "K-0000003", date(2026, 1, 30), as_of=date(2026, 2, 3), transmission=2)
    with book.begin() as conn:
        february = settle(conn, creditor_orgnr=NORDLYS.orgnr, period="2026-02",
                          as_of=date(2026, 2, 28))
    # 500.00 less 10 % commission (50.00) and VAT on it (12.50)
    assert (february.totals["collected_ore"], february.totals["payout_ore"]) == (50_000, 43_750)
    with book.connect() as conn:
        assert conn.execute(select(func.count()).select_from(settlement_lines)).scalar_one() \
            == lines + 2  # its interest part and its principal part
        assert conn.execute(select(func.count()).select_from(client_funds)).scalar_one() \
            == moves + 1 + 2  # the February file, then payout and agency transfer
    reconciled(book)


def test_no_cure_no_pay_and_a_creditor_who_owes_the_agency(book, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(book, tmp_path, [claim_row(creditor=FJORDNETT, invoice="9",
                                             amount="800.00")])
    with book.begin() as conn:
        nothing = settle(conn, creditor_orgnr=FJORDNETT.orgnr, period="2026-01", as_of=END)
    assert all(v == 0 for v in nothing.totals.values()) and nothing.lines == []
    charge(book, "K-0000004", "salaer", 30_000, "agency")
    with book.begin() as conn:  # paid straight to Fjordnett: the salær is owed to the agency
        direct_payment(conn, "K-0000004", Decimal("1100.00"), on=date(2026, 2, 2),
                       as_of=date(2026, 2, 2))
        s = settle(conn, creditor_orgnr=FJORDNETT.orgnr, period="2026-02",
                   as_of=date(2026, 2, 28))
    assert (s.totals["payout_ore"], s.totals["invoice_ore"]) == (0, 30_000)
    reconciled(book)


def test_refused_settlements(book) -> None:  # type: ignore[no-untyped-def]
    with book.begin() as conn:
        with pytest.raises(KravError, match="ikke over"):
            settle(conn, creditor_orgnr=NORDLYS.orgnr, period="2026-01", as_of=date(2026, 1, 30))
        with pytest.raises(KravError, match="ugyldig periode"):
            settle(conn, creditor_orgnr=NORDLYS.orgnr, period="2026-13", as_of=END)
        with pytest.raises(KravError, match="ukjent oppdragsgiver"):
            settle(conn, creditor_orgnr="974760673", period="2026-01", as_of=END)


def test_reports_csv_and_pdf(book, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with book.begin() as conn:
        s = settle(conn, creditor_orgnr=NORDLYS.orgnr, period="2026-01", as_of=END)
    rows = list(csv.DictReader(io.StringIO(settlement_csv(s))))
    # K-0000001: creditor's share 1 038.00 less commission 100.00 and its VAT 25.00
    assert (rows[0]["ref"], rows[0]["vat"], rows[0]["to_creditor"]) == ("K-0000001", "25.00",
                                                                       "913.00")
    # commission 190.00 + VAT 47.50 + the agency's fee 100.00
    assert (rows[1]["vat"], rows[1]["to_creditor"]) == ("47.50", "-337.50")
    assert (rows[2]["ref"], rows[2]["vat"], rows[2]["to_creditor"]) == ("SUM", "72.50", "575.50")
    assert (rows[3]["ref"], rows[3]["to_creditor"]) == ("utbetales til oppdragsgiver", "575.50")
    paths = write_reports(s, tmp_path / "out", Agency())
    assert [p.suffix for p in paths] == [".csv", ".pdf"]
    text = "".join(page.extract_text() for page in PdfReader(paths[1]).pages)
    assert "Oppgjørsoppstilling" in text and "K-0000001" in text and NORDLYS.name in text


def test_reconciliation_reports_every_difference(book) -> None:  # type: ignore[no-untyped-def]
    with book.begin() as conn:
        conn.execute(insert(client_funds).values(on=END, kind="payout", amount_ore=-1_00,
                                                 text="feilføring"))
        conn.execute(update(client_funds).where(client_funds.c.kind == "bank_file")
                     .values(amount_ore=client_funds.c.amount_ore + 5))
    with book.connect() as conn:
        result = reconcile(conn)
    assert not result.ok and result.balance_ore - result.owed_ore == -95
    assert any(d.startswith("bankfil 1: klientkonto 1538.05") for d in result.differences)
    assert any("differanse -0.95" in d for d in result.differences)


def test_a_reversal_after_settlement_is_taken_back_next_period(book) -> None:  # type: ignore[no-untyped-def]
    with book.begin() as conn:
        settle(conn, creditor_orgnr=NORDLYS.orgnr, period="2026-01", as_of=END)
    feb = date(2026, 2, 3)
    data = write_ocr([OcrPayment(-153_800, claim(book, "K-0000001")["kid"], bank_date=feb,
                                 tx_type="18")], nets_date=feb, transmission=9)
    with book.begin() as conn:
        report = import_bank_file(conn, data.encode(), name="rev.txt", fmt="ocr", as_of=feb,
                                  now=datetime(2026, 2, 3))
    assert report.reversals == 1
    state = reconciled(book)  # the bank took 1 538.00 back; the creditor owes its share back
    assert state["balance"] == Decimal("-1538.00")
    assert (state["owed_to_creditors"], state["agency_unsettled"]) == (Decimal("-1038.00"),
                                                                     Decimal("-500.00"))
    with book.begin() as conn:
        s = settle(conn, creditor_orgnr=NORDLYS.orgnr, period="2026-02", as_of=date(2026, 2, 28))
    # -1 038.00 share, commission on -1 000.00 principal given back (+100.00) and the VAT on
    # it credited (+25.00): invoice 913.00
    assert (s.totals["collected_ore"], s.totals["commission_ore"]) == (-153_800, -10_000)
    assert s.totals["vat_ore"] == -2_500
    assert (s.totals["payout_ore"], s.totals["invoice_ore"]) == (0, 91_300)
    assert s.totals["agency_transfer_ore"] == -153_800
    reconciled(book)
