"""What a person does to a case — dispute, resume, pause, withdraw, approve — and reading cases
back (the ``case show`` view), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from tests.factories import (
    BYGG,
    NORDLYS,
    add_creditor,
    claim,
    claim_row,
    events_of,
    import_claims,
    letters_of,
    postings_of,
    run_days,
)

from krav.cases import read, service
from krav.kernel.errors import InvalidInput, NotFound, UnableToProceed
from krav.ledger.check import check

D = Decimal
REF = "K-0000001"


@pytest.fixture
def book(engine, tmp_path):  # type: ignore[no-untyped-def]
    """One consumer claim of 1 000.00 due 2026-01-05 (reminder due 2026-01-19)."""
    import_claims(engine, tmp_path, [claim_row()])
    return engine


def act(engine, fn, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        fn(conn, *args, **kwargs)


def kinds(engine) -> list[str]:  # type: ignore[no-untyped-def]
    return [lt["kind"] for lt in letters_of(engine)]


def test_a_dispute_stops_the_case_at_once(book) -> None:  # type: ignore[no-untyped-def]
    run_days(book, date(2026, 1, 19), date(2026, 1, 24))
    act(book, service.dispute, REF, on=date(2026, 1, 25), reason="Varen var mangelfull")
    c = claim(book)
    assert (c["status"], c["stage"], c["next_action_on"]) == ("disputed", "reminder", None)
    assert kinds(book) == ["reminder", "dispute_ack"]
    ack = letters_of(book)[-1]
    assert ack["sent_on"] == date(2026, 1, 25) and ack["fee_ore"] == 0
    assert ack["content"]["reason"] == "Varen var mangelfull"
    postings_before = len(postings_of(book))
    run_days(book, date(2026, 1, 25), date(2026, 5, 1))
    assert kinds(book) == ["reminder", "dispute_ack"]
    assert len(postings_of(book)) == postings_before  # no fee, salær or interest posted
    assert [e["kind"] for e in events_of(book)] == ["disputed"]
    assert events_of(book)[0]["detail"]["reason"] == "Varen var mangelfull"


def test_a_resumed_case_continues_no_earlier_than_the_resume_day(book) -> None:  # type: ignore[no-untyped-def]
    run_days(book, date(2026, 1, 19), date(2026, 1, 24))
    act(book, service.dispute, REF, on=date(2026, 1, 25), reason="Feil beløp")
    run_days(book, date(2026, 1, 25), date(2026, 2, 9))
    act(book, service.resume, REF, on=date(2026, 2, 10))
    assert claim(book)["status"] == "open"
    run_days(book, date(2026, 2, 10), date(2026, 2, 10))
    notice = letters_of(book)[-1]
    assert (notice["kind"], notice["sent_on"], notice["deadline"], notice["fee_ore"]) == (
        "collection_notice", date(2026, 2, 10), date(2026, 2, 24), 3800)
    assert [e["kind"] for e in events_of(book)] == ["disputed", "resumed"]


def test_resuming_before_the_next_step_is_due_keeps_its_date(book) -> None:  # type: ignore[no-untyped-def]
    """Disputed and resumed before the reminder is due: the reminder still waits for due + 14,
    so it may carry its fee (INKF § 1-2)."""
    act(book, service.dispute, REF, on=date(2026, 1, 8), reason="Har allerede betalt")
    act(book, service.resume, REF, on=date(2026, 1, 10))
    run_days(book, date(2026, 1, 10), date(2026, 1, 20))
    reminder = letters_of(book)[-1]
    assert (reminder["kind"], reminder["sent_on"], reminder["fee_ore"]) == (
        "reminder", date(2026, 1, 19), 3800)


def test_resuming_after_the_lett_salaer_does_not_bring_the_tung_forward(book) -> None:  # type: ignore[no-untyped-def]
    run_days(book, date(2026, 1, 19), date(2026, 3, 9))
    assert claim(book)["stage"] == "salaer_lett"
    act(book, service.dispute, REF, on=date(2026, 3, 10), reason="Uenig i salæret")
    act(book, service.resume, REF, on=date(2026, 3, 16))
    run_days(book, date(2026, 3, 16), date(2026, 4, 30))
    salaer = [(p["on"], p["amount_ore"]) for p in postings_of(book) if p["kind"] == "salaer"]
    # tung only when the 2026-03-04 deadline is exceeded by more than 28 days (INKF § 2-3)
    assert salaer == [(date(2026, 3, 5), 26250), (date(2026, 4, 2), 26250)]


def test_a_case_stopped_before_the_date_was_kept_resumes_after_its_last_deadline(book) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import update

    from krav.db.tables import events

    run_days(book, date(2026, 1, 19), date(2026, 1, 19))
    act(book, service.dispute, REF, on=date(2026, 1, 20), reason="Nei")
    with book.begin() as conn:  # an event written before resume kept the schedule
        conn.execute(update(events).values(detail={"reason": "Nei", "stage": "reminder"}))
    act(book, service.resume, REF, on=date(2026, 1, 25))
    assert claim(book)["next_action_on"] == date(2026, 2, 3)


def test_a_case_cannot_be_disputed_twice_or_without_a_reason(book) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput, match="--reason"):
        act(book, service.dispute, REF, on=date(2026, 1, 8), reason="  ")
    act(book, service.dispute, REF, on=date(2026, 1, 8), reason="Nei")
    with pytest.raises(UnableToProceed, match="allerede bestridt"):
        act(book, service.dispute, REF, on=date(2026, 1, 9), reason="Nei igjen")
    assert kinds(book) == ["dispute_ack"]


def test_only_a_stopped_case_can_be_resumed(book) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnableToProceed):
        act(book, service.resume, REF, on=date(2026, 1, 8))


def test_withdraw_closes_the_case(book) -> None:  # type: ignore[no-untyped-def]
    run_days(book, date(2026, 1, 19), date(2026, 1, 19))
    act(book, service.withdraw, REF, on=date(2026, 1, 22), reason="Kreditnota sendt")
    c = claim(book)
    assert (c["status"], c["close_reason"], c["closed_on"], c["next_action_on"]) == (
        "closed", "withdrawn", date(2026, 1, 22), None)
    run_days(book, date(2026, 1, 22), date(2026, 4, 1))
    assert kinds(book) == ["reminder"]
    with pytest.raises(UnableToProceed, match=r"avsluttet \(trukket\)"):
        act(book, service.withdraw, REF, on=date(2026, 1, 23))
    with pytest.raises(UnableToProceed):
        act(book, service.dispute, REF, on=date(2026, 1, 23), reason="x")


def test_a_disputed_case_can_be_withdrawn(book) -> None:  # type: ignore[no-untyped-def]
    act(book, service.dispute, REF, on=date(2026, 1, 8), reason="Nei")
    act(book, service.withdraw, REF, on=date(2026, 1, 9))
    assert claim(book)["close_reason"] == "withdrawn"


def test_pause_holds_the_case_until_resumed(book) -> None:  # type: ignore[no-untyped-def]
    act(book, service.pause, REF, on=date(2026, 1, 15), until=None, reason="Utsettelse avtalt")
    run_days(book, date(2026, 1, 15), date(2026, 2, 1))
    assert kinds(book) == [] and claim(book)["status"] == "paused"
    act(book, service.resume, REF, on=date(2026, 2, 2))
    run_days(book, date(2026, 2, 2), date(2026, 2, 2))
    assert kinds(book) == ["reminder"]


def test_a_pause_until_a_day_ends_in_that_days_nightly_run(book) -> None:  # type: ignore[no-untyped-def]
    """``pause --until``: the case stays paused, and the nightly run of the until day resumes
    it; the reminder that fell due meanwhile (2026-01-19) goes out that night, not before."""
    from krav.engine.run import run_nightly

    act(book, service.pause, REF, on=date(2026, 1, 15), until=date(2026, 2, 2),
        reason="Utsettelse avtalt")
    assert (claim(book)["status"], claim(book)["next_action_on"]) == ("paused", date(2026, 2, 2))
    run_days(book, date(2026, 1, 15), date(2026, 2, 1))
    assert kinds(book) == [] and claim(book)["status"] == "paused"
    dry = run_nightly(book, as_of=date(2026, 2, 2), dry_run=True)
    assert dry.resumed == 1 and claim(book)["status"] == "paused"  # a dry run changes nothing
    summary = run_nightly(book, as_of=date(2026, 2, 2))
    assert summary.resumed == 1 and summary.to_json()["resumed"] == 1
    assert claim(book)["status"] == "open" and kinds(book) == ["reminder"]
    assert letters_of(book)[0]["sent_on"] == date(2026, 2, 2)
    resumed = [e for e in events_of(book) if e["kind"] == "resumed"]
    assert [(e["on"], e["actor"], e["detail"]) for e in resumed] == [
        (date(2026, 2, 2), "nightly", {"from": "paused", "stage": "invoiced",
                                         "until": "2026-02-02"})]
    assert run_nightly(book, as_of=date(2026, 2, 3)).resumed == 0  # once


def test_a_paused_case_disputed_and_resumed_gets_its_step_date_back(book) -> None:  # type: ignore[no-untyped-def]
    act(book, service.pause, REF, on=date(2026, 1, 10), until=date(2026, 3, 1), reason="Avtale")
    act(book, service.dispute, REF, on=date(2026, 1, 12), reason="Uenig i beløpet")
    act(book, service.resume, REF, on=date(2026, 1, 14))
    # the reminder was due 2026-01-19 when the case was paused; the pause's end does not stick
    assert (claim(book)["status"], claim(book)["next_action_on"]) == ("open", date(2026, 1, 19))


def test_a_pause_must_end_after_it_starts(book) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput, match="--until"):
        act(book, service.pause, REF, on=date(2026, 1, 15), until=date(2026, 1, 15),
            reason="Utsettelse")
    assert claim(book)["status"] == "open"


def test_approval_before_collection(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    add_creditor(engine, NORDLYS, policy={"approval_required": True})
    import_claims(engine, tmp_path, [claim_row()])
    with pytest.raises(UnableToProceed, match="venter ikke"):
        act(engine, service.approve, REF, on=date(2026, 1, 20))
    run_days(engine, date(2026, 1, 19), date(2026, 3, 1))
    c = claim(engine)
    assert (c["stage"], c["next_action_on"]) == ("awaiting_approval", None)
    assert kinds(engine) == ["reminder", "collection_notice"]
    act(engine, service.approve, REF, on=date(2026, 3, 2))
    run_days(engine, date(2026, 3, 2), date(2026, 3, 2))
    demand = letters_of(engine)[-1]
    assert (demand["kind"], demand["sent_on"], demand["deadline"]) == (
        "payment_demand", date(2026, 3, 2), date(2026, 3, 16))
    assert claim(engine)["stage"] == "payment_demand"
    assert [e["kind"] for e in events_of(engine)] == ["held", "approved", "transferred"]


def test_an_unknown_ref_is_not_found(book) -> None:  # type: ignore[no-untyped-def]
    for fn, kwargs in ((service.dispute, {"reason": "x"}), (service.resume, {}),
                       (service.withdraw, {}), (service.approve, {})):
        with pytest.raises(NotFound, match="K-9999999"):
            act(book, fn, "K-9999999", on=date(2026, 1, 8), **kwargs)


def test_list_cases(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(invoice="A1"), claim_row(invoice="A2", debtor=BYGG)])
    run_days(engine, date(2026, 1, 19), date(2026, 1, 19))
    act(engine, service.dispute, "K-0000002", on=date(2026, 1, 20), reason="Nei")
    with engine.connect() as conn:
        rows = read.list_cases(conn, as_of=date(2026, 1, 20))
        disputed = read.list_cases(conn, status="disputed", as_of=date(2026, 1, 20))
    assert [(r["ref"], r["invoice_number"], r["status"], r["stage"]) for r in rows] == [
        ("K-0000001", "A1", "open", "reminder"), ("K-0000002", "A2", "disputed", "reminder")]
    assert [r["ref"] for r in disputed] == ["K-0000002"]
    assert rows[0]["total"] == D("1042.60")


def test_a_second_dispute_after_resuming_gets_its_own_acknowledgement(book) -> None:  # type: ignore[no-untyped-def]
    act(book, service.dispute, REF, on=date(2026, 1, 8), reason="Nei")
    act(book, service.resume, REF, on=date(2026, 1, 9))
    act(book, service.dispute, REF, on=date(2026, 1, 10), reason="Nei, igjen")
    acks = [lt for lt in letters_of(book) if lt["kind"] == "dispute_ack"]
    assert [(a["step_key"], a["content"]["reason"]) for a in acks] == [
        ("dispute_ack:1", "Nei"), ("dispute_ack:2", "Nei, igjen")]


def test_case_view_shows_letters_postings_balance_and_accrued_interest(book) -> None:  # type: ignore[no-untyped-def]
    run_days(book, date(2026, 1, 19), date(2026, 2, 18))
    with book.connect() as conn:
        view = read.case_view(conn, REF, as_of=date(2026, 3, 1))
    assert {"ref", "invoice_number", "kid", "creditor", "debtor", "principal", "due", "status",
            "stage", "letters", "postings", "balance", "interest_accrued"} <= set(view)
    assert view["creditor"] == {"orgnr": NORDLYS.orgnr, "name": NORDLYS.name}
    assert view["debtor"] == {"kind": "consumer", "name": "Kari Nordmann"}
    assert (view["principal"], view["due"], view["status"], view["stage"]) == (
        D("1000.00"), date(2026, 1, 5), "open", "payment_demand")
    assert [(lt["kind"], lt["sender"], lt["sent_on"], lt["deadline"], lt["fee"])
            for lt in view["letters"]] == [
        ("reminder", "creditor", date(2026, 1, 19), date(2026, 2, 2), D("38.00")),
        ("collection_notice", "creditor", date(2026, 2, 3), date(2026, 2, 17), D("38.00")),
        ("payment_demand", "agency", date(2026, 2, 18), date(2026, 3, 4), D("0.00"))]
    assert view["postings"][0] == {**view["postings"][0], "on": date(2025, 12, 22),
                                   "kind": "principal", "amount": D("1000.00"),
                                   "rule": "principal"}
    assert view["balance"] == {"principal": D("1000.00"), "interest": D("14.46"),
                               "fees": D("76.00"), "total": D("1090.46")}
    # 11 days from 02-18 to 03-01 at 12 % on 1 000
    assert view["interest_accrued"] == D("3.62")


def test_case_view_as_of_a_past_day(book) -> None:  # type: ignore[no-untyped-def]
    run_days(book, date(2026, 1, 19), date(2026, 2, 18))
    with book.connect() as conn:
        view = read.case_view(conn, REF, as_of=date(2026, 2, 10))
    assert [lt["kind"] for lt in view["letters"]] == ["reminder", "collection_notice"]
    assert view["balance"]["total"] == D("1085.53")
    # interest was last crystallised on 02-03: 7 days accrued by 02-10
    assert view["interest_accrued"] == D("2.30")


def test_case_view_payments_are_negative(book) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import add_payment

    from krav.ledger.service import PaymentToAllocate, allocate_payments

    run_days(book, date(2026, 1, 19), date(2026, 1, 19))
    pid, cid = add_payment(book, REF, "100.00", date(2026, 1, 19))
    with book.begin() as conn:
        allocate_payments(conn, [PaymentToAllocate(pid, cid, D("100.00"), date(2026, 1, 19))],
                          as_of=date(2026, 1, 19))
    with book.connect() as conn:
        view = read.case_view(conn, REF, as_of=date(2026, 1, 19))
        assert check(conn) == []
    paid = [p for p in view["postings"] if p["kind"] == "payment"]
    assert sum(p["amount"] for p in paid) == D("-100.00") and all(p["amount"] < 0 for p in paid)
    assert view["balance"]["total"] == D("942.60") and view["interest_accrued"] == 0


def test_case_view_of_an_unknown_ref(book) -> None:  # type: ignore[no-untyped-def]
    with book.connect() as conn, pytest.raises(NotFound):
        read.case_view(conn, "K-0000404", as_of=date(2026, 1, 1))
