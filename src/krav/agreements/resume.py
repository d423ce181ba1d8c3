"""Collection resumes where it stood when an agreement ends (cancelled, or breached and not
cured), set-wise: one read, one version-checked bulk update, bulk postings and events.

A claim is resumed at its stage with the step date it had when the agreement stopped it
(``agreement_claims.resume_on``), never before the day it resumes (``cases.service``'s resume
rule): nothing already sent or charged is sent or charged again — the process continues from
the step it had reached. A claim that owes less than its creditor's ``residual_write_off``
(interest to the day included) is not resumed: the rest is written off with postings naming the
rule and the case closes as paid (law-no.md § 10: small rests are not worth collecting).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from krav.cases.content import balances_by_component
from krav.cases.policy import residual_write_off_ore
from krav.cases.service import _next_after_resume
from krav.db.bulk import insert_rows, update_versioned
from krav.db.tables import claims, creditors, events, postings
from krav.kernel.money import from_ore, to_ore
from krav.law import law_book, rules
from krav.ledger.model import COST_COMPONENTS
from krav.ledger.working import RESIDUAL_REFERENCE, RESIDUAL_RULE

ZERO = Decimal("0.00")


def resume_claims(conn: Connection, pairs: list[tuple[str, Any]], *, on: date,
                  actor: str) -> dict[str, int]:
    """Resume the paused claims of ``pairs`` (agreement ref, claim row with ``resume_on``);
    claims not paused (disputed, closed meanwhile) are left as they are."""
    ids = [c["id"] for _, c in pairs]
    if not ids:
        return {"resumed": 0, "written_off": 0}
    current = {r.id: r for r in conn.execute(
        select(claims.c.id, claims.c.status, claims.c.stage, claims.c.version,
               claims.c.principal_ore, claims.c.interest_ore, claims.c.costs_ore,
               claims.c.interest_through, creditors.c.policy)
        .join(creditors, creditors.c.id == claims.c.creditor_id).where(claims.c.id.in_(ids)))}
    book = law_book()
    small = {}
    for _, c in pairs:
        r = current[c["id"]]
        if r.status != "paused":
            continue
        accrued = rules.interest(book, principal=from_ore(r.principal_ore),
                                 start=r.interest_through, end=on).amount \
            if r.principal_ore > 0 and on > r.interest_through else ZERO
        owed = r.principal_ore + r.interest_ore + r.costs_ore + to_ore(accrued)
        if 0 < owed < residual_write_off_ore(r.policy):
            small[r.id] = (accrued, owed)
    balances = balances_by_component(conn, list(small)) if small else {}
    updates, closes, new_postings, new_events = [], [], [], []
    for ref, c in pairs:
        r = current[c["id"]]
        if r.status != "paused":
            continue
        if r.id in small:
            accrued, owed = small[r.id]
            new_postings += _write_off(r, balances.get(r.id, {}), accrued, owed, on, ref)
            closes.append((0, 0, 0, on, "closed", "paid", on, None, r.id, r.version))
            new_events.append((r.id, on, "closed", {"reason": "paid", "written_off":
                                                    str(from_ore(owed)), "rule": RESIDUAL_RULE,
                                                    "agreement": ref}, actor))
            continue
        next_on = _next_after_resume(r.stage, c["resume_on"], on)
        updates.append(("open", next_on, r.id, r.version))
        new_events.append((r.id, on, "resumed", {"from": "paused", "stage": r.stage,
                                                 "agreement": ref}, actor))
    from krav.webhooks.service import enqueue_events, events_mark

    mark = events_mark(conn)
    if new_postings:
        insert_rows(conn, postings, ("claim_id", "on", "kind", "component", "amount_ore", "rule",
                                     "reference", "inputs", "key"), new_postings)
    update_versioned(conn, claims, ("status", "next_action_on"), updates)
    update_versioned(conn, claims, ("principal_ore", "interest_ore", "costs_ore",
                                    "interest_through", "status", "close_reason", "closed_on",
                                    "next_action_on"), closes)
    insert_rows(conn, events, ("claim_id", "on", "kind", "detail", "actor"), new_events)
    enqueue_events(conn, mark)  # claim.stage_changed (resumed), claim.closed (written off)
    return {"resumed": len(updates), "written_off": len(closes)}


def _write_off(r: Any, balances: dict[str, Decimal], accrued: Decimal, owed: int, on: date,
               ref: str) -> list[tuple[Any, ...]]:
    """Interest crystallised to ``on`` (FRL § 3), then every component written off."""
    inputs = {"threshold": str(from_ore(residual_write_off_ore(r.policy))),
              "rest": str(from_ore(owed)), "agreement": ref}
    rows: list[tuple[Any, ...]] = []
    if accrued > 0:
        rows.append((r.id, on, "interest", "interest", to_ore(accrued), "FRL-3-forsinkelsesrente",
                     "forsinkelsesrenteloven § 3 første ledd",
                     {"principal": str(from_ore(r.principal_ore)), "through": on.isoformat()},
                     f"interest:{on.isoformat()}:{ref}"))
    owing = {"principal": from_ore(r.principal_ore),
             "interest": from_ore(r.interest_ore) + accrued,
             **{k: balances.get(k, ZERO) for k in COST_COMPONENTS}}
    for component, amount in owing.items():
        if amount > 0:
            rows.append((r.id, on, "writeoff", component, -to_ore(amount), RESIDUAL_RULE,
                         RESIDUAL_REFERENCE, inputs, f"writeoff:{ref}:{component}"))
    return rows
