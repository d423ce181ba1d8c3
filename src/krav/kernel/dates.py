"""Dates and Norwegian business days.

Holidays come from the maintained ``holidays`` library (law-no.md § 8), never a hand-written list.
Ranges are half-open ``[start, end)`` unless a docstring says otherwise.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from functools import lru_cache

import holidays

from krav.kernel.errors import InvalidInput


def parse_date(text: str, *, where: str | None = None) -> date:
    """Parse an ISO date (YYYY-MM-DD) within :data:`krav.kernel.limits.MIN_DATE` … ``MAX_DATE``;
    :class:`InvalidInput` naming ``where`` otherwise."""
    from krav.kernel.limits import date_in_range

    raw = (text or "").strip()
    try:
        if len(raw) != 10 or not raw.isascii():
            raise ValueError
        day = date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"ugyldig dato {raw!r}", where=where, allowed="ÅÅÅÅ-MM-DD") from None
    return date_in_range(day, where=where)


@lru_cache(maxsize=64)
def _norwegian_holidays(year: int) -> frozenset[date]:
    # Sundays are not "helligdager" in the library's list; we treat them separately.
    return frozenset(d for d in holidays.country_holidays("NO", years=year, include_sundays=False))


def is_holiday(day: date, country: str = "NO") -> bool:
    """Public holiday (helligdag) in ``country`` (Norway by default)."""
    if country == "NO":
        return day in _norwegian_holidays(day.year)
    return day in holidays.country_holidays(country, years=day.year)


def is_business_day(day: date, country: str = "NO") -> bool:
    """Monday–Friday and not a public holiday."""
    return day.weekday() < 5 and not is_holiday(day, country)


def next_business_day_on_or_after(day: date, country: str = "NO") -> date:
    """The day itself if a business day, else the next one.

    Deadlines that end on a non-business day move (foreldelsesloven § 29, domstolloven § 149).
    """
    while not is_business_day(day, country):
        day += timedelta(days=1)
    return day


def add_months(day: date, months: int) -> date:
    """Same day ``months`` later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def add_years(day: date, years: int) -> date:
    """Same day ``years`` later; 29 Feb becomes 28 Feb in a common year."""
    return add_months(day, 12 * years)


def days_in_year(year: int) -> int:
    return 366 if calendar.isleap(year) else 365
