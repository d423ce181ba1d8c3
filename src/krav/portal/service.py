"""The debtor portal's actions, shared by the pages and the command line: a fresh access code
for a case, the debtor's contact data, and what a case page shows."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select, update

from krav.accounts.principal import Actor
from krav.audit.service import record
from krav.cases import codes
from krav.cases.read import amount_today, case_view
from krav.db.tables import case_access, claims, creditors, debtors, letters
from krav.kernel.errors import NotFound, UnableToProceed
from krav.law import law_book
from krav.ledger.model import COST_COMPONENTS

NO_KEY = ("KRAV_SECRET_KEY er ikke satt: tilgangskoder kan verken lages eller kontrolleres "
          "(se README, «Skyldnerportalen»)")


def issue_code(conn: Connection, ref: str, *, key: bytes | None, actor: Actor) -> dict[str, Any]:
    """A fresh access code for case ``ref`` (for the agency's phone staff); the case's earlier
    code stops working at once. The code is returned, never stored or audited."""
    if key is None:
        raise UnableToProceed(NO_KEY)
    row = conn.execute(select(claims.c.id, claims.c.ref, claims.c.creditor_id)
                       .where(claims.c.ref == ref.strip().upper())).first()
    if row is None:
        raise NotFound(f"ukjent sak {ref.strip()[:40]!r} (se `krav cases`)")
    serial = conn.execute(select(case_access.c.serial)
                          .where(case_access.c.claim_id == row.id)).scalar()
    if serial is None:
        serial = 1
        conn.execute(insert(case_access).values(claim_id=row.id, serial=serial,
                                                issued_at=actor.at, issued_by=actor.label[:300]))
    else:
        serial += 1
        conn.execute(update(case_access).where(case_access.c.claim_id == row.id)
                     .values(serial=serial, issued_at=actor.at, issued_by=actor.label[:300]))
    record(conn, actor, "case.access_code", claim_id=row.id, creditor_id=row.creditor_id,
           details={"serial": serial})
    return {"ref": row.ref, "code": codes.access_code(key, row.ref, serial), "serial": serial}


# --- contact data ----------------------------------------------------------------------------

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9]{8,15}$")
CONTACT_FIELDS = ("address", "postcode", "city", "email", "phone", "email_consent",
                  "phone_opt_out")


def contact_of(conn: Connection, claim_id: int) -> dict[str, Any]:
    row = conn.execute(select(debtors).join(claims, claims.c.debtor_id == debtors.c.id)
                       .where(claims.c.id == claim_id)).mappings().one()
    return {k: row[k] for k in ("id", "name", "country", *CONTACT_FIELDS)}


def check_contact(form: dict[str, str], country: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's values, cleaned, and per field the error (message keys for the page)."""
    values: dict[str, Any] = {
        "address": " ".join(form.get("address", "").split())[:200],
        "postcode": form.get("postcode", "").strip()[:10],
        "city": " ".join(form.get("city", "").split())[:100],
        "email": form.get("email", "").strip().lower()[:200],
        "phone": "".join(form.get("phone", "").split()),
        "email_consent": form.get("email_consent") == "ja",
        "phone_opt_out": form.get("phone_opt_out") == "ja",
    }
    errors: dict[str, str] = {}
    if not values["address"]:
        errors["address"] = "address_missing"
    if country == "NO" and not re.fullmatch(r"[0-9]{4}", values["postcode"]):
        errors["postcode"] = "postcode_bad"
    if not values["city"]:
        errors["city"] = "city_missing"
    if values["email"] and not EMAIL.match(values["email"]):
        errors["email"] = "email_bad"
    if values["email_consent"] and not values["email"] and "email" not in errors:
        errors["email"] = "email_needed"
    if values["phone"]:
        phone = values["phone"]
        if phone.startswith("00"):
            phone = "+" + phone[2:]
        if not PHONE.match(phone):
            errors["phone"] = "phone_bad"
        values["phone"] = phone[:30]
    return values, errors


def update_contact(conn: Connection, claim_id: int, values: dict[str, Any], *,
                   actor: Actor) -> list[str]:
    """Store the debtor's contact data given in the portal; one audit row naming what changed
    (old and new values). Consent to electronic delivery makes e-mail a lawful channel for
    notices (INKL § 3 a: an address the person gave for the purpose); a new postal address
    clears a mark of returned mail. Returns the changed fields."""
    before = contact_of(conn, claim_id)
    changed = [k for k in CONTACT_FIELDS if values[k] != before[k]]
    if not changed:
        return []
    new = {k: values[k] for k in changed}
    if {"address", "postcode", "city"} & set(changed):
        new["address_bad"] = False
    conn.execute(update(debtors).where(debtors.c.id == before["id"]).values(**new))
    creditor_id = conn.execute(select(claims.c.creditor_id)
                               .where(claims.c.id == claim_id)).scalar_one()
    record(conn, actor, "debtor.contact", claim_id=claim_id, creditor_id=creditor_id,
           details={"debtor_id": before["id"],
                    "changes": {k: {"from": before[k], "to": values[k]} for k in changed}})
    return changed


# --- the case page ---------------------------------------------------------------------------

def case_page(conn: Connection, claim_id: int, *, as_of: date) -> dict[str, Any]:
    """Everything the case page shows, from :func:`krav.cases.read.case_view` (so the amounts
    are those of ``krav case show``) and the claim's own row."""
    claim = conn.execute(
        select(claims.c.ref, claims.c.invoice_date, claims.c.description, claims.c.kid,
               claims.c.stage, claims.c.status, claims.c.last_deadline,
               claims.c.demand_deadline, creditors.c.account_number)
        .join(creditors, creditors.c.id == claims.c.creditor_id)
        .where(claims.c.id == claim_id)).one()
    view = case_view(conn, claim.ref, as_of=as_of, claim_id=claim_id)
    components: dict[str, Decimal] = {}
    for p in view["postings"]:
        components[p["component"]] = components.get(p["component"], Decimal("0.00")) + p["amount"]
    salaer = components.get("salaer", Decimal("0.00"))
    fees = sum((components.get(c, Decimal("0.00")) for c in COST_COMPONENTS if c != "salaer"),
               Decimal("0.00"))
    interest = view["balance"]["interest"] + view["interest_accrued"]
    shown = [row for row in view["letters"] if row["status"] != "cancelled"]
    deadline = _next_deadline(shown, as_of)
    at_deadline = None
    if deadline is not None and view["status"] != "closed":
        at_deadline = amount_today(
            principal=view["balance"]["principal"], interest=view["balance"]["interest"],
            fees=view["balance"]["fees"], overpaid=-components.get("overpaid", Decimal("0.00")),
            interest_from=_interest_from(conn, claim_id), as_of=deadline,
            status=view["status"], book=law_book())["to_pay_today"]
    account = _account(conn, claim_id) or claim.account_number
    return {**view, "invoice_date": claim.invoice_date, "description": claim.description,
            "split": {"principal": view["balance"]["principal"], "interest": interest,
                      "fees": fees, "salaer": salaer,
                      "overpaid": -components.get("overpaid", Decimal("0.00"))},
            "letters": shown, "deadline": deadline, "at_deadline": at_deadline,
            "account": account}


def case_row(conn: Connection, claim_id: int, *, as_of: date) -> dict[str, Any]:
    """One line of the debtor's overview: the case, its creditor and invoice, and what it takes
    to pay it today (as ``krav case show``)."""
    ref = conn.execute(select(claims.c.ref).where(claims.c.id == claim_id)).scalar_one()
    view = case_view(conn, ref, as_of=as_of, claim_id=claim_id)
    return {"ref": view["ref"], "creditor": view["creditor"]["name"],
            "invoice_number": view["invoice_number"], "status": view["status"],
            "to_pay_today": view["to_pay_today"], "owed_back": view["owed_back"]}


def _interest_from(conn: Connection, claim_id: int) -> date:
    return conn.execute(select(claims.c.interest_through)
                        .where(claims.c.id == claim_id)).scalar_one()


def _next_deadline(rows: list[dict[str, Any]], as_of: date) -> date | None:
    coming = [r["deadline"] for r in rows if r["deadline"] and r["deadline"] >= as_of]
    return min(coming) if coming else None


def _account(conn: Connection, claim_id: int) -> str | None:
    """The account the newest letter told the debtor to pay to (the agency's client account
    once the case is with the agency, else the creditor's)."""
    content = conn.execute(select(letters.c.content).where(letters.c.claim_id == claim_id)
                           .order_by(letters.c.sent_on.desc(), letters.c.id.desc())
                           .limit(1)).scalar()
    return (content or {}).get("account_number") or None


def letter_content(conn: Connection, claim_id: int, letter_id: int) -> dict[str, Any]:
    """A letter of the case (another case's letter is not found, like a missing one)."""
    row = conn.execute(select(letters.c.content).where(letters.c.id == letter_id,
                                                       letters.c.claim_id == claim_id,
                                                       letters.c.status != "cancelled")).first()
    if row is None:
        raise NotFound("brevet finnes ikke i denne saken")
    return dict(row.content)


def pay_facts(conn: Connection, ref: str, *, as_of: date) -> dict[str, Any]:
    """What the pay page shows: the amount to pay today, the KID and the account — nothing
    about the person."""
    claim = conn.execute(select(claims.c.id, claims.c.kid, claims.c.status,
                                creditors.c.account_number)
                         .join(creditors, creditors.c.id == claims.c.creditor_id)
                         .where(claims.c.ref == ref)).first()
    if claim is None:
        raise NotFound("ukjent betalingslenke")
    view = case_view(conn, ref, as_of=as_of, claim_id=claim.id)
    return {"ref": ref, "kid": claim.kid, "to_pay_today": view["to_pay_today"],
            "status": claim.status,
            "account": _account(conn, claim.id) or claim.account_number}
