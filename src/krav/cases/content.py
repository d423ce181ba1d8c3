"""The content of a letter: a self-contained JSON snapshot of everything it shows.

Built when the letter is decided (the nightly run, a part payment, a dispute), so the letter says
what was true on the day it was sent even if the address or the balances change later. The shape
is the contract with the letters context (templates read it); amounts are "1234.50" strings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, func, select

from krav.db.tables import case_access, claims, creditors, debtors, postings
from krav.kernel.money import fmt, fmt_pct, from_ore
from krav.law import rules
from krav.ledger.model import COST_COMPONENTS
from krav.settings import Agency

ZERO = Decimal("0.00")

LINE_LABELS = {
    "nb": {
        "principal": "Hovedstol", "interest": "Forsinkelsesrente", "reminder_fee": "Purregebyr",
        "collection_notice_fee": "Gebyr for inkassovarsel",
        "payment_demand_fee": "Gebyr for betalingsoppfordring",
        "compensation": "Kompensasjon (forsinkelsesrenteloven § 3a)", "salaer": "Inkassosalær",
        "paid": "Innbetalt",
    },
    "en": {
        "principal": "Principal", "interest": "Late-payment interest",
        "reminder_fee": "Reminder fee", "collection_notice_fee": "Debt collection notice fee",
        "payment_demand_fee": "Payment demand fee",
        "compensation": "Compensation (Late Payment Interest Act s. 3a)",
        "salaer": "Debt collection fee (salær)", "paid": "Paid",
    },
}
BASIS = {
    # The fraction of the inkassosats depends on the claim's due date (law data), so the basis
    # names the rule, not a fraction that could be wrong for an older claim.
    "reminder_fee": "inkassoforskriften § 1-2 (brøkdel av inkassosatsen)",
    "collection_notice_fee": "inkassoloven § 9, inkassoforskriften § 1-2 "
                             "(brøkdel av inkassosatsen)",
    "payment_demand_fee": "inkassoloven § 10, inkassoforskriften § 1-2 "
                          "(brøkdel av inkassosatsen)",
    "compensation": "forsinkelsesrenteloven § 3a (EUR 40 i NOK)",
    "salaer": "inkassoloven § 17, inkassoforskriften kapittel 2",
}


PARTY_KEYS = ("name", "orgnr", "address", "postcode", "city")


def party(row: Mapping[Any, Any], prefix: str,
          keys: tuple[str, ...] = PARTY_KEYS) -> dict[str, str]:
    return {k: str(row.get(f"{prefix}{k}", "") or "") for k in keys}


def balances_by_component(conn: Connection, claim_ids: Iterable[int]
                          ) -> dict[int, dict[str, Decimal]]:
    """Per claim and component the posted balance, plus ``paid`` (payments as a positive sum)."""
    ids = sorted(set(claim_ids))
    result: dict[int, dict[str, Decimal]] = defaultdict(dict)
    rows: list[Any] = []
    for start in range(0, len(ids), 2000):
        rows += conn.execute(
            select(postings.c.claim_id, postings.c.component, postings.c.kind,
                   func.sum(postings.c.amount_ore))
            .where(postings.c.claim_id.in_(ids[start:start + 2000]))
            .group_by(postings.c.claim_id, postings.c.component, postings.c.kind)
        ).all()
    for claim_id, component, kind, total in rows:
        is_payment = kind == "payment"
        bucket = result[claim_id]
        amount = from_ore(total or 0)
        bucket[component] = bucket.get(component, ZERO) + amount
        if is_payment:
            bucket["paid"] = bucket.get("paid", ZERO) - amount
    return result


@lru_cache(maxsize=4096)
def rate_on(book: Any, day: date) -> Decimal:
    """The forsinkelsesrente in force on ``day`` (per cent a year)."""
    result = rules.interest(book, principal=Decimal("100"), start=day - timedelta(days=1), end=day)
    return result.periods[0].rate


def build_content(*, kind: str, sender: str, sent_on: date, deadline: date | None,
                  claim: Mapping[Any, Any], balances: Mapping[str, Decimal], agency: Agency,
                  book: Any, enforcement_notice: bool = False, fee: Decimal = ZERO,
                  extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The letter's JSON snapshot; ``claim`` is a joined claim/creditor/debtor row."""
    language = claim.get("d_language") or "nb"
    labels = LINE_LABELS.get(language, LINE_LABELS["nb"])
    principal = balances.get("principal", ZERO)
    interest = balances.get("interest", ZERO)
    lines = [{"label": labels["principal"], "amount": fmt(principal),
              "basis": f"Faktura {claim['invoice_number']}", "rule": "principal"}]
    due: date = claim["due_date"]
    rate = rate_on(book, sent_on)
    if interest:
        lines.append({"label": labels["interest"], "amount": fmt(interest),
                      "basis": f"forsinkelsesrenteloven § 3, {fmt_pct(rate)} per år "
                               f"fra {(due + timedelta(days=1)).strftime('%d.%m.%Y')}",
                      "rule": "FRL-3-forsinkelsesrente"})
    fees = ZERO
    for component in COST_COMPONENTS:
        amount = balances.get(component, ZERO)
        if amount:
            fees += amount
            lines.append({"label": labels[component], "amount": fmt(amount),
                          "basis": BASIS[component], "rule": component})
    paid = balances.get("paid", ZERO)
    total = principal + interest + fees + balances.get("overpaid", ZERO)
    content: dict[str, Any] = {
        "kind": kind, "sender": sender, "language": language, "ref": claim["ref"],
        "invoice_number": claim["invoice_number"],
        "invoice_date": claim["invoice_date"].isoformat(), "due_date": due.isoformat(),
        "description": claim.get("description") or "", "sent_on": sent_on.isoformat(),
        "deadline": deadline.isoformat() if deadline else None, "kid": claim["kid"],
        "account_number": agency.account_number if sender == "agency"
        else (claim.get("c_account_number") or agency.account_number),
        # a letter says who to contact: the sender's e-mail and phone (the agency's from the
        # settings, KRAV_AGENCY_EMAIL / KRAV_AGENCY_PHONE; the creditor's from its profile)
        "creditor": party(claim, "c_", (*PARTY_KEYS, "email", "phone")),
        "agency": {"name": agency.name, "orgnr": agency.orgnr, "address": agency.address,
                   "postcode": agency.postcode, "city": agency.city, "licence": agency.licence,
                   "email": agency.email, "phone": agency.phone},
        "debtor": {**party(claim, "d_"), "kind": claim["d_kind"],
                   "country": claim.get("d_country") or "NO"},
        "amounts": {"principal": fmt(principal), "interest": fmt(interest), "fees": fmt(fees),
                    "paid": fmt(paid), "total": fmt(total)},
        "interest": {"rate": str(rate),
                     "from": (due + timedelta(days=1)).isoformat(),
                     "through": sent_on.isoformat()},
        "fee": fmt(fee),
        "lines": lines,
        # the generation of the case's access code the letter prints (krav.cases.codes): the
        # code itself is derived when the letter is rendered and never stored
        "access_serial": int(claim.get("pa_serial") or 0),
    }
    if claim["d_kind"] != "business":
        content["debtor"]["orgnr"] = ""  # never print a national id number on a letter
    if kind == "payment_demand":
        content["enforcement_notice"] = enforcement_notice
    if extra:
        content.update(extra)
    return content


def claim_rows_query():  # type: ignore[no-untyped-def]
    """Claims joined with what a letter shows of their creditor and debtor."""
    return (
        select(
            claims.c.id, claims.c.ref, claims.c.invoice_number, claims.c.invoice_date,
            claims.c.due_date, claims.c.description, claims.c.kid,
            creditors.c.name.label("c_name"), creditors.c.orgnr.label("c_orgnr"),
            creditors.c.address.label("c_address"), creditors.c.postcode.label("c_postcode"),
            creditors.c.city.label("c_city"),
            creditors.c.account_number.label("c_account_number"),
            creditors.c.email.label("c_email"), creditors.c.phone.label("c_phone"),
            debtors.c.name.label("d_name"), debtors.c.national_id.label("d_orgnr"),
            debtors.c.address.label("d_address"), debtors.c.postcode.label("d_postcode"),
            debtors.c.city.label("d_city"), debtors.c.country.label("d_country"),
            debtors.c.kind.label("d_kind"), debtors.c.language.label("d_language"),
            case_access.c.serial.label("pa_serial"),
        )
        .join(creditors, creditors.c.id == claims.c.creditor_id)
        .join(debtors, debtors.c.id == claims.c.debtor_id)
        .outerjoin(case_access, case_access.c.claim_id == claims.c.id)
    )


def content_for_claim(conn: Connection, claim_id: int, *, kind: str, sent_on: date,
                      deadline: date | None, sender: str, agency: Agency, book: Any,
                      extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Content of a letter about one claim, from the database as it is now (e.g. a rest notice)."""
    row = conn.execute(claim_rows_query().where(claims.c.id == claim_id)).mappings().one()
    balances = balances_by_component(conn, [claim_id]).get(claim_id, {})
    return build_content(kind=kind, sender=sender, sent_on=sent_on, deadline=deadline,
                         claim=row, balances=balances, agency=agency, book=book, extra=extra)
