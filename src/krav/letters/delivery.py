"""Delivery is part of a case's state: a fee and a deadline count only for a letter that went out.

- A letter is *sent* on the day the channel accepted it (e-mail, SMS, digital mailbox) or, for
  print, the day its print file was marked handed to the printer/post (``krav letters handed``);
  that day is ``letters.dispatched_on``. Until then the case's next step waits
  (:func:`awaiting_letter`, used set-wise by the nightly selection).
- A fee is lawful only for a letter that was sent (inkassoloven § 9, inkassoforskriften § 1-2):
  a letter that cannot be sent (parked, held, returned before it went out, cancelled because
  the case stopped) has its fee reversed by a reversal posting naming the rule
  (:func:`reverse_fees`), and the fee-letter count is given back. A letter made afresh for sending
  is charged again, dated its new day (:func:`_recharge`).
- No stale letter goes out (:func:`refresh`): a payment request dated before the day it would be
  sent, or whose amounts differ from the ledger, is cancelled with the reason and made afresh
  from current data with new dates; the case's deadlines follow (:func:`_follow`).

Every function takes the day it records; none reads a clock.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, exists, func, insert, select, update

from krav.cases.content import content_for_claim
from krav.db.tables import claims, events, letters, postings
from krav.kernel.dates import add_months, next_business_day_on_or_after
from krav.kernel.money import fmt, from_ore, to_ore

# Letters that are steps of the process: the next step waits until they were sent.
STEP_KINDS = ("reminder", "collection_notice", "payment_demand")
# Letters that ask for payment; they must not go out once the case has stopped or closed.
PAYMENT_REQUESTS = ("reminder", "collection_notice", "payment_demand", "rest_notice")
# Unsent letters that a dispatcher or the print run may still send (not yet in a print file).
UNSENT = ("pending", "print")

FEE_RULE = "INKL-9-gebyr-for-usendt-brev"
FEE_REFERENCE = ("inkassoloven § 9, inkassoforskriften § 1-2: gebyr bare for brev som er sendt")
# Content keys a rebuilt letter keeps from the letter it replaces (not derived from the ledger).
_KEPT = ("enforcement_notice", "reason", "schedule", "plan")


def awaiting_letter():  # type: ignore[no-untyped-def]
    """SQL: the claim has a step letter not (yet) sent and not replaced — its next step waits.

    Correlated on ``claims.id``; answered from the index on ``letters.claim_id``.
    """
    return exists().where(letters.c.claim_id == claims.c.id, letters.c.kind.in_(STEP_KINDS),
                          letters.c.status != "sent", letters.c.replaced_by.is_(None))


def _event(conn: Connection, claim_id: int, on: date, kind: str, detail: dict) -> None:
    from krav.webhooks.service import enqueue_event_row

    event_id = conn.execute(insert(events).values(claim_id=claim_id, on=on, kind=kind,
                                                  detail=detail, actor="letters")
                            .returning(events.c.id)).scalar_one()
    enqueue_event_row(conn, event_id, kind)  # claim.closed


def _fee_prefix(step_key: str) -> str:
    return "fee:" + step_key.split("#")[0]


def _fee_postings(conn: Connection, claim_id: int, prefix: str) -> list[Any]:
    return list(conn.execute(select(postings).where(
        postings.c.claim_id == claim_id,
        (postings.c.key == prefix) | postings.c.key.like(prefix + ":%"))
        .order_by(postings.c.id)).mappings())


# ---------------------------------------------------------------------------------------------
# fees


def reverse_fees(conn: Connection, letter_ids: list[int], *, on: date, reason: str) -> int:
    """Reverse the fee of each step letter in ``letter_ids`` that will not be sent.

    INKL § 9 and INKF § 1-2 allow a fee only for a letter that was sent. The reversal posting
    undoes the standing fee posting (``reverses_id``), the claim's cached costs, gross recovery
    costs and fee-letter count follow, and the letter records that its fee no longer stands.
    What was already paid of the fee is owed back (``overpaid``); a case that then owes nothing
    closes as paid. Already sent letters and letters without a fee are left. Returns how many
    fees were reversed.
    """
    if not letter_ids:
        return 0
    rows = conn.execute(
        select(letters.c.id, letters.c.claim_id, letters.c.step_key, letters.c.kind)
        .where(letters.c.id.in_(letter_ids), letters.c.kind.in_(STEP_KINDS),
               letters.c.fee_charged.is_(True), letters.c.dispatched_on.is_(None))).all()
    done = 0
    for row in rows:
        prefix = _fee_prefix(row.step_key)
        found = _fee_postings(conn, row.claim_id, prefix)
        reversed_ids = {p["reverses_id"] for p in found if p["reverses_id"]}
        standing = [p for p in found if p["kind"] == f"{row.kind}_fee"
                    and p["id"] not in reversed_ids]
        conn.execute(update(letters).where(letters.c.id == row.id).values(fee_charged=False))
        if not standing:
            continue
        _reverse_one(conn, row, standing[-1], prefix, on=on, reason=reason)
        done += 1
    return done


def _reverse_one(conn: Connection, row: Any, charge: Any, prefix: str, *, on: date,
                 reason: str) -> list[tuple[int, int]]:
    """Reverse one fee posting; what of it was already paid becomes money owed back.

    Returns the parts moved to ``overpaid`` as (payment id, øre)."""
    component = charge["component"]
    owed = int(conn.execute(select(func.coalesce(func.sum(postings.c.amount_ore), 0)).where(
        postings.c.claim_id == row.claim_id, postings.c.component == component)).scalar_one())
    from_owed = max(0, min(charge["amount_ore"], owed))
    paid_part = charge["amount_ore"] - from_owed
    # The part already paid: the payment moves from the fee to ``overpaid`` (owed back to the
    # debtor), so the fee's balance never goes negative and each payment still adds up.
    paid = conn.execute(select(postings.c.id, postings.c.amount_ore, postings.c.payment_id)
                        .where(postings.c.claim_id == row.claim_id,
                               postings.c.component == component, postings.c.kind == "payment",
                               postings.c.amount_ore < 0)
                        .order_by(postings.c.id.desc())).all() if paid_part > 0 else []
    moved = 0
    parts: list[tuple[int, int]] = []
    for p in paid:
        take = min(paid_part - moved, -p.amount_ore)
        if take <= 0:
            break
        parts.append((p.payment_id, take))
        for part_component, amount, tag in ((component, take, "from"), ("overpaid", -take, "to")):
            conn.execute(insert(postings).values(
                claim_id=row.claim_id, on=on, kind="payment", component=part_component,
                amount_ore=amount, rule=FEE_RULE, payment_id=p.payment_id,
                reference="innbetalt gebyr for brev som ikke ble sendt skyldes tilbake",
                inputs={"letter_id": row.id}, key=f"{prefix}:refund-{tag}:{p.id}"))
        moved += take
    gross = to_ore(Decimal((charge["inputs"] or {}).get(
        "full_amount", str(from_ore(charge["amount_ore"])))))
    conn.execute(insert(postings).values(
        claim_id=row.claim_id, on=on, kind="reversal", component=component,
        amount_ore=-charge["amount_ore"], rule=FEE_RULE, reference=f"{FEE_REFERENCE} ({reason})",
        inputs={"letter_id": row.id, "reason": reason, "full_amount": fmt(from_ore(gross)),
                "already_paid_owed_back": fmt(from_ore(moved))},
        reverses_id=charge["id"], key=f"{prefix}:rev:{charge['id']}"))
    floor = func.max if conn.dialect.name == "sqlite" else func.greatest
    change = charge["amount_ore"] - moved
    conn.execute(update(claims).where(claims.c.id == row.claim_id).values(
        costs_ore=claims.c.costs_ore - change,
        recovery_costs_ore=floor(claims.c.recovery_costs_ore - gross, 0),
        # the payment demand is not one of the (at most two) fee letters before it
        fee_letters=floor(claims.c.fee_letters - int(row.kind != "payment_demand"), 0),
        version=claims.c.version + 1))
    _event(conn, row.claim_id, on, "fee_reversed",
           {"letter_id": row.id, "amount": fmt(from_ore(charge["amount_ore"])),
            "owed_back": fmt(from_ore(moved)), "reason": reason, "rule": FEE_RULE})
    claim = conn.execute(select(claims.c.status, claims.c.principal_ore, claims.c.interest_ore,
                                claims.c.costs_ore).where(claims.c.id == row.claim_id)).one()
    if claim.status != "closed" and claim.principal_ore + claim.interest_ore \
            + claim.costs_ore <= 0:
        conn.execute(update(claims).where(claims.c.id == row.claim_id).values(
            status="closed", close_reason="paid", closed_on=on, next_action_on=None))
        _event(conn, row.claim_id, on, "closed", {"reason": "paid"})
    return parts


def _recharge(conn: Connection, letter: Any, claim: Any, *, on: date, book: Any) -> Decimal:
    """Charge a reversed fee again for a letter made afresh to be sent ``on`` (INKF § 1-2).

    The fee is the one the law gives for a letter sent that day, within the fee-letter limit
    and offset against a § 3a compensation; returns the chargeable amount (0 when none).
    """
    from krav.law import rules

    prefix = _fee_prefix(letter["step_key"])
    if not _fee_postings(conn, letter["claim_id"], prefix):
        return Decimal("0.00")  # the letter never had a fee
    max_fees = int(book.value("rules/max_fee_letters_before_demand", on))
    if letter["kind"] != "payment_demand" and claim["fee_letters"] >= max_fees:
        return Decimal("0.00")
    charge = rules.letter_fee(book, kind=letter["kind"], due=claim["due_date"], sent_on=on,
                              sender=letter["sender"])
    if charge.amount <= 0:
        return Decimal("0.00")
    chargeable = rules.offset_against_compensation(
        compensation=from_ore(claim["compensation_ore"]),
        costs_before=from_ore(claim["recovery_costs_ore"]), new_cost=charge.amount)
    count = len(_fee_postings(conn, letter["claim_id"], prefix))
    conn.execute(insert(postings).values(
        claim_id=letter["claim_id"], on=on, kind=f"{letter['kind']}_fee",
        component=f"{letter['kind']}_fee", amount_ore=to_ore(chargeable), rule=charge.rule,
        reference=charge.reference,
        inputs={**charge.inputs, "sender": letter["sender"], "full_amount": str(charge.amount),
                "charged_again_for_letter": str(letter["id"])},
        key=f"{prefix}:{on.isoformat()}:{count + 1}"))
    conn.execute(update(claims).where(claims.c.id == letter["claim_id"]).values(
        costs_ore=claims.c.costs_ore + to_ore(chargeable),
        recovery_costs_ore=claims.c.recovery_costs_ore + to_ore(charge.amount),
        fee_letters=claims.c.fee_letters + int(letter["kind"] != "payment_demand"),
        version=claims.c.version + 1))
    return chargeable


def _move_fee(conn: Connection, letter: Any, *, on: date) -> list[tuple[int, int]]:
    """The standing fee of an unsent step letter made afresh for a later day ``on`` is reversed
    (it was posted the day the letter was made, but a fee is lawful only for a letter sent —
    INKL § 9, INKF § 1-2); :func:`_recharge` charges it again dated ``on`` by the law of that
    day. Returns what of the old fee was already paid (moved to ``overpaid``)."""
    reason = (f"brevet ble laget {letter['sent_on'].isoformat()}, men sendes {on.isoformat()}: "
              "gebyret føres den dagen brevet sendes")
    prefix = _fee_prefix(letter["step_key"])
    found = _fee_postings(conn, letter["claim_id"], prefix)
    reversed_ids = {p["reverses_id"] for p in found if p["reverses_id"]}
    standing = [p for p in found if p["kind"] == f"{letter['kind']}_fee"
                and p["id"] not in reversed_ids]
    conn.execute(update(letters).where(letters.c.id == letter["id"]).values(fee_charged=False))
    if not standing:
        return []
    return _reverse_one(conn, letter, standing[-1], prefix, on=on, reason=reason)


def _reapply(conn: Connection, letter: Any, parts: list[tuple[int, int]], chargeable: Decimal,
             *, on: date) -> None:
    """What the debtor had paid of a fee moved to a later day pays the fee charged again
    (up to its amount; a smaller new fee leaves the rest owed back), so a payment is never
    turned into a refund and a new debt at once."""
    component = f"{letter['kind']}_fee"
    prefix = _fee_prefix(letter["step_key"])
    left = to_ore(chargeable)
    used = 0
    for number, (payment_id, amount) in enumerate(parts):
        take = min(amount, left - used)
        if take <= 0:
            break
        for part_component, value, tag in (("overpaid", take, "from"), (component, -take, "to")):
            conn.execute(insert(postings).values(
                claim_id=letter["claim_id"], on=on, kind="payment", component=part_component,
                amount_ore=value, rule=FEE_RULE, payment_id=payment_id,
                reference="innbetalt gebyr dekker gebyret for brevet når det sendes",
                inputs={"letter_id": letter["id"]},
                key=f"{prefix}:{on.isoformat()}:reapply-{tag}:{number}"))
        used += take
    if used:
        conn.execute(update(claims).where(claims.c.id == letter["claim_id"]).values(
            costs_ore=claims.c.costs_ore - used, version=claims.c.version + 1))


# ---------------------------------------------------------------------------------------------
# interest


def crystallise_interest(conn: Connection, claim_id: int, *, on: date, book: Any) -> Decimal:
    """Post the interest accrued on the claim's unpaid principal up to ``on`` — a letter made
    afresh that day states it (forsinkelsesrenteloven § 3; architecture decision 3).

    As the nightly run does: from ``interest_through`` on the current principal, posted dated
    ``on`` with rule ``FRL-3-forsinkelsesrente``; ``interest_ore``/``interest_through`` follow.
    A closed case, or one crystallised to ``on`` already, is left. Returns the amount posted.
    """
    from krav.law import rules

    claim = conn.execute(select(claims.c.status, claims.c.principal_ore,
                                claims.c.interest_through)
                         .where(claims.c.id == claim_id)).one()
    start = claim.interest_through
    if claim.status == "closed" or on <= start:
        return Decimal("0.00")
    principal = from_ore(claim.principal_ore)
    amount = Decimal("0.00")
    if principal > 0:
        result = rules.interest(book, principal=principal, start=start, end=on)
        amount = result.amount
        if amount > 0:
            first = result.periods[0].first if result.periods else on
            conn.execute(insert(postings).values(
                claim_id=claim_id, on=on, kind="interest", component="interest",
                amount_ore=to_ore(amount), rule="FRL-3-forsinkelsesrente",
                reference="forsinkelsesrenteloven § 3 første ledd",
                inputs={"principal": str(principal), "from": first.isoformat(),
                        "through": on.isoformat(), "days": str(result.days),
                        "rates": ",".join(str(p.rate) for p in result.periods)},
                key=f"interest:{on.isoformat()}"))
    conn.execute(update(claims).where(claims.c.id == claim_id).values(
        interest_ore=claims.c.interest_ore + to_ore(amount), interest_through=on,
        version=claims.c.version + 1))
    return amount


# ---------------------------------------------------------------------------------------------
# dates


def _follow(conn: Connection, *, claim_id: int, kind: str, old_deadline: date | None,
            sent_on: date, deadline: date | None, book: Any) -> None:
    """The case's deadlines follow a step letter that goes out later than it was dated.

    The deadline runs from sending (INKL § 9, § 10): ``last_deadline`` (and for the payment
    demand ``demand_sent_on``/``demand_deadline``/``legal_deadline``) move to the letter's new
    dates, and the next step keeps its distance from the deadline.
    """
    if kind not in STEP_KINDS or old_deadline is None or deadline is None:
        return
    from krav.engine.plan import after_deadline

    claim = conn.execute(select(claims).where(claims.c.id == claim_id)).mappings().one()
    if claim["last_deadline"] != old_deadline or deadline <= old_deadline:
        return  # the case has moved on, or nothing gets later
    values: dict[str, Any] = {"last_deadline": deadline, "version": claims.c.version + 1}
    if claim["next_action_on"] is not None:
        delay = (claim["next_action_on"] - next_business_day_on_or_after(old_deadline)).days
        values["next_action_on"] = max(claim["next_action_on"],
                                       after_deadline(deadline, max(1, delay)))
    if kind == "payment_demand" and claim["demand_deadline"] == old_deadline:
        months = int(book.value("rules/legal_action_within_months", sent_on))
        values.update(demand_sent_on=sent_on, demand_deadline=deadline,
                      legal_deadline=add_months(sent_on, months))
    conn.execute(update(claims).where(claims.c.id == claim_id).values(**values))


def new_deadline(letter: Any, on: date, book: Any) -> date | None:
    """The deadline of ``letter`` made afresh ``on``: as long as before, never below the law's
    minimum for a payment request (``rules/min_deadline_days``)."""
    if letter["deadline"] is None:
        return None
    days = (letter["deadline"] - letter["sent_on"]).days
    if letter["kind"] in PAYMENT_REQUESTS:
        days = max(days, int(book.value("rules/min_deadline_days", on)))
    return on + timedelta(days=days)


def record_sent(conn: Connection, letter_ids: list[int], *, on: date, book: Any) -> int:
    """Letters went out ``on`` (e.g. a print file handed to the post): status ``sent``,
    ``dispatched_on``; when that is later than the letter's date, the case's deadline runs from
    ``on``. Returns how many letters changed."""
    rows = conn.execute(select(letters).where(letters.c.id.in_(letter_ids),
                                              letters.c.dispatched_on.is_(None))).mappings().all()
    for start in range(0, len(letter_ids), 1000):
        conn.execute(update(letters).where(letters.c.id.in_(letter_ids[start:start + 1000]),
                                           letters.c.dispatched_on.is_(None))
                     .values(status="sent", dispatched_on=on, last_error=None,
                             next_attempt_at=None))
    if rows:
        from krav.webhooks.service import enqueue_letters, mark

        if mark(conn) is not None:  # letter.sent, one INSERT … SELECT per 1000 letters
            for start in range(0, len(rows), 1000):
                enqueue_letters(conn, [r["id"] for r in rows[start:start + 1000]])
    for row in rows:
        if row["sent_on"] < on and row["deadline"] is not None:
            later = on + (row["deadline"] - row["sent_on"])
            _follow(conn, claim_id=row["claim_id"], kind=row["kind"],
                    old_deadline=row["deadline"], sent_on=on, deadline=later, book=book)
            _event(conn, row["claim_id"], on, "letter_sent_late",
                   {"letter_id": row["id"], "dated": row["sent_on"].isoformat(),
                    "deadline_from": on.isoformat(), "deadline": later.isoformat()})
    return len(rows)


# ---------------------------------------------------------------------------------------------
# stale letters


def _fresh_content(conn: Connection, letter: Any, *, on: date, deadline: date | None,
                   fee: Decimal, agency: Any, book: Any) -> dict[str, Any]:
    old = letter["content"] or {}
    extra = {k: old[k] for k in _KEPT if k in old}
    content = content_for_claim(conn, letter["claim_id"], kind=letter["kind"], sent_on=on,
                                deadline=deadline, sender=letter["sender"], agency=agency,
                                book=book, extra=extra)
    content["fee"] = fmt(fee)
    return content


def rebuild(conn: Connection, letter: Any, *, on: date, agency: Any, book: Any,
            in_place: bool, reason: str) -> int:
    """Make ``letter`` afresh from current data, dated ``on``; returns the letter's id.

    ``in_place`` (``krav letters retry``) rewrites the same letter (its delivery keys stay);
    otherwise the old letter is cancelled with ``reason`` and points to a new one. Interest is
    crystallised to ``on`` first (the letter states it; FRL § 3). A fee that was reversed is
    charged again, dated ``on``; a fee standing from an earlier day for a letter not yet sent is
    reversed and charged again dated ``on`` (INKL § 9, INKF § 1-2: the fee of the day it is
    sent), what was paid of it paying the new one. A settlement statement is not about a case
    and keeps its content.
    """
    if letter["kind"] == "settlement_statement":
        if in_place:
            conn.execute(update(letters).where(letters.c.id == letter["id"]).values(
                status="pending", attempts=0, next_attempt_at=None, last_error=None))
        return letter["id"]
    if not in_place:  # take the old letter first: a second dispatcher at once finds it taken
        taken = conn.execute(update(letters).where(
            letters.c.id == letter["id"], letters.c.status == letter["status"],
            letters.c.replaced_by.is_(None))
            .values(status="cancelled", next_attempt_at=None, last_error=reason)).rowcount
        if taken != 1:
            return letter["id"]
    if letter["kind"] in PAYMENT_REQUESTS:  # the letter states interest to its day
        crystallise_interest(conn, letter["claim_id"], on=on, book=book)
    fee = from_ore(letter["fee_ore"])
    charged = letter["fee_charged"]
    paid_fee: list[tuple[int, int]] = []
    moved = False
    if letter["kind"] in STEP_KINDS and charged and letter["dispatched_on"] is None \
            and letter["sent_on"] < on:  # the fee goes with the day the letter is sent
        paid_fee = _move_fee(conn, letter, on=on)
        charged, moved = False, True
    claim = conn.execute(select(claims).where(claims.c.id == letter["claim_id"])).mappings().one()
    if moved and claim["status"] == "closed":  # only the fee of the unsent letter was owed: paid
        if in_place:
            conn.execute(update(letters).where(letters.c.id == letter["id"]).values(
                status="cancelled", next_attempt_at=None, fee_charged=False,
                last_error=f"{reason}; saken er betalt — brevet sendes ikke"))
        else:
            conn.execute(update(letters).where(letters.c.id == letter["id"]).values(
                last_error=f"{reason}; saken er betalt — brevet sendes ikke"))
        return letter["id"]
    if letter["kind"] in STEP_KINDS and not charged:
        fee = _recharge(conn, letter, claim, on=on, book=book)
        _reapply(conn, letter, paid_fee, fee, on=on)
        charged = True
    deadline = new_deadline(letter, on, book)
    content = _fresh_content(conn, letter, on=on, deadline=deadline, fee=fee, agency=agency,
                             book=book)
    values = {"sent_on": on, "deadline": deadline, "fee_ore": to_ore(fee),
              "language": content["language"], "content": content, "status": "pending",
              "attempts": 0, "next_attempt_at": None, "fee_charged": charged,
              "dispatched_on": None}
    if in_place:
        conn.execute(update(letters).where(letters.c.id == letter["id"])
                     .values(**values, last_error=None))
        new_id = letter["id"]
    else:
        new_id = conn.execute(insert(letters).values(
            claim_id=letter["claim_id"], step_key=f"{letter['step_key'].split('#')[0]}"
            f"#{letter['id']}", kind=letter["kind"], sender=letter["sender"], **values)
            .returning(letters.c.id)).scalar_one()
        conn.execute(update(letters).where(letters.c.id == letter["id"]).values(
            replaced_by=new_id, last_error=f"{reason}; laget på nytt som brev {new_id}"))
    _follow(conn, claim_id=letter["claim_id"], kind=letter["kind"],
            old_deadline=letter["deadline"], sent_on=on, deadline=deadline, book=book)
    _event(conn, letter["claim_id"], on, "letter_remade",
           {"letter_id": letter["id"], "new_letter_id": new_id, "reason": reason,
            "sent_on": on.isoformat(), "deadline": deadline.isoformat() if deadline else None})
    return new_id


def _cancel_stopped(conn: Connection, on: date | None) -> int:
    """Unsent payment requests of cases no longer open are cancelled; their fees reversed.

    Only the rows this statement changed are reversed (``RETURNING``), so two dispatchers at
    once never reverse one fee twice."""
    stopped = select(claims.c.id).where(claims.c.status != "open")
    reason = "saken er ikke lenger åpen (betalt, trukket, bestridt eller på pause)"
    rows = conn.execute(
        update(letters).where(letters.c.status.in_(UNSENT),
                              letters.c.kind.in_(PAYMENT_REQUESTS),
                              letters.c.claim_id.in_(stopped))
        .values(status="cancelled", next_attempt_at=None,
                last_error=f"{reason} — brevet sendes ikke")
        .returning(letters.c.id, letters.c.sent_on)).all()
    for row in rows:
        reverse_fees(conn, [row.id], on=on or row.sent_on, reason=reason)
    return len(rows)


def _stale(conn: Connection, on: date, amounts_of: list[int] | None) -> list[tuple[Any, str]]:
    """Letters of open cases to make afresh, with the reason.

    Dated before ``on`` or stopped while the case was paused/disputed: found in SQL. Amounts
    that differ from the ledger: checked on the letters' content, for ``amounts_of`` only (the
    letters about to be sent), or for every unsent letter when it is ``None``.
    """
    owed = (claims.c.principal_ore + claims.c.interest_ore + claims.c.costs_ore).label("owed")
    base = (select(letters, owed).join(claims, claims.c.id == letters.c.claim_id)
            .where(claims.c.status == "open", letters.c.kind.in_(PAYMENT_REQUESTS))
            .order_by(letters.c.id))
    out = []
    for row in conn.execute(base.where(
            (letters.c.status.in_(UNSENT) & (letters.c.sent_on < on))
            | (letters.c.status == "cancelled") & letters.c.replaced_by.is_(None)
            & letters.c.kind.in_(STEP_KINDS) & (letters.c.sent_on <= on))).mappings():
        if row["status"] == "cancelled":
            out.append((row, "saken er åpen igjen og brevet ble aldri sendt"))
        else:
            out.append((row, f"brevet er datert {row['sent_on'].isoformat()} og ville gått ut "
                             f"{on.isoformat()}: fristen skal løpe fra sendingen"))
    if amounts_of is not None and not amounts_of:
        return out
    same_day = base.where(letters.c.status.in_(UNSENT), letters.c.sent_on == on,
                          letters.c.kind.in_(STEP_KINDS))
    chunks = [amounts_of[i:i + 1000] for i in range(0, len(amounts_of), 1000)] \
        if amounts_of is not None else [None]
    for chunk in chunks:
        query = same_day if chunk is None else same_day.where(letters.c.id.in_(chunk))
        for row in conn.execute(query).mappings():
            if _owed(row["content"]) != row["owed"]:
                out.append((row, "beløpene i saken er endret siden brevet ble laget"))
    return out


def _owed(content: dict[str, Any]) -> int | None:
    amounts = (content or {}).get("amounts") or {}
    try:
        return sum(to_ore(Decimal(amounts[k])) for k in ("principal", "interest", "fees"))
    except (KeyError, ArithmeticError, ValueError):
        return None


def refresh_in(conn: Connection, *, on: date, amounts_of: list[int] | None = None,
               agency: Any = None, book: Any = None) -> tuple[int, set[int]]:
    """:func:`refresh` inside a transaction; returns (letters cancelled, ids made afresh)."""
    cancelled = _cancel_stopped(conn, on)
    stale = _stale(conn, on, amounts_of)
    if stale:
        if book is None:
            from krav.law import law_book
            book = law_book()
        if agency is None:
            from krav.settings import load_settings
            agency = load_settings().agency
        for letter, reason in stale:
            rebuild(conn, letter, on=on, agency=agency, book=book, in_place=False,
                    reason=reason)
    return cancelled, {letter["id"] for letter, _ in stale}


def refresh(engine: Any, *, on: date, amounts_of: list[int] | None = None, agency: Any = None,
            book: Any = None) -> dict[str, int]:
    """Before anything is sent or printed ``on``: no stale letter goes out.

    Payment requests of cases no longer open are cancelled (their fees reversed); payment
    requests of open cases dated before ``on``, whose amounts differ from the ledger (checked
    for ``amounts_of``, or all when ``None``), or that were cancelled while the case was stopped
    are cancelled with the reason and made afresh, dated ``on``.
    """
    with engine.begin() as conn:
        cancelled, remade = refresh_in(conn, on=on, amounts_of=amounts_of, agency=agency,
                                       book=book)
    return {"cancelled": cancelled, "remade": len(remade)}


# ---------------------------------------------------------------------------------------------
# the needs-attention queue


ATTENTION = {
    "parked": "kunne ikke sendes (parkert)",
    "held": "ingen lovlig kanal: adressen mangler eller er returnert",
    "returned": "returnert i posten",
    "printed": "i utskriftsfil, ikke merket levert til trykkeri/post (krav letters handed)",
    "cancelled": "stoppet før sending; lages på nytt når saken er åpen",
}


def needs_attention(conn: Connection, *, day: date | None = None) -> list[dict[str, Any]]:
    """The needs-attention queue (``krav letters attention``): every letter a person must act on.

    Cases whose next step waits for a letter that was not sent (parked, held, returned, printed
    but not handed, stopped), with the reason and whether its fee was reversed; and every other
    letter (a rest notice, a dispute acknowledgement, a settlement statement) that the dispatcher
    or the print run parked or held. ``day`` keeps the letters dated that day.
    """
    from krav.letters.waiting import waiting_letters

    rows = _step_letters_waiting(conn, day)
    seen = {r["letter_id"] for r in rows}
    for other in waiting_letters(conn, day=day):
        if other["id"] in seen:
            continue
        rows.append({"ref": other["ref"], "case_status": other["case_status"],
                     "stage": other["stage"], "letter_id": other["id"], "kind": other["kind"],
                     "sent_on": other["sent_on"], "status": other["status"],
                     "attempts": other["attempts"], "fee_ore": 0, "fee_reversed": False,
                     "reason": f"{ATTENTION[other['status']]}: {other['reason']}"})
    rows.sort(key=lambda r: (r["sent_on"], r["ref"], r["letter_id"]))
    return rows


def _step_letters_waiting(conn: Connection, day: date | None) -> list[dict[str, Any]]:
    """Reminders, notices and payment demands not sent, whose case's next step waits for them."""
    from krav.letters.waiting import reason

    query = (select(claims.c.ref, claims.c.status.label("case_status"), claims.c.stage,
                    letters.c.id.label("letter_id"), letters.c.kind, letters.c.sent_on,
                    letters.c.status, letters.c.attempts, letters.c.last_error,
                    letters.c.fee_charged, letters.c.fee_ore)
             .join(claims, claims.c.id == letters.c.claim_id)
             .where(claims.c.status != "closed", letters.c.kind.in_(STEP_KINDS),
                    letters.c.status.in_(tuple(ATTENTION)), letters.c.replaced_by.is_(None))
             .order_by(letters.c.sent_on, claims.c.ref))
    if day is not None:
        query = query.where(letters.c.sent_on == day)
    out = []
    for row in conn.execute(query).mappings():
        item = dict(row)
        item["reason"] = ATTENTION[row["status"]] + (
            f": {reason(row['last_error'], row['letter_id'])}" if row["last_error"] else "")
        item["fee_reversed"] = not row["fee_charged"]
        del item["last_error"], item["fee_charged"]
        out.append(item)
    return out
