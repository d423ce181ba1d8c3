"""Delivery is state (issue 8, parts 2 and 3), on SQLite and PostgreSQL.

A fee and a deadline count only for a letter that went out (INKL § 9, INKF § 1-2): the next step
waits until the letter before it was sent (print: when the print file is marked handed), a
letter that cannot be sent has its fee reversed and its case waits in the needs-attention queue,
and no stale letter goes out — it is cancelled and made afresh with new dates from current data.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select, update
from tests.factories import (
    Krav,
    add_creditor,
    add_payment,
    claim,
    claim_row,
    events_of,
    import_claims,
    letters_of,
    postings_of,
    run_days,
)
from tests.letters_support import free_port

from krav.cases import service
from krav.db.tables import debtors, letters
from krav.engine.plan import after_deadline
from krav.engine.run import run_nightly
from krav.ledger.check import check
from krav.ledger.service import PaymentToAllocate, allocate_payments
from krav.letters import outbox
from krav.letters.channels import Channels
from krav.letters.delivery import FEE_RULE, needs_attention, refresh
from krav.letters.dispatch import DispatchConfig, dispatch_batch
from krav.letters.email import SmtpChannel
from krav.letters.printing import mark_handed, print_batch
from krav.letters.tracking import mark_returned

D1 = date(2026, 1, 19)  # the reminder's day for a claim due 2026-01-05
ONE_TRY = DispatchConfig(max_attempts=1)


def at(day: date) -> datetime:
    return datetime.combine(day, time(9))


def _setup(engine, tmp_path, **row) -> None:  # type: ignore[no-untyped-def]
    add_creditor(engine)
    import_claims(engine, tmp_path, [claim_row(**row)])
    run_nightly(engine, as_of=D1)


def _setup_on(engine, tmp_path, day: date, **row) -> None:  # type: ignore[no-untyped-def]
    add_creditor(engine)
    import_claims(engine, tmp_path, [claim_row(**row)])
    run_nightly(engine, as_of=day)


def pay(engine, amount: str, day: date) -> None:  # type: ignore[no-untyped-def]
    """A payment booked through the ledger's allocation (as a bank import does)."""
    pid, claim_id = add_payment(engine, "K-0000001", amount, day)
    with engine.begin() as conn:
        allocate_payments(conn, [PaymentToAllocate(payment_id=pid, claim_id=claim_id,
                                                   amount=Decimal(amount), paid_on=day)],
                          as_of=day)


def _kinds(engine) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(lt["kind"], lt["status"]) for lt in letters_of(engine)]


def _fees(engine) -> list[tuple[date, str, int, str]]:  # type: ignore[no-untyped-def]
    return [(p["on"], p["kind"], p["amount_ore"], p["rule"]) for p in postings_of(engine)
            if p["component"] == "reminder_fee"]


def test_a_parked_reminder_has_its_fee_reversed_and_the_case_waits(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _setup(engine, tmp_path)
    with engine.begin() as conn:  # e-mail with consent, but the mail server is down
        conn.execute(update(debtors).values(email_consent=True))
    channels = Channels(email=SmtpChannel(host="127.0.0.1", port=free_port(),
                                          sender="post@krav.example", timeout=2))
    assert dispatch_batch(engine, channels, now=at(D1), config=ONE_TRY).outcomes == {"parked": 1}
    assert _fees(engine) == [(D1, "reminder_fee", 3800, "INKF-1-2-purregebyr"),
                             (D1, "reversal", -3800, FEE_RULE)]
    c = claim(engine)
    assert (c["costs_ore"], c["fee_letters"], c["recovery_costs_ore"]) == (0, 0, 0)
    # the next runs send no inkassovarsel: the reminder never went out
    run_days(engine, D1 + timedelta(days=1), date(2026, 3, 31), deliver=False)
    assert _kinds(engine) == [("reminder", "parked")]
    assert claim(engine)["stage"] == "reminder"
    with engine.connect() as conn:
        assert check(conn) == []
        [waiting] = needs_attention(conn)
    assert waiting["ref"] == "K-0000001" and waiting["status"] == "parked"
    assert waiting["fee_reversed"] is True
    assert "kunne ikke sendes" in waiting["reason"] and "SMTP" in waiting["reason"]
    assert [e["kind"] for e in events_of(engine)].count("fee_reversed") == 1


def test_a_held_letter_is_charged_again_only_when_retried_and_sent(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _setup(engine, tmp_path)
    with engine.begin() as conn:  # returned post earlier: no lawful channel
        conn.execute(update(debtors).values(address_bad=True))
    assert dispatch_batch(engine, Channels(), now=at(D1), config=ONE_TRY).outcomes == {"held": 1}
    assert [f[1] for f in _fees(engine)] == ["reminder_fee", "reversal"]
    with engine.begin() as conn:  # a new address is found; a person retries on 02-02
        conn.execute(update(debtors).values(address_bad=False, address="Nygata 1"))
    [held] = letters_of(engine)
    retry_day = date(2026, 2, 2)
    assert outbox.requeue(engine, held["id"], on=retry_day) == "requeued"
    [again] = letters_of(engine)
    assert again["id"] == held["id"] and again["status"] == "pending"
    assert (again["sent_on"], again["deadline"]) == (retry_day, retry_day + timedelta(days=14))
    assert again["content"]["debtor"]["address"] == "Nygata 1"  # rebuilt from current data
    assert again["content"]["deadline"] == "2026-02-16"
    assert _fees(engine)[-1][:3] == (retry_day, "reminder_fee", 3800)  # charged again, that day
    assert again["content"]["amounts"]["fees"] == "38.00"
    c = claim(engine)
    assert (c["costs_ore"], c["fee_letters"], c["last_deadline"]) == (3800, 1, date(2026, 2, 16))
    assert c["next_action_on"] > date(2026, 2, 16)
    with engine.connect() as conn:
        assert check(conn) == []


def test_a_print_letter_counts_as_sent_when_its_file_is_handed(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _setup(engine, tmp_path)
    result = print_batch(engine, day=D1, out_dir=tmp_path / "print", now=at(D1))
    assert result.letters == 1
    assert _kinds(engine) == [("reminder", "printed")]
    # not handed: the inkassovarsel waits although the reminder's deadline has run out
    run_days(engine, D1 + timedelta(days=1), date(2026, 2, 10), deliver=False)
    assert _kinds(engine) == [("reminder", "printed")]
    with engine.connect() as conn:
        assert [w["status"] for w in needs_attention(conn)] == ["printed"]
    handed = date(2026, 1, 23)  # handed to the post four days late
    done = mark_handed(engine, "2026-01-19-print.pdf", on=handed)
    assert (done.letters, done.late) == (1, 1)
    assert mark_handed(engine, D1.isoformat(), on=handed).already == 1
    [reminder] = letters_of(engine)
    assert (reminder["status"], reminder["dispatched_on"]) == ("sent", handed)
    c = claim(engine)  # the 14 days run from the day it was handed over
    assert c["last_deadline"] == handed + timedelta(days=14)
    assert c["next_action_on"] == date(2026, 2, 7)
    run_days(engine, date(2026, 2, 6), date(2026, 2, 6))
    assert claim(engine)["stage"] == "reminder"
    run_days(engine, date(2026, 2, 7), date(2026, 2, 7))
    assert _kinds(engine)[-1] == ("collection_notice", "sent")


def test_a_letter_dispatched_days_after_it_was_made_is_made_afresh(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _setup(engine, tmp_path)
    late = D1 + timedelta(days=5)
    assert dispatch_batch(engine, Channels(), now=at(late)).outcomes == {"print": 1}
    old, new = letters_of(engine)
    assert old["status"] == "cancelled" and old["replaced_by"] == new["id"]
    assert "datert 2026-01-19" in old["last_error"]
    assert (new["sent_on"], new["deadline"], new["status"]) == (late, late + timedelta(14),
                                                                 "print")
    assert new["content"]["sent_on"] == late.isoformat()
    assert new["content"]["deadline"] == (late + timedelta(14)).isoformat()
    assert new["fee_ore"] == 3800 and new["content"]["fee"] == "38.00"
    # the fee goes with the day the letter is sent: the one posted on D1 is reversed
    assert _fees(engine) == [(D1, "reminder_fee", 3800, "INKF-1-2-purregebyr"),
                             (late, "reversal", -3800, FEE_RULE),
                             (late, "reminder_fee", 3800, "INKF-1-2-purregebyr")]
    c = claim(engine)
    assert c["last_deadline"] == late + timedelta(days=14)
    # the new deadline is a Saturday: it runs to Monday, the next step the day after
    assert c["next_action_on"] == after_deadline(late + timedelta(days=14), 1) == date(2026, 2, 10)
    with engine.connect() as conn:
        assert check(conn) == []


def _interest(engine) -> list[tuple[date, int, str]]:  # type: ignore[no-untyped-def]
    return [(p["on"], p["amount_ore"], p["key"]) for p in postings_of(engine)
            if p["kind"] == "interest"]


def _states_what_is_owed(letter, view) -> None:  # type: ignore[no-untyped-def]
    """The letter's interest and total are what ``krav case show --as-of`` its day shows."""
    amounts = letter["content"]["amounts"]
    assert view["interest_accrued"] == "0.00"  # nothing accrued beyond what the letter states
    assert amounts["interest"] == view["balance"]["interest"]
    assert amounts["total"] == view["to_pay_today"]


def test_a_reminder_sent_20_days_late_states_interest_and_fee_of_that_day(
        engine, db_url, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Issue 8 part 3: made on D1, sent on D1+20 — interest crystallised to D1+20 (FRL § 3,
    decision 3) and the fee posted the day it is sent (INKL § 9, INKF § 1-2)."""
    _setup(engine, tmp_path)
    late = D1 + timedelta(days=20)
    [(_, at_d1, _)] = _interest(engine)
    assert dispatch_batch(engine, Channels(), now=at(late)).outcomes == {"print": 1}
    old, new = letters_of(engine)
    assert (old["status"], old["fee_charged"], new["sent_on"]) == ("cancelled", False, late)
    interest = _interest(engine)
    assert interest[0][1] == at_d1 and interest[1][0] == late
    assert interest[1][2] == f"interest:{late.isoformat()}" and interest[1][1] > 0
    [posting] = [p for p in postings_of(engine) if p["key"] == f"interest:{late.isoformat()}"]
    assert posting["rule"] == "FRL-3-forsinkelsesrente"
    assert posting["inputs"]["days"] == "20" and posting["inputs"]["rates"]
    assert posting["inputs"]["from"] == (D1 + timedelta(days=1)).isoformat()
    assert _fees(engine) == [(D1, "reminder_fee", 3800, "INKF-1-2-purregebyr"),
                             (late, "reversal", -3800, FEE_RULE),
                             (late, "reminder_fee", 3800, "INKF-1-2-purregebyr")]
    c = claim(engine)
    assert (c["interest_through"], c["costs_ore"], c["fee_letters"]) == (late, 3800, 1)
    view = Krav(db_url, capsys).json("case", "show", "K-0000001", "--as-of", late.isoformat())
    _states_what_is_owed(new, view)
    assert new["content"]["amounts"]["fees"] == "38.00"
    with engine.connect() as conn:
        assert check(conn) == []
    # the same day again: nothing more is remade, crystallised or charged
    before = (postings_of(engine), letters_of(engine), claim(engine)["version"])
    assert refresh(engine, on=late) == {"cancelled": 0, "remade": 0}
    assert dispatch_batch(engine, Channels(), now=at(late)).claimed == 0
    assert (postings_of(engine), letters_of(engine), claim(engine)["version"]) == before


def test_a_part_paid_reminder_sent_late_counts_interest_on_what_is_unpaid(
        engine, db_url, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A payment before the late dispatch: interest runs on the unpaid principal from the
    payment's day, and what was paid of the old fee pays the fee charged again."""
    _setup(engine, tmp_path)
    paid_on, late = D1 + timedelta(days=5), D1 + timedelta(days=20)
    pay(engine, "400.00", paid_on)  # costs first: the 38 kr fee is paid
    while dispatch_batch(engine, Channels(), now=at(late)).claimed:
        pass
    reminders = [lt for lt in letters_of(engine) if lt["kind"] == "reminder"]
    assert [r["status"] for r in reminders] == ["cancelled", "print"]
    c = claim(engine)
    last = [p for p in postings_of(engine) if p["kind"] == "interest"][-1]
    assert last["on"] == late
    assert Decimal(last["inputs"]["principal"]) * 100 == c["principal_ore"]
    assert last["inputs"]["from"] == (paid_on + timedelta(days=1)).isoformat()
    fee_balance = sum(p["amount_ore"] for p in postings_of(engine)
                      if p["component"] == "reminder_fee")
    overpaid = sum(p["amount_ore"] for p in postings_of(engine) if p["component"] == "overpaid")
    assert (fee_balance, overpaid, c["costs_ore"]) == (0, 0, 0)  # the payment pays the new fee
    assert _fees(engine)[-1][:2] == (late, "payment")
    view = Krav(db_url, capsys).json("case", "show", "K-0000001", "--as-of", late.isoformat())
    _states_what_is_owed(reminders[-1], view)
    with engine.connect() as conn:
        assert check(conn) == []


def test_a_reminder_made_in_december_and_sent_in_january_costs_january_s_fee(
        engine, db_url, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The fee is the law's for the day the letter is sent (INKF § 1-2 fourth paragraph: the
    inkassosats of the sending day): 35 kr in 2025, 38 kr from 2026-01-01."""
    made = date(2025, 12, 22)
    _setup_on(engine, tmp_path, made, due=date(2025, 12, 8))
    assert _fees(engine) == [(made, "reminder_fee", 3500, "INKF-1-2-purregebyr")]
    sent = date(2026, 1, 5)
    assert dispatch_batch(engine, Channels(), now=at(sent)).outcomes == {"print": 1}
    assert _fees(engine) == [(made, "reminder_fee", 3500, "INKF-1-2-purregebyr"),
                             (sent, "reversal", -3500, FEE_RULE),
                             (sent, "reminder_fee", 3800, "INKF-1-2-purregebyr")]
    new = letters_of(engine)[-1]
    assert (new["fee_ore"], new["content"]["fee"]) == (3800, "38.00")
    last = [p for p in postings_of(engine) if p["kind"] == "interest"][-1]
    assert last["on"] == sent and len(last["inputs"]["rates"].split(",")) == 2  # cut at 1 Jan
    c = claim(engine)
    assert (c["costs_ore"], c["recovery_costs_ore"], c["fee_letters"]) == (3800, 3800, 1)
    view = Krav(db_url, capsys).json("case", "show", "K-0000001", "--as-of", sent.isoformat())
    _states_what_is_owed(new, view)
    with engine.connect() as conn:
        assert check(conn) == []


def test_retry_crystallises_interest_to_the_day_it_is_sent_again(
        engine, db_url, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _setup(engine, tmp_path)
    with engine.begin() as conn:
        conn.execute(update(debtors).values(address_bad=True))
    dispatch_batch(engine, Channels(), now=at(D1))
    with engine.begin() as conn:
        conn.execute(update(debtors).values(address_bad=False))
    [held] = letters_of(engine)
    retry_day = D1 + timedelta(days=20)
    assert outbox.requeue(engine, held["id"], on=retry_day) == "requeued"
    [again] = letters_of(engine)
    assert claim(engine)["interest_through"] == retry_day
    assert _interest(engine)[-1][0] == retry_day
    view = Krav(db_url, capsys).json("case", "show", "K-0000001", "--as-of",
                                     retry_day.isoformat())
    _states_what_is_owed(again, view)
    with engine.connect() as conn:
        assert check(conn) == []


def test_a_paid_case_loses_its_pending_letter(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _setup(engine, tmp_path)
    pay(engine, "1100.00", D1)
    assert claim(engine)["status"] == "closed"
    assert dispatch_batch(engine, Channels(), now=at(D1)).claimed == 0
    [reminder] = letters_of(engine)
    assert reminder["status"] == "cancelled" and "ikke lenger åpen" in reminder["last_error"]
    # the fee for the letter that never went out is owed back, not kept
    assert [f[1] for f in _fees(engine)][-1] == "reversal"
    overpaid = sum(p["amount_ore"] for p in postings_of(engine) if p["component"] == "overpaid")
    assert overpaid == -(110000 - 100000 - 460)  # 1 100 less principal and 4,60 interest
    with engine.connect() as conn:
        assert check(conn) == []


def test_a_disputed_case_loses_its_letter_and_gets_it_afresh_when_resumed(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _setup(engine, tmp_path)
    with engine.begin() as conn:
        service.dispute(conn, "K-0000001", on=D1, reason="Varen kom aldri")
    print_batch(engine, day=D1, out_dir=tmp_path / "p1", now=at(D1))
    assert _kinds(engine) == [("reminder", "cancelled"), ("dispute_ack", "printed")]
    assert [f[1] for f in _fees(engine)] == ["reminder_fee", "reversal"]
    resumed = date(2026, 2, 9)
    with engine.begin() as conn:
        service.resume(conn, "K-0000001", on=resumed)
    run_nightly(engine, as_of=resumed)  # the reminder never went out: no next step yet
    assert [k for k, _ in _kinds(engine)] == ["reminder", "dispute_ack"]
    print_batch(engine, day=resumed, out_dir=tmp_path / "p2", now=at(resumed))
    remade = letters_of(engine)[-1]
    assert (remade["kind"], remade["sent_on"], remade["status"]) == ("reminder", resumed,
                                                                     "printed")
    assert _fees(engine)[-1][:3] == (resumed, "reminder_fee", 3800)
    assert claim(engine)["last_deadline"] == resumed + timedelta(days=14)
    with engine.connect() as conn:
        assert check(conn) == []


def test_amounts_changed_since_the_letter_was_made_are_made_afresh(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _setup(engine, tmp_path)
    pay(engine, "400.00", D1)  # a part payment the same day
    while dispatch_batch(engine, Channels(), now=at(D1)).claimed:
        pass
    reminders = [lt for lt in letters_of(engine) if lt["kind"] == "reminder"]
    assert [r["status"] for r in reminders] == ["cancelled", "print"]
    assert "beløpene" in reminders[0]["last_error"]
    c = claim(engine)
    owed = c["principal_ore"] + c["interest_ore"] + c["costs_ore"]
    assert reminders[1]["content"]["amounts"]["total"] == f"{owed / 100:.2f}"
    assert reminders[1]["content"]["amounts"]["paid"] == "400.00"


def test_retry_rebuilds_the_content_from_current_data(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _setup(engine, tmp_path)
    with engine.begin() as conn:
        conn.execute(update(debtors).values(address_bad=True))
    dispatch_batch(engine, Channels(), now=at(D1))
    [held] = letters_of(engine)
    frozen_total = held["content"]["amounts"]["total"]
    pay(engine, "200.00", D1 + timedelta(days=2))
    with engine.begin() as conn:
        conn.execute(update(debtors).values(address_bad=False))
    assert outbox.requeue(engine, held["id"], on=D1 + timedelta(days=3)) == "requeued"
    with engine.connect() as conn:
        content = conn.execute(select(letters.c.content).where(
            letters.c.id == held["id"])).scalar_one()
    assert content["amounts"]["paid"] == "200.00"
    assert content["amounts"]["total"] != frozen_total
    assert content["sent_on"] == (D1 + timedelta(days=3)).isoformat()


def test_a_letter_that_cannot_be_printed_is_parked_and_its_fee_reversed(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _setup(engine, tmp_path)
    [reminder] = letters_of(engine)
    broken = {**reminder["content"], "creditor": {**reminder["content"]["creditor"],
                                                  "address": ""}}
    with engine.begin() as conn:
        conn.execute(update(letters).where(letters.c.id == reminder["id"]).values(content=broken))
    assert print_batch(engine, day=D1, out_dir=tmp_path / "p", now=at(D1)).letters == 0
    assert _kinds(engine) == [("reminder", "parked")]
    assert [f[1] for f in _fees(engine)] == ["reminder_fee", "reversal"]
    assert (claim(engine)["costs_ore"], claim(engine)["fee_letters"]) == (0, 0)
    with engine.connect() as conn:
        [waiting] = needs_attention(conn)
        assert check(conn) == []
    assert "address" in waiting["reason"] and waiting["fee_reversed"] is True


def test_post_returned_before_it_was_handed_over_costs_no_fee(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _setup(engine, tmp_path)
    print_batch(engine, day=D1, out_dir=tmp_path / "p", now=at(D1))
    [reminder] = letters_of(engine)
    assert mark_returned(engine, reminder["id"], at=at(D1 + timedelta(days=1))) is True
    assert [f[1] for f in _fees(engine)] == ["reminder_fee", "reversal"]
    with engine.connect() as conn:
        [waiting] = needs_attention(conn)
    assert waiting["status"] == "returned" and waiting["fee_reversed"] is True


def test_post_returned_after_it_was_sent_keeps_the_fee_and_holds_the_case(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _setup(engine, tmp_path)
    print_batch(engine, day=D1, out_dir=tmp_path / "p", now=at(D1))
    mark_handed(engine, D1.isoformat(), on=D1)
    [reminder] = letters_of(engine)
    assert mark_returned(engine, reminder["id"], at=at(D1 + timedelta(days=3))) is True
    assert [f[1] for f in _fees(engine)] == ["reminder_fee"]  # it was sent: the fee is lawful
    run_days(engine, D1 + timedelta(days=1), date(2026, 2, 20), deliver=False)
    assert [k for k, _ in _kinds(engine)] == ["reminder"]  # no next step to a bad address
