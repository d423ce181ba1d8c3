"""Which claim a bank transaction pays — set-wise, a few queries per chunk of a file.

Order of evidence (issue 4 § 3):
1. the KID, exactly: a claim's KID, or a payment-plan instalment's KID;
2. else the invoice number together with the creditor — the CSV columns, or both found in the
   payment's free text (creditor by organisation number or name);
3. else nothing: the payment goes to the unmatched queue, where ``suggest`` proposes claims by
   amount, payer name and payer account.
A KID that matches several claims (two creditors' schemes can collide) or a payment in another
currency than its claim is never booked automatically.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, select, tuple_

from krav.db.bulk import select_in
from krav.db.tables import claims, creditors
from krav.payments.model import BankTransaction

CHUNK = 5000
TOKEN = re.compile(r"[0-9A-Za-z][0-9A-Za-z/_.-]*[0-9A-Za-z]|[0-9]")


@dataclass(slots=True)
class Match:
    """The outcome for one transaction: a claim, or why not (and claims worth suggesting)."""

    claim_id: int | None = None
    how: str = ""  # kid | instalment | invoice | text
    reason: str = ""  # why unmatched (Norwegian, shown in the queue)
    candidates: tuple[int, ...] = ()


def chunks(values: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def tokens(text: str) -> set[str]:
    """Words of a free text that could be an invoice number, a KID or an organisation number."""
    return set(TOKEN.findall(text or ""))


class KidHits:
    """Claims by KID: ``single`` maps a KID to its one row ``(kid, claim id, currency)``;
    ``multi`` holds the rare KIDs that several claims share (never booked automatically)."""

    __slots__ = ("single", "multi")

    def __init__(self) -> None:
        self.single: dict[str, tuple] = {}
        self.multi: dict[str, list[tuple]] = {}

    def add(self, rows: Iterable[tuple]) -> None:
        single, multi = self.single, self.multi
        for row in rows:
            kid = row[0]
            if kid in single:
                multi.setdefault(kid, [single[kid]]).append(row)
            else:
                single[kid] = row

    def __contains__(self, kid: str) -> bool:
        return kid in self.single

    def get(self, kid: str) -> list[tuple[int, str]]:
        """``(claim id, currency)`` of every claim with ``kid``."""
        rows = self.multi.get(kid) or ([self.single[kid]] if kid in self.single else [])
        return [(row[1], row[2]) for row in rows]


def _claims_by_kid(conn: Connection, kids: set[str]) -> KidHits:
    """Claims by KID — claim KIDs first, then payment-plan instalment KIDs."""
    found = KidHits()
    found.add(select_in(conn, "SELECT kid, id, currency FROM claims WHERE kid IN ({})",
                        sorted(kids)))
    found.add(select_in(conn, "SELECT i.kid, c.id, c.currency FROM instalment_kids i "
                              "JOIN claims c ON c.id = i.claim_id WHERE i.kid IN ({})",
                        sorted(k for k in kids if k not in found)))
    return found


def _match_kid(t: BankTransaction, by_kid: KidHits, match: Match) -> bool:
    named = {r for r in (t.kid, *t.references) if r in by_kid}
    if len(named) > 1:  # one payment for several claims (several Strd blocks): a person splits it
        match.reason = f"betalingen oppgir {len(named)} KID-er"
        match.candidates = tuple(sorted({c for r in named for c, _ in by_kid.get(r)}))
        return True
    hits = by_kid.get(t.kid)
    if not hits:
        return False
    if len(hits) > 1:
        match.reason = f"KID {t.kid} passer på {len(hits)} krav"
        match.candidates = tuple(c for c, _ in hits)
        return True
    claim_id, currency = hits[0]
    if currency != t.currency:
        match.reason = f"betalt i {t.currency}, kravet er i {currency}"
        match.candidates = (claim_id,)
        return True
    match.claim_id, match.how = claim_id, "kid"
    return True


def _invoice_candidates(conn: Connection, pairs: set[tuple[str, str]], words: set[str]
                        ) -> tuple[dict[tuple[str, str], int], dict[str, list[tuple]]]:
    """Claims by (creditor orgnr, invoice number), and by invoice number alone (for texts)."""
    exact: dict[tuple[str, str], int] = {}
    for chunk in chunks(sorted(pairs), 500):
        for orgnr, invoice, claim_id in conn.execute(
                select(creditors.c.orgnr, claims.c.invoice_number, claims.c.id)
                .join(creditors, creditors.c.id == claims.c.creditor_id)
                .where(tuple_(creditors.c.orgnr, claims.c.invoice_number).in_(chunk))):
            exact[(orgnr, invoice)] = claim_id
    loose: dict[str, list[tuple]] = defaultdict(list)
    for chunk in chunks(sorted(words)):
        for invoice, claim_id, orgnr, name in conn.execute(
                select(claims.c.invoice_number, claims.c.id, creditors.c.orgnr, creditors.c.name)
                .join(creditors, creditors.c.id == claims.c.creditor_id)
                .where(claims.c.invoice_number.in_(chunk))):
            loose[invoice].append((claim_id, orgnr, name))
    return exact, loose


def _match_text(t: BankTransaction, words: set[str], loose: dict, match: Match) -> None:
    """Invoice number and creditor both in the free text → that claim; else candidates only."""
    lowered = t.text.lower()
    found = [(cid, orgnr, name) for w in words for cid, orgnr, name in loose.get(w, ())]
    sure = [cid for cid, orgnr, name in found
            if orgnr in words or (name and name.lower() in lowered)]
    if len(set(sure)) == 1:
        match.claim_id, match.how = sure[0], "text"
        return
    match.candidates = tuple(sorted({cid for cid, _, _ in found}))
    if len(set(sure)) > 1:
        match.reason = "teksten passer på flere krav"
    elif found:
        match.reason = "fakturanummer i teksten, men ikke oppdragsgiveren"
    else:
        match.reason = "ingen KID, og teksten nevner ikke noe krav" if not t.kid else \
            f"ukjent KID {t.kid}"


def match_transactions(conn: Connection, txs: Sequence[BankTransaction]) -> list[Match]:
    """One :class:`Match` per transaction, in order; a handful of queries for the whole chunk."""
    by_kid = _claims_by_kid(conn, {t.kid for t in txs if t.kid}
                            | {r for t in txs for r in t.references})
    results: list[Match] = []
    rest = []
    single, multi = by_kid.single, by_kid.multi
    for i, t in enumerate(txs):  # the hot path: one exact, unambiguous KID in the same currency
        row = single.get(t.kid)
        if row is not None and row[2] == t.currency and t.kid not in multi \
                and len(t.references) < 2:
            results.append(Match(row[1], "kid"))
            continue
        results.append(Match())
        if not _match_kid(t, by_kid, results[i]):
            rest.append(i)
    if not rest:
        return results
    words = {i: tokens(txs[i].text) for i in rest}
    by_text_kid = _claims_by_kid(conn, {w for i in rest for w in words[i] if w.isdigit()})
    pairs = {(txs[i].creditor_orgnr, txs[i].invoice_number) for i in rest
             if txs[i].invoice_number and txs[i].creditor_orgnr}
    exact, loose = _invoice_candidates(conn, pairs, {w for i in rest for w in words[i]})
    for i in rest:
        t, match = txs[i], results[i]
        key = (t.creditor_orgnr, t.invoice_number)
        if key in exact:
            match.claim_id, match.how = exact[key], "invoice"
            continue
        if t.invoice_number and t.creditor_orgnr:
            match.reason = f"fant ikke faktura {t.invoice_number} for {t.creditor_orgnr}"
            continue
        kid_words = [w for w in words[i] if w in by_text_kid]
        if len(kid_words) == 1 and _match_kid(t._replace(kid=kid_words[0]), by_text_kid, match):
            if match.claim_id is not None:
                match.how = "text"
                continue
        _match_text(t, words[i], loose, match)
    return results
