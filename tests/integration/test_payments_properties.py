"""Property: importing any bank file never creates or loses an øre (SQLite and PostgreSQL).

For random claims and random files of payments (any amount, any date around the due date, the
debtor's designation or none, several payments on one claim, payments nobody can identify, OCR
or CSV), after the import:
- every booked payment's money postings add up to exactly its amount;
- the ledger is consistent (``ledger.check``);
- the client-funds account equals what is owed to creditors, the agency and debtors.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from tests.factories import claim_row, import_claims

from krav.db.tables import claims, payments, postings
from krav.ledger.check import check
from krav.payments.formats.ocr_writer import OcrPayment, write_ocr
from krav.payments.reconcile import reconcile
from krav.payments.service import import_bank_file

DUE = date(2026, 2, 2)
_batch = itertools.count(1)

payment = st.tuples(
    st.integers(min_value=0, max_value=4),  # which claim (4 = nobody's KID)
    st.integers(min_value=1, max_value=400_000),  # øre
    st.integers(min_value=-20, max_value=60),  # days from the due date
    st.sampled_from([None, "costs", "interest", "principal"]),
)


def _file(kids: list[str], items: list[tuple], as_csv: bool, batch: int) -> tuple[bytes, str]:
    if as_csv:
        rows = ["paid_on,amount,kid,designation,external_id"]
        for n, (which, ore, days, designation) in enumerate(items):
            kid = kids[which] if which < len(kids) else "0000000018"
            rows.append(f"{DUE + timedelta(days=days)},{ore // 100}.{ore % 100:02d},{kid},"
                        f"{designation or ''},b{batch}-{n}")
        return ("\n".join(rows) + "\n").encode(), "csv"
    ocr = [OcrPayment(ore, kids[which] if which < len(kids) else "0000000018",
                      bank_date=DUE + timedelta(days=days)) for which, ore, days, _ in items]
    return write_ocr(ocr, nets_date=DUE + timedelta(days=61), transmission=batch,
                     assignment=batch).encode(), "ocr"


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(principals=st.lists(st.integers(min_value=100, max_value=300_000), min_size=1,
                           max_size=4),
       items=st.lists(payment, min_size=1, max_size=12), as_csv=st.booleans())
def test_an_import_never_creates_or_loses_an_ore(engine, tmp_path, principals, items,  # type: ignore[no-untyped-def]
                                                 as_csv) -> None:
    batch = next(_batch)
    import_claims(engine, tmp_path, [
        claim_row(invoice=f"P{batch}-{i}", amount=f"{p // 100}.{p % 100:02d}", due=DUE)
        for i, p in enumerate(principals)], as_of=DUE)
    with engine.connect() as conn:
        kids = list(conn.execute(select(claims.c.kid).where(
            claims.c.invoice_number.like(f"P{batch}-%")).order_by(claims.c.id)).scalars())
    data, fmt = _file(kids, items, as_csv, batch)
    as_of = DUE + timedelta(days=62)
    with engine.begin() as conn:
        report = import_bank_file(conn, data, name=f"b{batch}", fmt=fmt, as_of=as_of,
                                  now=datetime(2026, 4, 5))
    assert report.matched + report.unmatched == len(items)
    with engine.connect() as conn:
        booked = conn.execute(select(payments.c.id, payments.c.amount_ore).where(
            payments.c.status == "matched", payments.c.external_id.is_not(None))).all()
        for pid, amount in booked:
            parts = conn.execute(select(postings.c.amount_ore).where(
                postings.c.payment_id == pid, postings.c.kind == "payment")).scalars().all()
            assert -sum(parts) == amount
        assert check(conn) == []
        result = reconcile(conn)
        assert result.ok, result.as_json()
