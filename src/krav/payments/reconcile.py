"""Reconciliation of the client-funds account (klientkonto, inkassoloven § 6).

The account's balance (the sum of its movements: bank files in, refunds and settlements out) must
equal what the agency holds for others and for itself, computed independently from the ledger:

- owed to creditors: their share of unsettled money postings that came through the account;
- the agency's own unsettled share (salær, its letter fees) — transferred out at settlement;
- owed to debtors: payments still in the unmatched queue, and overpayments not yet refunded.

Only NOK counts: a payment in another currency never entered the client-funds account's NOK
balance (``payments.service``), so it is left out of every sum here.

Besides the totals, every individual difference found is listed: a payment whose postings do not
add up to its amount, a bank file whose movement differs from its booked payments, a settlement
whose payouts differ from what it covered.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select
from sqlalchemy.orm import aliased

from krav.db.tables import payments, postings
from krav.kernel.money import fmt, from_ore
from krav.payments.money import fee_senders, money_postings, owner, source_of
from krav.payments.tables import client_funds, settlements


@dataclass
class Reconciliation:
    balance_ore: int
    creditors_ore: int
    agency_ore: int
    debtors_ore: int
    differences: list[str] = field(default_factory=list)

    @property
    def owed_ore(self) -> int:
        return self.creditors_ore + self.agency_ore + self.debtors_ore

    @property
    def ok(self) -> bool:
        return self.balance_ore == self.owed_ore and not self.differences

    def as_json(self) -> dict:
        return {"balance": from_ore(self.balance_ore), "owed_to_creditors": from_ore(
            self.creditors_ore), "agency_unsettled": from_ore(self.agency_ore),
                "owed_to_debtors": from_ore(self.debtors_ore),
                "difference": from_ore(self.balance_ore - self.owed_ore), "ok": self.ok,
                "differences": self.differences}


def _owed_to_debtors(conn: Connection) -> int:
    unmatched = conn.execute(select(func.coalesce(func.sum(payments.c.amount_ore), 0))
                             .where(payments.c.status == "unmatched",
                                    payments.c.source != "direct",
                                    payments.c.currency == "NOK")).scalar_one()
    overpaid = conn.execute(
        select(func.coalesce(func.sum(postings.c.amount_ore), 0))
        .outerjoin(payments, payments.c.id == postings.c.payment_id)
        .where(postings.c.component == "overpaid",
               or_(payments.c.id.is_(None), payments.c.source != "direct"))).scalar_one()
    return int(unmatched) - int(overpaid)


def _payment_differences(conn: Connection) -> list[str]:
    """Each bank payment's money postings (net of reversals of them) equal its amount, or 0."""
    original = aliased(postings)
    net: dict[int, int] = defaultdict(int)
    for payment_id, amount in conn.execute(
            select(postings.c.payment_id, postings.c.amount_ore)
            .outerjoin(original, original.c.id == postings.c.reverses_id)
            .where(postings.c.payment_id.is_not(None),
                   or_(postings.c.kind == "payment",
                       and_(postings.c.kind == "reversal", original.c.kind == "payment")))):
        net[payment_id] += amount
    problems = []
    for pid, status, amount in conn.execute(
            select(payments.c.id, payments.c.status, payments.c.amount_ore)
            .where(payments.c.status.in_(("matched", "direct", "reversed")))):
        expected = 0 if status == "reversed" else amount
        if -net.get(pid, 0) != expected:
            problems.append(f"innbetaling {pid} ({status}): posteringer "
                            f"{fmt(from_ore(-net.get(pid, 0)))} ≠ forventet "
                            f"{fmt(from_ore(expected))}")
    return problems


def _pairs(rows: Sequence[Any]) -> dict:
    return {key: int(value or 0) for key, value in rows}


def _file_differences(conn: Connection) -> list[str]:
    booked = _pairs(conn.execute(select(payments.c.file_id, func.sum(payments.c.amount_ore))
                               .where(payments.c.file_id.is_not(None),
                                      payments.c.currency == "NOK")
                               .group_by(payments.c.file_id)).all())
    moved = _pairs(conn.execute(select(client_funds.c.file_id, func.sum(client_funds.c.amount_ore))
                              .where(client_funds.c.file_id.is_not(None))
                              .group_by(client_funds.c.file_id)).all())
    return [f"bankfil {fid}: klientkonto {fmt(from_ore(moved.get(fid) or 0))} ≠ innbetalinger "
            f"{fmt(from_ore(booked.get(fid) or 0))}"
            for fid in sorted(set(booked) | set(moved))
            if int(moved.get(fid) or 0) != int(booked.get(fid) or 0)]


def _settlement_differences(conn: Connection) -> list[str]:
    moved = _pairs(conn.execute(select(client_funds.c.settlement_id,
                                     func.sum(client_funds.c.amount_ore))
                              .where(client_funds.c.settlement_id.is_not(None))
                              .group_by(client_funds.c.settlement_id)).all())
    return [f"oppgjør {sid} ({period}): utbetalt {fmt(from_ore(-(moved.get(sid) or 0)))} ≠ "
            f"innkrevd {fmt(from_ore(collected))}"
            for sid, period, collected in conn.execute(
                select(settlements.c.id, settlements.c.period, settlements.c.collected_ore))
            if -int(moved.get(sid) or 0) != collected]


def reconcile(conn: Connection) -> Reconciliation:
    """Compare the client-funds balance with what is owed; list every difference found."""
    balance = int(conn.execute(select(func.coalesce(func.sum(client_funds.c.amount_ore), 0))
                               ).scalar_one())
    rows = [r for r in money_postings(conn) if source_of(r.source) == "bank"]
    senders = fee_senders(conn, {r.claim_id for r in rows})
    shares = {"creditor": 0, "agency": 0}
    for r in rows:
        shares[owner(r.component, r.claim_id, senders)] -= r.amount_ore
    result = Reconciliation(balance, shares["creditor"], shares["agency"],
                            _owed_to_debtors(conn))
    result.differences = (_payment_differences(conn) + _file_differences(conn)
                          + _settlement_differences(conn))
    if result.balance_ore != result.owed_ore:
        result.differences.append(
            f"klientkontoen har {fmt(from_ore(balance))}, men det skyldes "
            f"{fmt(from_ore(result.owed_ore))} (differanse "
            f"{fmt(from_ore(balance - result.owed_ore))})")
    return result
