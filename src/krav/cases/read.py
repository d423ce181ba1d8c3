"""Reading cases back: the list and one case with letters, postings, balances and accrued interest.

The JSON shape of ``case_view`` is a contract (issue 2 § 7): ref, invoice_number, kid, creditor
{orgnr, name}, debtor {kind, name}, principal, due, status, stage, letters [{kind, sender,
sent_on, deadline, fee}], postings [{on, kind, amount, rule}], balance {principal, interest, fees,
total}, interest_accrued.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select

from krav.cases.model import STAGES, STATUSES
from krav.cases.service import claim_by_ref
from krav.db.tables import claims, creditors, debtors, letters, postings
from krav.kernel.errors import InvalidInput
from krav.kernel.money import from_ore
from krav.law import law_book, rules
from krav.ledger.model import group_balances

ZERO = Decimal("0.00")


def list_cases(conn: Connection, *, status: str | None = None, stage: str | None = None,
               limit: int | None = None) -> list[dict[str, Any]]:
    """Cases in id order, optionally filtered; an unknown filter value is refused, not empty."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"ukjent status {status!r}", where="--status",
                           allowed=", ".join(STATUSES))
    if stage is not None and stage not in STAGES:
        raise InvalidInput(f"ukjent fase {stage!r}", where="--stage", allowed=", ".join(STAGES))
    if limit is not None and limit < 1:
        raise InvalidInput(f"ugyldig antall {limit}", where="--limit", allowed="1 eller flere")
    query = (select(claims.c.ref, claims.c.invoice_number, claims.c.status, claims.c.stage,
                    claims.c.due_date, claims.c.principal_ore, claims.c.interest_ore,
                    claims.c.costs_ore, claims.c.next_action_on,
                    creditors.c.name.label("creditor"), debtors.c.name.label("debtor"))
             .join(creditors, creditors.c.id == claims.c.creditor_id)
             .join(debtors, debtors.c.id == claims.c.debtor_id).order_by(claims.c.id))
    if status:
        query = query.where(claims.c.status == status)
    if stage:
        query = query.where(claims.c.stage == stage)
    if limit:
        query = query.limit(limit)
    return [{
        "ref": r.ref, "invoice_number": r.invoice_number, "status": r.status, "stage": r.stage,
        "due": r.due_date, "creditor": r.creditor, "debtor": r.debtor,
        "total": from_ore(r.principal_ore + r.interest_ore + r.costs_ore),
        "next_action_on": r.next_action_on,
    } for r in conn.execute(query)]


def stage_counts(conn: Connection) -> list[tuple[str, str, int]]:
    return [tuple(r) for r in conn.execute(  # type: ignore[misc]
        select(claims.c.status, claims.c.stage, func.count()).group_by(claims.c.status,
                                                                        claims.c.stage)
        .order_by(claims.c.status, claims.c.stage))]


def case_view(conn: Connection, ref: str, *, as_of: date) -> dict[str, Any]:
    """One case as of ``as_of``: postings up to that day and interest accrued since the last
    crystallisation (FRL § 3), not yet posted."""
    claim = claim_by_ref(conn, ref)
    creditor = conn.execute(select(creditors.c.orgnr, creditors.c.name)
                            .where(creditors.c.id == claim["creditor_id"])).one()
    debtor = conn.execute(select(debtors.c.kind, debtors.c.name)
                          .where(debtors.c.id == claim["debtor_id"])).one()
    posting_rows = conn.execute(
        select(postings.c.on, postings.c.kind, postings.c.component, postings.c.amount_ore,
               postings.c.rule, postings.c.reference)
        .where(postings.c.claim_id == claim["id"], postings.c.on <= as_of)
        .order_by(postings.c.on, postings.c.id)).all()
    balances: dict[str, Decimal] = {}
    for p in posting_rows:
        balances[p.component] = balances.get(p.component, ZERO) + from_ore(p.amount_ore)
    grouped = group_balances(balances)
    accrued = ZERO
    # interest is crystallised through ``interest_through``; for an earlier day, through the
    # last interest posting on or before it
    last_interest = max([p.on for p in posting_rows if p.kind == "interest"] + [claim["due_date"]])
    through = claim["interest_through"]
    interest_from = through if as_of >= through else last_interest
    if claim["status"] != "closed" and grouped["principal"] > 0 and as_of > interest_from:
        accrued = rules.interest(law_book(), principal=grouped["principal"], start=interest_from,
                                 end=as_of).amount
    letter_rows = conn.execute(
        select(letters.c.id, letters.c.kind, letters.c.sender, letters.c.sent_on,
               letters.c.deadline, letters.c.fee_ore, letters.c.status)
        .where(letters.c.claim_id == claim["id"], letters.c.sent_on <= as_of)
        .order_by(letters.c.sent_on, letters.c.id)).all()
    return {
        "ref": claim["ref"], "invoice_number": claim["invoice_number"], "kid": claim["kid"],
        "creditor": {"orgnr": creditor.orgnr, "name": creditor.name},
        "debtor": {"kind": debtor.kind, "name": debtor.name},
        "principal": from_ore(claim["original_principal_ore"]), "due": claim["due_date"],
        "status": claim["status"], "stage": claim["stage"],
        "letters": [{"id": lt.id, "kind": lt.kind, "sender": lt.sender, "sent_on": lt.sent_on,
                     "deadline": lt.deadline, "fee": from_ore(lt.fee_ore), "status": lt.status}
                    for lt in letter_rows],
        "postings": [{"on": p.on, "kind": p.kind, "amount": from_ore(p.amount_ore),
                      "rule": p.rule, "component": p.component, "reference": p.reference}
                     for p in posting_rows],
        "balance": {k: grouped[k] for k in ("principal", "interest", "fees", "total")},
        "interest_accrued": accrued,
        "next_action_on": claim["next_action_on"],
        "close_reason": claim["close_reason"],
    }
