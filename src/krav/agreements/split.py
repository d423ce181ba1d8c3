"""A payment to a plan that covers several claims pays them in the plan's order.

An instalment's KID (and each claim's own KID) finds one claim; when that claim is held by a
payment plan with other claims, the payment is split before it is booked: each claim in plan
order gets what it owes on the payment day (interest to that day included, as the booking will
crystallise it), and what is left goes on to the next; anything beyond the last claim stays
with the claim the payment named (owed back, as any overpayment). Every part keeps the
payment's id, so reversing the payment reverses every part (``ledger.corrections``).

Set-wise: one query finds the payments that name such a claim (usually none), one reads the
plans' claims.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, exists, func, select

from krav.agreements.tables import HOLDING, agreement_claims, agreements
from krav.db.tables import claims
from krav.kernel.money import ZERO, from_ore
from krav.law import rules
from krav.ledger.working import PaymentToAllocate


def split_plan_payments(conn: Connection, items: Sequence[PaymentToAllocate], *, book: Any
                        ) -> tuple[list[PaymentToAllocate], list[PaymentToAllocate]]:
    """``(untouched, split)``: the items that need no split, and the parts of those that do."""
    multi = (select(agreement_claims.c.agreement_id)
             .join(agreements, agreements.c.id == agreement_claims.c.agreement_id)
             .where(agreements.c.status.in_(HOLDING), agreements.c.kind != "deferral")
             .group_by(agreement_claims.c.agreement_id)
             .having(func.count() > 1))
    if conn.execute(select(exists().where(agreements.c.status.in_(HOLDING),
                                          agreements.c.kind != "deferral"))).scalar() is not True:
        return list(items), []  # no plan in force at all: the usual case, one query
    ids = sorted({i.claim_id for i in items})
    plan_of: dict[int, int] = {}
    for start in range(0, len(ids), 2000):
        plan_of.update(conn.execute(
            select(agreement_claims.c.claim_id, agreement_claims.c.agreement_id)
            .where(agreement_claims.c.claim_id.in_(ids[start:start + 2000]),
                   agreement_claims.c.agreement_id.in_(multi))).all())
    if not plan_of:
        return list(items), []
    members: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in conn.execute(
            select(agreement_claims.c.agreement_id, claims.c.id, claims.c.status,
                   claims.c.principal_ore, claims.c.interest_ore, claims.c.costs_ore,
                   claims.c.interest_through)
            .join(claims, claims.c.id == agreement_claims.c.claim_id)
            .where(agreement_claims.c.agreement_id.in_(set(plan_of.values())))
            .order_by(agreement_claims.c.agreement_id, agreement_claims.c.position)).mappings():
        members[r["agreement_id"]].append(dict(r))
    untouched = [i for i in items if i.claim_id not in plan_of]
    parts = []
    for item in sorted((i for i in items if i.claim_id in plan_of),
                       key=lambda i: (i.paid_on, i.payment_id)):
        parts += _split(item, members[plan_of[item.claim_id]], book)
    return untouched, parts


def _split(item: PaymentToAllocate, claims_in_plan: list[dict[str, Any]], book: Any
           ) -> list[PaymentToAllocate]:
    left = item.amount
    out: dict[int, Decimal] = {}
    for c in claims_in_plan:
        if left <= 0:
            break
        if c["status"] == "closed":
            continue
        owed = _owed_on(c, item.paid_on, book)
        take = min(owed, left)
        if take > 0:
            out[c["id"]] = take
            left -= take
            _reduce(c, take, item.paid_on, book)
    if left > 0:
        out[item.claim_id] = out.get(item.claim_id, ZERO) + left
    return [item._replace(claim_id=cid, amount=amount) for cid, amount in out.items()]


def _owed_on(c: dict[str, Any], day: Any, book: Any) -> Decimal:
    principal = from_ore(c["principal_ore"])
    accrued = rules.interest(book, principal=principal, start=c["interest_through"],
                             end=day).amount if principal > 0 and day > c["interest_through"] \
        else ZERO
    return principal + from_ore(c["interest_ore"]) + from_ore(c["costs_ore"]) + accrued


def _reduce(c: dict[str, Any], amount: Decimal, day: Any, book: Any) -> None:
    """The claim after ``amount`` was paid on ``day`` (for a second payment in the same file):
    interest crystallised, then costs → interest → principal."""
    owed = _owed_on(c, day, book)
    if amount >= owed:
        c.update(principal_ore=0, interest_ore=0, costs_ore=0, status="closed")
        return
    principal = from_ore(c["principal_ore"])
    interest = owed - principal - from_ore(c["costs_ore"])
    costs = from_ore(c["costs_ore"])
    take = min(costs, amount)
    costs, amount = costs - take, amount - take
    take = min(interest, amount)
    interest, amount = interest - take, amount - take
    principal -= amount
    c.update(principal_ore=int(principal * 100), interest_ore=int(interest * 100),
             costs_ore=int(costs * 100),
             interest_through=max(day, c["interest_through"]))
