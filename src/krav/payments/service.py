"""Importing a bank file: parse, drop duplicates, match, book, allocate — one transaction.

The caller owns the transaction (``with engine.begin() as conn``): a bad file raises before
anything is written, and any later failure rolls the whole import back, so nothing is ever
half-booked. Work is set-wise per chunk of transactions: one query finds the duplicates, a few
find the claims, one multi-row insert books the payments, one call to the ledger allocates them.

Idempotency: the file's SHA-256 is recorded in ``import_files`` (the same file again changes
nothing and says so); each transaction's ``external_id`` is unique in ``payments`` (the same bank
transaction in another file is counted as a duplicate and skipped). A camt transaction also
carries the identity krav gave it before issue 8 (``ParsedFile.aliases``): when a payment with
that old identity *and the same amount* is already booked, the transaction is that payment (a
camt.053 after a camt.054 imported before the upgrade books nothing twice); each old payment
stands for one transaction only, so a second payment the old identity had swallowed (same
reference, another amount) is booked now.

Currency: claims are in NOK. A payment in another currency (camt ``Ccy``) is booked as a
payment with its currency, put in the unmatched queue with the reason, never matched, never
allocated, never reversed against a NOK payment, and kept out of the client-funds account and
of every NOK sum: the money did arrive (on the bank's currency account), so a person decides —
refund it, or ask the debtor to pay in kroner.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from krav.db.bulk import insert_columns, next_ids, select_in
from krav.db.tables import import_files, payments
from krav.kernel.csvfile import Dialect
from krav.kernel.errors import UnableToProceed
from krav.kernel.money import from_ore
from krav.ledger.service import PaymentToAllocate, allocate_payments
from krav.payments.formats.sniff import parse_bank_file
from krav.payments.matching import Match, chunks, match_transactions
from krav.payments.model import BankTransaction
from krav.payments.reversals import book_reversals
from krav.payments.suggest import Unmatched, suggest
from krav.payments.tables import client_funds, payment_suggestions, unmatched_reasons

if TYPE_CHECKING:
    from krav.accounts.principal import Actor

# what the audit row of a bank file import keeps
JSON_AUDIT = ("transactions", "total", "matched", "unmatched", "duplicates", "reversals",
              "closed")

CHUNK = 20_000
HOME_CURRENCY = "NOK"
Progress = Callable[[int, int], None]  # (transactions done, of how many)


@dataclass
class ImportReport:
    """What an import did; ``as_json`` is the ``--json`` contract."""

    file: str
    format: str
    transactions: int = 0
    total_ore: int = 0
    matched: int = 0
    unmatched: int = 0
    duplicates: int = 0
    reversals: int = 0
    closed: int = 0
    rest_notices: int = 0
    already_imported: bool = False
    foreign: int = 0  # transactions in another currency (not in ``total_ore``, which is NOK)

    def add(self, other: ImportReport) -> None:
        for key in ("matched", "unmatched", "duplicates", "reversals", "closed", "rest_notices"):
            setattr(self, key, getattr(self, key) + getattr(other, key))

    def as_json(self) -> dict:
        data = asdict(self)
        data["total"] = from_ore(data.pop("total_ore"))
        return data


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """A big file becomes millions of small tuples with no reference cycles; Python's cyclic
    garbage collector would walk them again and again (a third of the parse time), so it
    pauses for the import and resumes afterwards (plain reference counting still frees)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def import_bank_file(conn: Connection, data: bytes, *, name: str, fmt: str | None, as_of: date,
                     now: datetime, progress: Progress | None = None,
                     dialect: Dialect | None = None,
                     actor: Actor | None = None) -> ImportReport:
    """Import one bank file (format sniffed when ``fmt`` is None); see the module docstring.
    ``progress(done, total)`` is called after each chunk of transactions is booked."""
    integrity = (IntegrityError, conn.dialect.dbapi.IntegrityError) if conn.dialect.dbapi \
        else (IntegrityError,)
    with _without_cycle_collection():
        try:
            report = _import(conn, data, name=name, fmt=fmt, as_of=as_of, now=now,
                             progress=progress, dialect=dialect)
            if not report.already_imported:
                from krav.audit.service import record

                record(conn, actor, "payments.import", details={
                    "file": name[-300:], "format": report.format, "sha256": file_digest(data),
                    "as_of": as_of.isoformat(), **{k: str(v) for k, v in report.as_json()
                                                   .items() if k in JSON_AUDIT}})
            return report
        except integrity:
            # Another import booked the same file or transactions meanwhile (unique sha256 /
            # external_id); this transaction rolls back whole.
            raise UnableToProceed(f"{name}: en annen import bokførte de samme innbetalingene "
                                  "samtidig; ingenting er endret — importer filen igjen") from None


def _import(conn: Connection, data: bytes, *, name: str, fmt: str | None, as_of: date,
            now: datetime, progress: Progress | None,
            dialect: Dialect | None = None) -> ImportReport:
    parsed = parse_bank_file(data, fmt=fmt, name=name, dialect=dialect)
    txs = parsed.transactions
    report = ImportReport(file=name, format=parsed.format, transactions=len(txs),
                          total_ore=sum(t.amount_ore for t in txs if t.currency == HOME_CURRENCY),
                          foreign=sum(t.currency != HOME_CURRENCY for t in txs))
    sha = file_digest(data)
    if conn.execute(select(import_files.c.id).where(import_files.c.sha256 == sha)).first():
        report.already_imported, report.duplicates = True, len(txs)
        return report
    file_id = conn.execute(insert(import_files).values(
        sha256=sha, name=name[-300:], format=parsed.format, imported_at=now,
        transactions=len(txs)).returning(import_files.c.id)).scalar_one()
    report.add(book_transactions(conn, txs, source=parsed.format, file_id=file_id, as_of=as_of,
                                 progress=progress, aliases=parsed.aliases))
    return report


def book_transactions(conn: Connection, txs: Sequence[BankTransaction], *, source: str,
                      file_id: int | None, as_of: date, progress: Progress | None = None,
                      aliases: dict[str, str] | None = None) -> ImportReport:
    """Book ``txs`` that are not yet booked; the client-funds account receives their NOK sum.
    ``aliases`` maps an identity to an older identity of the same transaction."""
    report = ImportReport(file="", format=source)
    seen: set[str] = set()
    reversals: list[tuple[int, BankTransaction]] = []
    booked_ore = done = 0
    for chunk in chunks(txs, CHUNK):
        done += len(chunk)
        fresh = _fresh(conn, chunk, seen, aliases or {})
        report.duplicates += len(chunk) - len(fresh)
        if not fresh:
            if progress:
                progress(done, len(txs))
            continue
        booked_ore += sum(t.amount_ore for t in fresh if t.currency == HOME_CURRENCY)
        matches = _foreign_unmatched(fresh, match_transactions(conn, fresh))
        ids = _insert_payments(conn, fresh, matches, source, file_id)
        reversals += [(pid, t) for pid, t in zip(ids, fresh, strict=True)
                      if t.reversal and t.currency == HOME_CURRENCY]
        _allocate(conn, ids, fresh, matches, as_of, report)
        _queue(conn, ids, fresh, matches, as_of, report)
        if progress:
            progress(done, len(txs))
    if reversals:
        report.reversals, unmatched = book_reversals(conn, reversals, as_of=as_of)
        report.unmatched += unmatched
    if booked_ore and file_id is not None:
        conn.execute(insert(client_funds).values(
            on=as_of, kind="bank_file", amount_ore=booked_ore, file_id=file_id,
            text=f"bankfil {file_id}"))
    return report


def _foreign_unmatched(txs: Sequence[BankTransaction], matches: list[Match]) -> list[Match]:
    """A payment in another currency than NOK is never booked on a claim (module docstring)."""
    for i, t in enumerate(txs):
        if t.currency != HOME_CURRENCY:
            found = matches[i]
            candidates = found.candidates or ((found.claim_id,) if found.claim_id else ())
            matches[i] = Match(reason=f"betalt i {t.currency}, ikke i kroner – utenfor "
                               "klientkontoen i NOK; må behandles manuelt",
                               candidates=candidates)
    return matches


def _fresh(conn: Connection, chunk: Sequence[BankTransaction], seen: set[str],
           aliases: dict[str, str]) -> list[BankTransaction]:
    """The transactions of ``chunk`` booked neither before nor earlier in this file.

    ``seen`` also holds ``"old:<id>"`` for each older identity already claimed by a transaction
    of this file, so an old payment stands for one transaction only."""
    known = {row[0] for row in select_in(
        conn, "SELECT external_id FROM payments WHERE external_id IN ({})",
        [t.external_id for t in chunk])}
    old_ids = [aliases[t.external_id] for t in chunk if t.external_id in aliases]
    old = dict(select_in(conn, "SELECT external_id, amount_ore FROM payments "
                               "WHERE external_id IN ({})", old_ids)) if old_ids else {}
    fresh = []
    for t in chunk:
        if t.external_id in known or t.external_id in seen:
            continue
        seen.add(t.external_id)
        alias = aliases.get(t.external_id)
        if alias in old and old[alias] == t.amount_ore and f"old:{alias}" not in seen:
            seen.add(f"old:{alias}")  # booked before issue 8 under its old identity
            continue
        fresh.append(t)
    return fresh


def _insert_payments(conn: Connection, txs: Sequence[BankTransaction], matches: Sequence[Match],
                     source: str, file_id: int | None) -> list[int]:
    """Insert the payments (one driver-level bulk insert, built column by column); their ids in
    the order of ``txs``.

    PostgreSQL: the ids are reserved from the table's sequence first and written with the rows.
    SQLite: the transaction already holds the write lock (the ``import_files`` row), and a rowid
    table without AUTOINCREMENT gives each new row ``max(id) + 1``, so the ids are the
    ``len(txs)`` numbers after the previous maximum (checked: the maximum must have grown by
    exactly that much; otherwise they are read back by identity).
    """
    day = date.isoformat if conn.dialect.name == "sqlite" else (lambda d: d)
    claim_ids = [None if t.reversal else m.claim_id for t, m in zip(txs, matches, strict=True)]
    columns: dict[str, list] = {
        "source": [source] * len(txs), "file_id": [file_id] * len(txs),
        "external_id": [t.external_id for t in txs], "paid_on": [day(t.paid_on) for t in txs],
        "booked_on": [day(t.booked_on) if t.booked_on else None for t in txs],
        "amount_ore": [t.amount_ore for t in txs], "kid": [t.kid[:25] or None for t in txs],
        **{name: [getattr(t, name) or None for t in txs] for name in (
            "invoice_number", "creditor_orgnr", "payer_name", "payer_account", "text")},
        "claim_id": claim_ids,
        "status": ["unmatched" if t.currency != HOME_CURRENCY else "reversal" if t.reversal
                   else ("matched" if cid else "unmatched")
                   for t, cid in zip(txs, claim_ids, strict=True)],
        "designation": [t.designation or None for t in txs]}
    if any(t.currency != HOME_CURRENCY for t in txs):  # else the column's default, NOK
        columns["currency"] = [t.currency for t in txs]
    if conn.dialect.name == "postgresql":
        ids = next_ids(conn, payments, len(txs))
        insert_columns(conn, payments.name, {"id": ids, **columns})
        return ids
    last = "SELECT coalesce(max(id), 0) FROM payments"
    before = conn.exec_driver_sql(last).scalar_one()
    insert_columns(conn, payments.name, columns)
    if conn.exec_driver_sql(last).scalar_one() == before + len(txs):
        return list(range(before + 1, before + 1 + len(txs)))
    found = dict(select_in(conn, "SELECT external_id, id FROM payments WHERE external_id IN ({})",
                           [t.external_id for t in txs]))
    return [found[t.external_id] for t in txs]


def _allocate(conn: Connection, ids: Sequence[int], txs: Sequence[BankTransaction],
              matches: Sequence[Match], as_of: date, report: ImportReport) -> None:
    items = [PaymentToAllocate(payment_id=pid, claim_id=m.claim_id, amount=t.amount,
                               paid_on=t.paid_on, designation=t.designation or None)
             for pid, t, m in zip(ids, txs, matches, strict=True)
             if m.claim_id is not None and not t.reversal]
    if not items:
        return
    summary = allocate_payments(conn, items, as_of=as_of)
    report.matched += len(items)
    report.closed += summary.closed
    report.rest_notices += summary.rest_notices


def _queue(conn: Connection, ids: Sequence[int], txs: Sequence[BankTransaction],
           matches: Sequence[Match], as_of: date, report: ImportReport) -> None:
    """Put what could not be matched in the unmatched queue, with suggestions."""
    queued = [(pid, t, m) for pid, t, m in zip(ids, txs, matches, strict=True)
              if m.claim_id is None and (not t.reversal or t.currency != HOME_CURRENCY)]
    if not queued:
        return
    report.unmatched += len(queued)
    conn.execute(insert(unmatched_reasons), [
        {"payment_id": pid, "reason": (m.reason or "ikke identifisert")[:200], "queued_on": as_of}
        for pid, t, m in queued])
    rows = suggest(conn, [Unmatched(pid, t.amount_ore if t.currency == HOME_CURRENCY else 0,
                                    t.payer_name, t.payer_account,
                                    tuple(m.candidates)) for pid, t, m in queued])
    if rows:
        conn.execute(insert(payment_suggestions), rows)
