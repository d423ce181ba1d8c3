"""What the open cases owe on a day, by stage, status and age — one GROUP BY query.

Each case counts with exactly what ``krav case show REF --as-of DAY`` gives it as
``to_pay_today`` (``read.case_view``/``read.amount_today``): its balances on that day, plus
forsinkelsesrente accrued since its interest was last crystallised (FRL § 3 første ledd), less
what it owes the debtor back, never below zero. The query reads each case in one of two lanes:

1. the common case — not closed, interest crystallised on or before the day, no posting dated
   after it and nothing overpaid: the balances cached on the claim row (they are the sums of its
   postings, checked by ``ledger.check``);
2. every other case open on the day (closed later, a posting after the day, interest
   crystallised after it, or an overpayment): its postings up to the day, grouped per claim,
   interest running from the last interest posting on or before the day (else the due date), as
   ``case_view`` reads a case for an earlier day.

A case is open on the day when it was handed over (imported) by then and not closed by then.
A case closed since is counted with the interest it was accruing then (``case_view`` of a case
closed today shows no accrual for any day). The accrued interest is computed in integer SQL
from a table of per-day factors (:mod:`krav.kpi.accrual`); a sum that lands exactly on half an
øre is returned as its own row and rounded in Python by ``rules.interest`` itself, so every
case matches ``case_view`` to the øre.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, text

from krav.db.bulk import insert_prepared
from krav.kernel.errors import UnableToProceed
from krav.kernel.money import from_ore
from krav.kpi.accrual import SPLIT, AccrualTable, accrual_table, values_sql
from krav.law import rules
from krav.ledger.model import COST_COMPONENTS

ACCRUAL = "kpi_accrual"
AGE_BUCKETS = ("0-30", "31-60", "61-90", "91-180", "180+")
_COSTS = ", ".join(f"'{c}'" for c in COST_COMPONENTS)

# Cases read from their postings (lane 2): every claim with a posting after the day or an
# overpaid posting (both answered from an index), and those closed now or crystallised after the
# day. One scan of the claims reads both lanes; a lane-2 case's sums are subqueries on its own
# postings, evaluated for it alone.
_SPECIAL = ('SELECT claim_id FROM postings WHERE "on" > :as_of '
            "UNION SELECT claim_id FROM postings WHERE component = 'overpaid'")

_ROWS = f"""
SELECT s.id, s.stage, s.status, s.due_date,
       CASE WHEN s.late = 0 THEN s.principal_ore ELSE CAST(COALESCE((
         SELECT SUM(p.amount_ore) FROM postings p WHERE p.claim_id = s.id
           AND p."on" <= :as_of AND p.component = 'principal'), 0) AS BIGINT) END AS principal,
       CASE WHEN s.late = 0 THEN s.principal_ore + s.interest_ore + s.costs_ore
            ELSE CAST(COALESCE((SELECT SUM(p.amount_ore) FROM postings p
                                WHERE p.claim_id = s.id AND p."on" <= :as_of), 0) AS BIGINT)
            END AS base,
       CASE WHEN s.interest_through <= :as_of THEN s.interest_through
            ELSE (SELECT MAX(CASE WHEN p.kind = 'interest' THEN p."on" ELSE s.due_date END)
                  FROM postings p WHERE p.claim_id = s.id AND p."on" <= :as_of) END AS since
FROM (SELECT c.id, c.stage, c.status, c.due_date, c.principal_ore, c.interest_ore, c.costs_ore,
             c.interest_through,
             CASE WHEN c.status = 'closed' OR c.interest_through > :as_of
                       OR c.id IN ({_SPECIAL}) THEN 1 ELSE 0 END AS late
      FROM claims c
      WHERE {{scope}} {{plain}}c.imported_on <= :as_of
        AND (c.status <> 'closed' OR c.closed_on > :as_of)) s
"""

# ``{fence}`` keeps the per-case values a subquery of their own (SQLite: a co-routine) so each
# is computed once per case, not once per mention in the aggregate (three times as fast there).
_QUERY = """
WITH {accrual}
cases AS ({rows}),
priced AS (
  SELECT k.id, k.stage, k.status, k.principal, k.base, k.since,
         CASE WHEN k.due_date >= :age30 THEN '0-30' WHEN k.due_date >= :age60 THEN '31-60'
              WHEN k.due_date >= :age90 THEN '61-90' WHEN k.due_date >= :age180 THEN '91-180'
              ELSE '180+' END AS bucket,
         k.principal / {split} AS p1, k.principal % {split} AS p0,
         COALESCE(r.a, 0) AS a, COALESCE(r.b, 0) AS b, COALESCE(r.n, 0) AS n,
         CASE WHEN k.principal > 0 AND k.since < :first THEN 1 ELSE 0 END AS unpriced
  FROM cases k LEFT JOIN {accrual_table} r ON r.d = k.since AND k.principal > 0
),
halves AS (
  SELECT id, stage, status, bucket, principal, base, since, unpriced, p1 * a AS whole, n,
         2 * (p1 * b + p0 * n) + {d} AS w
  FROM priced {fence}
),
owed AS (
  SELECT id, stage, status, bucket, principal, base, since, unpriced,
         whole + w / {d2} AS accrued, CASE WHEN n > 0 AND w % {d2} = 0 THEN id END AS tie_id
  FROM halves {fence}
),
summed AS (
  SELECT id, stage, status, bucket, principal, base, since, unpriced, accrued, tie_id,
         {greatest}(base + accrued, 0) AS owed
  FROM owed {fence}
)
SELECT stage, status, bucket, tie_id, COUNT(*) AS cases, SUM(owed) AS owed,
       SUM(accrued) AS accrued, SUM(unpriced) AS unpriced,
       MIN(principal) AS principal, MIN(base) AS base, MIN(since) AS since
FROM summed
GROUP BY stage, status, bucket, tie_id
"""


@dataclass
class Outstanding:
    """Owed on ``as_of`` (øre) per (stage, status, age bucket), and the cases counted."""

    as_of: date
    owed: dict[tuple[str, str, str], int] = field(default_factory=dict)
    cases: dict[tuple[str, str, str], int] = field(default_factory=dict)
    accrued_ore: int = 0

    @property
    def total_ore(self) -> int:
        return sum(self.owed.values())

    def by(self, index: int) -> dict[str, int]:
        """Owed summed by one part of the key: 0 stage, 1 status, 2 age bucket."""
        out: dict[str, int] = {}
        for key, amount in self.owed.items():
            out[key[index]] = out.get(key[index], 0) + amount
        return out

    def count_by(self, index: int) -> dict[str, int]:
        out: dict[str, int] = {}
        for key, count in self.cases.items():
            out[key[index]] = out.get(key[index], 0) + count
        return out


def outstanding(conn: Connection, *, as_of: date, creditor_id: int | None, book: Any
                ) -> Outstanding:
    """What the cases open on ``as_of`` owe that day (module docstring), for one creditor or all
    (``creditor_id`` None)."""
    table = accrual_table(book, as_of=as_of)
    dialect = conn.dialect.name
    scope = "c.creditor_id = :creditor_id AND" if creditor_id is not None else ""
    # SQLite would walk the imported_on index for a range that holds nearly every claim and
    # fetch each row by its id (ten times the scan): a unary + keeps it on the table
    plain = "+" if dialect == "sqlite" else ""
    if dialect == "sqlite":  # a keyed table: SQLite would scan a VALUES list for every case
        _fill_accrual(conn, table)
        accrual, accrual_name = "", ACCRUAL
    else:  # PostgreSQL hashes the VALUES list once
        # the subplans make the estimate huge: JIT would compile ~260 functions for seconds, and
        # the default work_mem sorts the open cases on disk (for this transaction only)
        conn.exec_driver_sql("SET LOCAL jit = off")
        conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")
        accrual, accrual_name = f"accrual (d, a, b, n) AS (VALUES {values_sql(table, dialect)}),", \
            "accrual"
    sql = _QUERY.format(accrual=accrual, accrual_table=accrual_name,
                        rows=_ROWS.format(scope=scope, plain=plain), split=SPLIT,
                        fence="LIMIT -1" if dialect == "sqlite" else "OFFSET 0",
                        greatest="MAX" if dialect == "sqlite" else "GREATEST", d=table.denominator,
                        d2=2 * table.denominator)
    params: dict[str, Any] = {
        "as_of": as_of, "first": table.first, "creditor_id": creditor_id,
        **{f"age{n}": as_of - timedelta(days=n) for n in (30, 60, 90, 180)}}
    if dialect == "sqlite":  # dates are stored as ISO text there
        params = {k: v.isoformat() if isinstance(v, date) else v for k, v in params.items()}
    result = Outstanding(as_of)
    unpriced = 0
    for row in conn.execute(text(sql), params):
        key = (row.stage, row.status, row.bucket)
        owed, accrued = int(row.owed or 0), int(row.accrued or 0)
        if row.tie_id is not None:  # exactly half an øre: rounded as rules.interest rounds it
            owed, accrued = _tie(row, as_of, book)
        result.owed[key] = result.owed.get(key, 0) + owed
        result.cases[key] = result.cases.get(key, 0) + int(row.cases)
        result.accrued_ore += accrued
        unpriced += int(row.unpriced or 0)
    if unpriced:
        raise UnableToProceed(f"{unpriced} åpne saker har rente fra før første forsinkelsesrente "
                              f"i lovdataene ({table.first.isoformat()}); kan ikke regne renten")
    return result


def _fill_accrual(conn: Connection, table: AccrualTable) -> None:
    """The per-day factors in this connection's temporary table (SQLite)."""
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE IF NOT EXISTS {ACCRUAL} (d DATE PRIMARY KEY, "
                         "a INTEGER NOT NULL, b INTEGER NOT NULL, n INTEGER NOT NULL) "
                         "WITHOUT ROWID")
    conn.exec_driver_sql(f"DELETE FROM {ACCRUAL}")
    insert_prepared(conn, ACCRUAL, ("d", "a", "b", "n"),
                    [(d.isoformat(), a, b, n) for d, a, b, n in table.rows])


def _tie(row: Any, as_of: date, book: Any) -> tuple[int, int]:
    """One case whose accrued interest is exactly half an øre in integers: ``rules.interest``
    decides (its Decimal sum of the periods), as ``case_view`` would."""
    since = row.since if isinstance(row.since, date) else date.fromisoformat(row.since)
    accrued = rules.interest(book, principal=from_ore(int(row.principal)), start=since,
                             end=as_of).amount
    accrued_ore = int(accrued * 100)
    return max(0, int(row.base) + accrued_ore), accrued_ore


def as_kroner(amounts: dict[str, int], keys: tuple[str, ...] = ()) -> dict[str, Decimal]:
    """Øre to kroner, with every one of ``keys`` present (zero when nothing is there)."""
    out = {k: from_ore(0) for k in keys}
    out.update({k: from_ore(v) for k, v in amounts.items()})
    return out
