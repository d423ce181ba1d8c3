"""Deferrals and payment plans on SQLite and PostgreSQL: the creditor's authority (granted at
once, or a request a handler decides), the nightly run waiting, instalments paid by a bank file
with their KIDs, the > 4 instalments rule (INKF § 2-4), breach → notice → end → collection
resumed without charging anything twice, a plan paid in full, and small rests."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select
from tests.factories import (
    KARI,
    NORDLYS,
    OLA,
    add_creditor,
    claim,
    claim_row,
    events_of,
    import_claims,
    letters_of,
    postings_of,
    run_days,
    set_policy,
)

from krav.agreements import plans, service
from krav.agreements.tables import agreements
from krav.kernel.errors import InvalidInput, UnableToProceed
from krav.ledger.check import check
from krav.payments.service import import_bank_file

D = Decimal
REF, REF2 = "K-0000001", "K-0000002"


@pytest.fixture
def book(engine, tmp_path):  # type: ignore[no-untyped-def]
    """A consumer claim of 10 000.00 due 2026-01-05, reminded on 2026-01-19 (deadline 02-02,
    the collection notice due 02-03)."""
    add_creditor(engine)
    import_claims(engine, tmp_path, [claim_row(amount="10000.00"),
                                     claim_row(invoice="1002", amount="3000.00"),
                                     claim_row(invoice="2001", debtor=OLA)])
    run_days(engine, date(2026, 1, 19), date(2026, 1, 20))
    return engine


def act(engine, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        return fn(conn, *args, **kwargs)


def kinds(engine, ref: str = REF) -> list[str]:
    return [lt["kind"] for lt in letters_of(engine, ref)]


def pay(engine, rows: list[tuple[str, str, str]], as_of: date, name: str = "bank.csv"):  # type: ignore[no-untyped-def]
    """A bank CSV of ``(paid_on, amount, kid)`` rows, imported on ``as_of``."""
    data = "paid_on,amount,kid\n" + "".join(f"{d},{a},{k}\n" for d, a, k in rows)
    with engine.begin() as conn:
        return import_bank_file(conn, data.encode(), name=name, fmt="csv", as_of=as_of,
                                now=datetime.combine(as_of, datetime.min.time()))


def agreement(engine, ref: str):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(agreements).where(agreements.c.ref == ref)).mappings().one()


# --- deferral --------------------------------------------------------------------------------

def test_a_deferral_within_authority_is_granted_and_the_run_waits(book) -> None:  # type: ignore[no-untyped-def]
    data = act(book, service.defer, REF, until=date(2026, 2, 10), on=date(2026, 1, 21))
    assert data == {"ref": "A-0000001", "kind": "deferral", "case": REF, "status": "active",
                    "until": date(2026, 2, 10), "granted": True, "reasons": []}
    c = claim(book)
    # paused until the day after the deadline (Tuesday 10 Feb: Wednesday 11 Feb)
    assert (c["status"], c["next_action_on"]) == ("paused", date(2026, 2, 11))
    confirmation = letters_of(book)[-1]
    assert (confirmation["kind"], confirmation["deadline"], confirmation["fee_ore"]) == (
        "deferral_confirmation", date(2026, 2, 10), 0)
    run_days(book, date(2026, 1, 21), date(2026, 2, 10))
    assert kinds(book) == ["reminder", "deferral_confirmation"]  # no notice while deferred
    assert kinds(book, REF2)[-1] == "collection_notice"  # the other claim ran on 3 Feb
    run_days(book, date(2026, 2, 11), date(2026, 2, 11))
    assert kinds(book) == ["reminder", "deferral_confirmation", "collection_notice"]
    assert claim(book)["status"] == "open" and claim(book)["stage"] == "collection_notice"
    assert agreement(book, "A-0000001")["status"] == "ended"
    assert [e["kind"] for e in events_of(book)][-3:] == ["paused", "deferred", "resumed"]


def test_a_longer_deferral_is_a_request_that_a_handler_approves(book) -> None:  # type: ignore[no-untyped-def]
    data = act(book, service.defer, REF, until=date(2026, 3, 20), on=date(2026, 1, 21))
    assert (data["status"], data["granted"]) == ("requested", False)
    assert data["reasons"] == ["utsettelse på 58 dager, fullmakten gir høyst 30"]
    assert claim(book)["status"] == "open" and kinds(book) == ["reminder"]
    with book.connect() as conn:
        queue = service.requests(conn)
    assert [(r["ref"], r["kind"], r["cases"]) for r in queue] == [("A-0000001", "deferral",
                                                                   [REF])]
    approved = act(book, service.approve, "A-0000001", on=date(2026, 1, 22))
    assert approved["status"] == "active" and claim(book)["status"] == "paused"
    assert kinds(book) == ["reminder", "deferral_confirmation"]
    with book.connect() as conn:
        assert service.requests(conn) == []
    assert agreement(book, "A-0000001")["granted"] == "handler"


def test_a_rejected_request_changes_nothing_for_the_case(book) -> None:  # type: ignore[no-untyped-def]
    act(book, service.defer, REF, until=date(2026, 3, 20), on=date(2026, 1, 21))
    with pytest.raises(InvalidInput):
        act(book, service.reject, "A-0000001", on=date(2026, 1, 22), reason=" ")
    assert act(book, service.reject, "A-0000001", on=date(2026, 1, 22),
               reason="For lang utsettelse")["status"] == "rejected"
    assert claim(book)["status"] == "open"
    with pytest.raises(UnableToProceed):
        act(book, service.approve, "A-0000001", on=date(2026, 1, 22))


def test_the_authority_is_the_creditors_policy(book) -> None:  # type: ignore[no-untyped-def]
    set_policy(book, NORDLYS, {"authority": {"deferral_max_days": 10}})
    data = act(book, service.defer, REF, until=date(2026, 2, 10), on=date(2026, 1, 21))
    assert data["status"] == "requested"
    assert data["reasons"] == ["utsettelse på 20 dager, fullmakten gir høyst 10"]


def test_a_debtor_with_a_breached_plan_gets_no_automatic_grant(book) -> None:  # type: ignore[no-untyped-def]
    with book.begin() as conn:
        row = conn.execute(select(agreements.c.id).limit(1)).first()
        assert row is None
        debtor_id = claim(book)["debtor_id"]
        conn.execute(agreements.insert().values(
            ref="A-9999999", kind="plan", status="ended", debtor_id=debtor_id,
            created_on=date(2025, 6, 1), closed_on=date(2025, 9, 1), instalments=3,
            total_ore=0, uplift_warning=False, warned=False, note="", created_by="",
            decided_by="", version=0))
    data = act(book, service.defer, REF, until=date(2026, 2, 1), on=date(2026, 1, 21))
    assert data["status"] == "requested"
    assert "misligholdt en nedbetalingsavtale 01.09.2025" in data["reasons"][0]
    # another debtor is not affected
    assert act(book, service.defer, "K-0000003", until=date(2026, 2, 1),
               on=date(2026, 1, 21))["status"] == "active"


def test_a_held_case_cannot_be_resumed_or_deferred_twice(book) -> None:  # type: ignore[no-untyped-def]
    from krav.cases import service as cases

    act(book, service.defer, REF, until=date(2026, 2, 10), on=date(2026, 1, 21))
    with pytest.raises(UnableToProceed, match="A-0000001"):
        act(book, cases.resume, REF, on=date(2026, 1, 22))
    with pytest.raises(UnableToProceed):
        act(book, service.defer, REF, until=date(2026, 2, 12), on=date(2026, 1, 22))
    cancelled = act(book, service.cancel, "A-0000001", on=date(2026, 1, 22))
    assert cancelled["resumed"] == [REF] and claim(book)["status"] == "open"


# --- payment plans -----------------------------------------------------------------------------

def test_a_plan_within_authority_is_offered_then_accepted(book) -> None:  # type: ignore[no-untyped-def]
    offer = act(book, plans.propose, [REF], on=date(2026, 1, 21), first=date(2026, 2, 1),
                instalments=3)
    assert set(offer) == {"ref", "status", "instalments", "total", "uplift_warning"}
    assert offer["status"] == "proposed" and offer["uplift_warning"] is False
    assert [i["kid"] for i in offer["instalments"]] == [None] * 3
    assert claim(book)["status"] == "open"  # nothing stops until the debtor accepts
    plan = act(book, plans.accept, offer["ref"], on=date(2026, 1, 21))
    assert plan["status"] == "active"
    amounts = [i["amount"] for i in plan["instalments"]]
    assert amounts[0] == amounts[1] >= amounts[2] and sum(amounts) == plan["total"]
    assert plan["total"] > D("10038.00")  # the balance plus the interest of the plan
    kids = [i["kid"] for i in plan["instalments"]]
    assert len(set(kids)) == 3 and all(k.startswith(claim(book)["kid"][:-1]) for k in kids)
    assert [i["due"] for i in plan["instalments"]] == [date(2026, 2, 1), date(2026, 3, 1),
                                                       date(2026, 4, 1)]
    c = claim(book)
    assert (c["status"], c["next_action_on"]) == ("paused", None)
    letter = letters_of(book)[-1]
    assert letter["kind"] == "payment_plan_confirmation"
    assert [s["kid"] for s in letter["content"]["schedule"]] == kids
    run_days(book, date(2026, 1, 21), date(2026, 2, 15))  # the first is due 1 Feb: 14 days
    assert kinds(book) == ["reminder", "payment_plan_confirmation"]
    assert agreement(book, plan["ref"])["status"] == "active"


def test_a_plan_beyond_authority_waits_for_a_handler(book) -> None:  # type: ignore[no-untyped-def]
    offer = act(book, plans.propose, [REF], on=date(2026, 1, 21), first=date(2026, 2, 1),
                amount=D("400.00"))
    assert offer["status"] == "requested"
    reasons = agreement(book, offer["ref"])["reasons"]
    assert any("minst 500,00" in r for r in reasons)
    assert any("12 måneder" in r for r in reasons)
    with pytest.raises(UnableToProceed, match="saksbehandler"):
        act(book, plans.accept, offer["ref"], on=date(2026, 1, 21))
    assert act(book, service.approve, offer["ref"], on=date(2026, 1, 22))["status"] == "proposed"
    assert act(book, plans.accept, offer["ref"], on=date(2026, 1, 22))["status"] == "active"


def test_the_calculator_goes_both_ways(book) -> None:  # type: ignore[no-untyped-def]
    with book.connect() as conn:
        by_count = plans.calculate(conn, [REF], on=date(2026, 1, 21), first=date(2026, 2, 1),
                                   instalments=6)
        by_amount = plans.calculate(conn, [REF], on=date(2026, 1, 21), first=date(2026, 2, 1),
                                    amount=by_count["per_month"])
    assert by_amount["count"] == 6 and by_amount["total"] == by_count["total"]
    assert by_count["total"] == by_count["owed"]["total"] + by_count["interest"]
    assert by_count["uplift_warning"] is True and by_count["uplift_max"] == D("1125.00")
    assert by_count["within_authority"] is True


def test_claims_of_two_debtors_are_never_one_plan(book) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput, match="samme skyldner"):
        act(book, plans.propose, [REF, "K-0000003"], on=date(2026, 1, 21),
            first=date(2026, 2, 1), instalments=3)


@pytest.fixture
def collection(engine, tmp_path):  # type: ignore[no-untyped-def]
    """The 10 000.00 claim in collection, its salær (lett) charged on 2026-03-05."""
    add_creditor(engine)
    import_claims(engine, tmp_path, [claim_row(amount="10000.00")])
    run_days(engine, date(2026, 1, 19), date(2026, 3, 5))
    assert claim(engine)["stage"] == "salaer_lett"
    return engine


def _uplift(engine) -> list[dict]:  # type: ignore[no-untyped-def]
    return [p for p in postings_of(engine) if p["rule"] == "INKF-2-4-nedbetalingsavtale"]


def test_over_four_instalments_raise_salaer_only_when_the_debtor_was_told(collection) -> None:  # type: ignore[no-untyped-def]
    offer = act(collection, plans.propose, [REF], on=date(2026, 3, 6), first=date(2026, 3, 20),
                instalments=6)
    assert offer["uplift_warning"] is True
    plan = act(collection, plans.accept, offer["ref"], on=date(2026, 3, 6))  # not warned
    assert _uplift(collection) == [] and claim(collection)["instalments"] == 0
    assert agreement(collection, offer["ref"])["warned"] is False
    assert plan["total"] < offer["total"]  # the offer counted the raise; it is not charged
    assert letters_of(collection)[-1]["content"]["plan"].get("extra_cost_max") is None


def test_accepted_with_the_warning_the_raise_is_charged_once(collection) -> None:  # type: ignore[no-untyped-def]
    offer = act(collection, plans.propose, [REF], on=date(2026, 3, 6), first=date(2026, 3, 20),
                instalments=6)
    plan = act(collection, plans.accept, offer["ref"], on=date(2026, 3, 6), warned=True)
    (uplift,) = _uplift(collection)
    # 1.5 × inkassosats 750 (inkassoforskriften § 2-4 første ledd)
    assert uplift["amount_ore"] == 112_500 and uplift["reference"].startswith(
        "inkassoforskriften § 2-4")
    assert claim(collection)["instalments"] == 6
    assert plan["total"] == offer["total"]
    assert letters_of(collection)[-1]["content"]["plan"]["extra_cost_max"] == "1125.00"
    with collection.connect() as conn:
        assert check(conn) == []


def test_instalments_paid_by_bank_file_close_the_plan_and_a_small_rest_is_written_off(book) -> None:  # type: ignore[no-untyped-def]
    offer = act(book, plans.propose, [REF], on=date(2026, 1, 21), first=date(2026, 2, 1),
                instalments=3)
    plan = act(book, plans.accept, offer["ref"], on=date(2026, 1, 21))
    kids = [i["kid"] for i in plan["instalments"]]
    amounts = [i["amount"] for i in plan["instalments"]]
    # the last instalment 40 kr short: below the creditor's residual_write_off (100 kr)
    report = pay(book, [("2026-02-01", amounts[0], kids[0]), ("2026-03-01", amounts[1], kids[1]),
                        ("2026-04-01", amounts[2] - 40, kids[2])], as_of=date(2026, 4, 2))
    assert report.matched == 3 and report.unmatched == 0
    c = claim(book)
    assert (c["status"], c["close_reason"]) == ("closed", "paid")
    writeoff = [p for p in postings_of(book) if p["rule"] == "residual-write-off"]
    assert writeoff and sum(-p["amount_ore"] for p in writeoff) == 4000
    shown = act(book, plans.show, offer["ref"], as_of=date(2026, 4, 2))
    assert [i["paid"] for i in shown["instalments"]] == amounts
    run_days(book, date(2026, 4, 2), date(2026, 4, 2))
    assert agreement(book, offer["ref"])["status"] == "completed"
    assert "agreement_completed" in [e["kind"] for e in events_of(book)]
    assert kinds(book) == ["reminder", "payment_plan_confirmation"]  # no rest notices
    with book.connect() as conn:
        assert check(conn) == []


def test_one_plan_for_two_claims_pays_them_in_order(book) -> None:  # type: ignore[no-untyped-def]
    offer = act(book, plans.propose, [REF, REF2], on=date(2026, 1, 21), first=date(2026, 2, 1),
                instalments=2)
    plan = act(book, plans.accept, offer["ref"], on=date(2026, 1, 21))
    kids = [i["kid"] for i in plan["instalments"]]
    assert claim(book, REF2)["status"] == "paused"
    pay(book, [("2026-02-01", plan["instalments"][0]["amount"], kids[0])],
        as_of=date(2026, 2, 2))
    assert claim(book)["status"] == "paused" and claim(book, REF2)["principal_ore"] == 300_000
    pay(book, [("2026-03-01", plan["instalments"][1]["amount"], kids[1])],
        as_of=date(2026, 3, 2), name="bank2.csv")
    assert claim(book)["status"] == "closed" and claim(book, REF2)["status"] == "closed"
    run_days(book, date(2026, 3, 2), date(2026, 3, 2))
    assert agreement(book, offer["ref"])["status"] == "completed"
    with book.connect() as conn:
        assert check(conn) == []


def _fee_keys(engine) -> Counter:  # type: ignore[no-untyped-def]
    return Counter(p["key"] for p in postings_of(engine)
                   if p["kind"] not in ("payment", "interest"))


def test_breach_notice_then_end_then_collection_resumes_without_charging_twice(collection) -> None:  # type: ignore[no-untyped-def]
    charged_before = _fee_keys(collection)
    offer = act(collection, plans.propose, [REF], on=date(2026, 3, 6), first=date(2026, 3, 20),
                instalments=3)
    plan = act(collection, plans.accept, offer["ref"], on=date(2026, 3, 6))
    first = plan["instalments"][0]
    pay(collection, [("2026-03-20", first["amount"], first["kid"])], as_of=date(2026, 3, 21))
    # the second instalment (20 April) is not paid: a breach on 5 May (14 days after its due)
    run_days(collection, date(2026, 3, 21), date(2026, 5, 4))
    assert agreement(collection, offer["ref"])["status"] == "active"
    run_days(collection, date(2026, 5, 5), date(2026, 5, 5))
    a = agreement(collection, offer["ref"])
    assert (a["status"], a["breach_deadline"]) == ("breached", date(2026, 5, 19))
    notice = letters_of(collection)[-1]
    assert notice["kind"] == "plan_breach_notice" and notice["deadline"] == date(2026, 5, 19)
    assert notice["content"]["plan"]["shortfall"] == str(plan["instalments"][1]["amount"])
    assert notice["content"]["schedule"][0]["kid"] == plan["instalments"][1]["kid"]
    assert claim(collection)["status"] == "paused"
    run_days(collection, date(2026, 5, 6), date(2026, 5, 19))
    assert claim(collection)["status"] == "paused"
    run_days(collection, date(2026, 5, 20), date(2026, 5, 20))
    assert agreement(collection, offer["ref"])["status"] == "ended"
    # collection goes on from its stage the same night: the tung salær was due while the plan
    # ran, so it is charged now (once); nothing charged before is charged again
    c = claim(collection)
    assert (c["status"], c["stage"]) == ("open", "legal_ready")
    tung = [p for p in postings_of(collection) if p["key"] == "salaer:tung"]
    assert [p["on"] for p in tung] == [date(2026, 5, 20)]
    run_days(collection, date(2026, 5, 21), date(2026, 6, 30))
    after = _fee_keys(collection)
    assert all(n == 1 for n in after.values())
    assert set(after) - set(charged_before) == {"salaer:tung"}
    assert Counter(kinds(collection))["payment_demand"] == 1
    with collection.connect() as conn:
        assert check(conn) == []


def test_a_breach_paid_within_the_notice_keeps_the_plan(collection) -> None:  # type: ignore[no-untyped-def]
    offer = act(collection, plans.propose, [REF], on=date(2026, 3, 6), first=date(2026, 3, 20),
                instalments=3)
    plan = act(collection, plans.accept, offer["ref"], on=date(2026, 3, 6))
    run_days(collection, date(2026, 3, 7), date(2026, 4, 4))
    assert agreement(collection, offer["ref"])["status"] == "breached"
    first = plan["instalments"][0]
    pay(collection, [("2026-04-10", first["amount"], first["kid"])], as_of=date(2026, 4, 10))
    run_days(collection, date(2026, 4, 5), date(2026, 4, 25))
    assert agreement(collection, offer["ref"])["status"] == "active"
    assert claim(collection)["status"] == "paused"


def test_a_breached_plans_small_rest_is_written_off_not_collected(book) -> None:  # type: ignore[no-untyped-def]
    offer = act(book, plans.propose, [REF], on=date(2026, 1, 21), first=date(2026, 2, 1),
                instalments=2)
    plan = act(book, plans.accept, offer["ref"], on=date(2026, 1, 21))
    total = plan["total"]
    # everything but 150 kr paid at once (more than the threshold of 100 kr then) ...
    pay(book, [("2026-02-01", str(total - 150), plan["instalments"][0]["kid"])],
        as_of=date(2026, 2, 2))
    assert claim(book)["status"] == "paused"
    # ... and the creditor raises its threshold to 500 kr while the plan runs
    set_policy(book, NORDLYS, {"residual_write_off": "500.00"})
    run_days(book, date(2026, 3, 2), date(2026, 3, 16))  # the second was due 1 March
    assert agreement(book, offer["ref"])["status"] == "breached"
    run_days(book, date(2026, 3, 17), date(2026, 3, 31))  # the notice's deadline: 30 March
    assert agreement(book, offer["ref"])["status"] == "ended"
    c = claim(book)
    assert (c["status"], c["close_reason"]) == ("closed", "paid")
    assert any(p["rule"] == "residual-write-off" for p in postings_of(book))
    with book.connect() as conn:
        assert check(conn) == []


def test_a_limited_agreement_ends_in_review_for_the_handler(book) -> None:  # type: ignore[no-untyped-def]
    offer = act(book, plans.propose, [REF], on=date(2026, 1, 21), first=date(2026, 2, 1),
                amount=D("300.00"), months=2, kind="limited")
    assert offer["status"] == "requested" and [i["amount"] for i in offer["instalments"]] == [
        D("300.00"), D("300.00")]
    act(book, service.approve, offer["ref"], on=date(2026, 1, 22))
    plan = act(book, plans.accept, offer["ref"], on=date(2026, 1, 22))
    pay(book, [(d, "300.00", i["kid"]) for d, i in zip(("2026-02-01", "2026-03-01"),
                                                       plan["instalments"], strict=True)],
        as_of=date(2026, 3, 2))
    run_days(book, date(2026, 3, 2), date(2026, 3, 16))
    assert agreement(book, offer["ref"])["status"] == "review"
    with book.connect() as conn:
        queue = service.requests(conn)
    assert [(r["ref"], r["status"]) for r in queue] == [(offer["ref"], "review")]
    assert claim(book)["status"] == "paused"
    act(book, service.cancel, offer["ref"], on=date(2026, 3, 17), reason="ny vurdering")
    assert claim(book)["status"] == "open"


def test_another_creditors_principal_sees_no_agreement(book) -> None:  # type: ignore[no-untyped-def]
    from krav.accounts.principal import Actor, Principal
    from krav.kernel.errors import NotFound

    offer = act(book, plans.propose, [REF], on=date(2026, 1, 21), first=date(2026, 2, 1),
                instalments=3)
    stranger = Actor(Principal(kind="apikey", user_id=None, creditor_id=999,
                               roles=("creditor_admin",), name="krav_x"), datetime(2026, 1, 21))
    with pytest.raises(NotFound):
        act(book, plans.show, offer["ref"], as_of=date(2026, 1, 21), actor=stranger)
    with pytest.raises(NotFound):
        act(book, plans.propose, [REF2], on=date(2026, 1, 21), first=date(2026, 2, 1),
            instalments=3, actor=stranger)
    assert KARI.name  # the persona the book's claims belong to


def test_a_request_decided_later_resumes_from_where_the_case_then_stood(book) -> None:  # type: ignore[no-untyped-def]
    act(book, service.defer, REF, until=date(2026, 3, 20), on=date(2026, 1, 21))
    run_days(book, date(2026, 1, 21), date(2026, 2, 5))  # the notice went out on 3 February
    stood = claim(book)["next_action_on"]
    assert stood == date(2026, 2, 18)
    act(book, service.approve, "A-0000001", on=date(2026, 2, 5))
    act(book, service.cancel, "A-0000001", on=date(2026, 2, 6))
    assert claim(book)["next_action_on"] == stood  # not the step date of the day it was asked
