"""The common case of a bank import, allocated set-wise.

Most payments in a bank file are one payment on a claim that is not closed, owes no costs, and
is dated on or after the day its interest was last crystallised: "the debtor paid the letter".
For those nothing depends on other postings, so the whole chunk is booked with a handful of
statements instead of a working copy per claim:

1. one query reads the claims (driver tuples);
2. per payment, in plain integers: interest crystallised to the payment date (FRL § 3, through
   ``rules.interest`` like every other interest in krav), the split over interest and principal
   in the creditor's order or the debtor's designation (law-no.md § 5, ``allocation``), what is
   left over owed back to the debtor, and whether the claim is paid;
3. one bulk insert stages those figures in a temporary table, and three statements turn them
   into postings, claim rows (version-checked) and close events.

The postings are exactly those ``ledger.service`` writes for the same payment (same rule, legal
reference, inputs and idempotency key; tested side by side); every other payment (a closed claim,
costs owed, a bank file that came late, several payments on one claim) takes that general path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection

from krav.db.bulk import insert_prepared, json_text, select_in
from krav.kernel.errors import NotFound, UnableToProceed
from krav.kernel.money import from_ore, to_ore
from krav.law import rules
from krav.ledger.allocation import effective_order, parse_order
from krav.ledger.working import PaymentToAllocate

STAGE = "ledger_allocation_stage"
ORDERS = "ledger_allocation_orders"
_STAGE_COLUMNS = ("seq", "payment_id", "claim_id", "paid_on", "version", "interest_ore",
                  "interest_inputs", "first", "paid_first", "second", "paid_second", "overpaid",
                  "order_id", "principal_after", "interest_after", "closes")
_DDL = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE} (seq INTEGER NOT NULL, "
    "payment_id BIGINT NOT NULL, claim_id BIGINT NOT NULL, paid_on DATE NOT NULL, "
    "version INTEGER NOT NULL, interest_ore BIGINT NOT NULL, interest_inputs TEXT, "
    "first VARCHAR(10) NOT NULL, paid_first BIGINT NOT NULL, second VARCHAR(10) NOT NULL, "
    "paid_second BIGINT NOT NULL, overpaid BIGINT NOT NULL, "
    "order_id INTEGER NOT NULL, principal_after BIGINT NOT NULL, "
    "interest_after BIGINT NOT NULL, closes INTEGER NOT NULL)",
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {ORDERS} (id INTEGER NOT NULL, "
    "reference VARCHAR(200) NOT NULL, inputs TEXT NOT NULL)",
)
_CLAIMS = ("SELECT c.id, c.status, c.stage, c.principal_ore, c.interest_ore, c.costs_ore, "
           "c.interest_through, c.version, cr.allocation_order FROM claims c "
           "JOIN creditors cr ON cr.id = c.creditor_id WHERE c.id IN ({})")


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
    claims: dict[int, tuple] = {}
    for row in select_in(conn, _CLAIMS, sorted({i.claim_id for i in items})):
        claims[row[0]] = row
    per_claim: dict[int, int] = {}
    for item in items:
        per_claim[item.claim_id] = per_claim.get(item.claim_id, 0) + 1
    missing = per_claim.keys() - claims.keys()
    if missing:
        raise NotFound(f"ukjent krav-id {sorted(missing)[0]}")
    sqlite = conn.dialect.name == "sqlite"
    days: dict[Any, date] = {}
    orders: dict[tuple[str, str], int] = {}  # (order, designation) -> id in the orders table
    splits: dict[tuple[str, str | None], tuple[str, str, int]] = {}
    staged: list[tuple] = []
    for item in sorted(items, key=lambda i: i.payment_id):
        _, status, stage, principal, interest, costs, through_raw, version, order_text = \
            claims[item.claim_id]
        amount = to_ore(item.amount)
        through = _day(through_raw, days)
        if status == "closed" or costs or per_claim[item.claim_id] > 1 or amount <= 0 \
                or item.paid_on < through:
            result.rest.append(item)
            continue
        split = splits.get((order_text, item.designation))
        if split is None:
            order = effective_order(parse_order(order_text or "costs,interest,principal"),
                                    item.designation)
            pair = ("interest", "principal") if order.index("interest") < \
                order.index("principal") else ("principal", "interest")
            order_id = orders.setdefault((",".join(order), item.designation or ""),
                                         len(orders) + 1)
            split = splits[(order_text, item.designation)] = (*pair, order_id)
        first, second, order_id = split
        new_interest, inputs = 0, ""  # not None: sqlite3 binds None slowly
        if item.paid_on > through and principal > 0:
            new_interest, inputs = _interest(book, principal, through, item.paid_on)
        owed = {"interest": interest + new_interest, "principal": principal}
        paid_first = min(owed[first], amount) if owed[first] > 0 else 0
        left = amount - paid_first
        paid_second = min(owed[second], left) if owed[second] > 0 else 0
        left -= paid_second
        paid = {first: paid_first, second: paid_second}
        principal_after = principal - paid["principal"]
        interest_after = owed["interest"] - paid["interest"]
        closes = principal_after + interest_after <= 0
        staged.append((
            len(staged), item.payment_id, item.claim_id,
            item.paid_on.isoformat() if sqlite else item.paid_on, version, new_interest, inputs,
            first, paid_first, second, paid_second, left, order_id, principal_after,
            interest_after, int(closes)))
        result.payments += 1
        result.allocated_ore += amount
        result.overpaid_ore += left
        if closes:
            result.closed += 1
        elif status == "open":  # no payment request while disputed or paused
            result.rest_notice_for[item.claim_id] = item.payment_id
            result.stages[item.claim_id] = stage
    if staged:
        _write(conn, staged, orders)
    return result


def _interest(book: Any, principal: int, through: date, until: date) -> tuple[int, str]:
    """Interest on ``principal`` øre for the days after ``through`` up to ``until`` (FRL § 3),
    and the inputs its posting records — as ``working.crystallise`` posts it."""
    accrued = rules.interest(book, principal=from_ore(principal), start=through, end=until)
    if accrued.amount <= 0:
        return 0, ""
    return to_ore(accrued.amount), json_text({
        "principal": str(from_ore(principal)), "from": (through + timedelta(days=1)).isoformat(),
        "through": until.isoformat(), "days": str(accrued.days)}) or ""


def _write(conn: Connection, staged: list[tuple], orders: dict[tuple[str, str], int]) -> None:
    """Stage the figures, then postings, claims and events in three statements."""
    for ddl in _DDL:
        conn.exec_driver_sql(ddl)
    conn.exec_driver_sql(f"DELETE FROM {STAGE}")
    conn.exec_driver_sql(f"DELETE FROM {ORDERS}")
    insert_prepared(conn, ORDERS, ("id", "reference", "inputs"), [
        (order_id, "dekningsrekkefølge: " + " → ".join(order.split(",")),
         json_text({"order": order, "designation": designation}))
        for (order, designation), order_id in orders.items()])
    insert_prepared(conn, STAGE, _STAGE_COLUMNS, staged)
    if conn.dialect.name == "postgresql":  # a temporary table has no statistics until asked
        conn.exec_driver_sql(f"ANALYZE {STAGE}")
    json = "CAST({} AS JSON)" if conn.dialect.name == "postgresql" else "{}"
    columns = ('claim_id, "on", kind, component, amount_ore, rule, reference, inputs, '
               'payment_id, "key"')
    payment_part = (
        "SELECT s.claim_id, s.paid_on AS \"on\", 'payment' AS kind, s.{n} AS component, "
        "-s.paid_{n} AS amount_ore, 'dekningsrekkefolge' AS rule, o.reference, o.inputs, "
        "s.payment_id, 'payment:' || s.payment_id || ':' || s.{n} AS \"key\" "
        f"FROM {STAGE} s JOIN {ORDERS} o ON o.id = s.order_id WHERE s.paid_{{n}} > 0")
    parts = [
        "SELECT s.claim_id, s.paid_on AS \"on\", 'interest' AS kind, 'interest' AS component, "
        "s.interest_ore AS amount_ore, 'FRL-3-forsinkelsesrente' AS rule, "
        "'forsinkelsesrenteloven § 3 første ledd' AS reference, s.interest_inputs AS inputs, "
        "CAST(NULL AS BIGINT) AS payment_id, 'interest:payment:' || s.payment_id AS \"key\" "
        f"FROM {STAGE} s WHERE s.interest_ore > 0",
        payment_part.format(n="first"),
        payment_part.format(n="second"),
        "SELECT s.claim_id, s.paid_on AS \"on\", 'payment' AS kind, 'overpaid' AS component, "
        "-s.overpaid AS amount_ore, 'overpaid' AS rule, "
        "'overskytende beløp skyldes tilbake til skyldner' AS reference, '{}' AS inputs, "
        "s.payment_id, 'payment:' || s.payment_id || ':overpaid' AS \"key\" "
        f"FROM {STAGE} s WHERE s.overpaid > 0",
    ]
    # One statement per position within a payment (crystallised interest, the first component,
    # the second, the overpaid rest): each claim's postings keep the general path's id order
    # without a sort.
    for part in parts:
        conn.exec_driver_sql(
            f"INSERT INTO postings ({columns}) SELECT claim_id, \"on\", kind, component, "
            f"amount_ore, rule, reference, {json.format('inputs')}, payment_id, \"key\" "
            f"FROM ({part}) x")
    updated = conn.exec_driver_sql(
        "UPDATE claims SET principal_ore = s.principal_after, interest_ore = s.interest_after, "
        "interest_through = s.paid_on, "
        "status = CASE WHEN s.closes = 1 THEN 'closed' ELSE claims.status END, "
        "close_reason = CASE WHEN s.closes = 1 THEN 'paid' ELSE claims.close_reason END, "
        "closed_on = CASE WHEN s.closes = 1 THEN s.paid_on ELSE claims.closed_on END, "
        "next_action_on = CASE WHEN s.closes = 1 THEN NULL ELSE claims.next_action_on END, "
        f"version = claims.version + 1 FROM {STAGE} s "
        "WHERE claims.id = s.claim_id AND claims.version = s.version").rowcount
    if updated not in (-1, len(staged)):
        raise UnableToProceed(
            f"{len(staged) - updated} krav ble endret av en annen prosess under importen; "
            "ingenting er bokført — importer filen igjen")
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(
        'INSERT INTO events (claim_id, "on", kind, detail, actor) '
        f"SELECT claim_id, paid_on, 'closed', {json.format(mark)}, 'payments' "
        f"FROM {STAGE} WHERE closes = 1 ORDER BY seq", (json_text({"reason": "paid"}),))

