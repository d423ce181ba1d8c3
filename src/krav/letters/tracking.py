"""Delivery tracking: what happened to each letter, by channel, and the "needs address" queue.

Every function takes the time it records (``at``); none reads a clock. Reports from outside
(SMS delivery reports, bounces, returned post) are idempotent: the same report twice changes
nothing the second time.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, and_, func, insert, select, update

from krav.db.tables import claims, debtors, events, letters
from krav.kernel.errors import InvalidInput, NotFound
from krav.kernel.money import from_ore
from krav.letters.tables import letter_deliveries as ld

if TYPE_CHECKING:
    from krav.accounts.principal import Actor

DONE = ("sent", "delivered", "bounced", "returned")
SMS_FINAL_FAILURES = {1002, 1003, 1004, 1006, 1007, 1008, 1009, 1010, 1011, 1012}


def delivery_key(letter_id: int, channel: str) -> str:
    return f"letter-{letter_id}-{channel}"


def deliveries_by_key(conn: Connection, letter_ids: list[int]) -> dict[str, dict[str, Any]]:
    rows = conn.execute(select(ld).where(ld.c.letter_id.in_(letter_ids))).mappings().all()
    return {row["idempotency_key"]: dict(row) for row in rows}


def record_attempt(conn: Connection, *, letter_id: int, channel: str, recipient: str,
                   at: datetime, status: str = "sending") -> str:
    """Write the idempotency key *before* the send (insert, or re-open a failed attempt)."""
    key = delivery_key(letter_id, channel)
    existing = conn.execute(select(ld.c.status).where(ld.c.idempotency_key == key)).scalar()
    if existing is None:
        conn.execute(insert(ld).values(
            letter_id=letter_id, channel=channel, idempotency_key=key, recipient=recipient,
            status=status, attempts=1, made_at=at, updated_at=at))
    else:
        conn.execute(update(ld).where(ld.c.idempotency_key == key).values(
            status=status, recipient=recipient, attempts=ld.c.attempts + 1, error=None,
            updated_at=at))
    return key


def record_outcome(conn: Connection, key: str, *, status: str, at: datetime,
                   provider_id: str | None = None, error: str | None = None) -> None:
    values: dict[str, Any] = {"status": status, "updated_at": at}
    if provider_id is not None:
        values["provider_id"] = provider_id
    if error is not None:
        values["error"] = error[:2000]
    if status == "sent":
        values["sent_at"] = at
    if status == "bounced":
        values["bounced_at"] = at
    conn.execute(update(ld).where(ld.c.idempotency_key == key).values(**values))


def _event(conn: Connection, letter_id: int, kind: str, on: date, detail: dict) -> None:
    claim_id = conn.execute(select(letters.c.claim_id).where(letters.c.id == letter_id)).scalar()
    conn.execute(insert(events).values(claim_id=claim_id, on=on, kind=kind,
                                       detail={"letter_id": letter_id, **detail}, actor="letters"))


def record_bounce(engine: Engine, key: str, *, at: datetime, reason: str = "",
                  actor: Actor | None = None) -> bool:
    """An e-mail bounced: the address is not used again and the letter goes back to the outbox,
    where routing now falls back to the next channel (print). ``False`` if already recorded."""
    with engine.begin() as conn:
        row = conn.execute(select(ld.c.letter_id, ld.c.status, ld.c.channel)
                           .where(ld.c.idempotency_key == key)).first()
        if row is None:
            raise NotFound(f"ingen sending med nøkkel {key}")
        if row.status == "bounced":
            return False
        record_outcome(conn, key, status="bounced", at=at, error=reason or "returnert (DSN)")
        # not received: the letter goes again (by the next channel) and counts as sent only then
        conn.execute(update(letters).where(letters.c.id == row.letter_id,
                                           letters.c.status.in_(("sent", "parked")))
                     .values(status="pending", next_attempt_at=None, dispatched_on=None,
                             last_error=f"{key}: returnert"))
        _event(conn, row.letter_id, "letter_bounced", at.date(), {"channel": row.channel})
        audit_letter(conn, actor, "letter.bounced", row.letter_id, key=key)
    return True


def mark_returned(engine: Engine, letter_id: int, *, at: datetime,
                  actor: Actor | None = None) -> bool:
    """Returned post (``krav letters returned``): the debtor's address is bad, the case waits in
    the needs-address queue. ``False`` if this letter was already recorded as returned."""
    with engine.begin() as conn:
        row = conn.execute(select(letters.c.id, letters.c.status, letters.c.dispatched_on,
                                  claims.c.debtor_id)
                           .join(claims, claims.c.id == letters.c.claim_id)
                           .where(letters.c.id == letter_id)).first()
        if row is None:
            raise NotFound(f"brev {letter_id} finnes ikke")
        if row.status == "returned":
            return False
        key = delivery_key(letter_id, "print")
        if conn.execute(select(ld.c.id).where(ld.c.idempotency_key == key)).first() is None:
            raise InvalidInput(f"brev {letter_id} er ikke sendt i posten", where="LETTER_ID")
        conn.execute(update(ld).where(ld.c.idempotency_key == key)
                     .values(status="returned", returned_at=at, updated_at=at))
        conn.execute(update(letters).where(letters.c.id == letter_id)
                     .values(status="returned", last_error="returnert i posten"))
        conn.execute(update(debtors).where(debtors.c.id == row.debtor_id)
                     .values(address_bad=True))
        if row.dispatched_on is None:  # returned before it went out: no fee (INKL § 9)
            from krav.letters.delivery import reverse_fees

            reverse_fees(conn, [letter_id], on=at.date(), reason="returnert før det ble sendt")
        _event(conn, letter_id, "letter_returned", at.date(), {})
        audit_letter(conn, actor, "letter.returned", letter_id)
    return True


def audit_letter(conn: Connection, actor: Actor | None, action: str, letter_id: int,
                 **details: Any) -> None:
    """The audit row of a person's decision about a letter (its case and creditor named)."""
    from krav.audit.service import record

    row = conn.execute(select(claims.c.id, claims.c.creditor_id, letters.c.kind)
                       .join(claims, claims.c.id == letters.c.claim_id)
                       .where(letters.c.id == letter_id)).first()
    record(conn, actor, action, claim_id=row.id if row else None,
           creditor_id=row.creditor_id if row else None,
           details={"letter_id": letter_id, "kind": row.kind if row else None, **details})


def record_sms_report(engine: Engine, report: dict[str, Any], *, at: datetime) -> bool:
    """A delivery report (LINK style: ``refId``/``id``, ``resultCode``; 1001 = delivered).

    Idempotent: returns ``False`` when it changes nothing (a repeat, or an unknown message)."""
    key, provider_id = report.get("refId"), report.get("id") or report.get("messageId")
    try:
        code = int(report.get("resultCode", 0))
    except (TypeError, ValueError):
        raise InvalidInput(f"ugyldig resultCode {report.get('resultCode')!r}",
                           where="leveringsrapport") from None
    where = ld.c.idempotency_key == key if key else ld.c.provider_id == str(provider_id)
    if code == 1001:
        values: dict[str, Any] = {"status": "delivered", "delivered_at": at, "updated_at": at}
    elif code in SMS_FINAL_FAILURES:
        values = {"status": "failed", "error": f"SMS resultCode {code}", "updated_at": at}
    else:
        return False
    with engine.begin() as conn:
        changed = conn.execute(update(ld).where(where, ld.c.channel == "sms",
                                                ld.c.status == "sent").values(**values))
        return changed.rowcount == 1


def needs_address(conn: Connection) -> list[dict[str, Any]]:
    """Open cases whose debtor has no usable postal address (returned mail), oldest first."""
    returned = (select(claims.c.id.label("claim_id"),
                       func.max(ld.c.returned_at).label("returned_at"))
                .join(letters, letters.c.claim_id == claims.c.id)
                .join(ld, ld.c.letter_id == letters.c.id)
                .where(ld.c.status == "returned").group_by(claims.c.id).subquery())
    held = (select(letters.c.claim_id, func.count().label("held"))
            .where(letters.c.status == "held").group_by(letters.c.claim_id).subquery())
    query = (select(claims.c.id, claims.c.ref, debtors.c.id.label("debtor_id"),
                    debtors.c.name, debtors.c.address, debtors.c.postcode, debtors.c.city,
                    returned.c.returned_at, func.coalesce(held.c.held, 0).label("held_letters"))
             .join(debtors, debtors.c.id == claims.c.debtor_id)
             .outerjoin(returned, returned.c.claim_id == claims.c.id)
             .outerjoin(held, held.c.claim_id == claims.c.id)
             .where(and_(debtors.c.address_bad.is_(True), claims.c.status != "closed"))
             .order_by(returned.c.returned_at, claims.c.ref))
    return [dict(row) for row in conn.execute(query).mappings()]


def _amount(content: Any) -> Decimal | None:
    """What the letter asks the debtor to pay (its total), if it asks for anything."""
    total = ((content or {}).get("amounts") or {}).get("total")
    return Decimal(total) if total not in (None, "") else None


def history(conn: Connection, ref: str) -> list[dict[str, Any]]:
    """Every letter of a case with its deliveries: made (``sent_on``, the letter's date), sent
    (``dispatched_on``), delivered, bounced, returned; its language, the amount it asks for, the
    fee it charged (0 once reversed) and the letter that replaced it."""
    claim_id = conn.execute(select(claims.c.id).where(claims.c.ref == ref)).scalar()
    if claim_id is None:
        raise NotFound(f"sak {ref} finnes ikke")
    rows = conn.execute(select(letters.c.id, letters.c.kind, letters.c.sent_on,
                               letters.c.deadline, letters.c.status, letters.c.attempts,
                               letters.c.last_error, letters.c.language, letters.c.dispatched_on,
                               letters.c.replaced_by, letters.c.fee_ore, letters.c.fee_charged,
                               letters.c.content)
                        .where(letters.c.claim_id == claim_id).order_by(letters.c.id)).mappings()
    out = [{k: v for k, v in row.items() if k not in ("content", "fee_ore", "fee_charged")}
           | {"amount": _amount(row["content"]),
              "fee": from_ore(row["fee_ore"] if row["fee_charged"] else 0), "deliveries": []}
           for row in rows]
    by_id = {row["id"]: row for row in out}
    if by_id:
        for d in conn.execute(select(ld).where(ld.c.letter_id.in_(list(by_id)))
                              .order_by(ld.c.id)).mappings():
            by_id[d["letter_id"]]["deliveries"].append(
                {k: d[k] for k in ("channel", "status", "recipient", "provider_id", "made_at",
                                   "sent_at", "delivered_at", "bounced_at", "returned_at",
                                   "error")})
    return out
