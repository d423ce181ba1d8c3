"""Ledger operations that move money: allocating payments, reversals, credit notes, refunds.

Every operation writes immutable postings and keeps the cached balances on the claim row in step
(``ledger.check`` verifies them). Allocation is set-wise: one call books a whole chunk of a bank
file with a handful of statements.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select

from krav.cases.content import balances_by_component, build_content, claim_rows_query
from krav.cases.policy import residual_write_off_ore
from krav.db.bulk import insert_rows, update_versioned
from krav.db.tables import claims, creditors, events, letters, postings
from krav.kernel.errors import NotFound
from krav.kernel.money import from_ore, to_ore
from krav.law import law_book
from krav.ledger.allocation import allocate, parse_order
from krav.ledger.backdated import (
    costs_charged_after,
    reaccrue_interest,
    rewind_interest,
    undo_costs_after_timely_payment,
)
from krav.ledger.model import COST_COMPONENTS
from krav.ledger.setwise import SetwiseResult, allocate_setwise
from krav.ledger.working import (
    PaymentToAllocate,
    WorkingClaim,
    closed_detail,
    crystallise,
    outstanding,
    post,
    write_off_residual,
)
from krav.settings import Agency, load_settings

ZERO = Decimal("0.00")
COLLECTION_STAGES = ("collection", "payment_demand", "salaer_lett", "legal_ready")


@dataclass
class AllocationSummary:
    payments: int = 0
    closed: int = 0
    part_paid: int = 0
    overpaid_ore: int = 0
    allocated_ore: int = 0
    rest_notices: int = 0


def claim_balances(conn: Connection, claim_ids: Iterable[int]) -> dict[int, dict[str, Decimal]]:
    """Per claim the balance of every component (and ``paid``), from the postings."""
    return balances_by_component(conn, claim_ids)


def _load(conn: Connection, claim_ids: set[int]) -> dict[int, WorkingClaim]:
    ids = sorted(claim_ids)
    loaded: dict[int, WorkingClaim] = {}
    cols = [claims.c.id, claims.c.due_date, claims.c.status, claims.c.stage, claims.c.principal_ore,
            claims.c.interest_ore, claims.c.costs_ore, claims.c.interest_through,
            claims.c.last_deadline, claims.c.next_action_on, claims.c.close_reason,
            claims.c.closed_on, claims.c.version, creditors.c.allocation_order,
            creditors.c.policy]
    for start in range(0, len(ids), 2000):
        chunk = ids[start:start + 2000]
        query = (select(*cols).join(creditors, creditors.c.id == claims.c.creditor_id)
                 .where(claims.c.id.in_(chunk)))
        for row in conn.execute(query).mappings():
            loaded[row["id"]] = WorkingClaim(row=dict(row), balances={
                "principal": from_ore(row["principal_ore"]),
                "interest": from_ore(row["interest_ore"])})
    with_costs = [cid for cid, c in loaded.items() if c.row["costs_ore"]]
    if with_costs:
        detail = balances_by_component(conn, with_costs)
        for cid in with_costs:
            for component in COST_COMPONENTS:
                loaded[cid].balances[component] = detail.get(cid, {}).get(component, ZERO)
    missing = claim_ids - set(loaded)
    if missing:
        raise NotFound(f"ukjent krav-id {sorted(missing)[0]}")
    return loaded


def allocate_payments(conn: Connection, items: Sequence[PaymentToAllocate], *, as_of: date,
                      agency: Agency | None = None, setwise: bool = True) -> AllocationSummary:
    """Book ``items`` on their claims (see module docstring); one chunk, a few statements.

    The common case goes through ``ledger.setwise``; ``setwise=False`` sends every payment down
    the general path (the tests compare the two)."""
    from krav.webhooks.service import enqueue_events, enqueue_payments, events_mark

    book = law_book()
    summary = AllocationSummary()
    if not items:
        return summary
    mark = events_mark(conn)  # None when no webhook exists: nothing to enqueue below
    items_in = items
    # a payment to a payment plan of several claims pays them in the plan's order
    # (krav.agreements.split); its parts take the general path
    from krav.agreements.split import split_plan_payments

    items, parts = split_plan_payments(conn, items, book=book)
    lane = allocate_setwise(conn, items, book=book) if setwise else SetwiseResult(rest=list(items))
    summary.payments, summary.closed = lane.payments, lane.closed
    summary.allocated_ore, summary.overpaid_ore = lane.allocated_ore, lane.overpaid_ore
    rest_notice_for: dict[int, int] = dict(lane.rest_notice_for)
    stages = dict(lane.stages)
    items = lane.rest + parts
    if items:
        _allocate_general(conn, items, as_of, book, summary, rest_notice_for, stages)
    summary.part_paid = len(rest_notice_for)
    summary.rest_notices = _queue_rest_notices(conn, rest_notice_for, stages, as_of,
                                               agency or load_settings().agency, book)
    if mark is not None:  # payment.booked and claim.closed, set-wise
        enqueue_payments(conn, [i.payment_id for i in items_in if i.payment_id])
        enqueue_events(conn, mark)
    return summary


def _allocate_general(conn: Connection, items: Sequence[PaymentToAllocate], as_of: date,
                      book: Any, summary: AllocationSummary, rest_notice_for: dict[int, int],
                      stages: dict[int, str]) -> None:
    """Every payment the set-wise lane left: a working copy per claim, in payment-date order."""
    working = _load(conn, {i.claim_id for i in items})
    # Only a claim with costs still owed can have costs to take back for a timely payment.
    late_costs = costs_charged_after(conn, [
        i for i in items if i.paid_on < as_of and working[i.claim_id].row["costs_ore"] > 0])
    for item in sorted(items, key=lambda i: (i.claim_id, i.paid_on, i.payment_id)):
        claim = working[item.claim_id]
        rewound = rewind_interest(claim, item, book)
        undo_costs_after_timely_payment(claim, item, late_costs.get(item.claim_id, []))
        _allocate_one(claim, item, book)
        if rewound:
            reaccrue_interest(claim, item, book, *rewound)
        summary.payments += 1
        summary.allocated_ore += to_ore(item.amount)
        if claim.row["status"] == "closed":  # already closed, or closed by this payment
            continue
        if 0 < outstanding(claim) < from_ore(residual_write_off_ore(claim.row["policy"])):
            write_off_residual(claim, item)
        if outstanding(claim) <= 0:
            claim.row.update(status="closed", close_reason="paid", closed_on=item.paid_on,
                             next_action_on=None)
            summary.closed += 1
        elif claim.row["status"] == "open":  # no payment request while disputed or paused
            rest_notice_for[item.claim_id] = item.payment_id
            stages[item.claim_id] = claim.row["stage"]
    summary.overpaid_ore += sum(-to_ore(c.balances.get("overpaid", ZERO))
                                for c in working.values()
                                if any(p["component"] == "overpaid" for p in c.postings))
    _write(conn, working, as_of)


def _allocate_one(claim: WorkingClaim, item: PaymentToAllocate, book: Any) -> None:
    key = f"payment:{item.payment_id}"
    if claim.row["status"] == "closed":
        # A payment to a closed claim is owed back to the debtor.
        post(claim, on=item.paid_on, kind="payment", component="overpaid", amount=-item.amount,
             rule="overpaid-closed-claim", key=f"{key}:overpaid", payment_id=item.payment_id,
             reference="innbetaling på avsluttet sak: skyldes tilbake")
        return
    crystallise(claim, book, item.paid_on, key=f"interest:{key}")
    order = parse_order(claim.row["allocation_order"] or "costs,interest,principal")
    owed = {k: v for k, v in claim.balances.items() if k != "overpaid"}
    split = allocate(item.amount, owed, order=order, designation=item.designation)
    for component, part in split.parts.items():
        post(claim, on=item.paid_on, kind="payment", component=component, amount=-part,
             rule="dekningsrekkefolge", key=f"{key}:{component}", payment_id=item.payment_id,
             reference="dekningsrekkefølge: " + " → ".join(split.order),
             inputs={"order": ",".join(split.order), "designation": item.designation or ""})
    overpaid = split.overpaid
    if overpaid > 0:
        post(claim, on=item.paid_on, kind="payment", component="overpaid", amount=-overpaid,
             rule="overpaid", key=f"{key}:overpaid", payment_id=item.payment_id,
             reference="overskytende beløp skyldes tilbake til skyldner")


_POSTING_COLUMNS = ("claim_id", "on", "kind", "component", "amount_ore", "rule", "reference",
                    "inputs", "payment_id", "reverses_id", "key")
_BALANCE_COLUMNS = ("principal_ore", "interest_ore", "costs_ore", "interest_through", "status",
                    "close_reason", "closed_on", "next_action_on")


def _write(conn: Connection, working: dict[int, WorkingClaim], as_of: date) -> None:
    """Postings, claim rows (version-checked) and close events of a chunk, as driver-level
    ``executemany`` of plain tuples (``krav.db.bulk``): this is a bank import's hot path."""
    changed = [c for c in working.values() if c.changed]
    if not changed:
        return
    insert_rows(conn, postings, _POSTING_COLUMNS,
                [[p[k] for k in _POSTING_COLUMNS] for c in changed for p in c.postings])
    update_versioned(conn, claims, _BALANCE_COLUMNS, [(
        to_ore(c.balances.get("principal", ZERO)), to_ore(c.balances.get("interest", ZERO)),
        to_ore(sum((c.balances.get(k, ZERO) for k in COST_COMPONENTS), ZERO)),
        c.row["interest_through"], c.row["status"], c.row["close_reason"], c.row["closed_on"],
        c.row["next_action_on"], c.row["id"], c.row["version"]) for c in changed])
    insert_rows(conn, events, ("claim_id", "on", "kind", "detail", "actor"), [
        (c.row["id"], c.row["closed_on"], "closed", closed_detail(c.row.get("written_off_ore")),
         "payments")
        for c in changed if c.row["close_reason"] == "paid" and c.row["closed_on"]])


def _queue_rest_notices(conn: Connection, rest: dict[int, int], stages: dict[int, str],
                        as_of: date, agency: Agency, book: Any) -> int:
    """A part payment queues a rest-amount notice (one per payment)."""
    if not rest:
        return 0
    ids = sorted(rest)
    rows = {}
    for start in range(0, len(ids), 2000):
        rows.update({r["id"]: r for r in conn.execute(
            claim_rows_query().where(claims.c.id.in_(ids[start:start + 2000]))).mappings()})
    balances = balances_by_component(conn, ids)
    deadline = as_of + timedelta(days=int(book.value("rules/min_deadline_days", as_of)))
    letter_rows = []
    for cid in ids:
        sender = "agency" if stages[cid] in COLLECTION_STAGES else "creditor"
        content = build_content(kind="rest_notice", sender=sender, sent_on=as_of,
                                deadline=deadline, claim=rows[cid], balances=balances[cid],
                                agency=agency, book=book)
        letter_rows.append({
            "claim_id": cid, "step_key": f"rest_notice:{rest[cid]}", "kind": "rest_notice",
            "sender": sender, "sent_on": as_of, "deadline": deadline, "fee_ore": 0,
            "language": content["language"], "content": content, "status": "pending",
            "attempts": 0})
    conn.execute(insert(letters), letter_rows)
    return len(letter_rows)


# Corrections live in their own module; re-exported here as the ledger's one service surface.
from krav.ledger.corrections import (  # noqa: E402,F401
    credit_note,
    refund_overpayment,
    reverse_payment,
    write_off,
)
