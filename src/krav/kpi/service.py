"""The figures of the dashboard (issue 11 part 1): one function shared by ``krav kpi``,
``GET /api/v1/kpi`` and the pages.

The object (a contract; amounts in kroner, two decimals in JSON)::

    {creditor, period, as_of, outstanding_total, outstanding_by_stage {stage: amount},
     outstanding_by_age {"0-30", "31-60", "61-90", "91-180", "180+"},
     collected {principal, interest, costs, total}, cohort {handed_over, resolved_30,
     resolved_60, resolved_90, rate_90}}

- ``outstanding_*``: what the cases open on ``as_of`` owe that day, each as ``krav case show
  REF --as-of`` gives it (:mod:`krav.kpi.outstanding`); age is days past the original due date
  (a case not yet due counts in "0-30");
- ``collected``: money collected in the period, by payment date, net of reversals
  (:mod:`krav.kpi.flows`);
- ``cohort``: the claims handed over in the period and how many were paid in full within
  30/60/90 days; ``rate_90`` is ``resolved_90`` in per cent of ``handed_over`` (``null`` when
  none were handed over).

Beside those keys: ``creditor_name``, ``open_cases``, ``outstanding_by_status``,
``interest_accrued`` (in ``outstanding_total``, not yet posted), ``collected.direct`` (the part
paid straight to the creditor), ``cohort.handed_over_amount``, ``dso`` (days sales outstanding:
``outstanding_total`` ÷ the principal handed over in the period × the period's days) and
``disputes`` (objections registered in the period and where they stand).

Every figure is a handful of GROUP BY queries over the whole book, never one query per case.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from krav.cases.access import EVERY, creditor_scope
from krav.cases.model import STAGES, STATUSES
from krav.db.tables import creditors
from krav.kernel.errors import InvalidInput, NotFound
from krav.kernel.money import from_ore
from krav.kpi import flows
from krav.kpi.outstanding import AGE_BUCKETS, as_kroner, outstanding
from krav.law import law_book

if TYPE_CHECKING:
    from krav.accounts.principal import Principal

HUNDRED = Decimal(100)


def period_bounds(period: str, where: str = "--period") -> tuple[date, date]:
    """``YYYY-MM`` → ``[first day, first day of the next month)``."""
    text = (period or "").strip()
    try:
        if len(text) != 7 or text[4] != "-" or not text.isascii():
            raise ValueError
        start = date(int(text[:4]), int(text[5:]), 1)
    except ValueError:
        raise InvalidInput(f"ugyldig periode {text[:20]!r}", where=where,
                           allowed="ÅÅÅÅ-MM") from None
    return start, start + timedelta(days=calendar.monthrange(start.year, start.month)[1])


def _creditor(conn: Connection, orgnr: str | None, who: Principal | None
              ) -> tuple[int | None, str | None, str | None]:
    """(id, orgnr, name) of the creditor the figures are for, or Nones for every creditor.

    A creditor's people and keys see their own creditor only: naming another (or an unknown
    one) is :class:`NotFound`, the same answer; agency staff and the CLI may name any or none.
    """
    scope = creditor_scope(who) if who is not None else EVERY
    wanted = orgnr.replace(" ", "") if orgnr else None
    if scope is EVERY and wanted is None:
        return None, None, None
    query = select(creditors.c.id, creditors.c.orgnr, creditors.c.name)
    query = query.where(creditors.c.orgnr == wanted) if wanted else \
        query.where(creditors.c.id == scope)
    row = conn.execute(query).first()
    if row is None or (scope is not EVERY and row.id != scope):
        raise NotFound(f"ukjent oppdragsgiver {(orgnr or '')[:20]!r}")
    return row.id, row.orgnr, row.name


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / whole).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def kpi(conn: Connection, *, period: str, as_of: date, creditor: str | None = None,
        principal: Principal | None = None, book: Any = None) -> dict[str, Any]:
    """The dashboard's figures (module docstring) for ``creditor`` (org number; ``None``: every
    creditor the principal may see) and ``period`` (``YYYY-MM``), outstanding on ``as_of``."""
    start, end = period_bounds(period)
    creditor_id, orgnr, name = _creditor(conn, creditor, principal)
    owed = outstanding(conn, as_of=as_of, creditor_id=creditor_id, book=book or law_book())
    money = flows.collected(conn, start=start, end=end, creditor_id=creditor_id)
    handed = flows.cohort(conn, start=start, end=end, as_of=as_of, creditor_id=creditor_id)
    disputes = flows.disputes(conn, start=start, end=end, creditor_id=creditor_id)
    total = from_ore(owed.total_ore)
    days = (end - start).days
    dso = None
    if handed["handed_over_principal"]:
        dso = (total / from_ore(handed["handed_over_principal"]) * days).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP)
    by_status = as_kroner(owed.by(1), tuple(s for s in STATUSES if s != "closed"))
    return {
        "creditor": orgnr,
        "period": f"{start:%Y-%m}",
        "as_of": as_of,
        "outstanding_total": total,
        "outstanding_by_stage": as_kroner(owed.by(0), STAGES),
        "outstanding_by_age": as_kroner(owed.by(2), AGE_BUCKETS),
        "collected": {k: from_ore(money[k])
                      for k in ("principal", "interest", "costs", "total", "direct")},
        "cohort": {
            "handed_over": handed["handed_over"],
            **{f"resolved_{n}": handed[f"resolved_{n}"] for n in flows.WINDOWS},
            "rate_90": _percent(handed["resolved_90"], handed["handed_over"]),
            "handed_over_amount": from_ore(handed["handed_over_principal"]),
        },
        "creditor_name": name,
        "open_cases": sum(owed.cases.values()),
        "open_cases_by_stage": {s: owed.count_by(0).get(s, 0) for s in
                                dict.fromkeys((*STAGES, *owed.count_by(0)))},
        "outstanding_by_status": by_status,
        "interest_accrued": from_ore(owed.accrued_ore),
        "dso": dso,
        "disputes": disputes,
    }
