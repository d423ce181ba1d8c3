"""Interest split at 1 Jan / 1 Jul and rate changes, hand-computed; deadlines and limitation."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from krav.kernel.errors import LawDataError
from krav.law import law_book
from krav.law.rules import (
    deadline,
    enforcement_allowed_on,
    interest,
    legal_action_deadline,
    limitation_date,
    payment_in_time,
)

BOOK = law_book()
D = Decimal


def ore(value: Fraction) -> Decimal:
    """Round a hand-computed exact fraction half-up to øre."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal("0.01"), ROUND_HALF_UP
    )


def test_across_new_year_and_midsummer_in_a_leap_year() -> None:
    result = interest(BOOK, principal=D("10000"), start=date(2023, 12, 15), end=date(2024, 8, 1))
    # 16.–31.12.2023 at 11.75 %/365; 1.1.–30.6.2024 at 12.50 %/366; 1.7.–1.8.2024 at 12.50 %/366
    pieces = [
        Fraction(10000) * Fraction("11.75") / 100 * 16 / 365,
        Fraction(10000) * Fraction("12.50") / 100 * 182 / 366,
        Fraction(10000) * Fraction("12.50") / 100 * 32 / 366,
    ]
    assert result.days == 230 == (date(2024, 8, 1) - date(2023, 12, 15)).days
    assert [(p.first, p.last, p.days, p.rate) for p in result.periods] == [
        (date(2023, 12, 16), date(2023, 12, 31), 16, D("11.75")),
        (date(2024, 1, 1), date(2024, 6, 30), 182, D("12.50")),
        (date(2024, 7, 1), date(2024, 8, 1), 32, D("12.50")),
    ]
    assert result.amount == ore(sum(pieces)) == D("782.38")
    assert (
        [p.amount for p in result.periods]
        == [ore(p) for p in pieces]
        == [D("51.51"), D("621.58"), D("109.29")]
    )


def test_rate_change_inside_a_year() -> None:
    result = interest(BOOK, principal=D("1000"), start=date(2025, 6, 20), end=date(2025, 7, 10))
    assert [(p.days, p.rate) for p in result.periods] == [(10, D("12.50")), (10, D("12.25"))]
    exact = Fraction(1000) * (Fraction("12.50") * 10 + Fraction("12.25") * 10) / 100 / 365
    assert result.amount == ore(exact) == D("6.78")


def test_rounded_once_at_the_end_not_per_period() -> None:
    # Two periods of 0.0025 each: each rounds to 0.00 alone, the exact sum 0.00504… rounds to 0.01.
    result = interest(BOOK, principal=D("4.92"), start=date(2024, 6, 29), end=date(2024, 7, 2))
    exact = Fraction("4.92") * Fraction("12.5") / 100 * 4 / 366
    assert [p.amount for p in result.periods] == [D("0.00"), D("0.00")]
    assert result.amount == ore(exact) == D("0.01")
    assert result.exact == sum(p.exact for p in result.periods)


def test_zero_days_when_end_is_not_after_start() -> None:
    assert interest(
        BOOK, principal=D("500"), start=date(2025, 3, 1), end=date(2025, 3, 1)
    ).amount == D("0.00")
    assert (
        interest(BOOK, principal=D("500"), start=date(2025, 3, 1), end=date(2025, 2, 1)).days == 0
    )


def test_one_day() -> None:
    result = interest(BOOK, principal=D("36500"), start=date(2025, 3, 1), end=date(2025, 3, 2))
    assert (result.days, result.amount) == (1, D("12.50"))  # 36 500 × 12.5 % / 365


def test_missing_rate_after_the_last_half_year_is_an_error_not_a_stale_rate() -> None:
    with pytest.raises(LawDataError,
                       match="krav law set interest/forsinkelsesrente --from 2027-01-01"):
        interest(BOOK, principal=D("100"), start=date(2026, 12, 1), end=date(2027, 1, 1))
    assert (
        interest(BOOK, principal=D("100"), start=date(2026, 12, 1), end=date(2026, 12, 31)).days
        == 30
    )


def test_before_the_first_rate_names_the_quantity() -> None:
    with pytest.raises(
        LawDataError, match="interest/forsinkelsesrente har ingen verdi for 2014-12-31"
    ):
        interest(BOOK, principal=D("100"), start=date(2014, 12, 30), end=date(2015, 1, 5))


# -- days -----------------------------------------------------------------------------------------


def test_deadline_is_14_days_without_holiday_roll_forward() -> None:
    # 2026-12-11 + 14 = 2026-12-25 (Christmas Day) stays
    assert deadline(BOOK, sent_on=date(2026, 12, 11)) == date(2026, 12, 25)


def test_payment_in_time_on_the_next_business_day_after_a_holiday_deadline() -> None:
    christmas = date(
        2026, 12, 25
    )  # Friday, holiday; 26 Dec holiday (Sat), 27 Sun → next business day 28 Dec
    assert payment_in_time(paid_on=christmas, deadline=christmas)
    assert payment_in_time(paid_on=date(2026, 12, 28), deadline=christmas)
    assert not payment_in_time(paid_on=date(2026, 12, 29), deadline=christmas)
    weekday = date(2026, 12, 22)
    assert payment_in_time(paid_on=weekday, deadline=weekday)
    assert not payment_in_time(paid_on=date(2026, 12, 23), deadline=weekday)


def test_limitation_three_years_moved_to_a_business_day() -> None:
    assert limitation_date(BOOK, due=date(2023, 3, 14)) == date(2026, 3, 16)  # Sat 14 → Mon 16
    assert limitation_date(BOOK, due=date(2023, 3, 16)) == date(2026, 3, 16)


def test_limitation_over_easter_and_interruptions_and_judgment() -> None:
    # 2025-04-17 is Maundy Thursday; 18 Good Friday; 19 Sat; 20 Easter Sunday; 21 Easter Monday → 22
    assert limitation_date(BOOK, due=date(2022, 4, 17)) == date(2025, 4, 22)
    assert limitation_date(
        BOOK, due=date(2022, 1, 10), interruptions=[date(2023, 6, 5), date(2022, 3, 1)]
    ) == date(2026, 6, 5)
    judged = limitation_date(
        BOOK, due=date(2020, 1, 10), interruptions=[date(2021, 1, 4)], judgment_on=date(2022, 6, 1)
    )
    assert judged == date(2032, 6, 1)
    later = limitation_date(
        BOOK, due=date(2020, 1, 10), interruptions=[date(2024, 2, 5)], judgment_on=date(2022, 6, 1)
    )
    assert later == date(2034, 2, 6)  # 2034-02-05 is a Sunday


def test_legal_action_within_six_months_and_enforcement_notice() -> None:
    assert legal_action_deadline(BOOK, demand_sent_on=date(2026, 8, 31)) == date(2027, 2, 28)
    assert legal_action_deadline(BOOK, demand_sent_on=date(2026, 3, 10)) == date(2026, 9, 10)
    assert enforcement_allowed_on(BOOK, notice_sent_on=date(2026, 3, 10)) == date(2026, 3, 24)


# -- against a naive day-by-day reference ---------------------------------------------------------

_days = st.dates(min_value=date(2015, 1, 1), max_value=date(2026, 12, 30))


@settings(max_examples=150, deadline=None)
@given(start=_days, length=st.integers(min_value=0, max_value=900), cents=st.integers(0, 10**9))
def test_interest_equals_the_sum_of_every_day_at_its_own_rate(
    start: date, length: int, cents: int
) -> None:
    end = min(start + timedelta(days=length), date(2026, 12, 31))
    principal = Decimal(cents) / 100
    result = interest(BOOK, principal=principal, start=start, end=end)
    naive, day = Fraction(0), start + timedelta(days=1)
    while day <= end:
        rate = Fraction(str(BOOK.value("interest/forsinkelsesrente", day)))
        naive += Fraction(str(principal)) * rate / 100 / (366 if calendar.isleap(day.year) else 365)
        day += timedelta(days=1)
    assert result.days == max(0, (end - start).days) == sum(p.days for p in result.periods)
    assert result.amount == ore(naive)
    for period in result.periods:
        assert period.first.year == period.last.year
        assert (period.first.month <= 6) == (period.last.month <= 6)
