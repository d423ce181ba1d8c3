"""The nightly run against SQLite and PostgreSQL: the default process, idempotence, catch-up,
crash-and-rerun, dry run, and the letters it queues."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from tests.factories import (
    BYGG,
    FJORDNETT,
    NORDLYS,
    OLA,
    add_creditor,
    add_payment,
    by_kind,
    claim,
    claim_row,
    import_claims,
    letters_of,
    postings_of,
    run_days,
    send_letters,
    set_policy,
    table_counts,
)

import krav.engine.run as run_module
from krav.db.tables import claims, letters, postings
from krav.engine.run import run_nightly
from krav.ledger.check import check

D = Decimal


def ore(amount: str) -> int:
    return int(D(amount) * 100)


def test_the_default_process_for_a_consumer_claim(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(due=date(2026, 1, 5), amount="1000.00")])
    run_days(engine, date(2026, 1, 6), date(2026, 4, 30))
    got = [(lt["kind"], lt["sender"], lt["sent_on"], lt["deadline"], lt["fee_ore"], lt["status"])
           for lt in letters_of(engine)]
    assert got == [
        ("reminder", "creditor", date(2026, 1, 19), date(2026, 2, 2), 3800, "sent"),
        ("collection_notice", "creditor", date(2026, 2, 3), date(2026, 2, 17), 3800, "sent"),
        ("payment_demand", "agency", date(2026, 2, 18), date(2026, 3, 4), 0, "sent"),
    ]
    charged = [(p["on"], p["kind"], p["amount_ore"]) for p in postings_of(engine)]
    assert charged == [
        (date(2025, 12, 22), "principal", 100000),
        (date(2026, 1, 19), "interest", 460), (date(2026, 1, 19), "reminder_fee", 3800),
        (date(2026, 2, 3), "interest", 493), (date(2026, 2, 3), "collection_notice_fee", 3800),
        (date(2026, 2, 18), "interest", 493),
        (date(2026, 3, 5), "salaer", 26250), (date(2026, 4, 2), "salaer", 26250),
    ]
    c = claim(engine)
    assert (c["status"], c["stage"], c["next_action_on"]) == ("open", "legal_ready", None)
    assert (c["principal_ore"], c["interest_ore"], c["costs_ore"]) == (100000, 1446, 60100)
    assert c["legal_deadline"] == date(2026, 8, 18)
    with engine.connect() as conn:
        assert check(conn) == []


def test_the_payment_demand_letter_says_what_the_law_requires(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row()])
    run_days(engine, date(2026, 1, 19), date(2026, 2, 18))
    demand = by_kind(letters_of(engine))["payment_demand"][0]["content"]
    assert demand["enforcement_notice"] is True  # tvfbl. § 4-18
    assert demand["sender"] == "agency" and demand["deadline"] == "2026-03-04"
    # principal and additions separately (INKL § 10), with the interest rate and start date
    assert demand["amounts"] == {"principal": "1000.00", "interest": "14.46", "fees": "76.00",
                                 "paid": "0.00", "total": "1090.46"}
    assert demand["interest"]["rate"] == "12.00" and demand["interest"]["from"] == "2026-01-06"
    assert demand["debtor"]["orgnr"] == ""  # never a fødselsnummer on a letter
    reminder = by_kind(letters_of(engine))["reminder"][0]["content"]
    assert reminder["amounts"]["total"] == "1042.60" and reminder["fee"] == "38.00"


def test_a_business_debtor_owes_compensation_once_and_costs_are_offset(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(debtor=BYGG)])
    run_days(engine, date(2026, 1, 6), date(2026, 4, 30))
    ps = postings_of(engine)
    comp = [p for p in ps if p["kind"] == "compensation"]
    assert [(p["on"], p["amount_ore"]) for p in comp] == [(date(2026, 1, 19), 46000)]
    gross = sum(int(D(p["inputs"]["full_amount"]) * 100) for p in ps
                if p["kind"] in ("reminder_fee", "collection_notice_fee", "salaer"))
    charged = sum(p["amount_ore"] for p in ps if p["kind"] in
                  ("reminder_fee", "collection_notice_fee", "payment_demand_fee", "salaer",
                   "compensation"))
    assert gross == 3800 * 2 + 78750
    assert charged == max(46000, gross) == claim(engine)["costs_ore"]


def test_at_most_two_fee_bearing_letters_before_the_payment_demand(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # A policy stored behind the lint's back: the planner still refuses a third fee.
    add_creditor(engine, NORDLYS)
    import_claims(engine, tmp_path, [claim_row()])
    from krav.cases.policy import DEFAULT_POLICY, LetterStep, Policy

    three = Policy(steps=(LetterStep("reminder", 14, 14), LetterStep("reminder", 1, 14),
                          *DEFAULT_POLICY.steps[1:]))
    monkey = pytest.MonkeyPatch()
    monkey.setattr(run_module, "load_policies", lambda conn, book, on: ({1: three}, {}))
    try:
        run_days(engine, date(2026, 1, 19), date(2026, 3, 20))
    finally:
        monkey.undo()
    fees = [lt["fee_ore"] for lt in letters_of(engine)]
    assert [lt["kind"] for lt in letters_of(engine)] == [
        "reminder", "reminder", "collection_notice", "payment_demand"]
    assert sum(1 for f in fees[:3] if f > 0) == 2


def test_a_second_run_of_the_same_day_changes_nothing(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(invoice=str(n), due=date(2026, 1, n))
                                     for n in range(1, 8)])
    first = run_nightly(engine, as_of=date(2026, 1, 19))  # due 01-01 … 01-05 are due
    assert first.claims_changed == 5 and first.letters == {"reminder": 5}
    before = table_counts(engine)
    with engine.connect() as conn:
        state = conn.execute(select(claims).order_by(claims.c.id)).all()
    second = run_nightly(engine, as_of=date(2026, 1, 19))
    assert second.claims_changed == 0 and second.letters == {} and second.postings == {}
    after = table_counts(engine)
    assert {k: v for k, v in after.items() if k != "runs"} == \
        {k: v for k, v in before.items() if k != "runs"}
    with engine.connect() as conn:
        assert conn.execute(select(claims).order_by(claims.c.id)).all() == state


def test_a_missed_run_catches_up_on_the_run_day(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row()])
    summary = run_nightly(engine, as_of=date(2026, 2, 10))  # no run since the import
    assert summary.letters == {"reminder": 1}
    [reminder] = letters_of(engine)
    assert (reminder["sent_on"], reminder["deadline"]) == (date(2026, 2, 10), date(2026, 2, 24))
    assert claim(engine)["next_action_on"] == date(2026, 2, 25)
    interest = [p for p in postings_of(engine) if p["kind"] == "interest"]
    assert [(p["on"], p["amount_ore"]) for p in interest] == [(date(2026, 2, 10), 1184)]  # 36 d
    send_letters(engine, date(2026, 2, 10))
    run_nightly(engine, as_of=date(2026, 3, 20))  # missed again
    notice = letters_of(engine)[-1]
    assert (notice["kind"], notice["sent_on"], notice["deadline"]) == (
        "collection_notice", date(2026, 3, 20), date(2026, 4, 3))


def _three_batches(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(invoice=str(n), debtor=OLA if n % 2 else BYGG)
                                     for n in range(1, 7)])


def test_a_crash_mid_run_keeps_the_first_batch_and_a_rerun_completes_without_doubles(
        engine, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _three_batches(engine, tmp_path)
    real_apply = run_module._apply
    calls = []

    def crash_on_second_batch(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(run_module, "_apply", crash_on_second_batch)
    with pytest.raises(RuntimeError, match="power cut"):
        run_nightly(engine, as_of=date(2026, 1, 19), batch_size=2)
    with engine.connect() as conn:
        sent = conn.execute(select(letters.c.claim_id).order_by(letters.c.claim_id)).scalars().all()
        posted = set(conn.execute(select(postings.c.claim_id)
                                  .where(postings.c.kind != "principal")).scalars())
        stages = conn.execute(select(claims.c.stage).order_by(claims.c.id)).scalars().all()
    assert sent == [1, 2] and posted == {1, 2}
    assert stages == ["reminder", "reminder", "invoiced", "invoiced", "invoiced", "invoiced"]

    monkeypatch.setattr(run_module, "_apply", real_apply)
    rerun = run_nightly(engine, as_of=date(2026, 1, 19), batch_size=2)
    assert rerun.claims_due == 4 and rerun.claims_changed == 4
    with engine.connect() as conn:
        per_claim = conn.execute(select(letters.c.claim_id, func.count())
                                 .group_by(letters.c.claim_id)).all()
        assert sorted(per_claim) == [(n, 1) for n in range(1, 7)]
        fees = conn.execute(select(postings.c.claim_id, postings.c.kind, func.count())
                            .where(postings.c.kind != "principal")
                            .group_by(postings.c.claim_id, postings.c.kind)).all()
        assert all(n == 1 for _, _, n in fees)
        assert check(conn) == []


def test_dry_run_writes_nothing_and_describes_the_plan(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_claims(engine, tmp_path, [claim_row(invoice="1"), claim_row(invoice="2", debtor=BYGG)])
    before = table_counts(engine)
    summary = run_nightly(engine, as_of=date(2026, 1, 19), dry_run=True)
    assert table_counts(engine) == before
    assert summary.letters == {"reminder": 2} and summary.claims_changed == 2
    data = summary.to_json()
    assert set(data) >= {"as_of", "dry_run", "claims_due", "claims_changed", "letters",
                         "postings", "charged", "plans"}
    assert data["dry_run"] is True and len(data["plans"]) == 2
    plan = data["plans"][0]
    assert (plan["ref"], plan["from_stage"], plan["to_stage"]) == ("K-0000001", "invoiced",
                                                                    "reminder")
    assert [lt["kind"] for lt in plan["letters"]] == ["reminder"]
    # what would be charged: 4.60 + 38.00 for the consumer, 4.60 + 460 compensation (+ 0 fee)
    assert data["charged"] == D("507.20")
    real = run_nightly(engine, as_of=date(2026, 1, 19))
    assert real.letters == summary.letters and real.charged_ore == summary.charged_ore
    assert "plans" not in real.to_json()


def test_an_illegal_stored_policy_holds_that_creditor_and_only_that_one(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A policy the law no longer allows holds its creditor's cases; the others run."""
    import_claims(engine, tmp_path, [claim_row(), claim_row(creditor=FJORDNETT, invoice="F1")])
    set_policy(engine, NORDLYS, {"demand_deadline_days": 7})
    before = table_counts(engine)
    summary = run_nightly(engine, as_of=date(2026, 1, 19))
    assert summary.claims_held == 1 and summary.letters == {"reminder": 1}
    assert len(summary.held_creditors) == 1
    assert NORDLYS.orgnr in summary.held_creditors[0]
    assert "inkassoloven § 10" in summary.held_creditors[0]
    after = table_counts(engine)
    assert after["letters"] == before["letters"] + 1


def test_claims_due_on_different_days_advance_on_their_own_days(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    due = [date(2026, 1, 5) + timedelta(days=n) for n in range(5)]
    import_claims(engine, tmp_path, [claim_row(invoice=str(n), due=d) for n, d in enumerate(due)])
    summaries = run_days(engine, date(2026, 1, 18), date(2026, 1, 24))
    assert [s.letters.get("reminder", 0) for s in summaries] == [0, 1, 1, 1, 1, 1, 0]
    assert [s.claims_due for s in summaries] == [0, 1, 1, 1, 1, 1, 0]


def test_letters_record_what_was_true_the_day_they_were_sent(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A part payment before the inkassovarsel shows on it as paid; the balance is the rest."""
    import_claims(engine, tmp_path, [claim_row()])
    run_days(engine, date(2026, 1, 19), date(2026, 1, 19))
    # 44.57 pays exactly the fee (38.00) and the interest through 01-25 (4.60 + 1.97)
    pid, claim_id = add_payment(engine, "K-0000001", "44.57", date(2026, 1, 25))
    from krav.ledger.service import PaymentToAllocate, allocate_payments

    with engine.begin() as conn:
        allocate_payments(conn, [PaymentToAllocate(pid, claim_id, D("44.57"), date(2026, 1, 25))],
                          as_of=date(2026, 1, 25))
    run_days(engine, date(2026, 1, 26), date(2026, 2, 3))
    notice = by_kind(letters_of(engine))["collection_notice"][0]["content"]
    assert notice["amounts"]["paid"] == "44.57"
    assert notice["amounts"]["principal"] == "1000.00"
    total = D(notice["amounts"]["principal"]) + D(notice["amounts"]["interest"]) + \
        D(notice["amounts"]["fees"])
    assert D(notice["amounts"]["total"]) == total
    c = claim(engine)
    assert D(notice["amounts"]["total"]) == D(c["principal_ore"] + c["interest_ore"]
                                               + c["costs_ore"]) / 100


def test_the_default_policy_survives_the_2026_act_coming_into_force(
        engine, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Setting the act's in-force date is a data change: the nightly run keeps working for
    creditors on the default policy, and the inkassovarsel then comes from the agency
    (INKL 2026 § 20) with its fee."""
    import shutil

    from krav.law import DEFAULT_ROOT, law_book

    root = tmp_path / "no"
    shutil.copytree(DEFAULT_ROOT, root)
    regime = root / "regimes" / "inkl2026.yaml"
    regime.write_text(regime.read_text(encoding="utf-8")
                      .replace("in_force: null", "in_force: 2027-01-01"), encoding="utf-8")
    for name, value in (("interest/forsinkelsesrente", "12.25"),  # 2027 values (test data):
                        ("compensation/standardkompensasjon", "440")):  # both are half-yearly
        path = root / f"{name}.yaml"
        path.write_text(path.read_text(encoding="utf-8").rstrip("\n")
                        + f'\n  2027-01-01: {{value: "{value}", source: "testdata"}}\n',
                        encoding="utf-8")
    book = law_book(root)
    monkeypatch.setattr(run_module, "law_book", lambda: book)
    import_claims(engine, tmp_path, [claim_row(due=date(2026, 12, 10))])
    run_days(engine, date(2026, 12, 24), date(2027, 1, 8))
    got = [(lt["kind"], lt["sender"], lt["sent_on"], lt["fee_ore"]) for lt in letters_of(engine)]
    assert got == [("reminder", "creditor", date(2026, 12, 24), 3800),
                   ("collection_notice", "agency", date(2027, 1, 8), 3800)]


def test_a_run_in_a_half_year_without_compensation_stops_before_writing(
        engine, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Issue 8: with the 2027 interest rate added but no 2027 § 3 a amount, the run used to
    charge a business debtor 2026 H2's 430 kr in 2027; now it stops before writing anything,
    naming the quantity, and goes through once the amount is added (here locally)."""
    from krav.kernel.errors import LawDataError
    from krav.law.overlay import set_local_value

    law = tmp_path / "lov"
    monkeypatch.setenv("KRAV_LAW_DIR", str(law))
    set_local_value(law / "no", "interest/forsinkelsesrente", date(2027, 1, 1), "12.00", "test")
    import_claims(engine, tmp_path, [claim_row(debtor=BYGG, due=date(2026, 12, 20))])
    run_days(engine, date(2026, 12, 21), date(2026, 12, 31))
    before = table_counts(engine)
    with pytest.raises(LawDataError, match="compensation/standardkompensasjon har ingen verdi "
                                           "fra 2027-01-01 .*til og med 2026-12-31"):
        run_nightly(engine, as_of=date(2027, 1, 3))
    assert table_counts(engine) == before
    assert [p for p in postings_of(engine) if p["kind"] == "compensation"] == []
    set_local_value(law / "no", "compensation/standardkompensasjon", date(2027, 1, 1), "440",
                    "test")
    run_nightly(engine, as_of=date(2027, 1, 3))
    comp = [(p["on"], p["amount_ore"]) for p in postings_of(engine) if p["kind"] == "compensation"]
    assert comp == [(date(2027, 1, 3), 44000)]


def test_a_claim_changed_by_someone_else_during_the_run_rolls_the_batch_back(
        engine, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Optimistic locking: the applier's version check catches a concurrent change (e.g. a
    dispute registered while the run planned) and writes nothing for that batch."""
    from krav.cases import service
    from krav.kernel.errors import UnableToProceed

    import_claims(engine, tmp_path, [claim_row(invoice="1"), claim_row(invoice="2")])
    real_plan = run_module.plan_claim

    def dispute_meanwhile(state, ctx):  # type: ignore[no-untyped-def]
        if state.ref == "K-0000002":
            with engine.begin() as other:
                service.dispute(other, "K-0000002", on=ctx.as_of, reason="Ringte inn")
        return real_plan(state, ctx)

    monkeypatch.setattr(run_module, "plan_claim", dispute_meanwhile)
    with pytest.raises(UnableToProceed, match="endret"):
        run_nightly(engine, as_of=date(2026, 1, 19))
    assert [lt["kind"] for lt in letters_of(engine, "K-0000001")] == []
    assert [lt["kind"] for lt in letters_of(engine, "K-0000002")] == ["dispute_ack"]
    assert claim(engine, "K-0000002")["status"] == "disputed"
    monkeypatch.setattr(run_module, "plan_claim", real_plan)
    run_nightly(engine, as_of=date(2026, 1, 19))
    assert [lt["kind"] for lt in letters_of(engine, "K-0000001")] == ["reminder"]
    assert [lt["kind"] for lt in letters_of(engine, "K-0000002")] == ["dispute_ack"]
    with engine.connect() as conn:
        assert check(conn) == []


def test_a_run_day_without_a_known_interest_rate_stops_before_any_write(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The half-year rate is fixed by regulation; until it is in the data, nothing runs."""
    from krav.kernel.errors import LawDataError

    import_claims(engine, tmp_path, [claim_row(due=date(2026, 12, 1))])
    before = table_counts(engine)
    with pytest.raises(LawDataError, match="forsinkelsesrente"):
        run_nightly(engine, as_of=date(2099, 1, 5))
    assert table_counts(engine) == before
