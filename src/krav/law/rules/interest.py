"""Forsinkelsesrente — late-payment interest (forsinkelsesrenteloven §§ 2–3).

The rate is fixed per half-year and a new rate applies to old claims too, so every calculation is
split at 1 January and 1 July (and at any other change in the data). krav's documented convention
(``interest/convention``): interest accrues for each day after ``start`` up to and including
``end`` (days = end − start); each day at the rate in force on that day, as 1/365 of the annual
rate (1/366 in a leap year); simple interest; the exact sum is rounded half-up to øre once, at the
end. Interest runs on the unpaid principal only — the caller passes that principal and the day
interest was last crystallised (or the due date) as ``start``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from krav.kernel.dates import days_in_year
from krav.kernel.errors import LawDataError
from krav.kernel.money import ZERO, round_half_up
from krav.law.book import LawBook
from krav.law.rules.charge import non_negative

RATE = "interest/forsinkelsesrente"
SUPPORTED_CONVENTION = {
    "accrual": "day-after-due-through-payment-day",
    "day_basis": "actual/365-366",
    "rounding": "ore-half-up-once",
    "compounding": "simple",
    "base": "unpaid-principal",
}


@dataclass(frozen=True, slots=True)
class InterestPeriod:
    """Days ``first``…``last`` (inclusive) at one annual ``rate`` (percent), within one year."""

    first: date
    last: date
    days: int
    rate: Decimal
    exact: Decimal
    amount: Decimal  # ``exact`` rounded half-up to øre, for display; the total is rounded once


@dataclass(frozen=True, slots=True)
class InterestResult:
    exact: Decimal
    amount: Decimal
    days: int
    periods: list[InterestPeriod]


def interest(book: LawBook, *, principal: Decimal, start: date, end: date) -> InterestResult:
    """Forsinkelsesrente on ``principal`` for days ``start``+1 … ``end`` (FRL § 3 første ledd)."""
    non_negative(principal, "principal")
    if end <= start:
        return InterestResult(ZERO, ZERO, 0, [])
    spans = _checked_spans(book, start + timedelta(days=1), end)
    periods = [_period(principal, first, last, rate) for first, last, rate in spans]
    exact = sum((p.exact for p in periods), Decimal(0))
    return InterestResult(exact, round_half_up(exact), (end - start).days, periods)


@lru_cache(maxsize=4096)
def _checked_spans(book: LawBook, first_day: date, end: date
                   ) -> tuple[tuple[date, date, Decimal], ...]:
    """The rate spans of ``[first_day, end]`` once the convention is checked — the same for
    every claim with those days (a bank file has few distinct periods), so looked up once; a
    book is immutable after loading and an error is never cached."""
    spans = tuple(_spans(book, first_day, end))
    _check_convention(book, end)
    return spans


def _spans(book: LawBook, first_day: date, end: date) -> list[tuple[date, date, Decimal]]:
    """``(first, last, rate)`` pieces of ``[first_day, end]``, cut at 1 Jan, 1 Jul, rate changes."""
    changes = book.changes(RATE, first_day, end)
    if len(changes) == 1 and _same_half_year(first_day, end):
        return [(first_day, end, changes[0].value)]  # the common case: one rate, no cut
    boundaries = {c.since for c in changes[1:]}
    for year in range(first_day.year, end.year + 1):
        boundaries.update({date(year, 1, 1), date(year, 7, 1)})
    cuts = sorted(c for c in boundaries if first_day < c <= end)
    spans: list[tuple[date, date, Decimal]] = []
    index, cursor = 0, first_day
    for cut in [*cuts, end + timedelta(days=1)]:
        while index + 1 < len(changes) and changes[index + 1].since <= cursor:
            index += 1
        spans.append((cursor, cut - timedelta(days=1), changes[index].value))
        cursor = cut
    return spans


def _same_half_year(first: date, last: date) -> bool:
    return first.year == last.year and (first.month <= 6) == (last.month <= 6)


def _period(principal: Decimal, first: date, last: date, rate: Decimal) -> InterestPeriod:
    days = (last - first).days + 1
    exact = principal * rate * days / (100 * days_in_year(first.year))
    return InterestPeriod(first, last, days, rate, exact, round_half_up(exact))


# Convention values already checked (kept alive here so their ids stay unique).
_CHECKED: dict[int, object] = {}


def _check_convention(book: LawBook, day: date) -> None:
    convention = book.value("interest/convention", day)
    if id(convention) in _CHECKED:
        return
    if convention != SUPPORTED_CONVENTION:
        raise LawDataError(f"interest/convention: krav kan bare regne etter {SUPPORTED_CONVENTION}")
    _CHECKED[id(convention)] = convention
