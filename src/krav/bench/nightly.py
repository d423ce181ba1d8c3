"""``krav bench nightly``: build a book of N open claims with M due today, time one nightly run.

The book is written set-wise (the driver's executemany, chunks of 20 000) and is not part of
the timing; the timing covers exactly one ``run_nightly`` (select, plan, write state, postings,
letters, events).
"""

from __future__ import annotations

import random
import resource
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, insert, select

from krav.db.bulk import insert_dicts
from krav.db.engine import ensure_schema
from krav.db.tables import claims, creditors, debtors, postings
from krav.demo.sample import fodselsnummer, orgnr
from krav.engine.run import run_nightly
from krav.kernel.errors import KravError
from krav.kernel.ids import make_kid

CHUNK = 20_000


def build_book(engine: Engine, *, claims_count: int, due: int, as_of: date,
               progress: Callable[[int, int], None] | None = None) -> None:
    """N open claims (half consumers, half businesses); ``due`` of them have a step due."""
    ensure_schema(engine)
    rng = random.Random(1)
    with engine.begin() as conn:
        conn.execute(insert(creditors), [{
            # a complete profile: a creditor lacking what letters need is held by the run
            "orgnr": orgnr(rng), "name": f"Benchmark kreditor {i}", "address": f"Kaigata {i + 1}",
            "postcode": "0150", "city": "Oslo", "account_number": "15032080119", "kid_mod": 10,
            "kid_length": 10, "kid_prefix": "",
            "vat_deductible": True, "commission_pct": "0",
            "allocation_order": "costs,interest,principal", "policy": None, "channels": None,
            "email": ""} for i in range(3)])
        creditor_ids = list(conn.execute(select(creditors.c.id)).scalars())
        debtor_count = max(1, claims_count // 2)
        for start in range(0, debtor_count, CHUNK):
            insert_dicts(conn, debtors, [_debtor(rng, i) for i in
                                         range(start, min(debtor_count, start + CHUNK))])
    due_every = max(1, claims_count // max(1, due)) if due else 0
    made_due = 0
    for start in range(0, claims_count, CHUNK):
        rows = []
        for i in range(start, min(claims_count, start + CHUNK)):
            is_due = due_every and i % due_every == 0 and made_due < due
            made_due += bool(is_due)
            rows.append(_claim(i, creditor_ids[i % 3], 1 + i // 2, as_of, bool(is_due)))
        with engine.begin() as conn:
            insert_dicts(conn, claims, rows)
            ids = range(start + 1, start + 1 + len(rows))
            insert_dicts(conn, postings, [{
                "claim_id": cid, "on": r["invoice_date"], "kind": "principal",
                "component": "principal", "amount_ore": r["principal_ore"], "rule": "principal",
                "reference": "Faktura", "inputs": {}, "payment_id": None, "reverses_id": None,
                "key": "principal"} for cid, r in zip(ids, rows, strict=True)])
        if progress:
            progress(min(claims_count, start + CHUNK), claims_count)


def _debtor(rng: random.Random, i: int) -> dict[str, Any]:
    business = i % 2 == 1
    number = orgnr(rng) if business else fodselsnummer(rng)
    return {"kind": "business" if business else "consumer", "name": f"Skyldner {i}",
            "national_id": number, "address": f"Gate {i % 200}", "postcode": "0150",
            "city": "Oslo", "country": "NO", "email": "", "email_consent": False, "phone": "",
            "language": "nb", "address_bad": False, "identity_key": f"bench:{i}"}


def _claim(i: int, creditor_id: int, debtor_id: int, as_of: date, is_due: bool) -> dict[str, Any]:
    due_date = as_of - timedelta(days=14 if is_due else 3)
    amount = 50_000 + (i * 7919) % 5_000_000
    return {
        "ref": f"B-{i + 1:08d}", "creditor_id": creditor_id, "debtor_id": debtor_id,
        "invoice_number": f"INV{i + 1}", "invoice_date": due_date - timedelta(days=14),
        "due_date": due_date, "original_principal_ore": amount, "currency": "NOK",
        "kid": make_kid(f"{i + 1:09d}", 10), "description": "Benchmark", "imported_on": as_of,
        "status": "open", "stage": "invoiced", "step_index": 0, "fee_letters": 0,
        "next_action_on": due_date + timedelta(days=14), "approved": False, "instalments": 0,
        "principal_ore": amount, "interest_ore": 0, "costs_ore": 0, "interest_through": due_date,
        "recovery_costs_ore": 0, "compensation_ore": 0, "version": 0,
    }


def bench_nightly(engine: Engine, *, claims_count: int, due: int, as_of: date,
                  progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    build_book(engine, claims_count=claims_count, due=due, as_of=as_of, progress=progress)
    started = time.perf_counter()
    summary = run_nightly(engine, as_of=as_of)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if summary.claims_changed != summary.claims_due or summary.claims_held:
        # a run that held or skipped the due claims timed nothing: never report it as a figure
        raise KravError(f"nattkjøringen endret {summary.claims_changed} av "
                        f"{summary.claims_due} saker med forfalt steg "
                        f"({summary.claims_held} holdt tilbake); målingen er ugyldig")
    return {"claims": claims_count, "due": summary.claims_due,
            "changed": summary.claims_changed, "letters": sum(summary.letters.values()),
            "seconds": round(seconds, 3),
            "claims_per_second": round(summary.claims_due / seconds, 1) if seconds else None,
            "peak_rss_mb": round(peak_kb / 1024, 1)}
