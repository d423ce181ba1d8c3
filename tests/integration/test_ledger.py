"""Payments through ``allocate_payments`` and corrections, on SQLite and PostgreSQL.

The book for most tests: a consumer claim of 1 000.00 due 2026-01-05 that got its reminder on
2026-01-19 (fee 38.00, interest 4.60 through that day, deadline 2026-02-02).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select, update
from tests.factories import (
    NORDLYS,
    add_payment,
    by_kind,
    claim,
    claim_row,
    import_claims,
    letters_of,
    postings_of,
    run_days,
    set_policy,
)

from krav.cases import service as cases
from krav.db.tables import claims, creditors, payments
from krav.kernel.errors import UnableToProceed
from krav.ledger.check import check
from krav.ledger.service import PaymentToAllocate, allocate_payments, reverse_payment

D = Decimal
REF = "K-0000001"


@pytest.fixture
def reminded(engine, tmp_path):  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row()])
    run_days(engine, date(2026, 1, 19), date(2026, 1, 19))
    return engine


def pay(engine, amount: str, paid_on: date, *, as_of: date | None = None,  # type: ignore[no-untyped-def]
        designation: str | None = None, ref: str = REF):
    pid, claim_id = add_payment(engine, ref, amount, paid_on, designation=designation)
    with engine.begin() as conn:
        summary = allocate_payments(conn, [PaymentToAllocate(
            payment_id=pid, claim_id=claim_id, amount=D(amount), paid_on=paid_on,
            designation=designation)], as_of=as_of or paid_on)
    return pid, summary


def balances(engine, ref: str = REF) -> dict[str, int]:  # type: ignore[no-untyped-def]
    totals: dict[str, int] = defaultdict(int)
    for p in postings_of(engine, ref):
        totals[p["component"]] += p["amount_ore"]
    return {k: v for k, v in totals.items() if v}


def paid_parts(engine, pid: int, ref: str = REF) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {p["component"]: p["amount_ore"] for p in postings_of(engine, ref)
            if p["payment_id"] == pid and p["kind"] == "payment"}


def healthy(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        assert check(conn) == []


def test_default_order_costs_then_interest_then_principal(reminded) -> None:  # type: ignore[no-untyped-def]
    pid, summary = pay(reminded, "500.00", date(2026, 1, 25))
    # interest crystallised to the payment date: 6 days on 1 000 at 12 % = 1.97
    interest = [p for p in postings_of(reminded) if p["kind"] == "interest"]
    assert [(p["on"], p["amount_ore"]) for p in interest] == [(date(2026, 1, 19), 460),
                                                             (date(2026, 1, 25), 197)]
    assert paid_parts(reminded, pid) == {"reminder_fee": -3800, "interest": -657,
                                         "principal": -45543}
    c = claim(reminded)
    assert (c["principal_ore"], c["interest_ore"], c["costs_ore"]) == (54457, 0, 0)
    assert c["interest_through"] == date(2026, 1, 25) and c["status"] == "open"
    assert (summary.payments, summary.part_paid, summary.closed) == (1, 1, 0)
    healthy(reminded)


def test_a_creditor_order_principal_first(reminded) -> None:  # type: ignore[no-untyped-def]
    with reminded.begin() as conn:
        conn.execute(update(creditors).where(creditors.c.orgnr == NORDLYS.orgnr)
                     .values(allocation_order="principal,interest,costs"))
    pid, _ = pay(reminded, "500.00", date(2026, 1, 25))
    assert paid_parts(reminded, pid) == {"principal": -50000}
    healthy(reminded)


def test_the_debtors_designation_is_honoured(reminded) -> None:  # type: ignore[no-untyped-def]
    pid, _ = pay(reminded, "1010.00", date(2026, 1, 25), designation="principal")
    assert paid_parts(reminded, pid) == {"principal": -100000, "reminder_fee": -1000}
    healthy(reminded)


def test_full_payment_closes_the_claim_and_stops_the_process(reminded) -> None:  # type: ignore[no-untyped-def]
    _, summary = pay(reminded, "1044.57", date(2026, 1, 25), as_of=date(2026, 1, 26))
    c = claim(reminded)
    assert (c["status"], c["close_reason"], c["closed_on"], c["next_action_on"]) == (
        "closed", "paid", date(2026, 1, 25), None)
    assert summary.closed == 1 and summary.rest_notices == 0
    assert balances(reminded) == {}
    run_days(reminded, date(2026, 1, 26), date(2026, 3, 1))
    assert [lt["kind"] for lt in letters_of(reminded)] == ["reminder"]
    healthy(reminded)


def test_a_part_payment_queues_a_rest_notice(reminded) -> None:  # type: ignore[no-untyped-def]
    pid, summary = pay(reminded, "200.00", date(2026, 1, 25), as_of=date(2026, 1, 27))
    assert summary.rest_notices == 1
    notice = by_kind(letters_of(reminded))["rest_notice"]
    assert len(notice) == 1
    n = notice[0]
    assert (n["step_key"], n["sent_on"], n["deadline"], n["fee_ore"], n["sender"]) == (
        f"rest_notice:{pid}", date(2026, 1, 27), date(2026, 2, 10), 0, "creditor")
    assert n["content"]["amounts"]["paid"] == "200.00"
    assert n["content"]["amounts"]["total"] == "844.57"
    assert claim(reminded)["status"] == "open"


@pytest.mark.parametrize("stop", ["dispute", "pause"])
def test_no_rest_notice_while_the_case_is_stopped(reminded, stop) -> None:  # type: ignore[no-untyped-def]
    with reminded.begin() as conn:
        if stop == "dispute":
            cases.dispute(conn, REF, on=date(2026, 1, 20), reason="Feil beløp")
        else:
            cases.pause(conn, REF, on=date(2026, 1, 20), until=None, reason="Utsettelse")
    _, summary = pay(reminded, "200.00", date(2026, 1, 25))
    assert summary.rest_notices == 0
    assert "rest_notice" not in [lt["kind"] for lt in letters_of(reminded)]
    assert claim(reminded)["principal_ore"] < 100000
    healthy(reminded)


def test_an_overpayment_is_recorded_as_owed_back(reminded) -> None:  # type: ignore[no-untyped-def]
    pid, summary = pay(reminded, "1100.00", date(2026, 1, 25))
    assert paid_parts(reminded, pid)["overpaid"] == -5543
    assert balances(reminded) == {"overpaid": -5543}
    assert summary.overpaid_ore == 5543 and summary.closed == 1
    assert claim(reminded)["close_reason"] == "paid"
    healthy(reminded)


def test_a_payment_to_a_closed_claim_is_owed_back_in_full(reminded) -> None:  # type: ignore[no-untyped-def]
    with reminded.begin() as conn:
        cases.withdraw(conn, REF, on=date(2026, 1, 20))
    pid, _ = pay(reminded, "300.00", date(2026, 1, 25))
    assert paid_parts(reminded, pid) == {"overpaid": -30000}
    assert claim(reminded)["close_reason"] == "withdrawn"
    assert [lt["kind"] for lt in letters_of(reminded)] == ["reminder"]  # no rest notice
    healthy(reminded)


def test_two_payments_in_one_chunk_are_booked_in_date_order(reminded) -> None:  # type: ignore[no-untyped-def]
    first, claim_id = add_payment(reminded, REF, "100.00", date(2026, 1, 22))
    second, _ = add_payment(reminded, REF, "944.57", date(2026, 1, 25))
    with reminded.begin() as conn:
        summary = allocate_payments(conn, [
            PaymentToAllocate(second, claim_id, D("944.57"), date(2026, 1, 25)),
            PaymentToAllocate(first, claim_id, D("100.00"), date(2026, 1, 22))],
            as_of=date(2026, 1, 26))
    # 100.00 on 01-22: fee 38.00 + interest 4.60 + 0.99 (3 days), principal 56.41
    assert paid_parts(reminded, first) == {"reminder_fee": -3800, "interest": -559,
                                           "principal": -5641}
    assert summary.payments == 2 and claim(reminded)["close_reason"] == "paid"
    # the second pays 943.59 principal and 0.93 interest (3 days on 943.59): 0.05 is owed back
    assert paid_parts(reminded, second) == {"interest": -93, "principal": -94359,
                                            "overpaid": -5}
    assert balances(reminded) == {"overpaid": -5}
    healthy(reminded)


def test_a_timely_payment_imported_late_reverses_the_costs_charged_after_it(reminded) -> None:  # type: ignore[no-untyped-def]
    """Paid on the reminder's deadline (02-02), booked after the inkassovarsel went out (02-03):
    no collection costs for a claim paid in time (INKL § 17 (3)), interest stops on 02-02."""
    run_days(reminded, date(2026, 1, 20), date(2026, 2, 4))
    assert claim(reminded)["stage"] == "collection_notice"
    owed_on_deadline = "1047.20"  # 1 000 + 38.00 + interest 14 + 14 days (4.60 + 4.60)
    pay(reminded, owed_on_deadline, date(2026, 2, 2), as_of=date(2026, 2, 5))
    c = claim(reminded)
    assert (c["status"], c["close_reason"], c["closed_on"]) == ("closed", "paid",
                                                                date(2026, 2, 2))
    assert balances(reminded) == {}
    reversals = {p["rule"]: p["amount_ore"] for p in postings_of(reminded)
                 if p["kind"] == "reversal"}
    assert reversals["INKL-17-betalt-i-tide"] == -3800
    assert reversals["FRL-3-rente-stoppet-ved-betaling"] == -33  # interest for 02-03
    healthy(reminded)


def test_a_part_payment_within_the_deadline_leaves_the_later_costs(reminded) -> None:  # type: ignore[no-untyped-def]
    run_days(reminded, date(2026, 1, 20), date(2026, 2, 4))
    pay(reminded, "500.00", date(2026, 2, 2), as_of=date(2026, 2, 5))
    fees = [p for p in postings_of(reminded) if p["kind"] == "collection_notice_fee"]
    assert fees[0]["amount_ore"] == 3800
    assert not [p for p in postings_of(reminded) if p["rule"] == "INKL-17-betalt-i-tide"]
    c = claim(reminded)
    assert c["status"] == "open" and c["stage"] == "collection_notice"
    # both fees were paid first (costs → interest → principal), the rest of the 500 on the debt
    assert c["costs_ore"] == 0 and c["principal_ore"] > 50000
    healthy(reminded)


def test_reverse_payment_undoes_exactly_its_payment(reminded) -> None:  # type: ignore[no-untyped-def]
    pay(reminded, "200.00", date(2026, 1, 25))
    before = balances(reminded)
    before_claim = claim(reminded)
    pid, _ = pay(reminded, "900.00", date(2026, 1, 28))
    assert claim(reminded)["status"] == "closed"
    with reminded.begin() as conn:
        reverse_payment(conn, payment_id=pid, on=date(2026, 2, 1))
    after = balances(reminded)
    # interest crystallised up to the payment date stays owed; everything else is as before
    assert {k: v for k, v in after.items() if k != "interest"} == \
        {k: v for k, v in before.items() if k != "interest"}
    c = claim(reminded)
    assert c["status"] == "open" and c["close_reason"] is None
    assert c["principal_ore"] == before_claim["principal_ore"]
    with reminded.connect() as conn:
        status = conn.execute(select(payments.c.status).where(payments.c.id == pid)).scalar_one()
    assert status == "reversed"
    with reminded.begin() as conn, pytest.raises(UnableToProceed):
        reverse_payment(conn, payment_id=pid, on=date(2026, 2, 1))
    healthy(reminded)


def test_reversing_a_timely_payment_restores_the_costs_it_cancelled(reminded) -> None:  # type: ignore[no-untyped-def]
    run_days(reminded, date(2026, 1, 20), date(2026, 2, 4))
    before = balances(reminded)
    pid, _ = pay(reminded, "1047.20", date(2026, 2, 2), as_of=date(2026, 2, 5))
    assert claim(reminded)["status"] == "closed"
    with reminded.begin() as conn:
        reverse_payment(conn, payment_id=pid, on=date(2026, 2, 6))  # the payment bounced
    assert balances(reminded) == before
    c = claim(reminded)
    assert (c["status"], c["costs_ore"]) == ("open", 7600)
    healthy(reminded)


def test_check_is_empty_on_a_healthy_book_and_reports_a_tampered_balance(reminded) -> None:  # type: ignore[no-untyped-def]
    pay(reminded, "100.00", date(2026, 1, 25))
    healthy(reminded)
    with reminded.begin() as conn:
        conn.execute(update(claims).where(claims.c.ref == REF)
                     .values(principal_ore=claims.c.principal_ore + 1))
    with reminded.connect() as conn:
        problems = check(conn)
    assert len(problems) == 1
    assert problems[0].startswith(REF) and "principal" in problems[0]


def test_check_reports_a_payment_whose_postings_do_not_add_up(reminded) -> None:  # type: ignore[no-untyped-def]
    pid, _ = pay(reminded, "100.00", date(2026, 1, 25))
    with reminded.begin() as conn:
        conn.execute(update(payments).where(payments.c.id == pid).values(amount_ore=10001))
    with reminded.connect() as conn:
        problems = check(conn)
    assert any(p.startswith(f"innbetaling {pid}") for p in problems)


def test_a_credit_note_reduces_the_principal(reminded) -> None:  # type: ignore[no-untyped-def]
    from krav.ledger.service import credit_note

    cid = claim(reminded)["id"]
    with reminded.begin() as conn:
        credit_note(conn, claim_id=cid, amount=D("400.00"), on=date(2026, 1, 21),
                    reason="Kreditnota 77")
    c = claim(reminded)
    assert (c["principal_ore"], c["status"]) == (60000, "open")
    with reminded.begin() as conn, pytest.raises(UnableToProceed):
        credit_note(conn, claim_id=cid, amount=D("600.01"), on=date(2026, 1, 21), reason="x")
    healthy(reminded)


def test_writing_everything_off_closes_the_claim_as_written_off(reminded) -> None:  # type: ignore[no-untyped-def]
    from krav.ledger.service import write_off

    cid = claim(reminded)["id"]
    with reminded.begin() as conn:
        for component, amount in (("reminder_fee", "38.00"), ("interest", "4.60"),
                                  ("principal", "1000.00")):
            write_off(conn, claim_id=cid, component=component, amount=D(amount),
                      on=date(2026, 1, 22), reason="Dødsbo uten midler")
    c = claim(reminded)
    assert (c["status"], c["close_reason"], c["closed_on"]) == ("closed", "written_off",
                                                                date(2026, 1, 22))
    assert balances(reminded) == {}
    healthy(reminded)


def test_a_write_off_larger_than_the_balance_is_refused(reminded) -> None:  # type: ignore[no-untyped-def]
    from krav.ledger.service import write_off

    cid = claim(reminded)["id"]
    before = balances(reminded)
    for component, amount in (("reminder_fee", "38.01"), ("salaer", "1.00"),
                              ("interest", "4.61")):
        with reminded.begin() as conn, pytest.raises(UnableToProceed):
            write_off(conn, claim_id=cid, component=component, amount=D(amount),
                      on=date(2026, 1, 22), reason="for mye")
    assert balances(reminded) == before
    healthy(reminded)


def test_a_payment_made_before_the_due_date_but_booked_late(reminded) -> None:  # type: ignore[no-untyped-def]
    """Interest only runs after the due date: the rest of the principal owes interest from
    2026-01-05, not from the payment date 2026-01-02."""
    pay(reminded, "100.00", date(2026, 1, 2), as_of=date(2026, 1, 25))
    c = claim(reminded)
    # 100.00 covered the fee (38.00) and 62.00 of the principal: 938.00 × 12 % × 14 / 365
    assert (c["principal_ore"], c["costs_ore"], c["interest_ore"]) == (93800, 0, 432)
    assert c["interest_through"] == date(2026, 1, 19)
    healthy(reminded)


def test_a_late_booked_payment_never_takes_back_a_cost_already_paid(reminded) -> None:  # type: ignore[no-untyped-def]
    """The fee (charged 01-19) was paid by a payment booked first; a small payment dated 01-18
    but booked afterwards is a part payment and must not cancel the paid fee (found by fuzzing:
    the fee went negative and the claim closed as paid with 34.57 unpaid). The creditor has
    turned the residual write-off off, so the rest stays owed."""
    set_policy(reminded, NORDLYS, {"residual_write_off": "0"})
    pay(reminded, "1000.00", date(2026, 1, 25))
    pay(reminded, "10.00", date(2026, 1, 18), as_of=date(2026, 1, 26))
    c = claim(reminded)
    assert (c["status"], c["principal_ore"], c["costs_ore"]) == ("open", 3457, 0)
    assert all(v >= 0 for k, v in balances(reminded).items())
    assert not [p for p in postings_of(reminded) if p["rule"] == "INKL-17-betalt-i-tide"]
    healthy(reminded)
