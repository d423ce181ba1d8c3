"""Payment allocation (dekningsrekkefølge, law-no.md § 5): order, designation, no øre lost."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from krav.kernel.errors import InvalidInput
from krav.ledger.allocation import allocate, effective_order, parse_order
from krav.ledger.model import COST_COMPONENTS, DEFAULT_ORDER, GROUPS

D = Decimal
OWED = {"principal": D("1000.00"), "interest": D("14.46"), "reminder_fee": D("38.00"),
        "collection_notice_fee": D("38.00"), "salaer": D("262.50")}


def test_default_order_is_costs_then_interest_then_principal() -> None:
    split = allocate(D("400.00"), OWED)
    assert split.order == ("costs", "interest", "principal")
    # costs first (salær, then the letter fees), then interest, then principal
    assert split.parts == {"salaer": D("262.50"), "collection_notice_fee": D("38.00"),
                           "reminder_fee": D("38.00"), "interest": D("14.46"),
                           "principal": D("47.04")}
    assert split.overpaid == 0 and split.covered == D("400.00")


def test_a_small_payment_covers_costs_only() -> None:
    split = allocate(D("100.00"), OWED)
    assert split.parts == {"salaer": D("100.00")}


def test_a_creditor_order_principal_first() -> None:
    split = allocate(D("1010.00"), OWED, order=parse_order("principal, interest, costs"))
    assert split.parts == {"principal": D("1000.00"), "interest": D("10.00")}


def test_the_debtors_designation_goes_first_then_the_creditors_order() -> None:
    split = allocate(D("1020.00"), OWED, designation="principal")
    assert split.order == ("principal", "costs", "interest")
    assert split.parts == {"principal": D("1000.00"), "salaer": D("20.00")}
    split = allocate(D("20.00"), OWED, order=("principal", "interest", "costs"),
                     designation="interest")
    assert split.order == ("interest", "principal", "costs")
    assert split.parts == {"interest": D("14.46"), "principal": D("5.54")}


def test_what_is_left_after_everything_is_overpaid() -> None:
    total = sum(OWED.values())
    split = allocate(total + D("12.34"), OWED)
    assert split.parts == OWED and split.overpaid == D("12.34")


def test_zero_and_negative_balances_take_nothing() -> None:
    split = allocate(D("50.00"), {"principal": D("100.00"), "salaer": D("0.00"),
                                  "interest": D("-1.00"), "overpaid": D("-5.00")})
    assert split.parts == {"principal": D("50.00")}


def test_a_zero_payment_allocates_nothing() -> None:
    split = allocate(D("0.00"), OWED)
    assert split.parts == {} and split.overpaid == 0


def test_a_negative_amount_is_refused() -> None:
    with pytest.raises(ValueError):
        allocate(D("-1.00"), OWED)


@pytest.mark.parametrize("text", ["costs,interest", "costs,interest,principal,costs",
                                  "costs,interest,capital", ""])
def test_a_bad_creditor_order_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_order(text)
    assert "dekningsrekkefølge" in str(info.value)


def test_an_unknown_designation_is_refused() -> None:
    with pytest.raises(InvalidInput):
        effective_order(DEFAULT_ORDER, "salaer")


def test_groups_cover_every_cost_component_once() -> None:
    listed = [c for group in GROUPS.values() for c in group]
    assert sorted(listed) == sorted(("principal", "interest", *COST_COMPONENTS))


ore = st.integers(min_value=0, max_value=10**9).map(lambda n: D(n) / 100)
balances = st.dictionaries(st.sampled_from(["principal", "interest", *COST_COMPONENTS]),
                           st.integers(min_value=-10**6, max_value=10**8).map(lambda n: D(n) / 100))
orders = st.permutations(list(DEFAULT_ORDER)).map(tuple)
designations = st.one_of(st.none(), st.sampled_from(list(DEFAULT_ORDER)))


@given(amount=ore, owed=balances, order=orders, designation=designations)
def test_allocation_never_creates_or_loses_an_ore(amount, owed, order, designation) -> None:  # type: ignore[no-untyped-def]
    split = allocate(amount, owed, order=order, designation=designation)
    assert split.covered + split.overpaid == amount
    assert split.overpaid >= 0
    for component, part in split.parts.items():
        assert 0 < part <= owed[component]
    positive = sum((v for v in owed.values() if v > 0), D(0))
    # money is only left over when every positive balance is covered
    assert split.overpaid == max(D(0), amount - positive)
    if split.overpaid > 0:
        assert split.parts == {k: v for k, v in owed.items() if v > 0}


@given(amount=ore, owed=balances, order=orders, designation=designations)
def test_allocation_fills_groups_in_order(amount, owed, order, designation) -> None:  # type: ignore[no-untyped-def]
    split = allocate(amount, owed, order=order, designation=designation)
    sequence = [c for group in split.order for c in GROUPS[group]]
    touched = [c for c in sequence if c in split.parts]
    # every component before the last one touched is paid in full
    if touched:
        last = sequence.index(touched[-1])
        for component in sequence[:last]:
            if owed.get(component, D(0)) > 0:
                assert split.parts.get(component) == owed[component]
