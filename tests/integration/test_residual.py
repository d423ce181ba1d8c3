"""A few kroner are not a collection case (issue 8 part 4): the creditor's ``residual_write_off``.

The two scenarios of the issue, played through the real import, allocation and nightly run on
SQLite and PostgreSQL: a debtor who pays the invoice amount five days late, and one who pays the
inkassovarsel amount on its deadline. Before the write-off both went on to fees and salær over
interest of a few kroner.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from tests.factories import (
    NORDLYS,
    Krav,
    add_payment,
    claim,
    claim_row,
    events_of,
    import_claims,
    letters_of,
    postings_of,
    run_days,
    set_policy,
)

from krav.cli import common
from krav.db.tables import payments
from krav.kernel.errors import InvalidInput
from krav.ledger.check import check
from krav.ledger.model import COST_COMPONENTS
from krav.ledger.service import PaymentToAllocate, allocate_payments, reverse_payment

D = Decimal
DUE = date(2026, 1, 5)


def pay(engine, amount: str, paid_on: date, *, as_of: date | None = None) -> int:  # type: ignore[no-untyped-def]
    pid, claim_id = add_payment(engine, "K-0000001", amount, paid_on)
    with engine.begin() as conn:
        allocate_payments(conn, [PaymentToAllocate(pid, claim_id, D(amount), paid_on)],
                          as_of=as_of or paid_on)
    return pid


def healthy(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        assert check(conn) == []


def costs(engine) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    return [(p["kind"], p["amount_ore"]) for p in postings_of(engine)
            if p["component"] in COST_COMPONENTS and p["amount_ore"] > 0]


def test_paying_the_invoice_amount_five_days_late_closes_the_case_as_paid(
        engine, db_url, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(amount="1000.00", due=DUE)])
    run_days(engine, DUE, DUE + timedelta(days=5))
    pay(engine, "1000.00", DUE + timedelta(days=5), as_of=DUE + timedelta(days=6))
    run_days(engine, DUE + timedelta(days=6), date(2026, 5, 1))
    c = claim(engine)
    assert (c["status"], c["close_reason"], c["closed_on"]) == ("closed", "paid",
                                                                DUE + timedelta(days=5))
    assert costs(engine) == [] and letters_of(engine) == []
    interest = [p for p in postings_of(engine) if p["kind"] == "interest"]
    offs = [p for p in postings_of(engine) if p["kind"] == "writeoff"]
    # 1 000 kr for 5 days at 12 % → 1.64 kr of interest; the payment covered the interest
    # first, so 1.64 of the principal was left — and written off
    assert [p["amount_ore"] for p in interest] == [164]
    assert [(p["component"], p["amount_ore"], p["rule"]) for p in offs] == \
        [("principal", -164, "residual-write-off")]
    assert offs[0]["inputs"] == {"threshold": "100.00", "rest": "1.64"}
    assert offs[0]["reference"]
    closed = [e for e in events_of(engine) if e["kind"] == "closed"]
    assert [e["detail"] for e in closed] == [
        {"reason": "paid", "written_off": "1.64", "rule": "residual-write-off"}]
    healthy(engine)
    # krav case show says why the last 1,64 is gone, and that nothing is to pay
    common.console.width = 200
    try:
        text = Krav(db_url, capsys).ok("case", "show", "K-0000001", "--as-of", "2026-05-01")
    finally:
        common.console.width = 80
    assert "residual-write-off" in text and "rest 1,64 under 100,00" in text
    assert "Å betale i dag: 0,00" in text


def test_paying_the_inkassovarsel_amount_on_its_deadline_brings_no_payment_demand(
        engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(amount="1000.00", due=DUE)])
    run_days(engine, DUE, date(2026, 2, 10))
    notice = [lt for lt in letters_of(engine) if lt["kind"] == "collection_notice"]
    assert len(notice) == 1
    total, deadline = notice[0]["content"]["amounts"]["total"], notice[0]["deadline"]
    pay(engine, total, deadline)
    run_days(engine, deadline, date(2026, 6, 1))
    assert [lt["kind"] for lt in letters_of(engine)] == ["reminder", "collection_notice"]
    assert not [p for p in postings_of(engine) if p["kind"] in ("salaer", "payment_demand_fee")]
    c = claim(engine)
    assert (c["status"], c["close_reason"]) == ("closed", "paid")
    offs = [p for p in postings_of(engine) if p["kind"] == "writeoff"]
    assert offs and all(p["rule"] == "residual-write-off" for p in offs)
    assert D(offs[0]["inputs"]["rest"]) < 100
    healthy(engine)


def test_the_creditor_can_turn_the_write_off_off(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(amount="1000.00", due=DUE)])
    set_policy(engine, NORDLYS, {"residual_write_off": "0"})
    pay(engine, "1000.00", DUE + timedelta(days=5))
    run_days(engine, DUE + timedelta(days=6), date(2026, 1, 19))
    c = claim(engine)
    assert c["status"] == "open" and c["principal_ore"] == 164
    # (the rest notice dated the payment day went out the day after: made afresh then)
    assert [lt["kind"] for lt in letters_of(engine) if lt["status"] != "cancelled"] == [
        "rest_notice", "reminder"]
    assert not [p for p in postings_of(engine) if p["kind"] == "writeoff"]


def test_a_rest_above_the_threshold_stays_owed(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(amount="1000.00", due=DUE)])
    set_policy(engine, NORDLYS, {"residual_write_off": "1.50"})
    pay(engine, "1000.00", DUE + timedelta(days=5))
    assert claim(engine)["status"] == "open"  # 1.64 left, the creditor writes off below 1.50
    assert not [p for p in postings_of(engine) if p["kind"] == "writeoff"]


def test_reversing_the_payment_takes_the_write_off_back_and_reopens_the_case(engine, tmp_path
                                                                             ) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(amount="1000.00", due=DUE)])
    pid = pay(engine, "1000.00", DUE + timedelta(days=5))
    assert claim(engine)["status"] == "closed"
    with engine.begin() as conn:
        reverse_payment(conn, payment_id=pid, on=DUE + timedelta(days=8))
        assert conn.execute(select(payments.c.status)
                            .where(payments.c.id == pid)).scalar_one() == "reversed"
    c = claim(engine)
    assert (c["status"], c["principal_ore"]) == ("open", 100000)
    healthy(engine)


def test_a_rest_left_before_the_threshold_was_set_is_written_off_by_the_nightly_run(
        engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A payment booked while the write-off was off left 1.64; the creditor then sets 100 kr:
    the next run day with a step due writes the rest off (interest to that day included)
    instead of sending the reminder."""
    import_claims(engine, tmp_path, [claim_row(amount="1000.00", due=DUE)])
    set_policy(engine, NORDLYS, {"residual_write_off": "0"})
    pay(engine, "1000.00", DUE + timedelta(days=5))
    set_policy(engine, NORDLYS, None)  # the default: 100.00
    run_days(engine, DUE + timedelta(days=6), date(2026, 4, 1))
    c = claim(engine)
    assert (c["status"], c["close_reason"], c["closed_on"]) == ("closed", "paid",
                                                                date(2026, 1, 19))
    assert [lt["kind"] for lt in letters_of(engine) if lt["status"] != "cancelled"] == [
        "rest_notice"]
    assert costs(engine) == []
    offs = [(p["on"], p["component"]) for p in postings_of(engine) if p["kind"] == "writeoff"]
    assert offs == [(date(2026, 1, 19), "principal")]
    assert [e["detail"]["reason"] for e in events_of(engine) if e["kind"] == "closed"] == ["paid"]
    healthy(engine)


@pytest.mark.parametrize("value", ["-1.00", "12,50", True, [], "1.234"])
def test_a_bad_residual_write_off_is_refused_naming_the_field(value) -> None:  # type: ignore[no-untyped-def]
    from krav.cases.policy import policy_from_json

    with pytest.raises(InvalidInput) as err:
        policy_from_json({"residual_write_off": value})
    assert "residual_write_off" in str(err.value)


def test_the_policy_carries_the_threshold(engine) -> None:  # type: ignore[no-untyped-def]
    from krav.cases.policy import DEFAULT_POLICY, policy_from_json

    assert DEFAULT_POLICY.residual_write_off == D("100.00")
    assert policy_from_json({"residual_write_off": "0"}).residual_write_off == 0
    assert policy_from_json({"residual_write_off": 250}).to_json()["residual_write_off"] == \
        "250.00"


def test_set_policy_takes_the_threshold_and_refuses_a_negative_one(engine, db_url, capsys,
                                                                   tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from tests.factories import add_creditor, table_counts

    krav = Krav(db_url, capsys)
    add_creditor(engine, NORDLYS)
    bad, good = tmp_path / "bad.json", tmp_path / "good.json"
    bad.write_text(json.dumps({"residual_write_off": "-5.00"}))
    good.write_text(json.dumps({"residual_write_off": "250"}))
    before = table_counts(engine)
    code, out, err = krav("creditor", "set-policy", NORDLYS.orgnr, str(bad))
    assert code != 0 and err.count("\n") == 1 and "residual_write_off" in err
    assert table_counts(engine) == before
    krav.ok("creditor", "set-policy", NORDLYS.orgnr, str(good))
    [row] = krav.json("creditor", "list")
    assert row["policy"]["residual_write_off"] == "250.00"
