"""The outbox: claiming ``letters`` rows, loading what sending them needs, recording the result.

Claiming is one conditional UPDATE per batch (``… SET status='sending', attempts=attempts+1,
next_attempt_at=<lease end> WHERE id IN (…) AND <still due>``), so two dispatchers never take
the same row; a row whose dispatcher died comes due again when its lease runs out. Every later
write is fenced by ``attempts`` (the claim's token): a dispatcher that lost its lease cannot
overwrite the newer claim's result.

Letter statuses: ``pending`` → ``sending`` → ``sent`` | ``print`` (waiting for the day's print
file, then ``printed``, then ``sent`` when the file is marked handed to the printer/post) |
``held`` (no lawful way to reach the person) | ``parked`` (an error that
retrying will not fix, too many attempts, or an unknown outcome) | ``pending`` again with
``next_attempt_at`` (back-off). ``returned`` after returned post. ``cancelled``: a payment
request whose case was paid, withdrawn, disputed or paused before it went out, or a stale letter
made afresh (``replaced_by``). ``dispatched_on`` is the day a letter went out; see
:mod:`krav.letters.delivery` for what that day decides (fees, deadlines, the next step).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, and_, func, or_, select, update

from krav.db.tables import claims, creditors, debtors, letters
from krav.letters import delivery
from krav.letters.tables import letter_deliveries as ld
from krav.letters.tracking import audit_letter

if TYPE_CHECKING:
    from krav.accounts.principal import Actor


@dataclass(frozen=True)
class OutboxItem:
    id: int
    attempts: int
    kind: str
    content: dict[str, Any]
    claim_id: int
    ref: str
    debtor: dict[str, Any]
    creditor: dict[str, Any]


def _due(now: datetime):  # type: ignore[no-untyped-def]
    """Due: pending and past any back-off, or claimed by a dispatcher whose lease ran out —
    and never before the letter's own date."""
    return letters.c.sent_on <= now.date(), or_(
        and_(letters.c.status == "pending",
             or_(letters.c.next_attempt_at.is_(None), letters.c.next_attempt_at <= now)),
        and_(letters.c.status == "sending", letters.c.next_attempt_at <= now),
    )


PAYMENT_REQUESTS = delivery.PAYMENT_REQUESTS


def cancel_stale(engine: Engine, *, on: date | None = None) -> int:
    """Cancel unsent payment requests of cases that are no longer open; reverse their fees.

    A claim paid, withdrawn, disputed (INKL § 17 (2): the process stops) or paused after its
    letter was decided must not receive that letter, and a fee for a letter not sent is not
    owed (INKL § 9, INKF § 1-2); the dispute acknowledgement and other confirmations still go.
    """
    with engine.begin() as conn:
        return delivery._cancel_stopped(conn, on)


def claim_batch(engine: Engine, *, now: datetime, lease: timedelta, limit: int) -> list[int]:
    """Claim up to ``limit`` due letters; returns their ids (oldest first).

    First no stale letter goes out (:func:`krav.letters.delivery.refresh`): letters of stopped
    cases are cancelled, letters dated before today or whose amounts changed are made afresh.
    """
    for _ in range(3):  # a batch made afresh is claimed on the next pass (new rows, due now)
        with engine.begin() as conn:
            candidates = (select(letters.c.id).where(*_due(now)).order_by(letters.c.id)
                          .limit(limit))
            if conn.dialect.name == "postgresql":
                candidates = candidates.with_for_update(skip_locked=True)
            ids = list(conn.execute(candidates).scalars())
            if not ids:
                return []
            # the amounts are checked on the letters about to go, not on the whole outbox
            _, remade = delivery.refresh_in(conn, on=now.date(), amounts_of=ids)
            ids = [i for i in ids if i not in remade]
            if not ids:
                continue
            claimed = conn.execute(
                update(letters).where(letters.c.id.in_(ids), *_due(now))
                .values(status="sending", attempts=letters.c.attempts + 1,
                        next_attempt_at=now + lease)
                .returning(letters.c.id)).scalars()
            return sorted(claimed)
    return []


def load(engine: Engine, ids: list[int], *, status: str = "sending") -> list[OutboxItem]:
    """Letters (by default the claimed ones) with their debtor's and creditor's contact facts."""
    query = (select(letters.c.id, letters.c.attempts, letters.c.kind, letters.c.content,
                    letters.c.claim_id, claims.c.ref,
                    debtors.c.name.label("d_name"), debtors.c.email.label("d_email"),
                    debtors.c.email_consent.label("d_email_consent"),
                    debtors.c.phone.label("d_phone"), debtors.c.address_bad.label("d_address_bad"),
                    debtors.c.address.label("d_address"), debtors.c.postcode.label("d_postcode"),
                    debtors.c.national_id.label("d_national_id"),
                    creditors.c.id.label("c_id"), creditors.c.channels.label("c_channels"),
                    creditors.c.email.label("c_email"), creditors.c.address.label("c_address"))
             .join(claims, claims.c.id == letters.c.claim_id)
             .join(debtors, debtors.c.id == claims.c.debtor_id)
             .join(creditors, creditors.c.id == claims.c.creditor_id)
             .where(letters.c.id.in_(ids), letters.c.status == status)
             .order_by(letters.c.id))
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [OutboxItem(
        id=r["id"], attempts=r["attempts"], kind=r["kind"], content=r["content"],
        claim_id=r["claim_id"], ref=r["ref"],
        debtor={k[2:]: r[k] for k in r.keys() if k.startswith("d_")},
        creditor={k[2:]: r[k] for k in r.keys() if k.startswith("c_")},
    ) for r in rows]


def bounced_addresses(engine: Engine, addresses: list[str]) -> set[str]:
    """E-mail addresses that have bounced before (never used again)."""
    wanted = sorted({a.lower() for a in addresses if a})
    if not wanted:
        return set()
    with engine.connect() as conn:
        rows = conn.execute(select(ld.c.recipient).where(
            ld.c.channel == "email", ld.c.status == "bounced",
            ld.c.recipient.in_(wanted))).scalars()
        return {r.lower() for r in rows}


def finish(engine: Engine, item: OutboxItem, *, status: str, error: str | None = None,
           next_attempt_at: datetime | None = None, on: date | None = None) -> bool:
    """Record a letter's outcome, fenced by the claim's attempt number.

    ``sent`` records the day it went out (``on``); a letter that cannot be sent (``parked``,
    ``held``) has its fee reversed the same day (INKL § 9, INKF § 1-2).
    """
    with engine.begin() as conn:
        values: dict[str, Any] = {"status": status, "last_error": error[:2000] if error else None,
                                  "next_attempt_at": next_attempt_at}
        if status == "sent" and on is not None:
            values["dispatched_on"] = on
        result = conn.execute(
            update(letters).where(letters.c.id == item.id, letters.c.status == "sending",
                                  letters.c.attempts == item.attempts).values(**values))
        if result.rowcount == 1 and status == "sent":
            from krav.webhooks.service import enqueue_letters

            enqueue_letters(conn, [item.id])  # letter.sent
        if result.rowcount == 1 and status in ("parked", "held") and on is not None:
            delivery.reverse_fees(conn, [item.id], on=on,
                                  reason="brevet kunne ikke sendes" if status == "parked"
                                  else "ingen lovlig kanal for brevet")
        return result.rowcount == 1


def mark_sent(engine: Engine, letter_id: int, *, at: datetime,
              actor: Actor | None = None) -> str:
    """A person's decision (``krav letters mark-sent``): an ``uncertain`` send did arrive.

    Returns ``"marked"``, ``"missing"`` or the status that does not allow it."""
    with engine.begin() as conn:
        status = conn.execute(select(letters.c.status).where(letters.c.id == letter_id)).scalar()
        if status is None:
            return "missing"
        changed = conn.execute(update(ld).where(ld.c.letter_id == letter_id,
                                                ld.c.status == "uncertain")
                               .values(status="sent", sent_at=at, updated_at=at,
                                       error="bekreftet manuelt: mottatt")).rowcount
        if status != "parked" or not changed:
            return status
        conn.execute(update(letters).where(letters.c.id == letter_id)
                     .values(status="sent", last_error=None, next_attempt_at=None,
                             dispatched_on=func.coalesce(letters.c.dispatched_on,
                                                         letters.c.sent_on)))
        audit_letter(conn, actor, "letter.mark_sent", letter_id)
        return "marked"


def requeue(engine: Engine, letter_id: int, *, on: date, agency: Any = None,
            book: Any = None, actor: Actor | None = None) -> str:
    """A person's decision (``krav letters retry``): send a parked, held or returned letter again.

    The letter is rebuilt from current data (amounts, addresses), dated ``on`` with its deadline
    counted from that day; a fee reversed because it was not sent is charged again, dated ``on``.
    An ``uncertain`` delivery becomes ``failed`` — the person has checked it did not arrive.
    Returns ``"requeued"``, ``"missing"`` or the status that does not allow it."""
    with engine.begin() as conn:
        letter = conn.execute(select(letters).where(letters.c.id == letter_id)).mappings().first()
        if letter is None:
            return "missing"
        if letter["status"] not in ("parked", "held", "returned"):
            return letter["status"]
        conn.execute(update(ld).where(ld.c.letter_id == letter_id, ld.c.status == "uncertain")
                     .values(status="failed", error="sjekket manuelt: ikke mottatt"))
        if book is None:
            from krav.law import law_book
            book = law_book()
        if agency is None:
            from krav.settings import load_settings
            agency = load_settings().agency
        delivery.rebuild(conn, letter, on=on, agency=agency, book=book, in_place=True,
                         reason="sendes på nytt etter manuell kontroll")
        audit_letter(conn, actor, "letter.retry", letter_id, was=letter["status"])
        return "requeued"
