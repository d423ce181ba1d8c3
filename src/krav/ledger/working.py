"""The working copy of a claim while a chunk of payments is allocated, and its postings.

Allocation changes this copy in memory; ``ledger.service`` writes all of a chunk's postings and
claim rows at once afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from krav.cases.policy import residual_write_off_ore
from krav.kernel.money import from_ore, to_ore
from krav.law import rules
from krav.ledger.allocation import components_in_order, effective_order, parse_order

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


# The posting that writes off a rest below the creditor's ``residual_write_off``.
RESIDUAL_RULE = "residual-write-off"
RESIDUAL_REFERENCE = "restbeløp under oppdragsgivers grense for nedskrivning (avtalen)"


def residual_inputs(threshold_ore: int, rest_ore: int) -> dict[str, str]:
    """What a residual write-off posting records: the creditor's threshold and the rest."""
    return {"threshold": str(from_ore(threshold_ore)), "rest": str(from_ore(rest_ore))}


def write_off_residual(claim: WorkingClaim, item: PaymentToAllocate) -> None:
    """Write off what ``item`` left owing (below the creditor's ``residual_write_off``, see
    ``cases.policy.Policy``): one ``writeoff`` posting per component still owed, in the order
    the payment was allocated, so the claim closes as paid. The postings carry the payment's id:
    reversing the payment takes the write-off back too."""
    threshold = residual_write_off_ore(claim.row["policy"])
    rest = to_ore(outstanding(claim))
    order = effective_order(parse_order(claim.row["allocation_order"]
                                        or "costs,interest,principal"), item.designation)
    for component in components_in_order(order):
        owed = claim.balances.get(component, ZERO)
        if owed > 0:
            post(claim, on=item.paid_on, kind="writeoff", component=component, amount=-owed,
                 rule=RESIDUAL_RULE, key=f"writeoff:payment:{item.payment_id}:{component}",
                 reference=RESIDUAL_REFERENCE, inputs=residual_inputs(threshold, rest),
                 payment_id=item.payment_id)
    claim.row["written_off_ore"] = rest


def closed_detail(written_off_ore: int | None) -> dict[str, str]:
    """The detail of the ``closed`` event a payment writes: paid, and any rest written off."""
    if not written_off_ore:
        return {"reason": "paid"}
    return {"reason": "paid", "written_off": str(from_ore(written_off_ore)),
            "rule": RESIDUAL_RULE}
