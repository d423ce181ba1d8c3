"""Payments booked after the day they were made (the bank file came late).

A payment counts on its payment date (law-no.md § 8, finansavtaleloven § 4-5). When the nightly
run has meanwhile crystallised interest or charged costs after that date, the payment is
allocated against what was owed on its date: interest for the later days is taken back and
re-accrued on what stays unpaid (FRL § 3), and costs charged after it are cancelled when it
settled the claim in time (INKL § 17 (3)).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from krav.db.tables import postings
from krav.kernel.money import from_ore, to_ore
from krav.law import rules
from krav.ledger.model import COST_COMPONENTS
from krav.ledger.working import PaymentToAllocate, WorkingClaim, outstanding, post

ZERO = Decimal("0.00")


def costs_charged_after(conn: Connection, items: Sequence[PaymentToAllocate]
                         ) -> dict[int, list[dict[str, Any]]]:
    """Costs posted after a payment's date, for payments imported after the day they were made."""
    if not items:
        return {}
    ids = sorted({i.claim_id for i in items})
    earliest = min(i.paid_on for i in items)
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for start in range(0, len(ids), 2000):
        chunk = ids[start:start + 2000]
        cancelled = _costs_cancelled(conn, chunk)
        for row in conn.execute(
                select(postings.c.id, postings.c.claim_id, postings.c.on, postings.c.component,
                       postings.c.amount_ore, postings.c.rule, postings.c.key)
                .where(postings.c.claim_id.in_(chunk), postings.c.on > earliest,
                       postings.c.kind.in_(COST_COMPONENTS))).mappings():
            if row["id"] not in cancelled:
                found[row["claim_id"]].append(dict(row))
    return found


def _costs_cancelled(conn: Connection, claim_ids: list[int]) -> set[int]:
    """Cost postings already cancelled by an earlier timely payment that still stands."""
    cancels: dict[int, int] = {}
    undone: set[int] = set()
    for pid, reverses, rule in conn.execute(
            select(postings.c.id, postings.c.reverses_id, postings.c.rule)
            .where(postings.c.claim_id.in_(claim_ids),
                   postings.c.rule.in_(("INKL-17-betalt-i-tide", "reversal-of-payment")))):
        if rule == "reversal-of-payment":
            undone.add(reverses)
        else:
            cancels[pid] = reverses
    return {cost for cancel, cost in cancels.items() if cancel not in undone}


def undo_costs_after_timely_payment(claim: WorkingClaim, item: PaymentToAllocate,
                                     later: list[dict[str, Any]]) -> None:
    """A payment that settled the claim when it was made counts in time even if the bank file
    came later (law-no.md § 8, finansavtaleloven § 4-5): costs charged after its date are
    reversed, since no collection costs may be charged for a claim paid in time (INKL § 17 (3))."""
    if claim.row["status"] == "closed":
        return
    cancel = _unpaid_costs_after(claim, [p for p in later if p["on"] > item.paid_on])
    if not cancel:
        return
    charged_after = sum((part for _, part in cancel), ZERO)
    if item.amount < outstanding(claim) - charged_after:
        return  # a part payment: the later steps stand
    for p, part in cancel:
        post(claim, on=item.paid_on, kind="reversal", component=p["component"], amount=-part,
             rule="INKL-17-betalt-i-tide", key=f"reversal:{p['key']}:{item.payment_id}",
             reverses_id=p["id"], payment_id=item.payment_id,
             reference="inkassoloven § 17 tredje ledd: betalt innen fristen, ingen kostnader",
             inputs={"reverses": p["rule"], "paid_on": item.paid_on.isoformat()})
        p["amount_ore"] -= to_ore(part)


def _unpaid_costs_after(claim: WorkingClaim,
                        later: list[dict[str, Any]]) -> list[tuple[dict[str, Any], Decimal]]:
    """The part of each later cost still owed: a cost a later-dated payment (booked earlier)
    already paid is not taken back, so no balance goes negative."""
    unpaid = {k: max(ZERO, v) for k, v in claim.balances.items()}
    result = []
    for p in later:
        part = min(from_ore(p["amount_ore"]), unpaid.get(p["component"], ZERO))
        if part > 0:
            unpaid[p["component"]] -= part
            result.append((p, part))
    return result


def rewind_interest(claim: WorkingClaim, item: PaymentToAllocate,
                     book: Any) -> tuple[date, Decimal] | None:
    """A payment dated before interest was last crystallised (a bank file that came late) is
    allocated against what was owed on its date: interest posted for the days after it is taken
    back first and re-accrued on the principal left unpaid afterwards (FRL § 3: interest stops
    for the part that is paid; law-no.md § 8). Returns (crystallised-through, taken back)."""
    through: date = claim.row["interest_through"]
    principal = claim.balances.get("principal", ZERO)
    since = max(item.paid_on, claim.row["due_date"])  # no interest runs before the due date
    if claim.row["status"] == "closed" or since >= through or principal <= 0:
        return None
    excess = rules.interest(book, principal=principal, start=since, end=through).amount
    taken = min(excess, max(ZERO, claim.balances.get("interest", ZERO)))
    if taken > 0:
        post(claim, on=item.paid_on, kind="reversal", component="interest", amount=-taken,
             rule="FRL-3-rente-stoppet-ved-betaling", key=f"payment:{item.payment_id}:backdate",
             reference="forsinkelsesrenteloven § 3: renten stopper for det som er betalt",
             inputs={"principal": str(principal), "from": since.isoformat(),
                     "through": through.isoformat(), "full_amount": str(excess)},
             payment_id=item.payment_id)
    claim.row["interest_through"] = since
    claim.changed = True
    return through, excess - taken


def reaccrue_interest(claim: WorkingClaim, item: PaymentToAllocate, book: Any, through: date,
                       already_paid: Decimal) -> None:
    """Interest again up to ``through`` on the principal the payment left unpaid (less what the
    debtor had already paid of the interest taken back)."""
    start: date = claim.row["interest_through"]
    principal = claim.balances.get("principal", ZERO)
    claim.row["interest_through"] = through
    claim.changed = True
    if principal <= 0:
        return
    amount = rules.interest(book, principal=principal, start=start, end=through).amount
    amount -= already_paid
    if amount > 0:
        post(claim, on=through, kind="interest", component="interest", amount=amount,
             rule="FRL-3-forsinkelsesrente", key=f"interest:payment:{item.payment_id}:rest",
             reference="forsinkelsesrenteloven § 3 første ledd",
             inputs={"principal": str(principal), "from": (start + timedelta(days=1)).isoformat(),
                     "through": through.isoformat()}, payment_id=item.payment_id)
