"""The creditor's authority (fullmakt): what may be granted on the spot, and why not.

Pure rules over :class:`krav.cases.policy.Authority` (policy data, the creditor's choice). Each
function returns the reasons a request lies beyond the authority, in Norwegian, empty when it
may be granted at once; anything with a reason goes to a case handler.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from krav.cases.policy import Authority
from krav.kernel.dates import add_months
from krav.kernel.money import fmt_nok


def breach_reason(authority: Authority, breached_on: date | None) -> list[str]:
    """Automatic grants only for a debtor without a breached plan in ``clean_months``."""
    if breached_on is None:
        return []
    return [f"skyldneren har misligholdt en nedbetalingsavtale {breached_on:%d.%m.%Y} (innenfor "
            f"{authority.clean_months} måneder)"]


def deferral_reasons(authority: Authority, *, on: date, until: date,
                     breached_on: date | None) -> list[str]:
    """A deferral of at most ``deferral_max_days`` days."""
    reasons = []
    days = (until - on).days
    if days > authority.deferral_max_days:
        reasons.append(f"utsettelse på {days} dager, fullmakten gir høyst "
                       f"{authority.deferral_max_days}")
    return reasons + breach_reason(authority, breached_on)


def plan_reasons(authority: Authority, *, on: date, kind: str, first_due: date, last_due: date,
                 instalment: Decimal, total: Decimal, breached_on: date | None) -> list[str]:
    """A plan whose first instalment is at most ``deferral_max_days`` away, whose last falls at
    most ``plan_max_months`` after ``on``, with instalments of at least ``instalment_min``
    (a plan of one instalment may be smaller: it pays everything). A limited agreement
    (smaller instalments for a while) is always for a handler."""
    reasons = []
    if kind == "limited":
        reasons.append("begrenset avtale (mindre avdrag i en periode) avgjøres av saksbehandler")
    if (first_due - on).days > authority.deferral_max_days:
        reasons.append(f"første avdrag {(first_due - on).days} dager frem, fullmakten gir høyst "
                       f"{authority.deferral_max_days}")
    if last_due > add_months(on, authority.plan_max_months):
        reasons.append(f"siste avdrag {last_due:%d.%m.%Y}, fullmakten gir høyst "
                       f"{authority.plan_max_months} måneder")
    if instalment < authority.instalment_min and instalment < total:
        reasons.append(f"avdrag på {fmt_nok(instalment)} kr, fullmakten krever minst "
                       f"{fmt_nok(authority.instalment_min)} kr")
    return reasons + breach_reason(authority, breached_on)
