"""What happened in a period, set-wise: money collected, the month's cohort, disputes.

- **Collected**: the money postings dated in the period — each ``payment`` posting (one per
  component a payment covered) less the ``reversal`` of one (a bank reversal, dated the day the
  bank reversed it) — the same postings a settlement (oppgjør) pays out (``payments.money``), so
  the figures agree with the settlements. ``overpaid`` is the debtor's money, not collected.
  Split by the component the allocation (dekningsrekkefølge) put each krone on: principal,
  interest, costs (fees, § 3a compensation and salær); ``direct`` is the part the debtor paid
  straight to the creditor (reported direct payments).
- **Cohort**: the claims handed over (imported) in the period, and how many of them were paid in
  full (closed as paid) within 30, 60 and 90 days of the handover, counted up to ``as_of``.
- **Disputes**: objections registered in the period and where each case stands now.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, case, func, literal, or_, select
from sqlalchemy.orm import aliased

from krav.db.tables import claims, events, payments, postings
from krav.ledger.model import COST_COMPONENTS

WINDOWS = (30, 60, 90)


def _scoped(query: Any, creditor_id: int | None) -> Any:
    return query if creditor_id is None else query.where(claims.c.creditor_id == creditor_id)


def collected(conn: Connection, *, start: date, end: date, creditor_id: int | None
              ) -> dict[str, int]:
    """Øre collected in ``[start, end)``: principal, interest, costs, total, direct."""
    original = aliased(postings)
    query = (select(postings.c.component, payments.c.source, func.sum(postings.c.amount_ore))
             .select_from(postings)
             .join(claims, claims.c.id == postings.c.claim_id)
             .join(payments, payments.c.id == postings.c.payment_id)
             .outerjoin(original, original.c.id == postings.c.reverses_id)
             .where(postings.c.on >= start, postings.c.on < end,
                    postings.c.payment_id.is_not(None),
                    postings.c.component.in_(("principal", "interest", *COST_COMPONENTS)),
                    or_(postings.c.kind == "payment",
                        and_(postings.c.kind == "reversal", original.c.kind == "payment")))
             .group_by(postings.c.component, payments.c.source))
    out = {"principal": 0, "interest": 0, "costs": 0, "direct": 0}
    for component, source, amount in conn.execute(_scoped(query, creditor_id)):
        part = component if component in ("principal", "interest") else "costs"
        out[part] -= int(amount or 0)  # payments are negative postings
        if source == "direct":
            out["direct"] -= int(amount or 0)
    out["total"] = out["principal"] + out["interest"] + out["costs"]
    return out


def _days(conn: Connection, later: Any, earlier: Any) -> Any:
    """Whole days from ``earlier`` to ``later`` (both dates) in SQL."""
    if conn.dialect.name == "sqlite":
        return func.julianday(later) - func.julianday(earlier)
    return later - earlier


def cohort(conn: Connection, *, start: date, end: date, as_of: date, creditor_id: int | None
           ) -> dict[str, int]:
    """The claims imported in ``[start, end)``: how many, their principal, and how many were
    closed as paid within 30/60/90 days of the import (by ``as_of``)."""
    paid = and_(claims.c.close_reason == "paid", claims.c.closed_on <= as_of)
    age = _days(conn, claims.c.closed_on, claims.c.imported_on)
    columns = [func.count(), func.coalesce(func.sum(claims.c.original_principal_ore), 0)]
    columns += [func.coalesce(func.sum(case((and_(paid, age <= n), 1), else_=0)), 0)
                for n in WINDOWS]
    query = select(*columns).where(claims.c.imported_on >= start, claims.c.imported_on < end)
    row = conn.execute(_scoped(query, creditor_id)).one()
    out = {"handed_over": int(row[0]), "handed_over_principal": int(row[1])}
    out.update({f"resolved_{n}": int(v) for n, v in zip(WINDOWS, row[2:], strict=True)})
    return out


def disputes(conn: Connection, *, start: date, end: date, creditor_id: int | None
             ) -> dict[str, int]:
    """Objections registered in ``[start, end)`` and the case's state now: ``pending`` (still
    disputed), ``resumed`` (the claim stands and collection went on), ``paid``, ``withdrawn``
    (the creditor dropped it), or how else it closed."""
    outcome = case((claims.c.status == "disputed", literal("pending")),
                   (claims.c.status != "closed", literal("resumed")),
                   else_=func.coalesce(claims.c.close_reason, literal("closed")))
    query = (select(outcome.label("outcome"), func.count())
             .select_from(events).join(claims, claims.c.id == events.c.claim_id)
             .where(events.c.kind == "disputed", events.c.on >= start, events.c.on < end)
             .group_by(outcome))
    found = {"pending": 0, "resumed": 0, "paid": 0, "withdrawn": 0}
    for name, count in conn.execute(_scoped(query, creditor_id)):
        found[name] = found.get(name, 0) + int(count)
    return {"opened": sum(found.values()), **found}
