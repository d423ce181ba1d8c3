"""The claim ledger's vocabulary.

Every change to what a debtor owes is an immutable posting (architecture.md, decision 2):
charges are positive, payments and write-offs negative, corrections are reversals. A posting's
``component`` is the balance it moves; ``kind`` is what happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

# What happened.
KINDS = (
    "principal", "reminder_fee", "collection_notice_fee", "payment_demand_fee", "compensation",
    "interest", "salaer", "payment", "writeoff", "reversal", "refund",
)
# Recovery costs and the § 3a compensation: the "fees" a debtor sees.
COST_COMPONENTS = (
    "reminder_fee", "collection_notice_fee", "payment_demand_fee", "compensation", "salaer",
)
# Balances a posting can move. ``overpaid`` is money owed back to the debtor (negative balance).
COMPONENTS = ("principal", "interest", *COST_COMPONENTS, "overpaid")
# Allocation groups (dekningsrekkefølge, law-no.md § 5) and the components in each, in order.
GROUPS: dict[str, tuple[str, ...]] = {
    "costs": ("salaer", "payment_demand_fee", "collection_notice_fee", "reminder_fee",
              "compensation"),
    "interest": ("interest",),
    "principal": ("principal",),
}
DEFAULT_ORDER = ("costs", "interest", "principal")


@dataclass(frozen=True)
class Posting:
    """One ledger line; ``amount`` in kroner (Decimal), stored as øre."""

    claim_id: int
    on: date
    kind: str
    component: str
    amount: Decimal
    rule: str
    key: str
    reference: str = ""
    inputs: dict[str, str] = field(default_factory=dict)
    payment_id: int | None = None
    reverses_id: int | None = None


def group_balances(balances: dict[str, Decimal]) -> dict[str, Decimal]:
    """Per-component balances folded into what a debtor sees: principal, interest, fees, total."""
    principal = balances.get("principal", Decimal("0"))
    interest = balances.get("interest", Decimal("0"))
    fees = sum((balances.get(c, Decimal("0")) for c in COST_COMPONENTS), Decimal("0"))
    overpaid = balances.get("overpaid", Decimal("0"))
    return {
        "principal": principal,
        "interest": interest,
        "fees": fees,
        "overpaid": -overpaid,
        "total": principal + interest + fees + overpaid,
    }
