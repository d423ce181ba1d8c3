"""The set-wise lane (``ledger.setwise``) books exactly what the general path books.

One book of claims that owe no costs, in every state the lane must tell apart, is paid once with
the set-wise lane and once with every payment down the general path (``setwise=False``); the
postings (in their order per claim), the claim rows, the events, the queued rest notices and
the summary must be identical. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from tests.conftest import _truncate_pg
from tests.factories import (
    FJORDNETT,
    NORDLYS,
    OLA,
    add_creditor,
    add_payment,
    claim_row,
    import_claims,
    run_days,
)

from krav.cases import service as cases
from krav.db.engine import ensure_schema, make_engine
from krav.db.tables import claims, events, letters, postings
from krav.ledger import service as ledger
from krav.ledger.check import check
from krav.ledger.service import PaymentToAllocate, allocate_payments

D = Decimal
DUE = date(2026, 1, 5)
REMINDED = date(2026, 1, 19)
PAID = date(2026, 1, 25)

# (creditor, invoice, principal, payments as (amount, paid_on, designation))
BOOK: list[tuple[Any, str, str, list[tuple[str, date, str | None]]]] = [
    (NORDLYS, "2001", "1000.00", [("1006.58", PAID, None)]),  # principal + 20 days' interest
    (NORDLYS, "2002", "1000.00", [("1000.00", PAID, None)]),  # interest first: a rest
    (NORDLYS, "2003", "2500.00", [("300.00", PAID, None)]),  # part payment
    (NORDLYS, "2004", "800.00", [("900.00", PAID, None)]),  # overpaid
    (NORDLYS, "2005", "640.00", [("640.00", DUE, None)]),  # on the due day: no interest
    (NORDLYS, "2006", "1200.00", [("1200.00", PAID, "principal")]),  # debtor's designation
    (NORDLYS, "2007", "1500.00", [("500.00", PAID, None), ("1100.00", PAID, None)]),  # two
    (NORDLYS, "2008", "700.00", [("100.00", PAID, None)]),  # paused: no rest notice
    (NORDLYS, "2009", "700.00", [("710.00", PAID, None)]),  # disputed, paid in full
    (NORDLYS, "2010", "450.00", [("450.00", date(2026, 1, 2), None)]),  # paid before due
    (FJORDNETT, "3001", "1000.00", [("1000.00", PAID, None)]),  # principal first: interest rest
    (FJORDNETT, "3002", "1000.00", [("1006.58", PAID, None)]),
    (FJORDNETT, "3003", "999.99", [("2000.00", PAID, "interest")]),
]


def _book_and_pay(engine: Engine, tmp_path: Path, *, setwise: bool, reminded: bool
                  ) -> dict[str, Any]:
    add_creditor(engine, NORDLYS)
    add_creditor(engine, FJORDNETT, allocation_order="principal,interest,costs")
    import_claims(engine, tmp_path, [
        claim_row(creditor=creditor, invoice=invoice, amount=amount, due=DUE,
                  **({"debtor_name": OLA.name, "debtor_id": OLA.national_id}
                     if creditor is FJORDNETT else {}))
        for creditor, invoice, amount, _ in BOOK])
    refs = {invoice: f"K-{i + 1:07d}" for i, (_, invoice, _, _) in enumerate(BOOK)}
    if reminded:  # every claim gets its reminder: a fee, and interest crystallised to that day
        run_days(engine, REMINDED, REMINDED)
    with engine.begin() as conn:
        cases.pause(conn, refs["2008"], on=date(2026, 1, 20), until=None, reason="Utsettelse")
        cases.dispute(conn, refs["2009"], on=date(2026, 1, 20), reason="Uenig")
    items = []
    for _, invoice, _, paid in BOOK:
        for amount, on, designation in paid:
            pid, claim_id = add_payment(engine, refs[invoice], amount, on,
                                        designation=designation)
            items.append(PaymentToAllocate(pid, claim_id, D(amount), on, designation))
    def rows(conn):  # type: ignore[no-untyped-def]
        return {r.id: r for r in conn.execute(select(claims))}

    with engine.connect() as conn:
        before = rows(conn)
    with engine.begin() as conn:
        summary = allocate_payments(conn, items, as_of=PAID, setwise=setwise)
    with engine.connect() as conn:
        assert check(conn) == []
        after = rows(conn)
        # a claim the payments changed has a later updated_at (both lanes; the API's
        # updated_since), one they left as it was keeps its own
        changed = {i for i in before if before[i].version != after[i].version}
        assert changed
        late = [(i, before[i].updated_at, after[i].updated_at) for i in changed
                if not after[i].updated_at > before[i].updated_at]
        assert not late, late
        assert all(after[i].updated_at == before[i].updated_at for i in set(before) - changed)
        return {
            "summary": asdict(summary),
            "postings": [tuple(r) for r in conn.execute(
                select(*[c for c in postings.c if c.name != "id"])
                .order_by(postings.c.claim_id, postings.c.id))],
            "claims": [tuple(r) for r in conn.execute(
                select(*[c for c in claims.c if c.name != "updated_at"])
                .order_by(claims.c.id))],
            "events": [tuple(r) for r in conn.execute(
                select(*[c for c in events.c if c.name != "id"])
                .order_by(events.c.claim_id, events.c.kind))],
            "letters": [tuple(r) for r in conn.execute(
                select(*[c for c in letters.c if c.name != "id"]).order_by(letters.c.claim_id))],
        }


def _fresh(db_url: str, tmp_path: Path, name: str) -> Engine:
    if db_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / name}"
        ensure_schema(make_engine(url))
        return make_engine(url)
    _truncate_pg(db_url)
    return make_engine(db_url)


@pytest.fixture
def lanes(monkeypatch) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """Per call of the set-wise lane: (payments it booked, payments it left to the general
    path)."""
    calls: list[tuple[int, int]] = []
    original = ledger.allocate_setwise

    def spy(conn, items, **kwargs):  # type: ignore[no-untyped-def]
        result = original(conn, items, **kwargs)
        calls.append((result.payments, len(result.rest)))
        return result

    monkeypatch.setattr(ledger, "allocate_setwise", spy)
    return calls


@pytest.mark.parametrize("reminded", [False, True], ids=["no-costs", "reminded"])
def test_setwise_lane_books_what_the_general_path_books(db_url, tmp_path, lanes, reminded
                                                        ) -> None:  # type: ignore[no-untyped-def]
    setwise = _book_and_pay(_fresh(db_url, tmp_path, "a.db"), tmp_path, setwise=True,
                            reminded=reminded)
    general = _book_and_pay(_fresh(db_url, tmp_path, "b.db"), tmp_path, setwise=False,
                            reminded=reminded)
    # The lane took every single payment on a claim that is not closed, dated on or after its
    # interest date. The general path took the claim with two payments, the payment before the
    # due date (interest_through is the due date) and, once reminded, the payment on the due
    # date (interest was crystallised to the reminder day since).
    assert lanes == ([(10, 4)] if reminded else [(11, 3)])
    if reminded:
        assert any(p[2] == "payment" and p[3] == "reminder_fee" for p in setwise["postings"])
    for part in ("summary", "postings", "claims", "events", "letters"):
        assert setwise[part] == general[part], part
    assert setwise["summary"]["closed"] > 0 and setwise["summary"]["rest_notices"] > 0
    assert setwise["summary"]["overpaid_ore"] > 0
    # rests below the default residual_write_off (100 kr: 2002, 3001) are written off alike
    assert [p[3] for p in setwise["postings"] if p[2] == "writeoff"]


@pytest.mark.parametrize("status", ["closed"])
def test_a_payment_to_a_closed_claim_takes_the_general_path(engine, tmp_path, status
                                                            ) -> None:  # type: ignore[no-untyped-def]
    add_creditor(engine, NORDLYS)
    import_claims(engine, tmp_path, [claim_row(invoice="4001", amount="100.00")])
    first, claim_id = add_payment(engine, "K-0000001", "100.00", DUE)
    second, _ = add_payment(engine, "K-0000001", "25.00", PAID)
    with engine.begin() as conn:
        allocate_payments(conn, [PaymentToAllocate(first, claim_id, D("100.00"), DUE)],
                          as_of=DUE)
        summary = allocate_payments(conn, [PaymentToAllocate(second, claim_id, D("25.00"),
                                                             PAID)], as_of=PAID)
        assert conn.execute(select(claims.c.status)).scalar_one() == status
        owed_back = conn.execute(select(postings.c.rule, postings.c.amount_ore)
                                 .where(postings.c.payment_id == second)).all()
    assert owed_back == [("overpaid-closed-claim", -2500)]
    assert summary.closed == 0


def test_a_bank_file_paying_claims_with_fees_is_booked_set_wise(engine, tmp_path, lanes
                                                                ) -> None:  # type: ignore[no-untyped-def]
    """The benchmark's book with a reminder fee on every claim: the import goes through the
    set-wise lane, covers the fee first, closes every claim and leaves a clean ledger."""
    from sqlalchemy import func

    from krav.payments import bench

    result = bench.bench_payments(engine, tmp_path, 250, as_of=date(2026, 3, 2), fees=True)
    assert result["transactions"] == 250
    assert lanes == [(250, 0)]
    with engine.connect() as conn:
        assert check(conn) == []
        fees_paid = conn.execute(select(func.count(), func.sum(postings.c.amount_ore)).where(
            postings.c.kind == "payment", postings.c.component == "reminder_fee")).one()
        owed = conn.execute(select(func.sum(claims.c.principal_ore + claims.c.interest_ore
                                            + claims.c.costs_ore))).scalar_one()
    assert tuple(fees_paid) == (250, -250 * bench.FEE_ORE)
    assert owed == 0
