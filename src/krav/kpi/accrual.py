"""Interest accrued to a day, for a whole book at once, in integer SQL.

``read.case_view`` shows each open case with the forsinkelsesrente accrued since its interest was
last crystallised (FRL § 3 første ledd, ``rules.interest``): for the days ``from+1 … as_of``, each
day at the rate in force that day as 1/365 (1/366 in a leap year) of the yearly rate, the exact
sum rounded half up to øre once. That sum is linear in the principal: ``exact = p · F(from)``
where ``F(from)`` = Σ rate/(100 · days in year) over those days depends only on the day the
interest runs from. So for every possible ``from`` we compute ``F`` once, as a fraction
``N/D`` with one common denominator ``D``, and the database rounds ``p · N / D`` half up per
claim in integer arithmetic — exactly what ``rules.interest`` gives each case, without a loop
over the claims.

To stay inside 64-bit integers the principal (øre) is split as ``p = p1 · S + p0`` with
``S = 2**16``: ``p · N / D = p1 · A + (p1 · B + p0 · N) / D`` where ``A, B = divmod(N · S, D)``;
exact for principals below 10**12 kroner.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from math import lcm
from typing import Any

from krav.kernel.dates import days_in_year
from krav.law import rules

SPLIT = 1 << 16
RATE = "interest/forsinkelsesrente"


@dataclass(frozen=True)
class AccrualTable:
    """Per day ``from`` (``first`` … the day before ``as_of``): ``(from, A, B, N)``; and ``D``."""

    first: date
    as_of: date
    denominator: int
    rows: list[tuple[date, int, int, int]]


def accrual_table(book: Any, *, as_of: date, first: date | None = None) -> AccrualTable:
    """The factors for every ``from`` day in ``[first, as_of)``; ``first`` defaults to the first
    day the law book has a rate for (interest cannot run from before it)."""
    first = first or _first_rate_day(book)
    if first >= as_of:
        return AccrualTable(first, as_of, 1, [])
    # one call for the whole range gives the rate spans (cut at 1 Jan, 1 Jul and every rate
    # change, the convention checked) exactly as each claim's own call would cut them
    spans = rules.interest(book, principal=Decimal(1), start=first, end=as_of).periods
    per_day = [Fraction(p.rate) / (100 * days_in_year(p.first.year)) for p in spans]
    denominator = lcm(*(f.denominator for f in per_day))
    # suffix[i] = Σ of spans i… in units of 1/D; a day ``from`` inside span i accrues the rest of
    # span i after it plus every later span
    suffix = [0] * (len(spans) + 1)
    for i in range(len(spans) - 1, -1, -1):
        suffix[i] = suffix[i + 1] + int(per_day[i] * denominator) * spans[i].days
    starts = [p.first for p in spans]
    rows: list[tuple[date, int, int, int]] = []
    day = first
    while day < as_of:
        accrues_from = day + timedelta(days=1)
        i = bisect.bisect_right(starts, accrues_from) - 1
        rest = (spans[i].last - accrues_from).days + 1
        n = suffix[i + 1] + int(per_day[i] * denominator) * rest
        a, b = divmod(n * SPLIT, denominator)
        rows.append((day, a, b, n))
        day += timedelta(days=1)
    return AccrualTable(first, as_of, denominator, rows)


def _first_rate_day(book: Any) -> date:
    return min(book.quantity(RATE).starts)


def values_sql(table: AccrualTable, dialect: str) -> str:
    """The table as a ``VALUES`` list for ``WITH accrual (d, a, b, n) AS (VALUES …)``: dates as
    ISO text on SQLite (as it stores them), ``DATE '…'`` on PostgreSQL. Only generated dates and
    integers go into the text."""
    typed = "DATE " if dialect == "postgresql" else ""
    rows = table.rows or [(table.as_of, 0, 0, 0)]
    return ", ".join(f"({typed}'{d.isoformat()}', {a}, {b}, {n})" for d, a, b, n in rows)
