"""Suggestions for the unmatched queue: which open claims an unidentified payment may pay.

Evidence, each with a weight (the suggestions are ranked by the sum, best five kept):
- the claim was named in the payment (invoice number or KID in the text, an ambiguous KID): 4;
- the payer's name equals a debtor's name: 3;
- the payer's account paid one of the debtor's claims before: 3;
- the amount equals what the claim owes now, or its original principal: 2.
All lookups are set-wise over the whole batch of unmatched payments.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, func, or_, select

from krav.db.tables import claims, debtors, payments
from krav.payments.matching import chunks

KEEP = 5
WEIGHTS = {"named": 4, "name": 3, "account": 3, "amount": 2}
REASONS = {"named": "nevnt i betalingen", "name": "samme navn som skyldner",
           "account": "betaler har betalt skyldnerens krav før", "amount": "samme beløp"}


@dataclass(frozen=True)
class Unmatched:
    """What the suggester knows of one queued payment."""

    payment_id: int
    amount_ore: int
    payer_name: str
    payer_account: str
    candidates: tuple[int, ...] = ()


def _open_claims_of(conn: Connection, debtor_ids: set[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    for chunk in chunks(sorted(debtor_ids)):
        for claim_id, debtor_id in conn.execute(
                select(claims.c.id, claims.c.debtor_id)
                .where(claims.c.debtor_id.in_(chunk), claims.c.status != "closed")):
            found[debtor_id].append(claim_id)
    return found


def _by_amount(conn: Connection, amounts: set[int]) -> dict[int, list[int]]:
    owed = claims.c.principal_ore + claims.c.interest_ore + claims.c.costs_ore
    found: dict[int, list[int]] = defaultdict(list)
    for chunk in chunks(sorted(amounts), 1000):
        for claim_id, total, original in conn.execute(
                select(claims.c.id, owed, claims.c.original_principal_ore)
                .where(claims.c.status != "closed",
                       or_(owed.in_(chunk), claims.c.original_principal_ore.in_(chunk)))
                .order_by(claims.c.id).limit(50 * len(chunk))):
            for amount in {total, original}:
                found[amount].append(claim_id)
    return found


def _debtors_by_name(conn: Connection, names: set[str]) -> dict[str, set[int]]:
    found: dict[str, set[int]] = defaultdict(set)
    for chunk in chunks(sorted(names), 1000):
        for name, debtor_id in conn.execute(
                select(func.lower(debtors.c.name), debtors.c.id)
                .where(func.lower(debtors.c.name).in_(chunk))):
            found[name].add(debtor_id)
    return found


def _debtors_by_account(conn: Connection, accounts: set[str]) -> dict[str, set[int]]:
    found: dict[str, set[int]] = defaultdict(set)
    for chunk in chunks(sorted(accounts), 1000):
        for account, debtor_id in conn.execute(
                select(payments.c.payer_account, claims.c.debtor_id)
                .join(claims, claims.c.id == payments.c.claim_id)
                .where(payments.c.payer_account.in_(chunk)).distinct()):
            found[account].add(debtor_id)
    return found


def suggest(conn: Connection, items: Sequence[Unmatched]) -> list[dict]:
    """Rows for ``payment_suggestions``: at most five per payment, best first."""
    if not items:
        return []
    names = _debtors_by_name(conn, {i.payer_name.lower() for i in items if i.payer_name})
    accounts = _debtors_by_account(conn, {i.payer_account for i in items if i.payer_account})
    debtor_ids = {d for s in (*names.values(), *accounts.values()) for d in s}
    claims_of = _open_claims_of(conn, debtor_ids)
    by_amount = _by_amount(conn, {i.amount_ore for i in items if i.amount_ore > 0})
    rows = []
    for item in items:
        evidence: dict[int, set[str]] = defaultdict(set)
        for claim_id in item.candidates:
            evidence[claim_id].add("named")
        for debtor_id in names.get(item.payer_name.lower(), ()):
            for claim_id in claims_of.get(debtor_id, ()):
                evidence[claim_id].add("name")
        for debtor_id in accounts.get(item.payer_account, ()):
            for claim_id in claims_of.get(debtor_id, ()):
                evidence[claim_id].add("account")
        for claim_id in by_amount.get(item.amount_ore, ()):
            evidence[claim_id].add("amount")
        ranked = sorted(evidence.items(),
                        key=lambda kv: (-sum(WEIGHTS[e] for e in kv[1]), kv[0]))[:KEEP]
        rows += [{"payment_id": item.payment_id, "claim_id": claim_id,
                  "score": sum(WEIGHTS[e] for e in kinds),
                  "reason": ", ".join(REASONS[e] for e in sorted(kinds, key=lambda k: WEIGHTS[k],
                                                                  reverse=True))}
                 for claim_id, kinds in ranked]
    return rows
