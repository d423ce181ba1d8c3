"""Bank reversals (OCR types 18/20 or a negative amount; camt debits with ``RvslInd``).

A reversal undoes exactly the payment it reverses (issue 4 § 4): the original is the latest
earlier payment with the same KID (or, without a KID, the same payer account) and the same
amount that is not yet reversed. A matched original is undone in the ledger
(``reverse_payment``: every posting reversed, the claim reopened if it was closed as paid); an
original still in the unmatched queue leaves the queue. A reversal whose original is unknown
waits in the queue itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Connection, insert, select, update

from krav.db.tables import payments
from krav.ledger.service import reverse_payment
from krav.payments.matching import chunks
from krav.payments.model import BankTransaction
from krav.payments.tables import payment_reversals, unmatched_reasons


def _candidates(conn: Connection, txs: Sequence[BankTransaction]) -> list:
    """Payments that a reversal in ``txs`` may undo, latest first (two set-wise queries)."""
    base = (select(payments.c.id, payments.c.kid, payments.c.payer_account,
                   payments.c.amount_ore, payments.c.paid_on, payments.c.status,
                   payments.c.claim_id)
            .where(payments.c.status.in_(("matched", "unmatched")), payments.c.amount_ore > 0,
                   payments.c.source != "direct", payments.c.currency == "NOK",
                   payments.c.id.not_in(select(payment_reversals.c.original_id))))
    found = {}
    for column, values in ((payments.c.kid, {t.kid for t in txs if t.kid}),
                           (payments.c.payer_account,
                            {t.payer_account for t in txs if not t.kid and t.payer_account})):
        for chunk in chunks(sorted(values)):
            found.update({r.id: r for r in conn.execute(base.where(column.in_(chunk)))})
    return sorted(found.values(), key=lambda r: (r.paid_on, r.id), reverse=True)


def _original(t: BankTransaction, candidates: list, used: set[int]):  # type: ignore[no-untyped-def]
    for c in candidates:
        same_payer = c.kid == t.kid if t.kid else c.payer_account == t.payer_account
        if same_payer and c.amount_ore == -t.amount_ore and c.paid_on <= t.paid_on \
                and c.id not in used:
            return c
    return None


def book_reversals(conn: Connection, reversals: Sequence[tuple[int, BankTransaction]], *,
                   as_of: date) -> tuple[int, int]:
    """Undo the payments that ``reversals`` reverse; returns (reversed, queued as unmatched)."""
    candidates = _candidates(conn, [t for _, t in reversals])
    used: set[int] = set()
    done = queued = 0
    for reversal_id, t in reversals:
        original = _original(t, candidates, used)
        if original is None:
            conn.execute(update(payments).where(payments.c.id == reversal_id)
                         .values(status="unmatched"))
            conn.execute(insert(unmatched_reasons).values(
                payment_id=reversal_id, queued_on=as_of,
                reason="tilbakeføring uten kjent innbetaling med samme KID og beløp"))
            queued += 1
            continue
        used.add(original.id)
        conn.execute(insert(payment_reversals).values(reversal_id=reversal_id,
                                                      original_id=original.id))
        conn.execute(update(payments).where(payments.c.id == reversal_id)
                     .values(claim_id=original.claim_id))
        if original.status == "matched":
            reverse_payment(conn, payment_id=original.id, on=t.paid_on)
        else:
            conn.execute(update(payments).where(payments.c.id == original.id)
                         .values(status="reversed"))
            conn.execute(update(unmatched_reasons)
                         .where(unmatched_reasons.c.payment_id == original.id)
                         .values(resolved_on=as_of, resolution="reversed"))
        done += 1
    return done, queued
