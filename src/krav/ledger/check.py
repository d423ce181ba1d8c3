"""Ledger consistency: every inconsistency as a value, never an exception (beancount's habit).

Checks, set-wise over all claims (or the given ones):
- the cached balances on each claim equal the sums of its postings;
- every payment's postings add up to the payment (less any reversal of it);
- no component other than ``overpaid`` has a negative balance;
- a closed-as-paid claim owes nothing; an open claim's principal is not negative;
- every reversal points at a posting of the same claim.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Connection, and_, func, select
from sqlalchemy.orm import aliased

from krav.db.tables import claims, payments, postings
from krav.kernel.money import from_ore
from krav.ledger.model import COST_COMPONENTS


def check(conn: Connection) -> list[str]:
    """Return one line per inconsistency (empty when the ledger is consistent)."""
    problems: list[str] = []
    sums: dict[int, dict[str, int]] = defaultdict(dict)
    for claim_id, component, total in conn.execute(
            select(postings.c.claim_id, postings.c.component, func.sum(postings.c.amount_ore))
            .group_by(postings.c.claim_id, postings.c.component)):
        sums[claim_id][component] = int(total or 0)
    for row in conn.execute(select(claims.c.id, claims.c.ref, claims.c.principal_ore,
                                   claims.c.interest_ore, claims.c.costs_ore, claims.c.status,
                                   claims.c.close_reason)):
        s = sums.get(row.id, {})
        cached = {"principal": row.principal_ore, "interest": row.interest_ore,
                  "costs": row.costs_ore}
        posted = {"principal": s.get("principal", 0), "interest": s.get("interest", 0),
                  "costs": sum(s.get(c, 0) for c in COST_COMPONENTS)}
        for key in cached:
            if cached[key] != posted[key]:
                problems.append(f"{row.ref}: bufret {key} {from_ore(cached[key])} ≠ posteringer "
                                f"{from_ore(posted[key])}")
        for component, total in s.items():
            if component != "overpaid" and total < 0:
                problems.append(f"{row.ref}: negativ saldo på {component} ({from_ore(total)})")
            if component == "overpaid" and total > 0:
                problems.append(f"{row.ref}: mer tilbakebetalt enn innbetalt for mye "
                                f"({from_ore(total)})")
        if row.status == "closed" and row.close_reason == "paid" and sum(posted.values()) != 0:
            owed = from_ore(sum(posted.values()))
            problems.append(f"{row.ref}: lukket som betalt, men skylder {owed}")
    problems += _check_payments(conn)
    problems += _check_reversals(conn)
    return problems


def _check_payments(conn: Connection) -> list[str]:
    """A payment's ``payment`` postings add up to exactly its amount: no øre created or lost."""
    booked = (select(postings.c.payment_id, func.sum(postings.c.amount_ore).label("total"))
              .where(postings.c.payment_id.is_not(None), postings.c.kind == "payment")
              .group_by(postings.c.payment_id).subquery())
    return [f"innbetaling {pid}: posteringer {from_ore(-int(total or 0))} ≠ beløp "
            f"{from_ore(amount)}"
            for pid, amount, total in conn.execute(
                select(payments.c.id, payments.c.amount_ore, booked.c.total)
                .join(booked, booked.c.payment_id == payments.c.id))
            if -int(total or 0) != amount]


def _check_reversals(conn: Connection) -> list[str]:
    original = aliased(postings)
    rows = conn.execute(
        select(postings.c.id, postings.c.claim_id, original.c.claim_id)
        .outerjoin(original, original.c.id == postings.c.reverses_id)
        .where(and_(postings.c.reverses_id.is_not(None)))).all()
    return [f"postering {pid}: reverserer en postering som ikke finnes eller tilhører et annet krav"
            for pid, claim_id, original_claim in rows if original_claim != claim_id]
