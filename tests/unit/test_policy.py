"""Dunning policies: parsing and the compliance lint (an illegal policy is refused, naming §)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from krav.cases.policy import (
    DEFAULT_POLICY,
    LetterStep,
    Policy,
    default_policy,
    policy_from_json,
    policy_problems,
    validate_policy,
)
from krav.kernel.errors import IllegalPolicy, InvalidInput
from krav.law import law_book

ON = date(2026, 3, 1)


@pytest.fixture(scope="module")
def book():  # type: ignore[no-untyped-def]
    return law_book()


def reminder(delay: int = 14, deadline: int = 14, fee: bool = True) -> dict:
    return {"kind": "reminder", "delay_days": delay, "deadline_days": deadline, "fee": fee}


def notice(delay: int = 1, deadline: int = 14, fee: bool = True, sender: str = "creditor") -> dict:
    return {"kind": "collection_notice", "delay_days": delay, "deadline_days": deadline,
            "fee": fee, "sender": sender}


def refused(book, data: dict) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(IllegalPolicy) as info:
        validate_policy(policy_from_json(data), book, on=ON)
    return str(info.value)


@pytest.mark.parametrize("on", [date(2020, 10, 1), date(2025, 12, 31), date(2026, 1, 1)])
def test_the_default_policy_is_lawful(book, on) -> None:  # type: ignore[no-untyped-def]
    assert policy_problems(DEFAULT_POLICY, book, on=on) == []
    assert validate_policy(DEFAULT_POLICY, book, on=on) is DEFAULT_POLICY


def test_the_default_policy_is_full_autopilot() -> None:
    p = DEFAULT_POLICY
    assert [(s.kind, s.delay_days, s.deadline_days, s.fee) for s in p.steps] == [
        ("reminder", 14, 14, True), ("collection_notice", 1, 14, True)]
    assert p.collection and not p.approval_required
    assert (p.transfer_delay_days, p.demand_deadline_days, p.enforcement_notice) == (1, 14, True)


def test_none_means_the_default_policy_and_json_round_trips() -> None:
    assert policy_from_json(None) is DEFAULT_POLICY
    assert policy_from_json(DEFAULT_POLICY.to_json()) == DEFAULT_POLICY
    custom = policy_from_json({"approval_required": True, "min_amount": "500.00"})
    assert custom.approval_required and custom.min_amount == Decimal("500.00")
    assert custom.steps == DEFAULT_POLICY.steps


def test_a_fee_letter_sent_less_than_14_days_after_due_is_refused(book) -> None:  # type: ignore[no-untyped-def]
    message = refused(book, {"steps": [reminder(delay=10), notice()]})
    assert "minst 14 dager etter forfall" in message and "etter 10" in message
    assert "inkassoforskriften § 1-2" in message


def test_a_reminder_without_fee_may_go_out_early(book) -> None:  # type: ignore[no-untyped-def]
    policy = policy_from_json({"steps": [reminder(delay=3, fee=False), notice(delay=1)]})
    assert policy_problems(policy, book, on=ON) == []


def test_the_second_fee_counts_days_from_the_due_date_through_the_first_deadline(book) -> None:  # type: ignore[no-untyped-def]
    # A fee-free reminder on the due date with a 14-day deadline: the notice goes out on day 15.
    ok = policy_from_json({"steps": [reminder(delay=0, deadline=14, fee=False), notice()]})
    assert policy_problems(ok, book, on=ON) == []
    # … with a 7-day reminder deadline the notice would come 8 days after due: no fee allowed,
    # and the 7-day deadline is itself too short before a fee-bearing letter.
    message = refused(book, {"steps": [reminder(delay=0, deadline=7, fee=False), notice()]})
    assert "etter 8" in message and "policyen gir 7" in message


@pytest.mark.parametrize("steps", [
    [reminder(deadline=10), notice()],
    [reminder(), notice(deadline=13)],
])
def test_a_deadline_shorter_than_14_days_is_refused(book, steps) -> None:  # type: ignore[no-untyped-def]
    message = refused(book, {"steps": steps})
    assert "betalingsfristen må være minst 14 dager" in message
    assert "inkassoloven § 9" in message


def test_a_collection_notice_without_fee_still_needs_14_days(book) -> None:  # type: ignore[no-untyped-def]
    message = refused(book, {"steps": [reminder(), notice(fee=False, deadline=10)]})
    assert "inkassoloven § 9" in message


def test_three_fee_letters_before_the_payment_demand_are_refused(book) -> None:  # type: ignore[no-untyped-def]
    message = refused(book, {"steps": [reminder(), reminder(delay=1), notice()]})
    assert "3 brev med gebyr" in message and "høyst 2" in message
    assert "inkassoforskriften § 1-3" in message


def test_three_letters_of_which_two_carry_a_fee_are_lawful(book) -> None:  # type: ignore[no-untyped-def]
    policy = policy_from_json({"steps": [reminder(delay=5, deadline=14, fee=False),
                                         reminder(delay=1), notice()]})
    assert policy_problems(policy, book, on=ON) == []


def test_collection_without_an_inkassovarsel_is_refused(book) -> None:  # type: ignore[no-untyped-def]
    message = refused(book, {"steps": [reminder(), reminder(delay=1)]})
    assert "krever et inkassovarsel først" in message and "inkassoloven § 9" in message


def test_the_inkassovarsel_must_be_the_last_letter_before_collection(book) -> None:  # type: ignore[no-untyped-def]
    message = refused(book, {"steps": [notice(delay=14), reminder(delay=1, fee=False)]})
    assert "siste brev før overføring" in message


def test_letters_only_policies_need_no_inkassovarsel(book) -> None:  # type: ignore[no-untyped-def]
    policy = policy_from_json({"collection": False, "steps": [reminder()]})
    assert policy_problems(policy, book, on=ON) == []


def test_a_payment_demand_deadline_under_14_days_is_refused(book) -> None:  # type: ignore[no-untyped-def]
    message = refused(book, {"demand_deadline_days": 10})
    assert "betalingsoppfordringen må gi minst 14 dagers frist" in message
    assert "inkassoloven § 10" in message


def test_transfer_on_the_deadline_day_itself_is_refused(book) -> None:  # type: ignore[no-untyped-def]
    assert "dagen etter" in refused(book, {"transfer_delay_days": 0})


def test_every_problem_is_reported_at_once(book) -> None:  # type: ignore[no-untyped-def]
    policy = policy_from_json({"steps": [reminder(delay=7), reminder(delay=1, deadline=7),
                                         reminder(delay=1)],
                               "demand_deadline_days": 7})
    problems = policy_problems(policy, book, on=ON)
    text = " | ".join(problems)
    for fragment in ("etter 7", "policyen gir 7", "3 brev med gebyr", "inkassovarsel først",
                     "inkassoloven § 10"):
        assert fragment in text


def test_a_creditor_inkassovarsel_with_fee_is_refused_once_the_2026_act_is_in_force(book) -> None:  # type: ignore[no-untyped-def]
    """Switching the regime is data: the same policy becomes illegal (INKL 2026 § 20)."""

    class Under2026:
        def value(self, name: str, day: date):  # type: ignore[no-untyped-def]
            return book.value(name, day)

        def regime(self, day: date) -> str:
            return "inkl2026"

    problems = policy_problems(DEFAULT_POLICY, Under2026(), on=ON)
    assert any("2026 § 20" in p for p in problems)
    agency_notice = Policy(steps=(LetterStep("reminder", 14, 14),
                                  LetterStep("collection_notice", 1, 14, sender="agency")))
    assert policy_problems(agency_notice, Under2026(), on=ON) == []
    assert policy_problems(DEFAULT_POLICY, book, on=ON) == []  # not in force today
    assert default_policy("inkl1988") is DEFAULT_POLICY
    assert policy_problems(default_policy("inkl2026"), Under2026(), on=ON) == []


@pytest.mark.parametrize("data, where", [
    ({"stepz": []}, "policy"),
    ({"steps": [{**reminder(), "colour": "red"}]}, "policy.steps[0]"),
    ({"steps": [{**reminder(), "kind": "sms"}]}, "policy.steps[0].kind"),
    ({"steps": [{**reminder(), "sender": "bailiff"}]}, "policy.steps[0].sender"),
    ({"steps": [{**reminder(), "delay_days": "14"}]}, "policy.steps[0].delay_days"),
    ({"steps": [{**reminder(), "fee": "yes"}]}, "policy.steps[0].fee"),
    ({"approval_required": 1}, "policy.approval_required"),
    ({"min_amount": "-5"}, "policy.min_amount"),
    ({"min_amount": "12,50"}, "policy.min_amount"),
])
def test_malformed_policies_name_the_field(data, where) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as info:
        policy_from_json(data)
    assert str(info.value).startswith(where + ":")


def test_min_amount_and_approval_are_read(book) -> None:  # type: ignore[no-untyped-def]
    policy = policy_from_json({"min_amount": "500", "approval_required": True})
    assert policy.min_amount == Decimal("500.00") and policy.approval_required
    assert policy_problems(policy, book, on=ON) == []
