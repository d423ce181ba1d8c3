"""Which ledger postings are money, and whose money they are.

A *money posting* records cash changing hands on a claim: a ``payment`` posting (one per
component a payment covered), or the ``reversal`` of one (a bank reversal undoing it). Other
reversals that carry a ``payment_id`` — costs cancelled because the payment was in time
(INKL § 17 (3)), interest stopped by a back-dated payment — move balances, not money.

Ownership (who the collected money belongs to, inkassoloven § 6 on client funds):
- principal, interest and the § 3a compensation belong to the creditor;
- salær belongs to the agency;
- a letter fee belongs to whoever sent the letter (``inputs["sender"]`` of the fee posting,
  creditor or agency; the latest charge of that component on the claim decides);
- ``overpaid`` belongs to the debtor and is never settled to anyone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, or_, select
from sqlalchemy.orm import aliased

from krav.db.tables import claims, payments, postings
from krav.payments.matching import chunks
from krav.payments.tables import settlement_lines

CREDITOR_COMPONENTS = ("principal", "interest", "compensation")
FEE_COMPONENTS = ("reminder_fee", "collection_notice_fee", "payment_demand_fee")
AGENCY_COMPONENTS = ("salaer",)


def money_postings(conn: Connection, *, creditor_id: int | None = None,
                   before: date | None = None, unsettled: bool = True) -> list[Any]:
    """Money postings (not ``overpaid``) with the payment's source, oldest first."""
    original = aliased(postings)
    query = (select(postings.c.id, postings.c.claim_id, postings.c.payment_id, postings.c.on,
                    postings.c.component, postings.c.amount_ore, payments.c.source,
                    claims.c.creditor_id)
             .join(claims, claims.c.id == postings.c.claim_id)
             .join(payments, payments.c.id == postings.c.payment_id)
             .outerjoin(original, original.c.id == postings.c.reverses_id)
             .where(postings.c.component != "overpaid",
                    or_(postings.c.kind == "payment",
                        and_(postings.c.kind == "reversal", original.c.kind == "payment")))
             .order_by(postings.c.on, postings.c.id))
    if creditor_id is not None:
        query = query.where(claims.c.creditor_id == creditor_id)
    if before is not None:
        query = query.where(postings.c.on < before)
    if unsettled:
        query = query.where(postings.c.id.not_in(select(settlement_lines.c.posting_id)))
    return list(conn.execute(query).all())


def fee_senders(conn: Connection, claim_ids: Iterable[int]) -> dict[tuple[int, str], str]:
    """Per (claim, fee component) who sent the letter that charged it (the latest charge)."""
    found: dict[tuple[int, str], tuple[int, str]] = {}
    for chunk in chunks(sorted(set(claim_ids))):
        for posting_id, claim_id, component, inputs in conn.execute(
                select(postings.c.id, postings.c.claim_id, postings.c.component, postings.c.inputs)
                .where(postings.c.claim_id.in_(chunk), postings.c.component.in_(FEE_COMPONENTS),
                       postings.c.amount_ore > 0, postings.c.payment_id.is_(None))):
            key = (claim_id, component)
            if key not in found or found[key][0] < posting_id:
                found[key] = (posting_id, (inputs or {}).get("sender", "creditor"))
    return {key: sender for key, (_, sender) in found.items()}


def owner(component: str, claim_id: int, senders: dict[tuple[int, str], str]) -> str:
    """``creditor`` or ``agency`` (see the module docstring)."""
    if component in AGENCY_COMPONENTS:
        return "agency"
    if component in FEE_COMPONENTS:
        return "agency" if senders.get((claim_id, component)) == "agency" else "creditor"
    return "creditor"


def source_of(payment_source: str) -> str:
    """``direct`` when the debtor paid the creditor, ``bank`` when it came to client funds."""
    return "direct" if payment_source == "direct" else "bank"
