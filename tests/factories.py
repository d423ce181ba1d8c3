"""Personas and factories for the core tests: a creditor, a consumer and a business debtor,
claims due on given days, a CSV builder in the import format, and helpers to run days and pay.

Identity numbers are synthetic but carry valid check digits (made with ``krav.demo.sample``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select, update

from krav.cli.main import main
from krav.db.tables import claims, creditors, events, letters, payments, postings
from krav.engine.run import RunSummary, run_nightly
from krav.intake.claims_csv import COLUMNS, CREDITOR_COLUMNS
from krav.intake.service import ImportResult, import_claims_file
from krav.kernel.money import to_ore


@dataclass(frozen=True)
class Creditor:
    orgnr: str
    name: str


@dataclass(frozen=True)
class Debtor:
    kind: str
    name: str
    national_id: str
    address: str = "Storgata 7"
    postcode: str = "0150"
    city: str = "Oslo"
    email: str = ""
    phone: str = ""


# Personas.
NORDLYS = Creditor(orgnr="845085153", name="Nordlys Energi AS")
FJORDNETT = Creditor(orgnr="990993122", name="Fjordnett Bredbånd AS")
KARI = Debtor(kind="consumer", name="Kari Nordmann", national_id="30076025378",
              email="kari@example.no", phone="91234567")
OLA = Debtor(kind="consumer", name="Ola Hansen", national_id="29049024116",
             address="Kirkeveien 3", postcode="5003", city="Bergen")
BYGG = Debtor(kind="business", name="Hansen Bygg AS", national_id="821175135",
              address="Industriveien 9", postcode="7010", city="Trondheim")

# The profile every test creditor gets (add_creditor and the import's creditor columns agree),
# so its letters can be made; a test of an incomplete profile blanks the cells it needs.
CREDITOR_PROFILE = {"creditor_address": "Næringsveien 5", "creditor_postcode": "0150",
                    "creditor_city": "Oslo", "creditor_account": "12038004563",
                    "creditor_email": "faktura@example.no"}
ALL_COLUMNS = (*COLUMNS, *CREDITOR_COLUMNS)

INVALID_ORGNR = "845085154"  # NORDLYS with the last digit changed
INVALID_FNR = "30076025379"


def claim_row(*, creditor: Creditor = NORDLYS, debtor: Debtor = KARI, invoice: str = "1001",
              due: date = date(2026, 1, 5), amount: str = "1000.00",
              invoice_date: date | str | None = None, kid: str = "",
              description: str = "Strøm desember", **overrides: str) -> dict[str, str]:
    """One CSV row (the 18 columns and the creditor's profile) for a claim; ``overrides``
    replace any cell verbatim."""
    row = {
        "creditor_orgnr": creditor.orgnr, "creditor_name": creditor.name,
        "invoice_number": invoice,
        "invoice_date": invoice_date if isinstance(invoice_date, str)
        else (invoice_date or due - timedelta(days=14)).isoformat(),
        "due_date": due.isoformat(), "amount": amount, "currency": "NOK",
        "debtor_kind": debtor.kind, "debtor_name": debtor.name, "debtor_id": debtor.national_id,
        "debtor_address": debtor.address, "debtor_postcode": debtor.postcode,
        "debtor_city": debtor.city, "debtor_country": "NO", "debtor_email": debtor.email,
        "debtor_phone": debtor.phone, "kid": kid, "description": description,
        **CREDITOR_PROFILE,
    }
    unknown = set(overrides) - set(ALL_COLUMNS)
    assert not unknown, f"unknown columns {unknown}"
    row.update(overrides)
    return row


def write_csv(path: Path, rows: Iterable[Mapping[str, str]],
              columns: Iterable[str] = ALL_COLUMNS) -> Path:
    """Write ``rows`` as an import CSV (UTF-8, header row) and return ``path``."""
    columns = list(columns)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return path


_counter = iter(range(10**9))


def import_claims(engine: Engine, tmp_path: Path, rows: Iterable[Mapping[str, str]], *,
                  as_of: date = date(2026, 1, 6)) -> ImportResult:
    """Import ``rows`` through the real CSV import."""
    path = write_csv(tmp_path / f"claims-{next(_counter)}.csv", rows)
    return import_claims_file(engine, path, as_of=as_of)


def add_creditor(engine: Engine, creditor: Creditor = NORDLYS, *, policy: Any = None,
                 kid_mod: int = 10, kid_length: int = 10, allocation_order: str =
                 "costs,interest,principal", vat_deductible: bool = True) -> int:
    """Create a creditor with its agreement (before its claims are imported)."""
    with engine.begin() as conn:
        return conn.execute(insert(creditors).values(
            orgnr=creditor.orgnr, name=creditor.name,
            address=CREDITOR_PROFILE["creditor_address"],
            postcode=CREDITOR_PROFILE["creditor_postcode"],
            city=CREDITOR_PROFILE["creditor_city"],
            account_number=CREDITOR_PROFILE["creditor_account"], kid_mod=kid_mod,
            kid_length=kid_length,
            kid_prefix="", vat_deductible=vat_deductible, commission_pct="0",
            allocation_order=allocation_order, policy=policy, channels=None,
            email=CREDITOR_PROFILE["creditor_email"]).returning(creditors.c.id)).scalar_one()


def set_policy(engine: Engine, creditor: Creditor, policy: Any) -> None:
    with engine.begin() as conn:
        conn.execute(update(creditors).where(creditors.c.orgnr == creditor.orgnr)
                     .values(policy=policy))


def run_days(engine: Engine, first: date, last: date, *, deliver: bool = True,
             **kwargs: Any) -> list[RunSummary]:
    """The nightly run for every day ``first`` … ``last`` (inclusive); with ``deliver`` every
    letter due that day then goes out the same day (:func:`send_letters`)."""
    out = []
    day = first
    while day <= last:
        out.append(run_nightly(engine, as_of=day, **kwargs))
        if deliver and not kwargs.get("dry_run"):
            send_letters(engine, day)
        day += timedelta(days=1)
    return out


def send_letters(engine: Engine, day: date) -> int:
    """Every unsent letter due by ``day`` goes out that day, as a channel that accepts everything
    would send it: stale letters are cancelled or made afresh first (the dispatcher's rule),
    then the rest are recorded sent (``dispatched_on = day``). Returns how many were sent."""
    from krav.law import law_book
    from krav.letters.delivery import record_sent, refresh

    refresh(engine, on=day)
    with engine.begin() as conn:
        ids = list(conn.execute(select(letters.c.id).where(
            letters.c.status.in_(("pending", "print")), letters.c.sent_on <= day)).scalars())
        return record_sent(conn, ids, on=day, book=law_book()) if ids else 0


def claim(engine: Engine, ref: str = "K-0000001") -> dict[str, Any]:
    with engine.connect() as conn:
        return dict(conn.execute(select(claims).where(claims.c.ref == ref)).mappings().one())


def letters_of(engine: Engine, ref: str = "K-0000001") -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            select(letters).join(claims, claims.c.id == letters.c.claim_id)
            .where(claims.c.ref == ref).order_by(letters.c.sent_on, letters.c.id)).mappings()]


def postings_of(engine: Engine, ref: str = "K-0000001") -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            select(postings).join(claims, claims.c.id == postings.c.claim_id)
            .where(claims.c.ref == ref).order_by(postings.c.on, postings.c.id)).mappings()]


def events_of(engine: Engine, ref: str = "K-0000001") -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            select(events).join(claims, claims.c.id == events.c.claim_id)
            .where(claims.c.ref == ref).order_by(events.c.id)).mappings()]


def add_payment(engine: Engine, ref: str, amount: str, paid_on: date, *,
                designation: str | None = None) -> tuple[int, int]:
    """Insert a matched ``payments`` row for the claim ``ref``; returns (payment id, claim id)."""
    with engine.begin() as conn:
        claim_id, kid = conn.execute(select(claims.c.id, claims.c.kid)
                                     .where(claims.c.ref == ref)).one()
        pid = conn.execute(insert(payments).values(
            source="direct", paid_on=paid_on, booked_on=paid_on,
            amount_ore=to_ore(Decimal(amount)), kid=kid, claim_id=claim_id, status="matched",
            designation=designation).returning(payments.c.id)).scalar_one()
    return pid, claim_id


def table_counts(engine: Engine) -> dict[str, int]:
    """Row count of every core table: compare before/after to prove nothing was written."""
    from krav.db.tables import debtors, import_files, runs, settings

    tables = (creditors, debtors, claims, postings, letters, payments, events, runs, settings,
              import_files)
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in tables}


def by_kind(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    out: dict[str, list[Mapping[str, Any]]] = {}
    for r in rows:
        out.setdefault(r["kind"], []).append(r)
    return out


class Krav:
    """Runs ``krav … --db URL`` in-process and returns (exit code, stdout, stderr)."""

    def __init__(self, url: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.url, self.capsys = url, capsys

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main([*argv, "--db", self.url])
        out, err = self.capsys.readouterr()
        return code, out, err

    def json(self, *argv: str):  # type: ignore[no-untyped-def]
        code, out, err = self(*argv, "--json")
        assert code == 0, err
        return json.loads(out)

    def ok(self, *argv: str) -> str:
        code, out, err = self(*argv)
        assert code == 0, err
        return out

    def post(self, day: str, out: Path) -> int:
        """The day's letters go out the agency's way: the print file is made
        (``krav letters print-batch``) and handed to the post the same day
        (``krav letters handed``). Returns how many letters were sent."""
        printed = self.json("letters", "print-batch", "--date", day, "--out", str(out))
        if not printed["letters"]:
            return 0
        return self.json("letters", "handed", day, "--on", day)["letters"]
