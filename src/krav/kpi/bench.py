"""``krav bench kpi``: a two-year book of N claims, and the time the dashboard's figures take.

The book (written at the driver level, not timed) is what an agency's database looks like after
two years: claims handed over every day, 45 % paid (four postings and a payment each; a few paid
too much), 5 % withdrawn, the rest open across every stage with crystallised interest, fees and
part payments (10 % of them disputed or paused), a dispute event for each disputed case, three
creditors. Every cached balance is the sum of the claim's postings, as ``ledger.check`` demands.

Timed: ``kpi()`` — exactly what ``krav kpi`` and ``GET /api/v1/kpi`` run — for every creditor
and for one, outstanding today and for this month, and once for a day a month back (every case
with a posting since is then read from its postings).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, func, insert, select

from krav.cases.model import STAGES
from krav.db.bulk import insert_prepared, json_text
from krav.db.tables import claims, creditors, debtors, events, payments, postings
from krav.demo.sample import fodselsnummer, orgnr
from krav.kernel.ids import make_kid
from krav.kpi.service import kpi

CHUNK = 50_000
_CLAIM_COLUMNS = (
    "id", "ref", "creditor_id", "debtor_id", "invoice_number", "invoice_date", "due_date",
    "original_principal_ore", "currency", "kid", "description", "imported_on", "status", "stage",
    "step_index", "fee_letters", "next_action_on", "close_reason", "closed_on", "approved",
    "instalments", "principal_ore", "interest_ore", "costs_ore", "interest_through",
    "recovery_costs_ore", "compensation_ore", "version")
_POSTING_COLUMNS = ("claim_id", "on", "kind", "component", "amount_ore", "rule", "reference",
                    "inputs", "payment_id", "key")
_PAYMENT_COLUMNS = ("id", "source", "paid_on", "booked_on", "amount_ore", "kid", "claim_id",
                    "status", "currency")


def _parties(engine: Engine, count: int) -> list[int]:
    rng = random.Random(1)
    with engine.begin() as conn:
        conn.execute(insert(creditors), [{
            "orgnr": orgnr(rng), "name": f"Benchmark kreditor {i}", "address": "Kaigata 1",
            "postcode": "0150", "city": "Oslo", "account_number": "15032080119"}
            for i in range(3)])
        for start in range(0, count, CHUNK):
            conn.execute(insert(debtors), [{
                "kind": "business" if i % 2 else "consumer", "name": f"Skyldner {i}",
                "national_id": orgnr(rng) if i % 2 else fodselsnummer(rng),
                "identity_key": f"bench:{i}"} for i in range(start, min(count, start + CHUNK))])
        return list(conn.execute(select(creditors.c.id).order_by(creditors.c.id)).scalars())


def _day(d: date | None, sqlite: bool) -> Any:
    return d.isoformat() if sqlite and d is not None else d


def _claim(i: int, as_of: date, creditor_ids: list[int], sqlite: bool,
           out: dict[str, list]) -> None:
    """Claim ``i`` with its postings, payment and events appended to ``out``."""
    cid = i + 1
    imported = as_of - timedelta(days=(i * 7919) % 730)
    due = imported - timedelta(days=i % 45)
    principal = 50_000 + (i * 7919) % 5_000_000
    kind = i % 20
    stage, status, reason, closed_on = STAGES[i % len(STAGES)], "open", None, None
    interest = costs = paid_principal = 0
    through = due
    day = (lambda d: _day(d, sqlite))  # noqa: E731 - short local alias
    post = out["postings"]
    post.append((cid, day(due - timedelta(days=14)), "principal", "principal", principal,
                 "principal", "Faktura", "{}", None, "principal"))
    if kind <= 9:  # closed: paid (45 %) or withdrawn
        closed_on = min(as_of, imported + timedelta(days=(i * 31) % 200))
        status, stage = "closed", "collection"
        reason = "withdrawn" if kind == 9 else "paid"
        through = closed_on
        if reason == "paid":
            interest = principal * 12 * max(0, (closed_on - due).days) // 36500
            over = 5_000 if i % 5_000 == 1 else 0
            out["payments"].append((cid, "ocr", day(closed_on), day(closed_on),
                                    principal + interest + over, f"{cid}", cid, "matched",
                                    "NOK"))
            if interest:
                post.append((cid, day(closed_on), "interest", "interest", interest,
                             "FRL-3-forsinkelsesrente", "", "{}", None, "interest:1"))
                post.append((cid, day(closed_on), "payment", "interest", -interest,
                             "dekningsrekkefolge", "", "{}", cid, f"payment:{cid}:interest"))
            post.append((cid, day(closed_on), "payment", "principal", -principal,
                         "dekningsrekkefolge", "", "{}", cid, f"payment:{cid}:principal"))
            if over:
                post.append((cid, day(closed_on), "payment", "overpaid", -over, "overpaid", "",
                             "{}", cid, f"payment:{cid}:overpaid"))
            interest, principal_left = 0, 0
        else:
            principal_left = principal
    else:
        status = "disputed" if kind == 10 else "paused" if kind == 11 else "open"
        span = max(0, (as_of - due).days)
        through = due + timedelta(days=(i * 13) % (span + 1))
        interest = principal * 12 * (through - due).days // 36500
        if interest:
            post.append((cid, day(through), "interest", "interest", interest,
                         "FRL-3-forsinkelsesrente", "", "{}", None, "interest:1"))
        if stage != "invoiced":
            costs = 3_500
            post.append((cid, day(through), "reminder_fee", "reminder_fee", costs,
                         "INKF-1-1", "", json_text({"sender": "creditor"}), None, "fee:1"))
        if i % 7 == 0 and principal > 20_000:
            paid_principal = 10_000
            out["payments"].append((cid, "ocr", day(through), day(through), paid_principal,
                                    f"{cid}", cid, "matched", "NOK"))
            post.append((cid, day(through), "payment", "principal", -paid_principal,
                         "dekningsrekkefolge", "", "{}", cid, f"payment:{cid}:principal"))
        principal_left = principal - paid_principal
        if status == "disputed":
            out["events"].append((cid, day(imported + timedelta(days=10)), "disputed",
                                  json_text({"reason": "bestrider"}), "operator"))
    if status == "closed":
        principal_left = 0 if reason == "paid" else principal_left
    out["claims"].append((
        cid, f"B-{cid:08d}", creditor_ids[i % 3], 1 + i // 2, f"INV{cid}",
        day(due - timedelta(days=14)), day(due), principal, "NOK", make_kid(f"{cid:09d}", 10),
        "Benchmark", day(imported), status, stage, 0, 0,
        None if status == "closed" else day(as_of + timedelta(days=1 + i % 30)), reason,
        day(closed_on), False, 0, principal_left, interest, costs, day(through), costs, 0, 0))


def build_book(engine: Engine, *, claims_count: int, as_of: date,
               progress: Callable[[int, int], None] | None = None) -> None:
    """The book of the module docstring, in an empty database."""
    creditor_ids = _parties(engine, max(1, claims_count // 2))
    for start in range(0, claims_count, CHUNK):
        with engine.begin() as conn:
            sqlite = conn.dialect.name == "sqlite"
            out: dict[str, list] = {"claims": [], "postings": [], "payments": [], "events": []}
            for i in range(start, min(claims_count, start + CHUNK)):
                _claim(i, as_of, creditor_ids, sqlite, out)
            insert_prepared(conn, "claims", _CLAIM_COLUMNS, out["claims"])
            insert_prepared(conn, "payments", _PAYMENT_COLUMNS, out["payments"])
            insert_prepared(conn, "postings", _POSTING_COLUMNS, out["postings"])
            insert_prepared(conn, "events", ("claim_id", "on", "kind", "detail", "actor"),
                            out["events"])
        if progress:
            progress(min(claims_count, start + CHUNK), claims_count)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            for table in ("claims", "payments"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT MAX(id) FROM {table}))")
            conn.exec_driver_sql("ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE")


def _timed(engine: Engine, **kwargs: Any) -> tuple[float, dict[str, Any]]:
    best, data = float("inf"), {}
    for _ in range(3):
        started = time.perf_counter()
        with engine.connect() as conn:
            data = kpi(conn, **kwargs)
        best = min(best, time.perf_counter() - started)
    return best, data


def bench_kpi(engine: Engine, *, claims_count: int, as_of: date,
              progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    build_book(engine, claims_count=claims_count, as_of=as_of, progress=progress)
    with engine.connect() as conn:
        one = conn.execute(select(creditors.c.orgnr).order_by(creditors.c.id)).scalar()
        counts = {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                  for t in (claims, postings, payments, events)}
    period = f"{as_of:%Y-%m}"
    every, data = _timed(engine, period=period, as_of=as_of)
    single, _ = _timed(engine, period=period, as_of=as_of, creditor=one)
    earlier, _ = _timed(engine, period=period, as_of=as_of - timedelta(days=30))
    return {"backend": engine.dialect.name, "claims": counts["claims"],
            "postings": counts["postings"], "open_cases": data["open_cases"],
            "seconds_all_creditors": round(every, 3), "seconds_one_creditor": round(single, 3),
            "seconds_a_month_back": round(earlier, 3),
            "outstanding_total": data["outstanding_total"]}
