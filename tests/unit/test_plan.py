"""The nightly planner, pure: exact dates and amounts of the default process for concrete claims.

``walk`` plays the nightly run day by day on one claim without a database: each day's plan's
``after`` state is the next day's input, as the applier would store it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from krav.cases.model import ClaimState
from krav.cases.policy import DEFAULT_POLICY, LetterStep, Policy, policy_from_json
from krav.engine.plan import PlanContext, after_deadline, plan_claim
from krav.law import law_book
from krav.ledger.model import COST_COMPONENTS

D = Decimal
NO_WRITE_OFF = replace(DEFAULT_POLICY, residual_write_off=D("0.00"))


@pytest.fixture(scope="module")
def book():  # type: ignore[no-untyped-def]
    return law_book()


def state(*, due: date = date(2026, 1, 5), principal: str = "1000.00", kind: str = "consumer",
          policy: Policy = DEFAULT_POLICY, **changes: object) -> ClaimState:
    """A freshly imported claim, as the import leaves it."""
    first = due + timedelta(days=policy.steps[0].delay_days)
    base = ClaimState(
        id=1, ref="K-0000001", creditor_id=1, due_date=due, status="open", stage="invoiced",
        step_index=0, fee_letters=0, last_deadline=None, demand_sent_on=None,
        demand_deadline=None, legal_deadline=None, next_action_on=first, approved=False,
        instalments=0, debtor_kind=kind, vat_deductible=True, principal=D(principal),
        interest=D("0.00"), costs=D("0.00"), interest_through=due, recovery_costs=D("0.00"),
        compensation=D("0.00"), version=0, original_principal=D(principal))
    return base.evolve(**changes)


@dataclass
class Walk:
    final: ClaimState
    letters: list = field(default_factory=list)
    postings: list = field(default_factory=list)
    stages: dict[date, str] = field(default_factory=dict)

    def kinds(self) -> list[str]:
        return [letter.kind for letter in self.letters]

    def charged(self, kind: str) -> list[tuple[date, Decimal]]:
        return [(p.on, p.amount) for p in self.postings if p.kind == kind]


def walk(book, start: ClaimState, first: date, last: date,  # type: ignore[no-untyped-def]
         policy: Policy = DEFAULT_POLICY) -> Walk:
    current = start
    out = Walk(final=start)
    day = first
    while day <= last:
        plan = plan_claim(current, PlanContext(book=book, as_of=day, policies={1: policy}))
        out.letters += plan.letters
        out.postings += plan.postings
        if plan.after.stage != current.stage:
            out.stages[day] = plan.after.stage
        current = plan.after
        day += timedelta(days=1)
    out.final = current
    return out


def test_default_process_for_a_consumer_claim_of_1000_due_2026_01_05(book) -> None:  # type: ignore[no-untyped-def]
    w = walk(book, state(), date(2026, 1, 5), date(2026, 5, 1))
    got = [(lt.kind, lt.sender, lt.sent_on, lt.deadline, lt.fee) for lt in w.letters]
    assert got == [
        # reminder at due + 14 with the 2026 fee 750/20 = 37.50 → 38 and a 14-day deadline
        ("reminder", "creditor", date(2026, 1, 19), date(2026, 2, 2), D("38.00")),
        # inkassovarsel the day after that deadline, fee, 14 days
        ("collection_notice", "creditor", date(2026, 2, 3), date(2026, 2, 17), D("38.00")),
        # transfer to collection the day after, and the agency's demand the same day (no fee)
        ("payment_demand", "agency", date(2026, 2, 18), date(2026, 3, 4), D("0.00")),
    ]
    assert w.letters[2].enforcement_notice is True  # tvfbl. § 4-18 notice
    assert w.stages == {date(2026, 1, 19): "reminder", date(2026, 2, 3): "collection_notice",
                        date(2026, 2, 18): "payment_demand", date(2026, 3, 5): "salaer_lett",
                        date(2026, 4, 2): "legal_ready"}
    # salær (INKF § 2-2): claim ≤ 1 000 → lett 0.35 × 750 = 262.50 the day after the deadline;
    # tung 0.7 × 750 = 525.00 when the deadline is exceeded by more than 28 days (29 days).
    assert w.charged("salaer") == [(date(2026, 3, 5), D("262.50")),
                                   (date(2026, 4, 2), D("262.50"))]
    # interest crystallised at each letter: 14, 15 and 15 days at 12 % on 1 000 (actual/365)
    assert w.charged("interest") == [(date(2026, 1, 19), D("4.60")),
                                     (date(2026, 2, 3), D("4.93")),
                                     (date(2026, 2, 18), D("4.93"))]
    f = w.final
    assert (f.stage, f.status, f.next_action_on) == ("legal_ready", "open", None)
    assert f.demand_sent_on == date(2026, 2, 18) and f.demand_deadline == date(2026, 3, 4)
    assert f.legal_deadline == date(2026, 8, 18)  # INKL § 11: within 6 months
    assert f.costs == D("38.00") * 2 + D("525.00") == f.recovery_costs
    assert f.interest == D("14.46") and f.fee_letters == 2
    assert f.compensation == 0


def test_nothing_happens_before_the_first_step_is_due(book) -> None:  # type: ignore[no-untyped-def]
    w = walk(book, state(), date(2026, 1, 5), date(2026, 1, 18))
    assert w.letters == [] and w.postings == [] and w.final == state()


def test_a_2025_reminder_carries_the_2025_fee(book) -> None:  # type: ignore[no-untyped-def]
    w = walk(book, state(due=date(2025, 6, 2)), date(2025, 6, 2), date(2025, 7, 10))
    assert [(lt.sent_on, lt.fee) for lt in w.letters] == [(date(2025, 6, 16), D("35.00")),
                                                       (date(2025, 7, 1), D("35.00"))]


def test_the_fee_uses_the_inkassosats_of_the_day_the_letter_is_sent(book) -> None:  # type: ignore[no-untyped-def]
    # Reminder sent 2025-12-24 (sats 700 → 35.00); notice 2026-01-08 (sats 750 → 38.00).
    w = walk(book, state(due=date(2025, 12, 10)), date(2025, 12, 10), date(2026, 1, 10))
    assert [(lt.kind, lt.sent_on, lt.fee) for lt in w.letters] == [
        ("reminder", date(2025, 12, 24), D("35.00")),
        ("collection_notice", date(2026, 1, 8), D("38.00"))]


def test_a_deadline_on_a_saturday_moves_the_next_step_past_the_following_monday(book) -> None:  # type: ignore[no-untyped-def]
    # due Saturday 2026-01-03 → reminder Saturday 01-17, deadline Saturday 01-31;
    # a payment on Monday 02-02 is in time, so the notice goes out Tuesday 02-03.
    w = walk(book, state(due=date(2026, 1, 3)), date(2026, 1, 3), date(2026, 2, 10))
    assert [(lt.kind, lt.sent_on, lt.deadline) for lt in w.letters] == [
        ("reminder", date(2026, 1, 17), date(2026, 1, 31)),
        ("collection_notice", date(2026, 2, 3), date(2026, 2, 17))]


def test_a_deadline_on_maundy_thursday_waits_for_the_easter_holidays(book) -> None:  # type: ignore[no-untyped-def]
    # 2026-04-02 skjærtorsdag, 03 langfredag, 04 Sat, 05 påskedag, 06 2. påskedag → Tue 04-07.
    assert after_deadline(date(2026, 4, 2), 1) == date(2026, 4, 8)
    assert after_deadline(date(2026, 4, 1), 1) == date(2026, 4, 2)
    w = walk(book, state(due=date(2026, 3, 5)), date(2026, 3, 5), date(2026, 4, 10))
    assert [(lt.sent_on, lt.deadline) for lt in w.letters] == [
        (date(2026, 3, 19), date(2026, 4, 2)), (date(2026, 4, 8), date(2026, 4, 22))]


def test_a_missed_run_catches_up_on_the_run_day(book) -> None:  # type: ignore[no-untyped-def]
    """Ten days late: the reminder is dated the run day and its deadline counts from it."""
    plan = plan_claim(state(), PlanContext(book=book, as_of=date(2026, 1, 29),
                                           policies={1: DEFAULT_POLICY}))
    assert [(lt.kind, lt.sent_on, lt.deadline) for lt in plan.letters] == [
        ("reminder", date(2026, 1, 29), date(2026, 2, 12))]
    assert plan.after.next_action_on == date(2026, 2, 13)
    interest = [p for p in plan.postings if p.kind == "interest"]
    assert [(p.on, p.amount) for p in interest] == [(date(2026, 1, 29), D("7.89"))]  # 24 days


def test_a_run_months_late_sends_one_letter_not_the_whole_ladder(book) -> None:  # type: ignore[no-untyped-def]
    plan = plan_claim(state(), PlanContext(book=book, as_of=date(2026, 6, 1),
                                           policies={1: DEFAULT_POLICY}))
    assert [lt.kind for lt in plan.letters] == ["reminder"]


def test_transfer_and_payment_demand_chain_on_the_same_day(book) -> None:  # type: ignore[no-untyped-def]
    s = state(stage="collection_notice", step_index=2, fee_letters=2,
              last_deadline=date(2026, 2, 17), next_action_on=date(2026, 2, 18),
              interest_through=date(2026, 2, 3))
    plan = plan_claim(s, PlanContext(book=book, as_of=date(2026, 2, 18),
                                     policies={1: DEFAULT_POLICY}))
    assert [e[0] for e in plan.events] == ["transferred"]
    assert [(lt.kind, lt.sent_on) for lt in plan.letters] == [("payment_demand", date(2026, 2, 18))]
    assert plan.after.stage == "payment_demand"
    assert plan.after.next_action_on == date(2026, 3, 5)


def test_salaer_tung_only_when_the_deadline_is_missed_by_more_than_28_days(book) -> None:  # type: ignore[no-untyped-def]
    s = state(stage="salaer_lett", step_index=2, fee_letters=2, demand_sent_on=date(2026, 2, 18),
              demand_deadline=date(2026, 3, 4), last_deadline=date(2026, 3, 4),
              next_action_on=date(2026, 4, 2), interest_through=date(2026, 2, 18))
    day28 = plan_claim(s, PlanContext(book=book, as_of=date(2026, 4, 1),
                                      policies={1: DEFAULT_POLICY}))
    assert not day28.changed
    day29 = plan_claim(s, PlanContext(book=book, as_of=date(2026, 4, 2),
                                      policies={1: DEFAULT_POLICY}))
    assert day29.after.stage == "legal_ready"


def test_tung_counts_from_the_business_day_a_weekend_demand_deadline_moves_to(book) -> None:  # type: ignore[no-untyped-def]
    # Demand sent Saturday 2026-02-21, deadline Saturday 03-07 → paid in time until Monday 03-09:
    # lett on Tuesday 03-10; tung when 03-09 is exceeded by more than 28 days → 04-07.
    s = state(stage="collection", step_index=2, fee_letters=2, last_deadline=date(2026, 2, 20),
              next_action_on=date(2026, 2, 21), interest_through=date(2026, 2, 6))
    w = walk(book, s, date(2026, 2, 21), date(2026, 4, 30))
    assert w.letters[0].deadline == date(2026, 3, 7)
    assert [on for on, _ in w.charged("salaer")] == [date(2026, 3, 10), date(2026, 4, 7)]


def test_salaer_band_follows_the_principal(book) -> None:  # type: ignore[no-untyped-def]
    # 2 000 kr: band ≤ 2 500 → lett 0.40 × 750 = 300, tung 0.8 × 750 = 600.
    w = walk(book, state(principal="2000.00"), date(2026, 1, 5), date(2026, 5, 1))
    assert [a for _, a in w.charged("salaer")] == [D("300.00"), D("300.00")]


def test_business_debtor_compensation_claimed_once_and_offset(book) -> None:  # type: ignore[no-untyped-def]
    """FRL § 3a: 460 kr (2026) once; fees and salær offset against it (INKF §§ 1-5, 2-6)."""
    w = walk(book, state(kind="business"), date(2026, 1, 5), date(2026, 5, 1))
    comp = w.charged("compensation")
    assert comp == [(date(2026, 1, 19), D("460.00"))]
    assert [lt.fee for lt in w.letters] == [D("0.00"), D("0.00"), D("0.00")]  # absorbed by 460
    # salær for a business debtor is × 1.5: lett 393.75, tung 787.50 in all
    assert [a for _, a in w.charged("salaer")] == [D("9.75"), D("393.75")]
    f = w.final
    fees_and_salaer = D("38.00") * 2 + D("787.50")
    assert f.recovery_costs == fees_and_salaer
    assert f.costs == max(D("460.00"), fees_and_salaer) == D("863.50")
    cost_postings = sum(p.amount for p in w.postings if p.component in COST_COMPONENTS)
    assert cost_postings == f.costs


def test_business_compensation_larger_than_every_cost_is_the_total(book) -> None:  # type: ignore[no-untyped-def]
    letters_only = policy_from_json({"collection": False, "steps": [
        {"kind": "reminder", "delay_days": 14, "deadline_days": 14}]})
    w = walk(book, state(kind="business", policy=letters_only), date(2026, 1, 5),
             date(2026, 3, 1), policy=letters_only)
    assert w.final.costs == D("460.00") and w.final.recovery_costs == D("38.00")
    assert w.final.stage == "letters_done" and w.final.next_action_on is None


def test_consumers_never_owe_compensation(book) -> None:  # type: ignore[no-untyped-def]
    w = walk(book, state(), date(2026, 1, 5), date(2026, 5, 1))
    assert w.charged("compensation") == []


def test_compensation_not_claimed_when_the_creditor_turns_it_off(book) -> None:  # type: ignore[no-untyped-def]
    policy = policy_from_json({"claim_compensation": False})
    w = walk(book, state(kind="business", policy=policy), date(2026, 1, 5), date(2026, 2, 10),
             policy=policy)
    assert w.charged("compensation") == []
    assert [lt.fee for lt in w.letters] == [D("38.00"), D("38.00")]


def test_at_most_two_fee_bearing_letters_even_if_a_policy_asks_for_three(book) -> None:  # type: ignore[no-untyped-def]
    three = Policy(steps=(LetterStep("reminder", 14, 14), LetterStep("reminder", 1, 14),
                          LetterStep("collection_notice", 1, 14)))
    w = walk(book, state(policy=three), date(2026, 1, 5), date(2026, 4, 1), policy=three)
    assert w.kinds()[:3] == ["reminder", "reminder", "collection_notice"]
    assert [lt.fee for lt in w.letters[:3]] == [D("38.00"), D("38.00"), D("0.00")]
    before_demand = [p for p in w.postings if p.kind in ("reminder_fee", "collection_notice_fee")
                     and p.amount > 0]
    assert len(before_demand) == 2


def test_approval_required_holds_the_case_until_approved(book) -> None:  # type: ignore[no-untyped-def]
    policy = policy_from_json({"approval_required": True})
    w = walk(book, state(policy=policy), date(2026, 1, 5), date(2026, 3, 31), policy=policy)
    assert w.kinds() == ["reminder", "collection_notice"]
    assert w.final.stage == "awaiting_approval" and w.final.next_action_on is None
    approved = w.final.evolve(approved=True, next_action_on=date(2026, 4, 1))
    after = walk(book, approved, date(2026, 4, 1), date(2026, 4, 1), policy=policy)
    assert after.kinds() == ["payment_demand"]
    assert after.letters[0].sent_on == date(2026, 4, 1)
    assert after.final.stage == "payment_demand"


def test_a_claim_below_the_minimum_is_not_sent_to_collection(book) -> None:  # type: ignore[no-untyped-def]
    policy = policy_from_json({"min_amount": "500.00"})
    w = walk(book, state(principal="499.99", policy=policy), date(2026, 1, 5), date(2026, 3, 31),
             policy=policy)
    assert w.kinds() == ["reminder", "collection_notice"]
    assert w.final.stage == "below_minimum" and w.final.next_action_on is None
    at_minimum = walk(book, state(principal="500.00", policy=policy), date(2026, 1, 5),
                      date(2026, 3, 31), policy=policy)
    assert "payment_demand" in at_minimum.kinds()


@pytest.mark.parametrize("status", ["paused", "disputed", "closed"])
def test_a_stopped_case_is_not_advanced(book, status) -> None:  # type: ignore[no-untyped-def]
    s = state(status=status)
    plan = plan_claim(s, PlanContext(book=book, as_of=date(2026, 3, 1),
                                     policies={1: DEFAULT_POLICY}))
    assert not plan.changed and plan.letters == [] and plan.postings == []


def test_planning_is_pure_and_repeatable(book) -> None:  # type: ignore[no-untyped-def]
    s = state()
    ctx = PlanContext(book=book, as_of=date(2026, 1, 19), policies={1: DEFAULT_POLICY})
    first, second = plan_claim(s, ctx), plan_claim(s, ctx)
    assert first.after == second.after and first.postings == second.postings
    assert s == state()  # the input is not changed


def test_posting_keys_are_unique_per_claim(book) -> None:  # type: ignore[no-untyped-def]
    w = walk(book, state(kind="business"), date(2026, 1, 5), date(2026, 5, 1))
    keys = [p.key for p in w.postings]
    assert len(keys) == len(set(keys))
    steps = [lt.step_key for lt in w.letters]
    assert len(steps) == len(set(steps))


def test_a_run_missed_past_both_salaer_steps_charges_the_tung_total_once(book) -> None:  # type: ignore[no-untyped-def]
    s = state(stage="payment_demand", step_index=2, fee_letters=2,
              demand_sent_on=date(2026, 2, 18), demand_deadline=date(2026, 3, 4),
              last_deadline=date(2026, 3, 4), next_action_on=date(2026, 3, 5),
              interest_through=date(2026, 2, 18))
    plan = plan_claim(s, PlanContext(book=book, as_of=date(2026, 4, 20),
                                     policies={1: DEFAULT_POLICY}))
    salaer = [(p.on, p.amount, p.key) for p in plan.postings if p.kind == "salaer"]
    assert salaer == [(date(2026, 4, 20), D("262.50"), "salaer:lett"),
                      (date(2026, 4, 20), D("262.50"), "salaer:tung")]
    assert plan.after.stage == "legal_ready"


@settings(max_examples=25, deadline=None)
@given(principal=st.integers(min_value=1, max_value=40_000_000).map(lambda n: D(n) / 100),
       kind=st.sampled_from(["consumer", "business"]),
       due=st.dates(min_value=date(2018, 1, 1), max_value=date(2026, 3, 31)),
       vat=st.booleans())
def test_recovery_costs_never_exceed_the_larger_of_compensation_and_costs(
        book, principal, kind, due, vat) -> None:  # type: ignore[no-untyped-def]
    """Whatever the claim: at most two fee letters before the demand, the compensation at most
    once, and costs charged == max(compensation, fees + salær) (INKF §§ 1-5, 2-6)."""
    start = state(due=due, principal=str(principal), kind=kind).evolve(vat_deductible=vat)
    # every claim, however small: the creditor has turned the residual write-off off
    w = walk(book, start, due, due + timedelta(days=150), NO_WRITE_OFF)
    f = w.final
    assert f.stage == "legal_ready"
    assert sum(1 for lt in w.letters if lt.kind != "payment_demand" and lt.fee > 0) <= 2
    assert len(w.charged("compensation")) == (1 if kind == "business" else 0)
    assert f.costs == max(f.compensation, f.recovery_costs)
    assert f.costs == sum(p.amount for p in w.postings if p.component in COST_COMPONENTS)
    assert all(p.amount >= 0 for p in w.postings)


# A few kroner are not a collection case (issue 8 part 4): the creditor's residual_write_off.


def test_a_rest_below_the_residual_write_off_is_written_off_and_the_case_closes_as_paid(book
                                                                                        ) -> None:  # type: ignore[no-untyped-def]
    """The debtor paid all but 40 kr of the principal on 01-10; the reminder day comes: the
    rest, interest to the day included, is written off and the case closes as paid."""
    s = state(principal="40.00", interest_through=date(2026, 1, 10)).evolve(
        original_principal=D("1000.00"))
    plan = plan_claim(s, PlanContext(book=book, as_of=date(2026, 1, 19),
                                     policies={1: DEFAULT_POLICY}))
    assert not plan.letters
    got = [(p.kind, p.component, p.amount, p.rule) for p in plan.postings]
    interest = plan.postings[0].amount
    assert got == [("interest", "interest", interest, "FRL-3-forsinkelsesrente"),
                   ("writeoff", "interest", -interest, "residual-write-off"),
                   ("writeoff", "principal", D("-40.00"), "residual-write-off")]
    assert plan.postings[1].inputs == {"threshold": "100.00", "rest": str(D("40.00") + interest)}
    assert (plan.after.status, plan.after.total, plan.after.next_action_on) == ("closed", 0, None)
    assert plan.events[0][0] == "closed" and plan.events[0][1]["reason"] == "paid"


def test_a_rest_at_or_above_the_threshold_goes_on_as_before(book) -> None:  # type: ignore[no-untyped-def]
    s = state(principal="100.00", interest_through=date(2026, 1, 10)).evolve(
        original_principal=D("1000.00"))
    plan = plan_claim(s, PlanContext(book=book, as_of=date(2026, 1, 19),
                                     policies={1: DEFAULT_POLICY}))
    assert [lt.kind for lt in plan.letters] == ["reminder"] and plan.letters[0].fee > 0
    assert plan.after.status == "open"
    off = plan_claim(s.copy().evolve(principal=D("40.00")),
                     PlanContext(book=book, as_of=date(2026, 1, 19), policies={1: NO_WRITE_OFF}))
    assert [lt.fee > 0 for lt in off.letters] == [True]


def test_a_small_unpaid_invoice_gets_letters_without_fees_and_is_never_sent_to_collection(
        book) -> None:  # type: ignore[no-untyped-def]
    w = walk(book, state(principal="50.00", kind="business"), date(2026, 1, 5),
             date(2026, 5, 1))
    assert [(lt.kind, lt.fee) for lt in w.letters] == [("reminder", 0), ("collection_notice", 0)]
    assert not [p for p in w.postings if p.component in COST_COMPONENTS]
    assert (w.final.stage, w.final.next_action_on, w.final.status) == \
        ("below_minimum", None, "open")


def test_a_small_rest_with_costs_still_owed_waits_for_a_person(book) -> None:  # type: ignore[no-untyped-def]
    s = state(principal="10.00", interest_through=date(2026, 2, 3), stage="reminder",
              step_index=1, fee_letters=1, costs=D("35.00"), recovery_costs=D("35.00"),
              next_action_on=date(2026, 2, 3)).evolve(original_principal=D("1000.00"))
    plan = plan_claim(s, PlanContext(book=book, as_of=date(2026, 2, 3),
                                     policies={1: DEFAULT_POLICY}))
    assert not plan.letters and not plan.postings
    assert plan.after.next_action_on is None and plan.after.status == "open"
    assert plan.events == [("held", {"reason": "below_residual_write_off", "owed": "45.00",
                                     "threshold": "100.00"})]
