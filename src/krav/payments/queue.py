"""The unmatched queue and what an operator does with it: assign, refund; and the creditor's
side — direct payments and credit notes (issue 4 §§ 3, 5).

Every function works inside the caller's transaction and takes the day explicitly.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, insert, select, update

from krav.db.tables import claims, payments, postings
from krav.kernel.errors import InvalidInput, NotFound, UnableToProceed
from krav.kernel.money import from_ore, to_ore
from krav.ledger.service import (
    AllocationSummary,
    PaymentToAllocate,
    allocate_payments,
    credit_note,
    refund_overpayment,
)
from krav.payments.tables import (
    client_funds,
    instalment_kids,
    payment_suggestions,
    unmatched_reasons,
)

if TYPE_CHECKING:
    from krav.accounts.principal import Actor

DESIGNATIONS = ("costs", "interest", "principal")
HOME_CURRENCY = "NOK"


def _audit(conn: Connection, actor: Actor | None, action: str, claim_id: int | None,
           **details: Any) -> None:
    from krav.audit.service import record

    creditor_id = conn.execute(select(claims.c.creditor_id).where(claims.c.id == claim_id)
                               ).scalar() if claim_id is not None else None
    record(conn, actor, action, claim_id=claim_id, creditor_id=creditor_id,
           details={k: str(v) if isinstance(v, Decimal | date) else v
                    for k, v in details.items()})


def find_claim(conn: Connection, ref: str) -> Any:
    """A claim by case reference (``K-0000001``), KID, or an instalment's KID."""
    ref = ref.strip()
    row = conn.execute(select(claims).where(claims.c.ref == ref)).mappings().first()
    if row is None:
        found = conn.execute(select(claims).where(claims.c.kid == ref)).mappings().all()
        if len(found) > 1:
            raise UnableToProceed(f"KID {ref} passer på {len(found)} krav; bruk saksnummeret")
        row = found[0] if found else conn.execute(
            select(claims).join(instalment_kids, instalment_kids.c.claim_id == claims.c.id)
            .where(instalment_kids.c.kid == ref)).mappings().first()
    if row is None:
        raise NotFound(f"fant ikke kravet {ref!r} (saksnummer eller KID)")
    return row


def _payment(conn: Connection, payment_id: int) -> Any:
    row = conn.execute(select(payments).where(payments.c.id == payment_id)).mappings().first()
    if row is None:
        raise NotFound(f"ukjent innbetaling {payment_id}")
    return row


def _not_before(on: date, earliest: date, *, what: str, option: str = "--on") -> None:
    """A booking dated before the event it follows is a typing mistake, never booked."""
    if on < earliest:
        raise InvalidInput(f"{on.isoformat()} er før {what} {earliest.isoformat()}",
                           where=option, allowed=f"{earliest.isoformat()} eller senere")


def unmatched_queue(conn: Connection) -> list[dict]:
    """Payments waiting for a person, oldest first, each with its reason and suggestions."""
    rows = conn.execute(
        select(payments, unmatched_reasons.c.reason, unmatched_reasons.c.queued_on)
        .outerjoin(unmatched_reasons, unmatched_reasons.c.payment_id == payments.c.id)
        .where(payments.c.status == "unmatched").order_by(payments.c.paid_on, payments.c.id)
    ).mappings().all()
    hints: dict[int, list[dict]] = defaultdict(list)
    ids = [r["id"] for r in rows]
    for start in range(0, len(ids), 5000):
        for pid, ref, score, reason in conn.execute(
                select(payment_suggestions.c.payment_id, claims.c.ref, payment_suggestions.c.score,
                       payment_suggestions.c.reason)
                .join(claims, claims.c.id == payment_suggestions.c.claim_id)
                .where(payment_suggestions.c.payment_id.in_(ids[start:start + 5000]))
                .order_by(payment_suggestions.c.score.desc(), claims.c.ref)):
            hints[pid].append({"ref": ref, "score": score, "reason": reason})
    return [{"payment": r["id"], "paid_on": r["paid_on"], "amount": from_ore(r["amount_ore"]),
             "kid": r["kid"] or "", "payer_name": r["payer_name"] or "",
             "payer_account": r["payer_account"] or "", "text": r["text"] or "",
             "source": r["source"], "currency": r["currency"], "reason": r["reason"] or "",
             "suggestions": hints[r["id"]]}
            for r in rows]


def _resolve(conn: Connection, payment_id: int, on: date, resolution: str) -> None:
    conn.execute(update(unmatched_reasons).where(unmatched_reasons.c.payment_id == payment_id)
                 .values(resolved_on=on, resolution=resolution))


def assign_payment(conn: Connection, payment_id: int, ref: str, *, on: date,
                   designation: str | None = None,
                   actor: Actor | None = None) -> AllocationSummary:
    """Book a queued payment on the claim ``ref``, allocated as of its payment date."""
    payment = _payment(conn, payment_id)
    if payment["status"] != "unmatched" or payment["amount_ore"] <= 0:
        raise UnableToProceed(f"innbetaling {payment_id} står ikke i køen (status "
                              f"{payment['status']})")
    if payment["currency"] != HOME_CURRENCY:
        raise UnableToProceed(f"innbetaling {payment_id} er i {payment['currency']}; krav føres "
                              f"i {HOME_CURRENCY} — betal den tilbake (`krav payments refund`) "
                              "og be om betaling i kroner")
    if designation is not None and designation not in DESIGNATIONS:
        raise InvalidInput(f"ukjent øremerking {designation!r}", where="--designation",
                           allowed=", ".join(DESIGNATIONS))
    _not_before(on, payment["paid_on"], what=f"betalingsdatoen til innbetaling {payment_id}")
    claim = find_claim(conn, ref)
    conn.execute(update(payments).where(payments.c.id == payment_id).values(
        claim_id=claim["id"], status="matched", designation=designation))
    _resolve(conn, payment_id, on, "assigned")
    _audit(conn, actor, "payment.assign", claim["id"], payment_id=payment_id, on=on,
           designation=designation, amount=from_ore(payment["amount_ore"]))
    return allocate_payments(conn, [PaymentToAllocate(
        payment_id=payment_id, claim_id=claim["id"], amount=from_ore(payment["amount_ore"]),
        paid_on=payment["paid_on"], designation=designation)], as_of=on)


def _overpaid_left(conn: Connection, payment_id: int) -> int:
    """What of ``payment_id`` is still owed back to the debtor (øre)."""
    total = conn.execute(select(func.coalesce(func.sum(postings.c.amount_ore), 0))
                         .where(postings.c.payment_id == payment_id,
                                postings.c.component == "overpaid")).scalar_one()
    return -int(total)


def refund_payment(conn: Connection, payment_id: int, *, on: date,
                   actor: Actor | None = None) -> Decimal:
    """Pay back a queued payment in full, or what of a matched payment was overpaid."""
    payment = _payment(conn, payment_id)
    if payment["source"] == "direct":
        raise UnableToProceed(f"innbetaling {payment_id} ble betalt direkte til oppdragsgiveren; "
                              "oppdragsgiveren betaler tilbake")
    # Money cannot go back before it came in.
    _not_before(on, payment["paid_on"], what=f"betalingsdatoen til innbetaling {payment_id}")
    if payment["currency"] != HOME_CURRENCY:
        return _refund_foreign(conn, payment, on)
    if payment["status"] == "unmatched" and payment["amount_ore"] > 0:
        amount = payment["amount_ore"]
        conn.execute(update(payments).where(payments.c.id == payment_id)
                     .values(status="refunded"))
        _resolve(conn, payment_id, on, "refunded")
    elif payment["status"] == "matched" and _overpaid_left(conn, payment_id) > 0:
        amount = _overpaid_left(conn, payment_id)
        refund_overpayment(conn, claim_id=payment["claim_id"], amount=from_ore(amount), on=on,
                           payment_id=payment_id)
    else:
        raise UnableToProceed(f"innbetaling {payment_id} har ingenting å betale tilbake "
                              f"(status {payment['status']})")
    conn.execute(insert(client_funds).values(
        on=on, kind="refund", amount_ore=-amount, payment_id=payment_id,
        text=f"tilbakebetaling av innbetaling {payment_id}"))
    _audit(conn, actor, "payment.refund", payment["claim_id"], payment_id=payment_id, on=on,
           amount=from_ore(amount))
    return from_ore(amount)


def _refund_foreign(conn: Connection, payment: Any, on: date) -> Decimal:
    """A queued payment in another currency goes back from the bank's currency account: it is
    marked refunded and resolved; the NOK client-funds account never held it, so nothing moves
    there."""
    if payment["status"] != "unmatched" or payment["amount_ore"] <= 0:
        raise UnableToProceed(f"innbetaling {payment['id']} har ingenting å betale tilbake "
                              f"(status {payment['status']})")
    conn.execute(update(payments).where(payments.c.id == payment["id"])
                 .values(status="refunded"))
    _resolve(conn, payment["id"], on, "refunded")
    return from_ore(payment["amount_ore"])


def direct_payment(conn: Connection, ref: str, amount: Decimal, *, on: date,
                   as_of: date, actor: Actor | None = None) -> tuple[int, AllocationSummary]:
    """A payment the debtor made straight to the creditor, as the creditor reports it."""
    if amount <= 0:
        raise InvalidInput(f"beløpet må være positivt, fikk {amount}", where="AMOUNT")
    if on > as_of:
        raise InvalidInput(f"betalingsdatoen {on.isoformat()} er etter bokføringsdagen "
                           f"{as_of.isoformat()}", where="--on",
                           allowed=f"{as_of.isoformat()} eller tidligere")
    claim = find_claim(conn, ref)
    _not_before(on, claim["invoice_date"], what=f"fakturadatoen til {ref}")
    pid = conn.execute(insert(payments).values(
        source="direct", paid_on=on, booked_on=as_of, amount_ore=to_ore(amount),
        kid=claim["kid"], claim_id=claim["id"], status="direct",
        text="rapportert av oppdragsgiver").returning(payments.c.id)).scalar_one()
    summary = allocate_payments(conn, [PaymentToAllocate(
        payment_id=pid, claim_id=claim["id"], amount=amount, paid_on=on)], as_of=as_of)
    _audit(conn, actor, "payment.direct", claim["id"], payment_id=pid, paid_on=on,
           amount=amount)
    return pid, summary


def credit_note_for(conn: Connection, ref: str, amount: Decimal, *, on: date,
                    reason: str, actor: Actor | None = None) -> None:
    """The creditor's credit note reduces the principal (a reversal posting, never an edit);
    at most the principal still owed. A credit note that leaves nothing owed closes the case
    (``withdrawn``, with its ``claim.closed`` webhook)."""
    if amount <= 0:
        raise InvalidInput(f"beløpet må være positivt, fikk {amount}", where="AMOUNT")
    if not reason.strip():
        raise InvalidInput("begrunnelse mangler", where="--reason",
                           allowed="kreditnotaens nummer eller en kort begrunnelse")
    claim = find_claim(conn, ref)
    _not_before(on, claim["invoice_date"], what=f"fakturadatoen til {ref}")
    if to_ore(amount) > claim["principal_ore"]:
        raise InvalidInput(f"kreditnotaen på {amount} er større enn hovedstolen som står igjen, "
                           f"{from_ore(claim['principal_ore'])}", where="AMOUNT",
                           allowed=f"høyst {from_ore(claim['principal_ore'])}")
    credit_note(conn, claim_id=claim["id"], amount=amount, on=on, reason=reason)
    _audit(conn, actor, "payment.credit_note", claim["id"], on=on, amount=amount,
           reason=reason)
