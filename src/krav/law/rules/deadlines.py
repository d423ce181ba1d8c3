"""Deadlines and days: letter deadlines, payment in time, limitation, legal steps, enforcement."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from krav.kernel.dates import add_months, add_years, is_business_day, next_business_day_on_or_after
from krav.law.book import LawBook


def deadline(book: LawBook, *, sent_on: date) -> date:
    """The earliest lawful payment deadline of an inkassovarsel or betalingsoppfordring.

    Inkassoloven § 9 første ledd and § 10 første ledd: at least 14 days from the day the letter is
    sent; no roll-forward when that day is a weekend or holiday (a later deadline is allowed).
    """
    return sent_on + timedelta(days=book.value("rules/min_deadline_days", sent_on))


def payment_in_time(*, paid_on: date, deadline: date) -> bool:
    """Whether a payment dated ``paid_on`` (bank payment date) meets ``deadline``.

    On or before the deadline; or, when the deadline falls on a non-business day, on the next
    business day (finansavtaleloven § 4-5: an order given on a non-business day counts as received
    the next business day; INKF § 1-2 tredje ledd: payment order given within the deadline).
    """
    if paid_on <= deadline:
        return True
    return not is_business_day(deadline) and paid_on <= next_business_day_on_or_after(deadline)


def limitation_date(
    book: LawBook, *, due: date, interruptions: Sequence[date] = (), judgment_on: date | None = None
) -> date:
    """The last day of the limitation period (the claim is time-barred after it).

    Foreldelsesloven §§ 2 and 3 nr. 1: three years from the due date. An interruption —
    acknowledgment incl. part payment (§ 14) or a legal step (§§ 15–17) — starts a new period of
    the same length (§ 20). A judgment starts ten years (§ 21); an interruption after the judgment
    starts a new ten-year period (krav's choice). A period ending on a Saturday, Sunday or public
    holiday ends on the next business day (§ 29).
    """
    if judgment_on is None:
        start = max([due, *interruptions])
        years = book.value("rules/limitation_years", start)
    else:
        start = max([judgment_on, *(d for d in interruptions if d > judgment_on)])
        years = book.value("rules/limitation_after_judgment_years", start)
    return next_business_day_on_or_after(add_years(start, years))


def legal_action_deadline(book: LawBook, *, demand_sent_on: date) -> date:
    """Last day to start legal collection after a betalingsoppfordring sent ``demand_sent_on``.

    Inkassoloven § 11: within six months of the betalingsoppfordring. krav does not move this
    day to a business day (the cautious choice).
    """
    months = book.value("rules/legal_action_within_months", demand_sent_on)
    return add_months(demand_sent_on, months)


def enforcement_allowed_on(book: LawBook, *, notice_sent_on: date) -> date:
    """First day enforcement may be sought after a varsel om tvangsfullbyrdelse (tvfbl. § 4-18)."""
    return notice_sent_on + timedelta(
        days=book.value("rules/enforcement_notice_days", notice_sent_on)
    )
