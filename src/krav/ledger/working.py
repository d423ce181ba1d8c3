"""The working copy of a claim while a chunk of payments is allocated, and its postings.

Allocation changes this copy in memory; ``ledger.service`` writes all of a chunk's postings and
claim rows at once afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from krav.kernel.money import to_ore
from krav.law import rules

ZERO = Decimal("0.00")


class PaymentToAllocate(NamedTuple):
    """One payment to book on a claim. A named tuple: a bank file makes a million of them."""

    payment_id: int
    claim_id: int
    amount: Decimal
    paid_on: date
    designation: str | None = None  # the debtor's designation: costs | interest | principal


@dataclass
class WorkingClaim:
    """Mutable working copy of a claim while a chunk of payments is allocated."""

    row: dict[str, Any]
    balances: dict[str, Decimal]
    postings: list[dict[str, Any]] = field(default_factory=list)
    changed: bool = False


def post(claim: WorkingClaim, *, on: date, kind: str, component: str, amount: Decimal,
         rule: str, key: str, reference: str = "", inputs: dict[str, str] | None = None,
         payment_id: int | None = None, reverses_id: int | None = None) -> None:
    """Add one posting to the claim's working copy and move its balance."""
    claim.postings.append({
        "claim_id": claim.row["id"], "on": on, "kind": kind, "component": component,
        "amount_ore": to_ore(amount), "rule": rule, "reference": reference,
        "inputs": inputs or {}, "payment_id": payment_id, "reverses_id": reverses_id, "key": key})
    claim.balances[component] = claim.balances.get(component, ZERO) + amount
    claim.changed = True


def crystallise(claim: WorkingClaim, book: Any, until: date, key: str,
                payment_id: int | None = None) -> None:
    """Interest on the unpaid principal up to ``until`` (FRL § 3; architecture decision 3)."""
    start: date = claim.row["interest_through"]
    principal = claim.balances.get("principal", ZERO)
    if until <= start:
        return
    claim.row["interest_through"] = until
    claim.changed = True
    if principal <= 0:
        return
    result = rules.interest(book, principal=principal, start=start, end=until)
    if result.amount > 0:
        post(claim, on=until, kind="interest", component="interest", amount=result.amount,
             rule="FRL-3-forsinkelsesrente", key=key,
             reference="forsinkelsesrenteloven § 3 første ledd",
             inputs={"principal": str(principal), "from": (start + timedelta(days=1)).isoformat(),
                     "through": until.isoformat(), "days": str(result.days)},
             payment_id=payment_id)


def outstanding(claim: WorkingClaim) -> Decimal:
    return sum((v for k, v in claim.balances.items() if k != "overpaid"), ZERO)
