"""Corrections are new postings, never edits: payment reversals, credit notes, write-offs,
refunds."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, insert, select, update

from krav.db.tables import claims, events, payments, postings
from krav.kernel.errors import InvalidInput, NotFound, UnableToProceed
from krav.kernel.money import from_ore, to_ore
from krav.ledger.model import COST_COMPONENTS

ZERO = Decimal("0.00")


def _claim(conn: Connection, claim_id: int):  # type: ignore[no-untyped-def]
    row = conn.execute(select(claims).where(claims.c.id == claim_id)).mappings().first()
    if row is None:
        raise NotFound(f"ukjent krav-id {claim_id}")
    return row


def _resync(conn: Connection, claim_id: int, *, on: date, reopen: bool = False,
            close_reason: str = "paid") -> None:
    """Recompute the cached balances of one claim from its postings; close or reopen it."""
    totals: dict[str, int] = {}
    for component, amount in conn.execute(select(postings.c.component, postings.c.amount_ore)
                                          .where(postings.c.claim_id == claim_id)):
        totals[component] = totals.get(component, 0) + amount
    principal = totals.get("principal", 0)
    interest = totals.get("interest", 0)
    costs = sum(totals.get(c, 0) for c in COST_COMPONENTS)
    values: dict[str, object] = {"principal_ore": principal, "interest_ore": interest,
                                 "costs_ore": costs, "version": claims.c.version + 1}
    claim = _claim(conn, claim_id)
    outstanding = principal + interest + costs
    if outstanding <= 0 and claim["status"] != "closed":
        values.update(status="closed", close_reason=close_reason, closed_on=on,
                      next_action_on=None)
    elif outstanding > 0 and claim["status"] == "closed" and claim["close_reason"] == "paid" \
            and reopen:
        values.update(status="open", close_reason=None, closed_on=None, next_action_on=on)
    conn.execute(update(claims).where(claims.c.id == claim_id).values(**values))


def reverse_payment(conn: Connection, *, payment_id: int, on: date) -> None:
    """Undo exactly the postings of ``payment_id`` (a bank reversal or a wrong match)."""
    payment = conn.execute(select(payments).where(payments.c.id == payment_id)).mappings().first()
    if payment is None:
        raise NotFound(f"ukjent innbetaling {payment_id}")
    if payment["status"] == "reversed":
        raise UnableToProceed(f"innbetaling {payment_id} er allerede tilbakeført")
    # everything the payment caused: its allocation, interest taken back or re-accrued, and costs
    # cancelled because it was in time (they stand again when the payment bounces)
    rows = conn.execute(select(postings).where(postings.c.payment_id == payment_id,
                                               postings.c.rule != "reversal-of-payment")
                        ).mappings().all()
    if rows:
        conn.execute(insert(postings), [{
            "claim_id": r["claim_id"], "on": on, "kind": "reversal", "component": r["component"],
            "amount_ore": -r["amount_ore"], "rule": "reversal-of-payment",
            "reference": f"tilbakeføring av innbetaling {payment_id}", "inputs": {},
            "payment_id": payment_id, "reverses_id": r["id"], "key": f"reversal:{r['id']}",
        } for r in rows])
    conn.execute(update(payments).where(payments.c.id == payment_id).values(status="reversed"))
    for claim_id in sorted({r["claim_id"] for r in rows}):
        _resync(conn, claim_id, on=on, reopen=True)
        conn.execute(insert(events).values(claim_id=claim_id, on=on, kind="payment_reversed",
                                           detail={"payment_id": payment_id}, actor="payments"))


def _reduce(conn: Connection, *, claim_id: int, component: str, amount: Decimal, on: date,
            kind: str, rule: str, reference: str, reason: str, close_reason: str) -> None:
    if amount <= 0:
        raise InvalidInput(f"beløpet må være positivt, fikk {amount}")
    _claim(conn, claim_id)
    current = sum(a for (a,) in conn.execute(
        select(postings.c.amount_ore).where(postings.c.claim_id == claim_id,
                                            postings.c.component == component)))
    if to_ore(amount) > current:
        raise UnableToProceed(f"kan ikke redusere {component} med {amount}: saldo er "
                              f"{from_ore(current)}")
    seq = conn.execute(select(postings.c.id).where(postings.c.claim_id == claim_id)
                       .order_by(postings.c.id.desc()).limit(1)).scalar() or 0
    conn.execute(insert(postings).values(
        claim_id=claim_id, on=on, kind=kind, component=component, amount_ore=-to_ore(amount),
        rule=rule, reference=reference, inputs={"reason": reason}, key=f"{kind}:{seq + 1}"))
    conn.execute(insert(events).values(claim_id=claim_id, on=on, kind=kind,
                                       detail={"component": component, "amount": str(amount),
                                               "reason": reason}, actor="operator"))
    was_closed = _claim(conn, claim_id)["status"] == "closed"
    _resync(conn, claim_id, on=on, close_reason=close_reason)
    if not was_closed and _claim(conn, claim_id)["status"] == "closed":
        _closed_event(conn, claim_id, on, close_reason)


def _closed_event(conn: Connection, claim_id: int, on: date, reason: str) -> None:
    """The case closed by a correction: its ``closed`` event (and the ``claim.closed``
    webhook), as a payment that closes a case has."""
    from krav.webhooks.service import enqueue_event_row

    event_id = conn.execute(insert(events).values(
        claim_id=claim_id, on=on, kind="closed", detail={"reason": reason}, actor="operator")
        .returning(events.c.id)).scalar_one()
    enqueue_event_row(conn, event_id, "closed")


def credit_note(conn: Connection, *, claim_id: int, amount: Decimal, on: date, reason: str) -> None:
    """A credit note from the creditor reduces the principal (a reversal posting)."""
    _reduce(conn, claim_id=claim_id, component="principal", amount=amount, on=on, kind="reversal",
            rule="kreditnota", reference="kreditnota fra oppdragsgiver", reason=reason,
            close_reason="withdrawn")


def write_off(conn: Connection, *, claim_id: int, component: str, amount: Decimal, on: date,
              reason: str) -> None:
    """Write off (reduce) principal, interest or a cost, with the reason in the audit trail."""
    if component not in ("principal", "interest", *COST_COMPONENTS):
        raise InvalidInput(f"ukjent komponent {component!r}",
                           allowed="principal, interest, " + ", ".join(COST_COMPONENTS))
    _reduce(conn, claim_id=claim_id, component=component, amount=amount, on=on, kind="writeoff",
            rule="nedskrivning", reference="nedskrevet av saksbehandler", reason=reason,
            close_reason="written_off")


def refund_overpayment(conn: Connection, *, claim_id: int, amount: Decimal, on: date,
                       payment_id: int | None) -> None:
    """Pay back money owed to the debtor (the ``overpaid`` balance)."""
    owed = -sum(a for (a,) in conn.execute(
        select(postings.c.amount_ore).where(postings.c.claim_id == claim_id,
                                            postings.c.component == "overpaid")))
    if to_ore(amount) > owed:
        raise UnableToProceed(f"kan ikke tilbakebetale {amount}: skyldneren har {from_ore(owed)} "
                              "til gode")
    seq = conn.execute(select(postings.c.id).order_by(postings.c.id.desc()).limit(1)).scalar() or 0
    conn.execute(insert(postings).values(
        claim_id=claim_id, on=on, kind="refund", component="overpaid", amount_ore=to_ore(amount),
        rule="refund", reference="tilbakebetaling til skyldner", inputs={},
        payment_id=payment_id, key=f"refund:{seq + 1}"))
