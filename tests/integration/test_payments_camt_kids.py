"""camt.054/053 files and instalment KIDs through the import, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from tests.factories import claim, claim_row, import_claims
from tests.unit.test_payments_camt import _tx, camt054, entry

from krav.kernel.errors import UnableToProceed
from krav.ledger.check import check
from krav.payments.instalments import instalment_kids_for
from krav.payments.kid import KidScheme, kid_for_instalment, validate_kid
from krav.payments.queue import find_claim, unmatched_queue
from krav.payments.reconcile import reconcile
from krav.payments.service import import_bank_file

AS_OF = date(2026, 1, 20)


def book(engine, data: bytes, fmt: str | None = None):  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        return import_bank_file(conn, data, name="bank.xml", fmt=fmt, as_of=AS_OF,
                                now=datetime(2026, 1, 20, 8))


def test_camt_notification_then_statement_books_each_payment_once(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(invoice="1", amount="1000.00"),
                                     claim_row(invoice="2", amount="500.00"),
                                     claim_row(invoice="3", amount="70.00")])
    k1, k2, k3 = (claim(engine, f"K-000000{n}")["kid"] for n in (1, 2, 3))
    notification = camt054([entry("1570.00", [
        _tx("1000.00", k1, ref="T1"),
        _tx("500.00", "", ref="T2", ustrd="Faktura 2 Nordlys Energi AS"),
        _tx("70.00", k3, ref="T3").replace("</RmtInf>", "<Strd><CdtrRefInf><Ref>" + k2 +
                                           "</Ref></CdtrRefInf></Strd></RmtInf>")],
        booked="2026-01-05", value="2026-01-05")])
    first = book(engine, notification)
    assert (first.format, first.matched, first.unmatched) == ("camt054", 2, 1)
    (queued,) = _queue(engine)
    assert queued["reason"] == "betalingen oppgir 2 KID-er"
    # both named; K-0000003 also owes exactly the amount
    assert [s["ref"] for s in queued["suggestions"]] == ["K-0000003", "K-0000002"]
    statement = notification.replace(b"camt.054", b"camt.053").replace(
        b"BkToCstmrDbtCdtNtfctn", b"BkToCstmrStmt").replace(b"Ntfctn>", b"Stmt>")
    second = book(engine, statement)
    assert (second.format, second.duplicates, second.matched) == ("camt053", 3, 0)
    with engine.connect() as conn:
        assert check(conn) == [] and reconcile(conn).ok


def _queue(engine) -> list[dict]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return unmatched_queue(conn)


def test_foreign_currency_is_not_booked_automatically(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(amount="1000.00")])
    data = camt054([entry("10.00", [_tx("10.00", claim(engine)["kid"], ref="T9")])])
    report = book(engine, data.replace(b'Ccy="NOK"', b'Ccy="EUR"'))
    assert report.unmatched == 1
    (queued,) = _queue(engine)
    assert queued["reason"].startswith("betalt i EUR, ikke i kroner")
    assert queued["currency"] == "EUR"


def test_instalments_get_their_own_kids_and_payments_find_the_claim(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(amount="1200.00")])
    claim_id = claim(engine)["id"]
    schedule = [(date(2026, 2, 1), Decimal("400.00")), (date(2026, 3, 1), Decimal("400.00")),
                (date(2026, 4, 1), Decimal("400.00"))]
    with engine.begin() as conn:
        kids = instalment_kids_for(conn, claim_id, schedule)
        assert instalment_kids_for(conn, claim_id, schedule) == kids  # idempotent
    claim_kid = claim(engine)["kid"]
    assert len(set(kids)) == 3 and claim_kid not in kids
    assert all(validate_kid(k, 10) and len(k) == len(claim_kid) + 2 for k in kids)
    report = book(engine, camt054([entry("400.00", [_tx("400.00", kids[1], ref="I2")],
                                         booked="2026-01-05", value="2026-01-05")]))
    assert report.matched == 1 and claim(engine)["principal_ore"] == 80_000
    with engine.connect() as conn:
        assert find_claim(conn, kids[2])["id"] == claim_id


def test_an_instalment_kid_may_not_be_another_claims_kid(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(amount="100.00")])
    claim_id = claim(engine)["id"]
    taken = kid_for_instalment(KidScheme(mod=10, length=10), claim_id, 1)
    import_claims(engine, tmp_path, [claim_row(invoice="2", amount="100.00", kid=taken)])
    with engine.begin() as conn, pytest.raises(UnableToProceed, match="allerede KID"):
        instalment_kids_for(conn, claim_id, [(date(2026, 2, 1), Decimal("50.00"))])
