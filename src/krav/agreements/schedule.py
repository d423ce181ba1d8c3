"""The plan calculator: months ↔ amount per month, and what the plan costs in all.

Pure. What is owed is projected forward from the day of the plan: forsinkelsesrente
(forsinkelsesrenteloven § 3) keeps running on the unpaid principal, day by day at 1/365 of the
annual rate (1/366 in a leap year, law-no.md § 3), at the rate in force on the day of the plan —
the rates of later half-years are not known yet, so the schedule is an estimate and its last
instalment settles what is then owed (a rest below the creditor's ``residual_write_off`` is
written off when that instalment is booked). Each instalment pays costs, then interest, then
principal (the market default; the creditor's own order is applied when the money is booked).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal

from krav.kernel.dates import add_months, days_in_year
from krav.kernel.errors import InvalidInput
from krav.kernel.money import ZERO, round_half_up

MAX_INSTALMENTS = 99  # an instalment's KID carries a two-digit number (payments.kid)


@dataclass(frozen=True)
class Owed:
    """What the plan's claims owe together on the day of the plan (interest accrued to it)."""

    principal: Decimal
    interest: Decimal
    costs: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.costs


@dataclass(frozen=True)
class Schedule:
    instalments: list[tuple[date, Decimal]]
    interest: Decimal  # projected interest from the day of the plan to the last instalment
    owed: Owed
    rest: Decimal = ZERO  # a limited agreement: what is still owed after its period
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((a for _, a in self.instalments), ZERO)

    @property
    def level(self) -> Decimal:
        return self.instalments[0][1] if self.instalments else ZERO


def dues(first: date, count: int) -> list[date]:
    """Monthly from ``first`` (the same day each month, clamped to the month's end)."""
    return [add_months(first, i) for i in range(count)]


def _interest(principal: Decimal, start: date, end: date, rate: Decimal) -> Decimal:
    """Exact (unrounded) interest for days start+1 … end at ``rate`` per cent a year."""
    if end <= start or principal <= 0:
        return Decimal(0)
    exact = Decimal(0)
    day = start
    while day < end:
        year = (day + timedelta(days=1)).year  # the days day+1 … stop lie in this year
        stop = min(end, date(year, 12, 31))
        exact += principal * rate / 100 * (stop - day).days / days_in_year(year)
        day = stop
    return exact


def _run(owed: Owed, on: date, due_dates: list[date], amount: Decimal, rate: Decimal
         ) -> tuple[list[Decimal], Decimal, Decimal]:
    """Pay ``amount`` on each date; the last pays what is left. Returns (payments, rest after
    the second-to-last, interest)."""
    principal, interest, costs = owed.principal, owed.interest, owed.costs
    paid: list[Decimal] = []
    total_interest = Decimal(0)
    last = on
    for i, due in enumerate(due_dates):
        accrued = round_half_up(_interest(principal, last, due, rate))
        total_interest += accrued
        interest += accrued
        last = due
        owing = principal + interest + costs
        pay = owing if i == len(due_dates) - 1 else min(amount, owing)
        paid.append(pay)
        rest = pay
        for part in ("costs", "interest", "principal"):
            if part == "costs":
                take = min(rest, costs)
                costs -= take
            elif part == "interest":
                take = min(rest, interest)
                interest -= take
            else:
                take = min(rest, principal)
                principal -= take
            rest -= take
    return paid, principal + interest + costs, total_interest


def by_count(owed: Owed, *, on: date, first: date, count: int, rate: Decimal) -> Schedule:
    """``count`` monthly instalments: the smallest whole-krone level amount whose last
    instalment is not larger than the others."""
    _check(owed, on, first, count)
    due_dates = dues(first, count)
    low = max(Decimal(1), (owed.total / count).to_integral_value(ROUND_CEILING))
    high = max(low, (owed.total * 2).to_integral_value(ROUND_CEILING))
    while low < high:  # binary search on whole kroner
        mid = (low + high) // 2
        paid, _, _ = _run(owed, on, due_dates, mid, rate)
        if paid[-1] <= mid:
            high = mid
        else:
            low = mid + 1
    paid, _, interest = _run(owed, on, due_dates, low, rate)
    return _schedule(owed, due_dates, paid, interest)


def by_amount(owed: Owed, *, on: date, first: date, amount: Decimal, rate: Decimal) -> Schedule:
    """Instalments of ``amount`` a month until the claims are paid (the last pays the rest)."""
    if amount <= 0:
        raise InvalidInput("beløpet per måned må være mer enn 0", where="--amount")
    _check(owed, on, first, 1)
    for count in range(1, MAX_INSTALMENTS + 1):
        due_dates = dues(first, count)
        paid, _, interest = _run(owed, on, due_dates, amount, rate)
        if paid[-1] <= amount:
            return _schedule(owed, due_dates, paid, interest)
    raise InvalidInput(f"{amount} kr per måned betaler ikke ned kravet på {MAX_INSTALMENTS} "
                       "avdrag", where="--amount", allowed="et høyere beløp per måned")


def limited(owed: Owed, *, on: date, first: date, amount: Decimal, months: int,
            rate: Decimal) -> Schedule:
    """A limited agreement: ``amount`` a month for ``months`` months (not the whole debt)."""
    if amount <= 0:
        raise InvalidInput("beløpet per måned må være mer enn 0", where="--amount")
    _check(owed, on, first, months)
    due_dates = dues(first, months)
    paid, rest, interest = _run(owed, on, due_dates + [add_months(first, months)], amount, rate)
    if rest <= 0 and paid[-1] <= 0 and sum(paid[:-1]) >= owed.total:
        raise InvalidInput("beløpet betaler hele kravet: lag en vanlig nedbetalingsavtale",
                           where="--amount")
    plan = list(paid[:-1])
    return Schedule(instalments=list(zip(due_dates, plan, strict=True)), interest=interest,
                    owed=owed, rest=paid[-1])


def _schedule(owed: Owed, due_dates: list[date], paid: list[Decimal],
              interest: Decimal) -> Schedule:
    pairs = [(d, a) for d, a in zip(due_dates, paid, strict=True) if a > 0]
    return Schedule(instalments=pairs, interest=interest, owed=owed)


def _check(owed: Owed, on: date, first: date, count: int) -> None:
    if owed.total <= 0:
        raise InvalidInput("sakene skylder ingenting", where="REF")
    if first < on:
        raise InvalidInput(f"første forfall {first.isoformat()} er før {on.isoformat()}",
                           where="--first", allowed=f"{on.isoformat()} eller senere")
    if not 1 <= count <= MAX_INSTALMENTS:
        raise InvalidInput(f"ugyldig antall avdrag {count}", where="--instalments",
                           allowed=f"1–{MAX_INSTALMENTS}")
