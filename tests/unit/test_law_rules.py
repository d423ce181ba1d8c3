"""The pure rules: letter fees, salær, compensation and its offset, legal fees."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from krav.kernel.errors import InvalidInput
from krav.law import law_book
from krav.law.rules import (
    compensation,
    instalment_uplift,
    legal_fee,
    letter_fee,
    offset_against_compensation,
    salaer,
)

BOOK = law_book()
D = Decimal


def fee(kind: str, due: date, sent_on: date, sender: str = "creditor"):  # type: ignore[no-untyped-def]
    return letter_fee(BOOK, kind=kind, due=due, sent_on=sent_on, sender=sender)


# -- letter fees (INKF § 1-2) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("reminder", "35.00"), ("collection_notice", "35.00"), ("payment_demand", "105.00")],
)
def test_fee_for_claim_due_after_reform_at_sats_700(kind: str, expected: str) -> None:
    charge = fee(kind, date(2024, 3, 1), date(2024, 4, 2))
    assert charge.amount == D(expected)
    assert charge.inputs["inkassosats"] == "700"
    assert charge.reference.startswith("inkassoforskriften § 1-2")


@pytest.mark.parametrize(
    ("kind", "expected", "fraction"),
    [("reminder", "70.00", "1/10"), ("payment_demand", "210.00", "3/10")],
)
def test_old_fraction_follows_due_date_not_sending_date(
    kind: str, expected: str, fraction: str
) -> None:
    charge = fee(kind, date(2020, 9, 30), date(2024, 4, 2))
    assert (charge.amount, charge.inputs["fraction"]) == (D(expected), fraction)


def test_2026_rounding_to_whole_kroner_half_up() -> None:
    assert fee("reminder", date(2025, 12, 1), date(2026, 1, 2)).amount == D("38.00")
    assert fee("payment_demand", date(2025, 12, 1), date(2026, 1, 2)).amount == D("113.00")
    # old fraction with 2026 sats: 750/10 = 75, 3 × 75 = 225, nothing to round
    assert fee("payment_demand", date(2020, 1, 1), date(2026, 1, 2)).amount == D("225.00")


def test_no_fee_when_sent_less_than_14_days_after_due() -> None:
    assert fee("reminder", date(2024, 3, 1), date(2024, 3, 15)).amount == D("35.00")  # day 14
    early = fee("reminder", date(2024, 3, 1), date(2024, 3, 14))  # day 13
    assert (early.amount, early.rule, early.inputs["days_after_due"]) == (
        D("0.00"),
        "INKF-1-2-for-tidlig",
        "13",
    )


def test_agency_payment_demand_carries_no_fee_because_salaer_pays_for_it() -> None:
    charge = fee("payment_demand", date(2024, 3, 1), date(2024, 5, 1), sender="agency")
    assert (charge.amount, charge.rule) == (D("0.00"), "INKF-2-salaer-ikke-gebyr")
    assert fee(
        "collection_notice", date(2024, 3, 1), date(2024, 5, 1), sender="agency"
    ).amount == D("35.00")


def test_unknown_kind_or_sender_is_one_clear_error() -> None:
    with pytest.raises(InvalidInput, match="kind: ukjent kind 'purring'"):
        fee("purring", date(2024, 3, 1), date(2024, 5, 1))
    with pytest.raises(InvalidInput, match="sender"):
        fee("reminder", date(2024, 3, 1), date(2024, 5, 1), sender="lawyer")


# -- salær (INKF ch. 2) ---------------------------------------------------------------------------

CHECK_VALUES_700 = [
    ("500", "175", "350"),
    ("1000", "245", "490"),
    ("2500", "280", "560"),
    ("10000", "560", "1120"),
    ("50000", "1120", "2240"),
    ("250000", "2520", "5040"),
    ("250000.01", "5040", "10080"),
]


def sal(
    basis: str,
    *,
    due: date = date(2021, 1, 1),
    sats_on: date = date(2025, 6, 1),
    debtor: str = "consumer",
    vat: bool = True,
    level: str = "lett",
    instalments: int = 0,
) -> Decimal:
    return salaer(
        BOOK,
        basis=D(basis),
        due=due,
        sats_on=sats_on,
        debtor_kind=debtor,
        vat_deductible=vat,
        level=level,
        instalments=instalments,
    ).amount


@pytest.mark.parametrize(("basis", "lett", "tung"), CHECK_VALUES_700)
def test_salaer_check_values_at_sats_700(basis: str, lett: str, tung: str) -> None:
    assert (sal(basis), sal(basis, level="tung")) == (D(lett), D(tung))


def test_band_limit_is_inclusive() -> None:
    assert sal("500.00") == D("175") and sal("500.01") == D("245")


@pytest.mark.parametrize(
    ("basis", "lett", "tung"),
    [
        ("2500", "350", "700"),
        ("10000", "700", "1400"),
        ("50000", "1400", "2800"),
        ("250000", "2800", "5600"),
        ("300000", "5600", "11200"),
    ],
)
def test_old_table_for_claims_due_before_the_reform(basis: str, lett: str, tung: str) -> None:
    due = date(2020, 9, 30)
    assert (sal(basis, due=due), sal(basis, due=due, level="tung")) == (D(lett), D(tung))


def test_business_and_no_vat_factors_and_ore_rounding_down() -> None:
    assert sal("400", debtor="business") == D("262.50")
    assert sal("400", vat=False) == D("218.75")
    # 700 × 0.25 × 1.5 × 1.25 = 328.125 → 328.12 (a maximum: never rounded up)
    charge = salaer(
        BOOK,
        basis=D("400"),
        due=date(2021, 1, 1),
        sats_on=date(2025, 6, 1),
        debtor_kind="business",
        vat_deductible=False,
        level="lett",
    )
    assert (charge.amount, charge.inputs["exact"]) == (D("328.12"), "328.12500")


def test_salaer_uses_sats_of_payment_day() -> None:
    assert sal("500", sats_on=date(2026, 1, 1)) == D("187.50")  # 750 × 0.25


def test_instalment_uplift_only_above_four_instalments() -> None:
    assert sal("500", instalments=4) == D("175")
    assert sal("500", instalments=5) == D("1225")  # 175 + 1.5 × 700
    assert sal("500", vat=False, instalments=5) == D("1531.25")  # 218.75 + 1312.50
    assert instalment_uplift(BOOK, sats_on=date(2026, 2, 1), vat_deductible=True).amount == D(
        "1125.00"
    )


# -- § 3 a compensation and the offset ------------------------------------------------------------


def test_compensation_business_and_consumer() -> None:
    assert compensation(BOOK, debtor_kind="business", on=date(2026, 6, 30)).amount == D("460.00")
    assert compensation(BOOK, debtor_kind="business", on=date(2026, 7, 1)).amount == D("430.00")
    consumer = compensation(BOOK, debtor_kind="consumer", on=date(2026, 7, 1))
    assert (consumer.amount, consumer.rule) == (D("0.00"), "FRL-3a-ikke-forbruker")


def test_offset_examples() -> None:
    assert (
        offset_against_compensation(compensation=D("460"), costs_before=D("0"), new_cost=D("35"))
        == 0
    )
    assert offset_against_compensation(
        compensation=D("460"), costs_before=D("455"), new_cost=D("38")
    ) == D("33")
    assert offset_against_compensation(
        compensation=D("0"), costs_before=D("70"), new_cost=D("35")
    ) == D("35")
    assert offset_against_compensation(
        compensation=D("460"), costs_before=D("600"), new_cost=D("35")
    ) == D("35")


money = st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False, allow_infinity=False)


@given(compensation=money, costs=st.lists(money, max_size=8))
def test_offset_total_never_exceeds_the_larger_of_compensation_and_costs(
    compensation: Decimal, costs: list[Decimal]
) -> None:
    charged, before = compensation, D(0)
    for cost in costs:
        part = offset_against_compensation(
            compensation=compensation, costs_before=before, new_cost=cost
        )
        assert D(0) <= part <= cost
        charged += part
        before += cost
    assert charged == max(compensation, sum(costs, D(0)))


def test_offset_refuses_negative_amounts() -> None:
    with pytest.raises(InvalidInput, match="new_cost"):
        offset_against_compensation(compensation=D("1"), costs_before=D("0"), new_cost=D("-1"))


# -- fees derived from the rettsgebyr -------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "on", "expected"),
    [
        ("utlegg", date(2026, 3, 1), "1627.00"),  # 1.21 × 1345 = 1627.45 → 1627
        ("utlegg", date(2021, 12, 31), "2038.00"),  # 1.7 × 1199 = 2038.30 → 2038
        ("utlegg", date(2022, 1, 1), "1479.00"),  # 1.21 × 1223 = 1479.83 → 1479 (down)
        ("forliksklage", date(2025, 5, 1), "1445.00"),  # 1.1 × 1314 = 1445.40 → 1445
        ("konkurs_security", date(2026, 1, 1), "67250.00"),
    ],
)
def test_legal_fees_round_down_to_whole_kroner(kind: str, on: date, expected: str) -> None:
    assert legal_fee(BOOK, kind=kind, on=on).amount == D(expected)
