"""Import claims into the database: all rows in one transaction, set-wise, or nothing.

Creditors are found or created by organisation number, debtors by national id (or, without one,
by name and address). A creditor's profile columns (address, account, e-mail) fill in what its
profile lacks and must agree with what it has (a conflict is a row error). Each claim gets a
case reference, its KID (the creditor's scheme unless the row brings a valid one) and its first
action date from the creditor's policy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, bindparam, insert, select, update

from krav.cases.policy import policy_from_json
from krav.cases.profile import LETTER_FIELDS, PROFILE_FIELDS, hold_reason, missing_fields
from krav.db.bulk import insert_dicts, select_in
from krav.db.tables import claims, creditors, debtors, settings
from krav.intake.claims_csv import CREDITOR_COLUMNS, ClaimRow, ImportRejected, read_rows
from krav.kernel.csvfile import STANDARD, Dialect
from krav.kernel.limits import column_length
from krav.kernel.money import to_ore
from krav.payments.kid import KidScheme, kid_for_claim

if TYPE_CHECKING:
    from krav.accounts.principal import Actor

IDENTITY_LENGTH = column_length(debtors.c.identity_key) or 300


@dataclass(frozen=True)
class ImportResult:
    claims: int
    creditors_created: int
    debtors_created: int
    # hold reasons of the file's creditors whose profile still lacks what letters need
    incomplete_creditors: tuple[str, ...] = ()
    # (ref, invoice_number, kid) of each new claim, in the order of the rows
    created: tuple[tuple[str, str, str], ...] = ()


def import_claims_file(engine: Engine, path: Path, *, as_of: date,
                       dialect: Dialect = STANDARD, actor: Actor | None = None) -> ImportResult:
    """Validate every row of ``path``; import all of them in one transaction or none."""
    rows, problems = read_rows(path, dialect)
    if problems:
        raise ImportRejected(str(path), problems)
    with engine.begin() as conn:
        return import_rows(conn, rows, as_of=as_of, source=str(path), actor=actor)


def debtor_identity(row: ClaimRow) -> str:
    """How the same debtor is recognised across files: id number, else name + address."""
    if row.debtor_id:
        return f"{row.debtor_kind}:{row.debtor_id}"
    parts = (row.debtor_name, row.debtor_address, row.debtor_postcode, row.debtor_country)
    key = "addr:" + "|".join(p.strip().lower() for p in parts)
    if len(key) > IDENTITY_LENGTH:  # a long name and address: the digest keeps it in its column
        key = "addr:sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def import_rows(conn: Connection, rows: Sequence[ClaimRow], *, as_of: date,
                source: str = "import", actor: Actor | None = None) -> ImportResult:
    """Insert ``rows`` (already validated); refuses duplicates of existing invoices per row."""
    new_creditors = _ensure_creditors(conn, rows, source)
    creditor_rows = {r.orgnr: r for r in conn.execute(
        select(creditors.c.id, creditors.c.orgnr, creditors.c.kid_mod, creditors.c.kid_length,
               creditors.c.kid_prefix, creditors.c.policy,
               *(creditors.c[f] for f in LETTER_FIELDS))
        .where(creditors.c.orgnr.in_({r.creditor_orgnr for r in rows})))}
    _refuse_duplicates(conn, rows, creditor_rows, source)
    new_debtors, debtor_ids = _ensure_debtors(conn, rows)
    first_seq = _reserve_sequence(conn, len(rows))
    agreements = {orgnr: _agreement(c) for orgnr, c in creditor_rows.items()}
    claim_rows = []
    for offset, row in enumerate(rows):
        seq = first_seq + offset
        creditor = creditor_rows[row.creditor_orgnr]
        scheme, first_delay = agreements[row.creditor_orgnr]
        claim_rows.append({
            "ref": f"K-{seq:07d}", "creditor_id": creditor.id,
            "debtor_id": debtor_ids[debtor_identity(row)],
            "invoice_number": row.invoice_number, "invoice_date": row.invoice_date,
            "due_date": row.due_date, "original_principal_ore": to_ore(row.amount),
            "currency": row.currency, "kid": row.kid or kid_for_claim(scheme, seq),
            "description": row.description, "imported_on": as_of, "status": "open",
            "stage": "invoiced", "step_index": 0, "fee_letters": 0,
            "next_action_on": None if first_delay is None
            else row.due_date + timedelta(days=first_delay),
            "approved": False, "instalments": 0, "principal_ore": to_ore(row.amount),
            "interest_ore": 0, "costs_ore": 0, "interest_through": row.due_date,
            "recovery_costs_ore": 0, "compensation_ore": 0, "version": 0,
        })
    _refuse_generated_kid_clashes(rows, claim_rows, source)
    from krav.webhooks.service import enqueue_created, mark

    claims_mark = mark(conn, claims)
    insert_dicts(conn, claims, claim_rows)  # through the driver: Core's executemany is slow
    enqueue_created(conn, claims_mark)  # claim.created, one INSERT … SELECT
    _post_principal(conn, claim_rows)
    incomplete = tuple(hold_reason(o, missing_fields(c._mapping))
                       for o, c in sorted(creditor_rows.items()) if missing_fields(c._mapping))
    _audit(conn, actor, claim_rows, source, as_of)
    return ImportResult(claims=len(rows), creditors_created=new_creditors,
                        debtors_created=new_debtors, incomplete_creditors=incomplete,
                        created=tuple((c["ref"], c["invoice_number"], c["kid"])
                                      for c in claim_rows))


def _audit(conn: Connection, actor: Actor | None, claim_rows: list[dict], source: str,
           as_of: date) -> None:
    """One audit row per creditor in the file: how many claims, which refs (first–last)."""
    from krav.audit.service import record_many

    refs: dict[int, list[str]] = {}
    for row in claim_rows:
        refs.setdefault(row["creditor_id"], []).append(row["ref"])
    record_many(conn, actor, "claims.import", [
        (None, creditor_id, {"file": source[-300:], "as_of": as_of.isoformat(),
                             "claims": len(r), "first": r[0], "last": r[-1]})
        for creditor_id, r in refs.items()])


def _agreement(creditor) -> tuple[KidScheme, int | None]:  # type: ignore[no-untyped-def]
    """A creditor's KID scheme and the delay of its policy's first step (None: no steps)."""
    scheme = KidScheme(mod=creditor.kid_mod, length=creditor.kid_length,
                       prefix=creditor.kid_prefix)
    policy = policy_from_json(creditor.policy, where=f"policy for {creditor.orgnr}")
    return scheme, policy.steps[0].delay_days if policy.steps else None


def _refuse_generated_kid_clashes(rows: Sequence[ClaimRow], claim_rows: list[dict],
                                  source: str) -> None:
    """A generated KID must not equal a KID another row of the file brought with it."""
    provided = {r.kid for r in rows if r.kid}
    problems = [f"{source}, rad {row.line}, kolonne kid: den genererte KID-en {new['kid']} "
                "er lik en KID en annen rad har med seg"
                for row, new in zip(rows, claim_rows, strict=True)
                if not row.kid and new["kid"] in provided]
    if problems:
        raise ImportRejected(source, problems)


def _ensure_creditors(conn: Connection, rows: Sequence[ClaimRow], source: str) -> int:
    """Create the creditors not yet known, with the profile the file gives them; fill in what an
    existing creditor's profile lacks. A value that differs from the profile (or from another
    row of the file) is a row error: the file is refused and nothing changes."""
    wanted = {r.creditor_orgnr: r.creditor_name for r in rows}
    existing = {r.orgnr: r for r in conn.execute(
        select(creditors.c.orgnr, *(creditors.c[f] for f in PROFILE_COLUMNS))
        .where(creditors.c.orgnr.in_(wanted)))}
    profiles, problems = _file_profiles(rows, existing, source)
    if problems:
        raise ImportRejected(source, problems)
    new = [{"orgnr": o, "name": n, "address": "", "postcode": "", "city": "",
            "account_number": "", "kid_mod": 10, "kid_length": 10, "kid_prefix": "",
            "vat_deductible": True, "commission_pct": "0",
            "allocation_order": "costs,interest,principal", "policy": None, "channels": None,
            "email": "", "phone": "", "language": "nb", **profiles.get(o, {})}
           for o, n in wanted.items() if o not in existing]
    if new:
        conn.execute(insert(creditors), new)
    filled = [{"o": o, **{f"v_{f}": getattr(existing[o], f) or profile.get(f, "")
                          for f in PROFILE_COLUMNS}}
              for o, profile in profiles.items() if o in existing]
    if filled:
        conn.execute(update(creditors).where(creditors.c.orgnr == bindparam("o"))
                     .values({f: bindparam(f"v_{f}") for f in PROFILE_COLUMNS}), filled)
    return len(new)


PROFILE_COLUMNS = tuple(CREDITOR_COLUMNS.values())
_COLUMN_OF = {field: column for column, field in CREDITOR_COLUMNS.items()}


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _file_profiles(rows: Sequence[ClaimRow], existing: dict, source: str
                   ) -> tuple[dict[str, dict[str, str]], list[str]]:
    """Per creditor the profile values the file gives, checked against each other and against
    the stored profile; returns them with one problem line per conflicting cell."""
    profiles: dict[str, dict[str, str]] = {}
    first_line: dict[tuple[str, str], int] = {}
    problems = []
    for row in rows:
        stored = existing.get(row.creditor_orgnr)
        for field, value in row.creditor_profile:
            where = f"{source}, rad {row.line}, kolonne {_COLUMN_OF[field]}"
            known = getattr(stored, field) if stored is not None else ""
            given = profiles.setdefault(row.creditor_orgnr, {})
            if known and not _same(known, value):
                problems.append(f"{where}: {value!r} avviker fra oppdragsgiverens registrerte "
                                f"{PROFILE_FIELDS[field]} {known!r} (endre den med "
                                f"`krav creditor update {row.creditor_orgnr}`)")
            elif field in given and not _same(given[field], value):
                problems.append(f"{where}: {value!r} avviker fra {given[field]!r} på rad "
                                f"{first_line[(row.creditor_orgnr, field)]} for samme "
                                "oppdragsgiver")
            elif field not in given:
                given[field] = value
                first_line[(row.creditor_orgnr, field)] = row.line
    return {o: p for o, p in profiles.items() if p}, problems


def _refuse_duplicates(conn: Connection, rows: Sequence[ClaimRow], creditor_rows: dict,
                       source: str) -> None:
    problems = []
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row.creditor_orgnr, row.invoice_number)
        if key in seen:
            problems.append(f"{source}, rad {row.line}, kolonne invoice_number: faktura "
                            f"{row.invoice_number} for {row.creditor_orgnr} står også på rad "
                            f"{seen[key]}")
        seen[key] = row.line
    invoices: dict[int, list[str]] = {}
    for orgnr, invoice in seen:
        invoices.setdefault(int(creditor_rows[orgnr].id), []).append(invoice)
    existing = set()
    for creditor_id, numbers in invoices.items():  # answered from uq_claims_creditor_invoice
        existing |= set(select_in(conn, 'SELECT creditor_id, invoice_number FROM claims '
                                        f'WHERE creditor_id = {creditor_id} '
                                        'AND invoice_number IN ({})', numbers))
    by_id = {c.id: o for o, c in creditor_rows.items()}
    for creditor_id, invoice in sorted(existing):
        line = seen[(by_id[creditor_id], invoice)]
        problems.append(f"{source}, rad {line}, kolonne invoice_number: faktura {invoice} for "
                        f"{by_id[creditor_id]} er allerede importert")
    provided: dict[str, int] = {}
    for row in rows:
        if row.kid in provided:  # one KID must identify one claim, or payments cannot match
            problems.append(f"{source}, rad {row.line}, kolonne kid: KID {row.kid} står også på "
                            f"rad {provided[row.kid]}")
        elif row.kid:
            provided[row.kid] = row.line
    kids = sorted(provided)
    taken = {k for (k,) in select_in(conn, "SELECT kid FROM claims WHERE kid IN ({})", kids)}
    problems += [f"{source}, rad {provided[k]}, kolonne kid: KID {k} er allerede i bruk"
                 for k in sorted(taken)]
    if problems:
        raise ImportRejected(source, problems)


def _ensure_debtors(conn: Connection, rows: Sequence[ClaimRow]) -> tuple[int, dict[str, int]]:
    wanted: dict[str, ClaimRow] = {}
    for row in rows:
        wanted.setdefault(debtor_identity(row), row)
    by_key = "SELECT identity_key, id FROM debtors WHERE identity_key IN ({})"
    ids: dict[str, int] = dict(select_in(conn, by_key, list(wanted)))
    new = [{
        "kind": r.debtor_kind, "name": r.debtor_name, "national_id": r.debtor_id,
        "address": r.debtor_address, "postcode": r.debtor_postcode, "city": r.debtor_city,
        "country": r.debtor_country, "email": r.debtor_email,
        "email_consent": bool(r.debtor_email), "phone": r.debtor_phone,
        "language": "nb" if r.debtor_country == "NO" else "en", "address_bad": False,
        "identity_key": key,
    } for key, r in wanted.items() if key not in ids]
    if new:
        insert_dicts(conn, debtors, new)
        ids.update(select_in(conn, by_key, [n["identity_key"] for n in new]))
    return len(new), ids


def _reserve_sequence(conn: Connection, count: int) -> int:
    """Reserve ``count`` numbers of the agency-wide claim sequence (case refs and KIDs)."""
    current = conn.execute(select(settings.c.value).where(settings.c.key == "claim_sequence")
                           .with_for_update()).scalar()
    if current is None:
        conn.execute(insert(settings).values(key="claim_sequence", value=str(count + 1)))
        return 1
    conn.execute(update(settings).where(settings.c.key == "claim_sequence")
                 .values(value=str(int(current) + count)))
    return int(current)


def _post_principal(conn: Connection, claim_rows: Sequence[dict]) -> None:
    """The first posting of every claim: its principal (hovedstol) from the invoice."""
    from krav.db.tables import postings

    ids = dict(select_in(conn, "SELECT ref, id FROM claims WHERE ref IN ({})",
                         [c["ref"] for c in claim_rows]))
    insert_dicts(conn, postings, [{
        "claim_id": ids[c["ref"]], "on": c["invoice_date"], "kind": "principal",
        "component": "principal", "amount_ore": c["original_principal_ore"], "rule": "principal",
        "reference": f"Faktura {c['invoice_number']} forfalt {c['due_date'].isoformat()}",
        "inputs": {"invoice_number": c["invoice_number"], "due": c["due_date"].isoformat()},
        "payment_id": None, "reverses_id": None, "key": "principal",
    } for c in claim_rows])
