"""Payment plans (nedbetalingsavtale) and limited agreements (begrenset avtale).

A plan pays one or more claims of one debtor in monthly instalments, each with its own KID
(``payments.instalments``; a bank payment with it is matched to the plan's claims). More than
four instalments raise the cap on salær by 1.5 × inkassosats (+ 25 % when the creditor cannot
deduct VAT) — inkassoforskriften § 2-4 første ledd, law data ``salaer/instalment_uplift_*`` —
but only when the debtor was told before accepting that the plan raises the costs: the plan then
carries ``uplift_warning``, and :func:`accept` charges the raise only when called with
``warned=True`` (the portal or the handler showed the warning). Accepted without it, the plan
stands and the raise is never charged.

The raise is charged at acceptance when the plan's salær is already charged (the claim is past
the betalingsoppfordring's deadline: stage ``salaer_lett`` or ``legal_ready``); before that it is
recorded on the claim (``claims.instalments``) so that a salær charged later — after a breach —
includes it once (``rules.salaer``). It is charged once per plan, on one claim (the first in
collection), however many claims the plan covers (krav's reading: one agreement, one raise).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, insert, select, update

from krav.agreements import schedule as calc
from krav.agreements.authority import plan_reasons
from krav.agreements.tables import agreement_claims, agreement_instalments, agreements
from krav.cases.content import rate_on
from krav.db.tables import claims, postings
from krav.kernel.errors import InvalidInput, UnableToProceed
from krav.kernel.money import ZERO, fmt, from_ore, to_ore
from krav.law import law_book, rules

if TYPE_CHECKING:
    from krav.accounts.principal import Actor

SALAER_CHARGED = ("salaer_lett", "legal_ready")
# what counts as paid on a plan: payments (and their reversals), and a rest the payment left
# below the creditor's residual_write_off, written off with it
PAID_KINDS = ("payment", "reversal", "writeoff")


@dataclass(frozen=True)
class Quote:
    schedule: calc.Schedule
    uplift_warning: bool
    uplift: Decimal  # the raise INKF § 2-4 allows (0 when none)
    uplift_now: Decimal  # what accepting with the warning charges today (after § 3a offset)
    uplift_claim: Any


def owed(rows: list[Any], *, on: date, book: Any) -> calc.Owed:
    """What the claims owe together on ``on``: balances and interest accrued to the day."""
    principal = interest = costs = ZERO
    for r in rows:
        p = from_ore(r["principal_ore"])
        principal += p
        costs += from_ore(r["costs_ore"])
        interest += from_ore(r["interest_ore"])
        if p > 0 and on > r["interest_through"]:
            interest += rules.interest(book, principal=p, start=r["interest_through"],
                                       end=on).amount
    return calc.Owed(principal, interest, costs)


def _uplift_claim(rows: list[Any]) -> Any:
    return next((r for r in rows if r["stage"] in ("collection", "payment_demand",
                                                  "salaer_lett", "legal_ready")), rows[0])


def quote(rows: list[Any], *, on: date, first: date, kind: str = "plan",
          instalments: int | None = None, amount: Decimal | None = None,
          months: int | None = None, warned: bool = True) -> Quote:
    """The schedule for ``rows`` — by number of instalments, or by amount per month; a limited
    agreement by amount and months — with the INKF § 2-4 raise included when it applies and
    ``warned``."""
    book = law_book()
    base = owed(rows, on=on, book=book)
    rate = rate_on(book, on)
    if kind == "limited":
        if amount is None or months is None:
            raise InvalidInput("en begrenset avtale trenger --amount og --months",
                               where="--amount")
        sched = calc.limited(base, on=on, first=first, amount=amount, months=months, rate=rate)
        return Quote(sched, False, ZERO, ZERO, rows[0])
    if (instalments is None) == (amount is None):
        raise InvalidInput("oppgi enten --instalments eller --amount", where="--instalments")
    target = _uplift_claim(rows)
    uplift = uplift_now = ZERO

    def plan(extra: Decimal) -> calc.Schedule:
        money = calc.Owed(base.principal, base.interest, base.costs + extra)
        if instalments is not None:
            return calc.by_count(money, on=on, first=first, count=instalments, rate=rate)
        assert amount is not None
        return calc.by_amount(money, on=on, first=first, amount=amount, rate=rate)

    sched = plan(ZERO)
    after = int(book.value("salaer/instalment_uplift_after_instalments", on))
    warning = len(sched.instalments) > after
    if warning:
        charge = rules.instalment_uplift(book, sats_on=on,
                                         vat_deductible=bool(target["c_vat_deductible"]))
        uplift = charge.amount
        if target["stage"] in SALAER_CHARGED:
            uplift_now = rules.offset_against_compensation(
                compensation=from_ore(target["compensation_ore"]),
                costs_before=from_ore(target["recovery_costs_ore"]), new_cost=charge.amount)
        if warned and uplift_now > 0:
            sched = plan(uplift_now)
    return Quote(sched, warning, uplift, uplift_now, target)


def _same_debtor(rows: list[Any]) -> None:
    if len({r["debtor_id"] for r in rows}) > 1:
        raise InvalidInput("sakene i en avtale må ha samme skyldner", where="REF")


def calculate(conn: Connection, refs: list[str], *, on: date, first: date,
              instalments: int | None = None, amount: Decimal | None = None,
              actor: Actor | None = None) -> dict[str, Any]:
    """The calculator, without writing anything: months ↔ amount per month, what the plan
    costs in all (interest included), whether it raises the salær cap, and whether it lies
    within the creditor's authority."""
    from krav.agreements.service import load_claims

    rows = load_claims(conn, refs, actor)
    _same_debtor(rows)
    q = quote(rows, on=on, first=first, instalments=instalments, amount=amount)
    s = q.schedule
    reasons = _reasons(conn, rows, q, on=on, kind="plan")
    return {
        "cases": [r["ref"] for r in rows],
        "owed": {"principal": s.owed.principal, "interest": s.owed.interest,
                 "costs": s.owed.costs, "total": s.owed.total},
        "count": len(s.instalments), "per_month": s.level,
        "instalments": [{"due": d, "amount": a} for d, a in s.instalments],
        "interest": s.interest, "total": s.total, "uplift_warning": q.uplift_warning,
        "uplift_max": q.uplift, "within_authority": not reasons, "reasons": reasons,
    }


def _reasons(conn: Connection, rows: list[Any], q: Quote, *, on: date, kind: str) -> list[str]:
    from krav.agreements.service import last_breach, policy_of

    s = q.schedule
    reasons: list[str] = []
    for r in rows:
        authority = policy_of(r).authority
        breached = last_breach(conn, r["debtor_id"], on=on, months=authority.clean_months)
        for reason in plan_reasons(authority, on=on, kind=kind, first_due=s.instalments[0][0],
                                   last_due=s.instalments[-1][0], instalment=s.level,
                                   total=s.total, breached_on=breached):
            if reason not in reasons:
                reasons.append(reason)
    return reasons


def propose(conn: Connection, refs: list[str], *, on: date, first: date,
            instalments: int | None = None, amount: Decimal | None = None,
            months: int | None = None, kind: str = "plan", note: str = "",
            actor: Actor | None = None) -> dict[str, Any]:
    """Propose a plan (``kind`` plan: ``instalments`` or ``amount`` a month) or a limited
    agreement (``kind`` limited: ``amount`` a month for ``months``) for the claims ``refs`` of
    one debtor. Within every creditor's authority it is offered at once (``proposed``: the
    debtor accepts with :func:`accept`); otherwise stored as a request for a handler
    (``requested``, with the reasons)."""
    from krav.agreements.service import _ready, audit, load_claims, new_agreement

    if kind not in ("plan", "limited"):
        raise InvalidInput(f"ukjent avtaletype {kind!r}", where="--kind", allowed="plan, limited")
    rows = load_claims(conn, refs, actor)
    _same_debtor(rows)
    _ready(conn, rows)
    q = quote(rows, on=on, first=first, kind=kind, instalments=instalments, amount=amount,
              months=months)
    reasons = _reasons(conn, rows, q, on=on, kind=kind)
    s = q.schedule
    agreement = new_agreement(
        conn, kind=kind, status="requested" if reasons else "proposed",
        debtor_id=rows[0]["debtor_id"], on=on, actor=actor, claim_rows=rows,
        instalments=len(s.instalments), first_due=s.instalments[0][0],
        amount_ore=to_ore(s.level), total_ore=to_ore(s.total), uplift_warning=q.uplift_warning,
        uplift_claim_id=q.uplift_claim["id"] if q.uplift_warning else None,
        granted=None if reasons else "authority", reasons=reasons or None, note=note,
        until=s.instalments[-1][0] if kind == "limited" else None)
    _write_instalments(conn, agreement["id"], s.instalments, kids=None)
    audit(conn, actor, "plan.propose", agreement, rows, instalments=len(s.instalments),
          first=s.instalments[0][0].isoformat(), total=fmt(s.total),
          status=agreement["status"], reasons=reasons)
    return show(conn, agreement["ref"], as_of=on, actor=actor)


def _write_instalments(conn: Connection, agreement_id: int,
                       schedule: list[tuple[date, Decimal]], kids: list[str] | None) -> None:
    conn.execute(delete(agreement_instalments)
                 .where(agreement_instalments.c.agreement_id == agreement_id))
    conn.execute(insert(agreement_instalments), [
        {"agreement_id": agreement_id, "n": n, "due": due, "amount_ore": to_ore(amount),
         "kid": kids[n - 1] if kids else None}
        for n, (due, amount) in enumerate(schedule, 1)])


def accept(conn: Connection, ref: str, *, on: date, warned: bool = False,
           actor: Actor | None = None) -> dict[str, Any]:
    """The debtor accepts an offered plan: it takes effect. Its claims' process stops (paused)
    while it runs, each instalment gets its KID, a confirmation with the schedule goes out, and
    — only with ``warned`` (the debtor was told the plan raises the costs) — the INKF § 2-4
    raise is charged or recorded (see the module docstring)."""
    from krav.agreements.letters import queue_letter
    from krav.agreements.service import (
        audit,
        claims_of,
        event,
        find,
        keep_schedule,
        set_agreement,
    )
    from krav.cases.service import pause
    from krav.payments.instalments import instalment_kids_for

    agreement = find(conn, ref, actor)
    if agreement["status"] != "proposed":
        hint = " (en saksbehandler må godkjenne den først)" \
            if agreement["status"] == "requested" else ""
        raise UnableToProceed(f"avtale {agreement['ref']} er {agreement['status']} og kan ikke "
                              f"godtas{hint}")
    rows = claims_of(conn, agreement["id"])
    for r in rows:
        if r["status"] != "open":
            raise UnableToProceed(f"sak {r['ref']} er {r['status']}; lag et nytt forslag")
    if agreement["first_due"] < on:
        raise UnableToProceed(f"første avdrag ({agreement['first_due']:%d.%m.%Y}) er passert; "
                              "lag et nytt forslag")
    warned = bool(warned and agreement["uplift_warning"])
    q = quote(rows, on=on, first=agreement["first_due"], kind=agreement["kind"],
              instalments=agreement["instalments"] if agreement["kind"] == "plan" else None,
              amount=from_ore(agreement["amount_ore"]) if agreement["kind"] == "limited"
              else None,
              months=agreement["instalments"] if agreement["kind"] == "limited" else None,
              warned=warned)
    s = q.schedule
    anchor = rows[0]
    if warned:
        _charge_uplift(conn, agreement, q, on=on)
    keep_schedule(conn, agreement["id"], rows)
    for r in rows:
        pause(conn, r["ref"], on=on, until=None,
              reason=f"nedbetalingsavtale {agreement['ref']}")
    kids = instalment_kids_for(conn, anchor["id"], s.instalments)
    _write_instalments(conn, agreement["id"], s.instalments, kids)
    values = {"status": "active", "accepted_on": on, "warned": warned,
              "instalments": len(s.instalments), "amount_ore": to_ore(s.level),
              "total_ore": to_ore(s.total)}
    set_agreement(conn, agreement, **values)
    plan = {"ref": agreement["ref"], "kind": agreement["kind"], "total": fmt(s.total),
            "cases": [r["ref"] for r in rows]}
    if warned:
        plan["extra_cost_max"] = fmt(q.uplift)
    if agreement["kind"] == "limited":
        plan["until"] = s.instalments[-1][0].isoformat()
        plan["rest"] = fmt(s.rest)
    queue_letter(conn, anchor, kind="payment_plan_confirmation",
                 key=f"plan:{agreement['ref']}", on=on, deadline=s.instalments[0][0],
                 extra={"schedule": [{"due": d.isoformat(), "amount": fmt(a), "kid": k}
                                     for (d, a), k in zip(s.instalments, kids, strict=True)],
                        "plan": plan, "agreement": agreement["ref"]})
    for r in rows:
        event(conn, r["id"], on, "plan_accepted", {"agreement": agreement["ref"],
                                                   "instalments": len(s.instalments),
                                                   "reason": "nedbetalingsavtale"})
    audit(conn, actor, "plan.accept", agreement, rows, warned=warned,
          uplift=fmt(q.uplift_now) if warned else "0.00", total=fmt(s.total))
    return show(conn, agreement["ref"], as_of=on, actor=actor)


def _charge_uplift(conn: Connection, agreement: Any, q: Quote, *, on: date) -> None:
    """INKF § 2-4: post the raise now (salær already charged), or record the instalments on the
    claim so a salær charged later includes it once."""
    target = q.uplift_claim
    values: dict[str, Any] = {"instalments": agreement["instalments"]}
    if target["stage"] in SALAER_CHARGED and q.uplift > 0:
        book = law_book()
        charge = rules.instalment_uplift(book, sats_on=on,
                                         vat_deductible=bool(target["c_vat_deductible"]))
        conn.execute(insert(postings).values(
            claim_id=target["id"], on=on, kind="salaer", component="salaer",
            amount_ore=to_ore(q.uplift_now), rule=charge.rule, reference=charge.reference,
            inputs={**charge.inputs, "full_amount": str(charge.amount),
                    "agreement": agreement["ref"], "instalments": str(agreement["instalments"]),
                    "warned": "true"},
            key=f"salaer:instalment_uplift:{agreement['ref']}"))
        values.update(costs_ore=claims.c.costs_ore + to_ore(q.uplift_now),
                      recovery_costs_ore=claims.c.recovery_costs_ore + to_ore(charge.amount))
    conn.execute(update(claims).where(claims.c.id == target["id"])
                 .values(version=claims.c.version + 1, **values))


def paid_by_agreement(conn: Connection, agreement_ids: list[int]) -> dict[int, Decimal]:
    """What was paid towards each agreement since it was accepted: payments on its claims
    (reversals deducted), and rests a payment left below the residual threshold (one query)."""
    if not agreement_ids:
        return {}
    rows = conn.execute(
        select(agreement_claims.c.agreement_id, func.sum(postings.c.amount_ore))
        .join(agreements, agreements.c.id == agreement_claims.c.agreement_id)
        .join(postings, postings.c.claim_id == agreement_claims.c.claim_id)
        .where(agreement_claims.c.agreement_id.in_(agreement_ids),
               postings.c.payment_id.is_not(None), postings.c.kind.in_(PAID_KINDS),
               postings.c.on >= agreements.c.accepted_on)
        .group_by(agreement_claims.c.agreement_id)).all()
    return {aid: from_ore(-(total or 0)) for aid, total in rows}


def show(conn: Connection, ref: str, *, as_of: date, actor: Actor | None = None
         ) -> dict[str, Any]:
    """``{ref, status, instalments: [{due, amount, kid, paid}], total, uplift_warning}``:
    ``paid`` is what of each instalment is paid (payments fill the instalments in order)."""
    from krav.agreements.service import find

    agreement = find(conn, ref, actor)
    instalments = conn.execute(
        select(agreement_instalments).where(agreement_instalments.c.agreement_id ==
                                            agreement["id"])
        .order_by(agreement_instalments.c.n)).mappings().all()
    left = paid_by_agreement(conn, [agreement["id"]]).get(agreement["id"], ZERO) \
        if agreement["accepted_on"] else ZERO
    out = []
    for i in instalments:
        amount = from_ore(i["amount_ore"])
        paid = max(ZERO, min(amount, left))
        left -= paid
        out.append({"due": i["due"], "amount": amount, "kid": i["kid"], "paid": paid})
    return {"ref": agreement["ref"], "status": agreement["status"], "instalments": out,
            "total": from_ore(agreement["total_ore"]),
            "uplift_warning": bool(agreement["uplift_warning"])}
