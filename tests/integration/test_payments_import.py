"""``import_bank_file`` end to end on SQLite and PostgreSQL: matching, booking, idempotency,
the unmatched queue, reversals, and bad files that book nothing."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from tests.factories import (
    BYGG,
    NORDLYS,
    OLA,
    claim,
    claim_row,
    import_claims,
    letters_of,
    postings_of,
    run_days,
    table_counts,
)

from krav.db.tables import payments
from krav.kernel.errors import KravError
from krav.ledger.check import check
from krav.payments.formats.ocr import parse_ocr
from krav.payments.formats.ocr_writer import OcrPayment, write_ocr
from krav.payments.queue import assign_payment, refund_payment, unmatched_queue
from krav.payments.reconcile import reconcile
from krav.payments.service import import_bank_file
from krav.payments.tables import client_funds, payment_suggestions, unmatched_reasons

AS_OF = date(2026, 1, 20)
DUE = date(2026, 1, 5)


def book(engine, data: bytes | str, *, name: str = "bank.txt", fmt: str | None = None,  # type: ignore[no-untyped-def]
         as_of: date = AS_OF):
    raw = data.encode("latin-1") if isinstance(data, str) else data
    with engine.begin() as conn:
        return import_bank_file(conn, raw, name=name, fmt=fmt, as_of=as_of,
                                now=datetime.combine(as_of, datetime.min.time()))


def counts(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    extra = (client_funds, unmatched_reasons, payment_suggestions)
    with engine.connect() as conn:
        return {**table_counts(engine), **{t.name: conn.execute(
            select(func.count()).select_from(t)).scalar_one() for t in extra}}


def healthy(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        assert check(conn) == []
        result = reconcile(conn)
        assert result.differences == [] and result.ok, result.as_json()


def queue_of(engine) -> list[dict]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return unmatched_queue(conn)


def kid_of(engine, ref: str) -> str:  # type: ignore[no-untyped-def]
    return claim(engine, ref)["kid"]


def test_the_public_sample_pays_twenty_claims_once(engine, tmp_path, samples) -> None:  # type: ignore[no-untyped-def]
    path = os.path.join(samples, "ocr-giro", "python-netsgiro_ocr_giro_transactions.txt")
    with open(path, "rb") as f:
        data = f.read()
    txs = parse_ocr(data.decode("latin-1")).transactions
    import_claims(engine, tmp_path, [
        claim_row(invoice=f"S{n}", amount=str(t.amount), kid=t.kid, due=t.paid_on,
                  invoice_date=t.paid_on - timedelta(days=14))
        for n, t in enumerate(txs, start=1)])
    report = book(engine, data, name=path)
    assert (report.transactions, report.matched, report.unmatched, report.closed) == (20, 20, 0, 20)
    assert report.as_json()["total"] == Decimal("51449.00")
    assert all(claim(engine, f"K-{n:07d}")["status"] == "closed" for n in range(1, 21))
    healthy(engine)
    before = counts(engine)
    again = book(engine, data, name="same-file-again.txt")
    assert again.already_imported and again.duplicates == 20 and again.matched == 0
    assert counts(engine) == before


def test_free_text_sample_waits_in_the_queue_with_suggestions(engine, tmp_path,  # type: ignore[no-untyped-def]
                                                               samples) -> None:
    import_claims(engine, tmp_path, [claim_row(invoice="A1", amount="440.00"),
                                     claim_row(invoice="A2", amount="999.00", debtor=OLA)])
    with open(os.path.join(samples, "ocr-giro", "java-netsgiro_ocr3_type21_freetext.txt"),
              "rb") as f:
        report = book(engine, f.read())
    assert (report.matched, report.unmatched) == (0, 1)
    (queued,) = queue_of(engine)
    assert queued["amount"] == Decimal("440.00") and queued["kid"] == ""
    assert queued["reason"].startswith("ingen KID")
    assert [s["ref"] for s in queued["suggestions"]] == ["K-0000001"]
    assert queued["suggestions"][0]["reason"] == "samme beløp"
    healthy(engine)


def test_the_same_transaction_in_another_file_is_a_duplicate(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(invoice="1"), claim_row(invoice="2")])
    first = OcrPayment(100_000, kid_of(engine, "K-0000001"), bank_date=DUE)
    second = OcrPayment(100_000, kid_of(engine, "K-0000002"), bank_date=DUE)
    book(engine, write_ocr([first], nets_date=DUE, transmission=1))
    report = book(engine, write_ocr([first, second], nets_date=DUE, transmission=2),
                  name="next.txt")
    assert (report.transactions, report.duplicates, report.matched) == (2, 1, 1)
    # Nets numbers each transaction: the same amount and KID twice are two payments.
    third = book(engine, write_ocr([first, first], nets_date=DUE, transmission=3))
    assert (third.duplicates, third.matched) == (1, 1)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(payments)).scalar_one() == 3
    healthy(engine)


def test_text_with_invoice_number_and_creditor_matches(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(invoice="F-77", amount="500.00"),
                                     claim_row(invoice="F-78", amount="500.00")])
    text = write_ocr([
        OcrPayment(50_000, tx_type="21", text=f"Faktura F-77 {NORDLYS.orgnr}", bank_date=DUE),
        OcrPayment(50_000, tx_type="21", text="faktura F-78 (nordlys energi as)", bank_date=DUE),
        OcrPayment(50_000, tx_type="21", text="F-78", bank_date=DUE)], nets_date=DUE)
    report = book(engine, text)
    assert (report.matched, report.unmatched) == (2, 1)
    assert claim(engine, "K-0000001")["status"] == "closed"
    (queued,) = queue_of(engine)
    assert queued["reason"] == "fakturanummer i teksten, men ikke oppdragsgiveren"
    assert queued["suggestions"][0]["ref"] == "K-0000002"


def test_part_payment_reduces_the_claim_and_queues_a_rest_notice(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(amount="1000.00")])
    report = book(engine, write_ocr([OcrPayment(40_000, kid_of(engine, "K-0000001"),
                                                bank_date=DUE)], nets_date=DUE))
    assert (report.matched, report.closed, report.rest_notices) == (1, 0, 1)
    assert claim(engine)["principal_ore"] == 60_000 and claim(engine)["status"] == "open"
    assert [x["kind"] for x in letters_of(engine)] == ["rest_notice"]
    healthy(engine)


def test_overpayment_and_payment_to_a_closed_claim_are_owed_back(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(amount="1000.00")])
    kid = kid_of(engine, "K-0000001")
    book(engine, write_ocr([OcrPayment(120_000, kid, bank_date=DUE)], nets_date=DUE))
    book(engine, write_ocr([OcrPayment(5_000, kid, bank_date=DUE + timedelta(days=3))],
                           nets_date=DUE + timedelta(days=3), transmission=2))
    overpaid = [p for p in postings_of(engine) if p["component"] == "overpaid"]
    assert sorted(p["amount_ore"] for p in overpaid) == [-20_000, -5_000]
    healthy(engine)
    with engine.begin() as conn:
        assert refund_payment(conn, 1, on=AS_OF) == Decimal("200.00")
        with pytest.raises(KravError, match="ingenting å betale tilbake"):
            refund_payment(conn, 1, on=AS_OF)
    healthy(engine)
    with engine.connect() as conn:
        assert reconcile(conn).as_json()["owed_to_debtors"] == Decimal("50.00")


def test_a_reversal_undoes_exactly_its_payment(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(amount="1000.00")])
    kid = kid_of(engine, "K-0000001")
    book(engine, write_ocr([OcrPayment(100_000, kid, bank_date=DUE)], nets_date=DUE))
    assert claim(engine)["status"] == "closed"
    later = DUE + timedelta(days=2)
    report = book(engine, write_ocr([OcrPayment(-100_000, kid, bank_date=later, tx_type="18")],
                                    nets_date=later, transmission=2))
    assert report.reversals == 1 and report.unmatched == 0
    assert claim(engine)["status"] == "open" and claim(engine)["principal_ore"] == 100_000
    with engine.connect() as conn:
        statuses = {pid: st for pid, st in conn.execute(select(payments.c.id, payments.c.status))}
    assert statuses == {1: "reversed", 2: "reversal"}
    healthy(engine)


def test_a_reversal_of_an_unknown_payment_is_queued(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(amount="1000.00")])
    report = book(engine, write_ocr([OcrPayment(-7_000, kid_of(engine, "K-0000001"),
                                                tx_type="18")],
                                    nets_date=DUE))
    assert (report.reversals, report.unmatched) == (0, 1)
    assert queue_of(engine)[0]["reason"].startswith("tilbakeføring uten")
    healthy(engine)


def test_queue_assign_and_refund(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(amount="1000.00"),
                                     claim_row(invoice="2", amount="300.00", debtor=BYGG)])
    report = book(engine, write_ocr([OcrPayment(100_000, "99999999999", bank_date=DUE),
                                     OcrPayment(12_300, "", tx_type="21", text="hei")],
                                    nets_date=DUE))
    assert report.unmatched == 2
    queue = queue_of(engine)
    assert queue[0]["reason"] == "ukjent KID 99999999999"
    with engine.begin() as conn:
        summary = assign_payment(conn, queue[0]["payment"], "K-0000001", on=AS_OF)
        refund_payment(conn, queue[1]["payment"], on=AS_OF)
    assert summary.closed == 1 and claim(engine)["status"] == "closed"
    assert queue_of(engine) == []
    with engine.begin() as conn, pytest.raises(KravError, match="står ikke i køen"):
        assign_payment(conn, queue[0]["payment"], "K-0000002", on=AS_OF)
    healthy(engine)


def test_a_timely_payment_imported_late_counts_in_time(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """law-no.md § 8: the reminder (fee 38.00) came on 2026-01-19; the bank says the debtor
    paid on 2026-01-18, but the file arrives on 2026-01-22."""
    import_claims(engine, tmp_path, [claim_row(amount="1000.00")])
    run_days(engine, date(2026, 1, 19), date(2026, 1, 19))
    assert any(p["kind"] == "reminder_fee" for p in postings_of(engine))
    paid = date(2026, 1, 18)
    book(engine, write_ocr([OcrPayment(110_000, kid_of(engine, "K-0000001"), bank_date=paid)],
                           nets_date=date(2026, 1, 22)), as_of=date(2026, 1, 22))
    rows = postings_of(engine)
    fee = sum(p["amount_ore"] for p in rows if p["component"] == "reminder_fee")
    assert fee == 0 and claim(engine)["status"] == "closed"
    assert all(p["on"] == paid for p in rows if p["kind"] == "payment")
    healthy(engine)


def test_csv_by_kid_and_by_creditor_and_invoice(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(invoice="F1", amount="100.00"),
                                     claim_row(invoice="F2", amount="200.00")])
    data = (f"paid_on,amount,kid,invoice_number,creditor_orgnr\n"
            f"2026-01-05,100.00,{kid_of(engine, 'K-0000001')},,\n"
            f"2026-01-05,200.00,,F2,{NORDLYS.orgnr}\n"
            f"2026-01-05,5.00,,F9,{NORDLYS.orgnr}\n").encode()
    report = book(engine, data, name="inn.csv", fmt="csv")
    assert (report.format, report.matched, report.unmatched, report.closed) == ("csv", 2, 1, 2)
    assert queue_of(engine)[0]["reason"] == f"fant ikke faktura F9 for " \
        f"{NORDLYS.orgnr}"
    healthy(engine)


@pytest.mark.parametrize("data,fmt", [
    (b"paid_on,amount,kid\n2026-01-05,100.00,0000531\n2026-01-05,1.001,0000531\n", "csv"),
    (write_ocr([OcrPayment(100, "0000531")], nets_date=DUE)[:-90].encode(), None),
    (b"<Document><Foo/></Document>", None),
    (b'<?xml version="1.0"?><Document><BkToCstmrStmt><Stmt><Ntry>', "camt053"),
])
def test_a_bad_file_books_nothing(engine, tmp_path, data: bytes, fmt: str | None) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(amount="1000.00", kid="0000531")])
    before = counts(engine)
    with pytest.raises(KravError):
        book(engine, data, fmt=fmt)
    assert counts(engine) == before


def test_a_clash_with_a_concurrent_import_is_one_clear_error(engine, tmp_path,  # type: ignore[no-untyped-def]
                                                             monkeypatch) -> None:
    """Two imports of the same transactions at once: the unique identity stops the second;
    it is reported as one line and rolled back whole (simulated: the duplicate check is
    blinded, as if the other import had not committed yet when it ran)."""
    import krav.payments.service as service

    import_claims(engine, tmp_path, [claim_row(amount="1000.00")])
    payment = OcrPayment(100_000, kid_of(engine, "K-0000001"), bank_date=DUE)
    book(engine, write_ocr([payment], nets_date=DUE))
    before = counts(engine)
    monkeypatch.setattr(service, "_fresh", lambda conn, chunk, seen, aliases: list(chunk))
    with pytest.raises(KravError, match="en annen import"):
        book(engine, write_ocr([payment], nets_date=DUE, transmission=2))
    assert counts(engine) == before


def test_an_import_reports_progress_after_each_chunk(engine, tmp_path, monkeypatch
                                                     ) -> None:  # type: ignore[no-untyped-def]
    from krav.payments import bench
    from krav.payments import service as payments_service

    paid_on = date(2026, 3, 1)
    bench.build_claims(engine, 5, paid_on=paid_on)
    path = tmp_path / "five.txt"
    bench.write_file(path, 5, paid_on=paid_on)
    monkeypatch.setattr(payments_service, "CHUNK", 2)
    calls: list[tuple[int, int]] = []
    with engine.begin() as conn:
        report = payments_service.import_bank_file(
            conn, path.read_bytes(), name=path.name, fmt=None, as_of=paid_on,
            now=datetime(2026, 3, 1), progress=lambda done, total: calls.append((done, total)))
    assert report.matched == 5 and report.closed == 5
    assert calls == [(2, 5), (4, 5), (5, 5)]
