"""The common case of a bank import, allocated set-wise.

Most payments in a bank file are one payment on a claim that is not closed, dated on or after
the day its interest was last crystallised and its last cost was charged: "the debtor paid the
letter". For those nothing depends on the order of other postings, so the whole chunk is booked
with a handful of statements instead of a working copy per claim:

1. two queries read the claims (driver tuples) and, for those that owe costs, the balance of
   each cost component and the day the last cost was charged;
2. per payment, in integer øre: interest crystallised to the payment date (FRL § 3, through
   ``rules.interest`` like every other interest in krav), the split over what is owed in the
   creditor's order or the debtor's designation (law-no.md § 5, ``allocation.split``, the core
   of ``allocation.allocate``),
   what is left over owed back to the debtor, and whether the claim is paid;
3. one bulk insert stages the postings and one the claims' new balances in temporary tables,
   and a few statements turn them into postings, claim rows (version-checked) and close events.

The postings are exactly those ``ledger.service`` writes for the same payment, in the same order
(same rule, legal reference, inputs and idempotency key; tested side by side). Every other payment
takes that general path: a closed claim, a payment dated before interest was last crystallised or
before a cost was charged (a bank file that came late: ``ledger.backdated``), several payments on
one claim in a chunk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection

from krav.cases.policy import residual_write_off_ore
from krav.db.bulk import insert_prepared, json_text, select_in
from krav.db.tables import utcnow
from krav.kernel.errors import NotFound, UnableToProceed
from krav.kernel.money import from_ore, to_ore
from krav.law import rules
from krav.ledger.allocation import components_in_order, effective_order, parse_order, split
from krav.ledger.model import COST_COMPONENTS
from krav.ledger.working import (
    RESIDUAL_REFERENCE,
    RESIDUAL_RULE,
    PaymentToAllocate,
    closed_detail,
    residual_inputs,
)

POSTINGS = "ledger_allocation_postings"
CLAIMS = "ledger_allocation_claims"
ORDERS = "ledger_allocation_orders"
# Staged posting types: the interest crystallised to the payment date, a part of the payment on
# one component, the overpaid rest, a rest below the creditor's ``residual_write_off`` written off.
# Within a payment they come in this order.
INTEREST, PART, OVERPAID, WRITEOFF = 0, 1, 2, 3
_POSTING_COLUMNS = ("seq", "type", "claim_id", "paid_on", "component", "amount_ore",
                    "payment_id", "order_id", "inputs")
_CLAIM_COLUMNS = ("claim_id", "version", "paid_on", "principal_after", "interest_after",
                  "costs_after", "closes", "detail")
_DDL = (
    # seq is the rowid on SQLite, so "ORDER BY seq" reads the table in order without a sort
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {POSTINGS} (seq INTEGER PRIMARY KEY, "
    "type INTEGER NOT NULL, claim_id BIGINT NOT NULL, paid_on DATE NOT NULL, "
    "component VARCHAR(30) NOT NULL, amount_ore BIGINT NOT NULL, payment_id BIGINT NOT NULL, "
    "order_id INTEGER NOT NULL, inputs TEXT NOT NULL)",
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {CLAIMS} (claim_id BIGINT NOT NULL, "
    "version INTEGER NOT NULL, paid_on DATE NOT NULL, principal_after BIGINT NOT NULL, "
    "interest_after BIGINT NOT NULL, costs_after BIGINT NOT NULL, closes INTEGER NOT NULL, "
    "detail TEXT NOT NULL)",
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {ORDERS} (id INTEGER NOT NULL, "
    "reference VARCHAR(200) NOT NULL, inputs TEXT NOT NULL)",
)
_CLAIMS = ("SELECT c.id, c.status, c.stage, c.principal_ore, c.interest_ore, c.costs_ore, "
           "c.interest_through, c.version, cr.allocation_order, cr.id, cr.policy FROM claims c "
           "JOIN creditors cr ON cr.id = c.creditor_id WHERE c.id IN ({})")
_COST_KINDS = ", ".join(f"'{c}'" for c in COST_COMPONENTS)
_COSTS = ('SELECT claim_id, component, SUM(amount_ore), '
          f'MAX(CASE WHEN kind IN ({_COST_KINDS}) THEN "on" END) FROM postings '
          f"WHERE component IN ({_COST_KINDS}) AND claim_id IN ({{}}) GROUP BY claim_id, component")


@dataclass
class SetwiseResult:
    """What the set-wise lane booked, and the payments it left to the general path."""

    rest: list[PaymentToAllocate] = field(default_factory=list)
    payments: int = 0
    closed: int = 0
    allocated_ore: int = 0
    overpaid_ore: int = 0
    rest_notice_for: dict[int, int] = field(default_factory=dict)  # claim id -> payment id
    stages: dict[int, str] = field(default_factory=dict)  # claim id -> stage, for rest notices


def _day(value: Any, cache: dict[Any, date]) -> date:
    """A date column as the driver returned it (ISO text on SQLite)."""
    day = cache.get(value)
    if day is None:
        day = cache[value] = value if isinstance(value, date) else date.fromisoformat(value)
    return day


def allocate_setwise(conn: Connection, items: Sequence[PaymentToAllocate], *, book: Any
                     ) -> SetwiseResult:
    """Book the common-case payments of ``items`` (module docstring); return the others."""
    result = SetwiseResult()
    claims = {row[0]: row for row in select_in(conn, _CLAIMS, sorted({i.claim_id for i in items}))}
    per_claim: dict[int, int] = {}
    for item in items:
        per_claim[item.claim_id] = per_claim.get(item.claim_id, 0) + 1
    missing = per_claim.keys() - claims.keys()
    if missing:
        raise NotFound(f"ukjent krav-id {sorted(missing)[0]}")
    days: dict[Any, date] = {}
    costs = _costs(conn, [cid for cid, row in claims.items() if row[5]], days)
    sqlite = conn.dialect.name == "sqlite"
    orders: dict[tuple[str, str], int] = {}  # (order, designation) -> id in the orders table
    # (order setting, designation) -> (components in allocation order, id in the orders table)
    order_of: dict[tuple[str, str | None], tuple[tuple[str, ...], int]] = {}
    staged: list[tuple] = []
    changed: list[tuple] = []
    thresholds: dict[int, int] = {}  # creditor id -> residual_write_off in øre
    for item in sorted(items, key=lambda i: i.payment_id):
        _, status, stage, principal, interest, costs_ore, through_raw, version, order_text, \
            creditor_id, policy = claims[item.claim_id]
        amount = to_ore(item.amount)
        through = _day(through_raw, days)
        owed, last_cost = costs.get(item.claim_id, ({}, None)) if costs_ore else ({}, None)
        if status == "closed" or per_claim[item.claim_id] > 1 or amount <= 0 \
                or item.paid_on < through or (last_cost is not None and last_cost > item.paid_on):
            result.rest.append(item)
            continue
        known = order_of.get((order_text, item.designation))
        if known is None:
            order = effective_order(parse_order(order_text or "costs,interest,principal"),
                                    item.designation)
            known = order_of[(order_text, item.designation)] = (
                components_in_order(order),
                orders.setdefault((",".join(order), item.designation or ""), len(orders) + 1))
        components, order_id = known
        paid_on = item.paid_on.isoformat() if sqlite else item.paid_on
        if item.paid_on > through and principal > 0:
            accrued, inputs = _interest(book, principal, through, item.paid_on)
            if accrued:
                interest += accrued
                staged.append((len(staged), INTEREST, item.claim_id, paid_on, "interest",
                               accrued, item.payment_id, 0, inputs))
        balances = {**owed, "interest": interest, "principal": principal}
        parts, overpaid = split(amount, balances, components)  # whole øre in and out
        for component, part in parts.items():
            staged.append((len(staged), PART, item.claim_id, paid_on, component, -part,
                           item.payment_id, order_id, ""))
            balances[component] -= part
        if overpaid > 0:
            staged.append((len(staged), OVERPAID, item.claim_id, paid_on, "overpaid",
                           -overpaid, item.payment_id, 0, ""))
        rest = sum(balances.get(c, 0) for c in components)
        threshold = thresholds.get(creditor_id)
        if threshold is None:
            threshold = thresholds[creditor_id] = residual_write_off_ore(policy)
        written_off = rest if 0 < rest < threshold else 0
        if written_off:  # as ``working.write_off_residual``: per component, allocation order
            inputs = json_text(residual_inputs(threshold, rest)) or ""
            for component in components:
                if balances.get(component, 0) > 0:
                    staged.append((len(staged), WRITEOFF, item.claim_id, paid_on, component,
                                   -balances[component], item.payment_id, 0, inputs))
                    balances[component] = 0
        costs_after = sum(balances[c] for c in owed) if owed else 0
        closes = balances["principal"] + balances["interest"] + costs_after <= 0
        changed.append((item.claim_id, version, paid_on, balances["principal"],
                        balances["interest"], costs_after, int(closes),
                        json_text(closed_detail(written_off)) or ""))
        result.payments += 1
        result.allocated_ore += amount
        result.overpaid_ore += overpaid
        if closes:
            result.closed += 1
        elif status == "open":  # no payment request while disputed or paused
            result.rest_notice_for[item.claim_id] = item.payment_id
            result.stages[item.claim_id] = stage
    if changed:
        _write(conn, staged, changed, orders)
    return result


def _costs(conn: Connection, claim_ids: list[int], days: dict[Any, date]
           ) -> dict[int, tuple[dict[str, int], date | None]]:
    """Per claim that owes costs: each cost component's balance, and the day a cost was last
    charged (a payment dated before it takes the general path: ``ledger.backdated``)."""
    found: dict[int, tuple[dict[str, int], date | None]] = {}
    for claim_id, component, total, last in select_in(conn, _COSTS, claim_ids):
        owed, latest = found.get(claim_id, ({}, None))
        owed[component] = int(total or 0)
        if last is not None:
            day = _day(last, days)
            latest = day if latest is None or day > latest else latest
        found[claim_id] = (owed, latest)
    return found


def _interest(book: Any, principal: int, through: date, until: date) -> tuple[int, str]:
    """Interest on ``principal`` øre for the days after ``through`` up to ``until`` (FRL § 3),
    and the inputs its posting records — as ``working.crystallise`` posts it."""
    accrued = rules.interest(book, principal=from_ore(principal), start=through, end=until)
    if accrued.amount <= 0:
        return 0, ""
    return to_ore(accrued.amount), json_text({
        "principal": str(from_ore(principal)), "from": (through + timedelta(days=1)).isoformat(),
        "through": until.isoformat(), "days": str(accrued.days)}) or ""


_SELECT_POSTINGS = {
    INTEREST: ("SELECT s.claim_id, s.paid_on, 'interest', 'interest', s.amount_ore, "
               "'FRL-3-forsinkelsesrente', 'forsinkelsesrenteloven § 3 første ledd', "
               "{inputs}, CAST(NULL AS BIGINT), 'interest:payment:' || s.payment_id "
               f"FROM {POSTINGS} s WHERE s.type = {INTEREST} ORDER BY s.seq"),
    PART: ("SELECT s.claim_id, s.paid_on, 'payment', s.component, s.amount_ore, "
           "'dekningsrekkefolge', o.reference, {inputs}, s.payment_id, "
           "'payment:' || s.payment_id || ':' || s.component "
           f"FROM {POSTINGS} s JOIN {ORDERS} o ON o.id = s.order_id WHERE s.type = {PART} "
           "ORDER BY s.seq"),
    OVERPAID: ("SELECT s.claim_id, s.paid_on, 'payment', 'overpaid', s.amount_ore, 'overpaid', "
               "'overskytende beløp skyldes tilbake til skyldner', {inputs}, s.payment_id, "
               "'payment:' || s.payment_id || ':overpaid' "
               f"FROM {POSTINGS} s WHERE s.type = {OVERPAID} ORDER BY s.seq"),
    WRITEOFF: ("SELECT s.claim_id, s.paid_on, 'writeoff', s.component, s.amount_ore, "
               f"'{RESIDUAL_RULE}', '{RESIDUAL_REFERENCE}', {{inputs}}, s.payment_id, "
               "'writeoff:payment:' || s.payment_id || ':' || s.component "
               f"FROM {POSTINGS} s WHERE s.type = {WRITEOFF} ORDER BY s.seq"),
}


def _write(conn: Connection, staged: list[tuple], changed: list[tuple],
           orders: dict[tuple[str, str], int]) -> None:
    """Stage the postings and the claims' new balances, then write postings, claims, events."""
    for ddl in _DDL:
        conn.exec_driver_sql(ddl)
    for table in (POSTINGS, CLAIMS, ORDERS):
        conn.exec_driver_sql(f"DELETE FROM {table}")
    insert_prepared(conn, ORDERS, ("id", "reference", "inputs"), [
        (order_id, "dekningsrekkefølge: " + " → ".join(order.split(",")),
         json_text({"order": order, "designation": designation}))
        for (order, designation), order_id in orders.items()])
    insert_prepared(conn, POSTINGS, _POSTING_COLUMNS, staged)
    insert_prepared(conn, CLAIMS, _CLAIM_COLUMNS, changed)
    postgres = conn.dialect.name == "postgresql"
    if postgres:  # a temporary table has no statistics until asked
        conn.exec_driver_sql(f"ANALYZE {POSTINGS}")
        conn.exec_driver_sql(f"ANALYZE {CLAIMS}")
    json = "CAST({} AS JSON)" if postgres else "{}"
    inputs = {INTEREST: json.format("s.inputs"), PART: json.format("o.inputs"),
              OVERPAID: json.format("'{}'"), WRITEOFF: json.format("s.inputs")}
    # One statement per type: a claim's crystallised interest, then the parts of its payment in
    # the order of allocation, then the overpaid rest — the general path's id order per claim.
    for kind, select in _SELECT_POSTINGS.items():
        conn.exec_driver_sql(
            'INSERT INTO postings (claim_id, "on", kind, component, amount_ore, rule, '
            'reference, inputs, payment_id, "key") ' + select.format(inputs=inputs[kind]))
    updated = conn.exec_driver_sql(  # claims.updated_at: naive UTC, as the Core updates
        "UPDATE claims SET principal_ore = s.principal_after, interest_ore = s.interest_after, "
        "costs_ore = s.costs_after, interest_through = s.paid_on, "
        "status = CASE WHEN s.closes = 1 THEN 'closed' ELSE claims.status END, "
        "close_reason = CASE WHEN s.closes = 1 THEN 'paid' ELSE claims.close_reason END, "
        "closed_on = CASE WHEN s.closes = 1 THEN s.paid_on ELSE claims.closed_on END, "
        "next_action_on = CASE WHEN s.closes = 1 THEN NULL ELSE claims.next_action_on END, "
        f"version = claims.version + 1, updated_at = '{utcnow():%Y-%m-%d %H:%M:%S.%f}' "
        f"FROM {CLAIMS} s "
        "WHERE claims.id = s.claim_id AND claims.version = s.version").rowcount
    if updated not in (-1, len(changed)):
        raise UnableToProceed(
            f"{len(changed) - updated} krav ble endret av en annen prosess under importen; "
            "ingenting er bokført — importer filen igjen")
    conn.exec_driver_sql(
        'INSERT INTO events (claim_id, "on", kind, detail, actor) '
        f"SELECT claim_id, paid_on, 'closed', {json.format('detail')}, 'payments' "
        f"FROM {CLAIMS} WHERE closes = 1")
