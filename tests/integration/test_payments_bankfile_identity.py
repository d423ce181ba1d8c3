"""Issue 8 part 6 and 11: camt transactions that share a bank reference, old identities, and
payments in another currency — through the import, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select
from tests.factories import claim, claim_row, import_claims
from tests.unit.test_payments_camt import _tx, camt054, entry

from krav.db.tables import payments
from krav.kernel.errors import UnableToProceed
from krav.ledger.check import check
from krav.payments.formats.camt import parse_camt
from krav.payments.queue import assign_payment, refund_payment, unmatched_queue
from krav.payments.reconcile import reconcile
from krav.payments.service import import_bank_file
from krav.payments.tables import client_funds

AS_OF = date(2026, 1, 20)


def book(engine, data: bytes, name: str = "bank.xml"):  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        return import_bank_file(conn, data, name=name, fmt=None, as_of=AS_OF,
                                now=datetime(2026, 1, 20, 8))


def _balance(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.sum(client_funds.c.amount_ore), 0))
                                ).scalar_one())


def _amounts(engine) -> list[int]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return sorted(conn.execute(select(payments.c.amount_ore)).scalars())


def test_oca_sample_books_both_payments_under_one_reference(engine, samples: str) -> None:  # type: ignore[no-untyped-def]
    with open(os.path.join(samples, "camt", "oca-bank-statement-import_camt053-txdtls.xml"),
              "rb") as f:
        data = f.read()
    report = book(engine, data)
    assert (report.transactions, report.duplicates, report.unmatched) == (2, 0, 2)
    assert (report.total_ore, report.foreign) == (0, 2)  # the total is in NOK
    assert _amounts(engine) == [129_600, 218_700]
    # CHF: queued for a person, outside the NOK client-funds account and its reconciliation
    assert _balance(engine) == 0
    assert {q["currency"] for q in _queue(engine)} == {"CHF"}
    with engine.connect() as conn:
        assert reconcile(conn).ok and check(conn) == []
    again = book(engine, data.replace(b"<AddtlInf>Test</AddtlInf>", b"<AddtlInf>2</AddtlInf>"),
                 name="same-transactions-other-file.xml")
    assert (again.duplicates, again.unmatched) == (2, 0)


def test_nok_payments_under_one_reference_are_both_matched(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(invoice="1", amount="2187.00"),
                                     claim_row(invoice="2", amount="1296.00")])
    k1, k2 = claim(engine, "K-0000001")["kid"], claim(engine, "K-0000002")["kid"]
    data = camt054([entry("3483.00", [_tx("2187.00", k1, ref="SAME"),
                                      _tx("1296.00", k2, ref="SAME")], booked="2026-01-05",
                          value="2026-01-05")])
    report = book(engine, data)
    assert (report.matched, report.duplicates) == (2, 0)
    assert _balance(engine) == 348_300
    assert claim(engine, "K-0000002")["status"] == "closed"
    statement = data.replace(b"camt.054", b"camt.053").replace(
        b"BkToCstmrDbtCdtNtfctn", b"BkToCstmrStmt").replace(b"Ntfctn>", b"Stmt>")
    assert book(engine, statement).duplicates == 2  # the day's statement books nothing twice
    with engine.connect() as conn:
        assert reconcile(conn).ok and check(conn) == []


def test_a_database_from_before_the_change_books_nothing_twice(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Before issue 8 the first payment was stored as ``camt:<account>:<ref>`` and the second
    was dropped; a later file books the dropped one and not the stored one again."""
    import_claims(engine, tmp_path, [claim_row(invoice="1", amount="5000.00")])
    kid = claim(engine)["kid"]
    data = camt054([entry("12.00", [_tx("5.00", kid, ref="R1"), _tx("7.00", kid, ref="R1")],
                          booked="2026-01-05", value="2026-01-05")])
    parsed = parse_camt(data)
    old_id = parsed.aliases[parsed.transactions[0].external_id]
    assert old_id == "camt:15032080119:R1"
    with engine.begin() as conn:
        conn.execute(insert(payments).values(
            source="camt054", external_id=old_id, paid_on=date(2026, 1, 5), amount_ore=500,
            kid=kid, status="unmatched"))
    report = book(engine, data)
    assert (report.duplicates, report.transactions) == (1, 2)
    assert _amounts(engine) == [500, 700]


def test_foreign_payment_stays_out_of_nok_sums(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(amount="1000.00")])
    kid = claim(engine)["kid"]
    day = {"booked": "2026-01-05", "value": "2026-01-05"}
    data = camt054([entry("10.00", [_tx("10.00", kid, ref="N1")], **day),
                    entry("99.00", [_tx("99.00", kid, ref="E1")], ref="E2", **day)])
    data = data.replace(b'<Amt Ccy="NOK">99.00</Amt>', b'<Amt Ccy="EUR">99.00</Amt>')
    report = book(engine, data)
    assert (report.matched, report.unmatched) == (1, 1)
    assert _balance(engine) == 1_000  # only the NOK payment entered the client-funds account
    with engine.connect() as conn:
        assert reconcile(conn).ok
    (queued,) = _queue(engine)
    with engine.begin() as conn, pytest.raises(UnableToProceed, match="er i EUR"):
        assign_payment(conn, queued["payment"], "K-0000001", on=AS_OF)
    with engine.begin() as conn:
        assert refund_payment(conn, queued["payment"], on=AS_OF) == Decimal("99.00")
    assert _balance(engine) == 1_000 and _queue(engine) == []
    with engine.connect() as conn:
        assert reconcile(conn).ok


def _queue(engine) -> list[dict]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return unmatched_queue(conn)
