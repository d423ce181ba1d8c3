"""``krav bench payments``: N open claims with KIDs, an OCR giro file paying them, one import.

The book (claims with principal and crystallised interest, as a letter left them) is written
set-wise and is not timed. The timing covers exactly what the agency waits for: reading the file,
parsing it, finding duplicates, matching every KID, booking the payments, allocating them
(postings, closing the claims) and committing. Each payment pays its claim in full, so every
claim closes: the realistic "the debtor paid the letter" case. With ``fees=True`` every claim
also owes a reminder fee (a cost component the payment covers first, as in collection).

With ``netsgiro=True`` the same file is also parsed with ``netsgiro`` (parse only) for the ratio.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert

from krav.db.tables import claims, creditors, debtors, postings
from krav.kernel.errors import UnableToProceed
from krav.payments.formats.ocr_writer import OcrPayment, write_ocr
from krav.payments.kid import KidScheme, kid_for_claim
from krav.payments.service import import_bank_file

CHUNK = 20_000
SCHEME = KidScheme(mod=10, length=10, prefix="")
CREDITOR_ORGNR = "845085153"


FEE_ORE = 3_500  # a reminder fee the bench claims owe with ``fees`` (a synthetic posting)


def _amounts(i: int, fees: bool = False) -> tuple[int, int, int]:
    """Principal, crystallised interest and fee (øre) of bench claim ``i`` — deterministic."""
    principal = 50_000 + (i * 7919) % 5_000_000
    return principal, principal * 3 // 1000, FEE_ORE if fees else 0


def build_claims(engine: Engine, n: int, *, paid_on: date, fees: bool = False,
                 progress: Callable[[int, int], None] | None = None) -> None:
    """``n`` open claims of one creditor, one debtor per 10 claims, KIDs by the scheme."""
    due = paid_on - timedelta(days=40)
    with engine.begin() as conn:
        conn.execute(insert(creditors).values(
            orgnr=CREDITOR_ORGNR, name="Benchmark Kreditor AS", address="", postcode="", city="",
            account_number="12038004563", kid_mod=SCHEME.mod, kid_length=SCHEME.length,
            kid_prefix="", vat_deductible=True, commission_pct="0",
            allocation_order="costs,interest,principal", policy=None, channels=None, email=""))
        for start in range(0, n // 10 + 1, CHUNK):
            conn.execute(insert(debtors), [{
                "kind": "consumer", "name": f"Skyldner {d}", "national_id": None,
                "address": "Gate 1", "postcode": "0150", "city": "Oslo", "country": "NO",
                "email": "", "email_consent": False, "phone": "", "language": "nb",
                "address_bad": False, "identity_key": f"bench:{d}"}
                for d in range(start, min(n // 10 + 1, start + CHUNK))])
    for start in range(0, n, CHUNK):
        rows, books = [], []
        for i in range(start, min(n, start + CHUNK)):
            principal, interest, fee = _amounts(i, fees)
            rows.append({
                "ref": f"K-{i + 1:07d}", "creditor_id": 1, "debtor_id": 1 + i // 10,
                "invoice_number": f"F{i + 1}", "invoice_date": due - timedelta(days=14),
                "due_date": due, "original_principal_ore": principal, "currency": "NOK",
                "kid": kid_for_claim(SCHEME, i + 1), "description": "Benchmark",
                "imported_on": due, "status": "open", "stage": "collection_notice",
                "step_index": 1, "fee_letters": 0, "next_action_on": paid_on + timedelta(days=5),
                "approved": False, "instalments": 0, "principal_ore": principal,
                "interest_ore": interest, "costs_ore": fee, "interest_through": paid_on,
                "recovery_costs_ore": fee, "compensation_ore": 0, "version": 0})
            books += [(i + 1, due - timedelta(days=14), "principal", principal),
                      (i + 1, paid_on, "interest", interest)]
            if fee:
                books.append((i + 1, paid_on - timedelta(days=10), "reminder_fee", fee))
        with engine.begin() as conn:
            conn.execute(insert(claims), rows)
            conn.execute(insert(postings), [{
                "claim_id": cid, "on": on, "kind": kind, "component": kind, "amount_ore": ore,
                "rule": kind, "reference": "benchmark", "inputs": {}, "payment_id": None,
                "reverses_id": None, "key": kind} for cid, on, kind, ore in books])
        if progress:
            progress(min(n, start + CHUNK), n)


def write_file(path: Path, n: int, *, paid_on: date, fees: bool = False) -> None:
    """The OCR giro file paying each bench claim in full (principal + interest + fee)."""
    payments = (OcrPayment(sum(_amounts(i, fees)), kid_for_claim(SCHEME, i + 1), bank_date=paid_on,
                           payer_account="12345678903") for i in range(n))
    path.write_text(write_ocr(payments, nets_date=paid_on + timedelta(days=1)),
                    encoding="latin-1")


def netsgiro_parse_seconds(path: Path) -> float | None:
    try:
        import netsgiro
    except ImportError:  # pragma: no cover - netsgiro is a dev dependency
        return None
    data = path.read_text(encoding="latin-1")
    started = time.perf_counter()
    netsgiro.parse(data)
    return time.perf_counter() - started


def bench_payments(engine: Engine, workdir: Path, n: int, *, as_of: date, netsgiro: bool = False,
                   fees: bool = False, progress: Callable[[int, int], None] | None = None
                   ) -> dict[str, Any]:
    """Build, write, time one import; see the module docstring."""
    paid_on = as_of - timedelta(days=1)
    build_claims(engine, n, paid_on=paid_on, fees=fees, progress=progress)
    path = workdir / "bench-ocr.txt"
    write_file(path, n, paid_on=paid_on, fees=fees)
    gc.collect()
    started = time.perf_counter()
    with engine.begin() as conn:
        report = import_bank_file(conn, path.read_bytes(), name=path.name, fmt=None,
                                  as_of=as_of, now=datetime.combine(as_of, datetime.min.time()))
    seconds = time.perf_counter() - started
    if report.matched != n or report.closed != n:
        raise UnableToProceed(f"benchmark import matched {report.matched} and closed "
                             f"{report.closed} of {n}")
    result: dict[str, Any] = {
        "transactions": n, "seconds": round(seconds, 3),
        "transactions_per_second": round(n / seconds, 1) if seconds else None}
    if netsgiro:
        parse = netsgiro_parse_seconds(path)
        if parse is not None:
            result.update(netsgiro_parse_seconds=round(parse, 3),
                          netsgiro_transactions_per_second=round(n / parse, 1),
                          ratio=round(parse / seconds, 2))
    return result
